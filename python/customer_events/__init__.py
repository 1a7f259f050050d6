"""Realistic synthetic media-streaming customer events, generated in Rust.

Every row is a pure function of the options (seed included) and its row
index: the values here are the values ``customer-events`` writes with the same
options, whatever the slicing, thread count or batch size.

- :func:`generate_consumer_event_data`: one event as a dict (the original
  module's function, reproducible).
- :func:`schema`: the Arrow schema of the events.
- :func:`record_batches`: any row range of a dataset as a
  ``pyarrow.RecordBatchReader`` (zero-copy from Rust).
- :func:`generate`: a whole dataset written as ``customer-events generate``
  writes it.
- :mod:`customer_events.spark`: a Spark data source, ``customer_events``.

Options take the command line's values: counts as ints or text (``"10k"``,
``"5M"``), dates as ``"YYYY-MM-DD"`` or :class:`datetime.date`, and
``config`` as TOML text (what a ``--config`` file holds) or a path to such a
file. An option left as ``None`` keeps the config's value, or the tool's
default (seed 42, start 2026-01-01, 7 days, rows / 20 users, 10,000 catalog
entries, 1M rows). Bad options raise :class:`ValueError` naming the option.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import _native

__all__ = [
    "generate_consumer_event_data",
    "schema",
    "schema_text",
    "record_batches",
    "row_groups",
    "generate",
]

__version__ = _native.__version__

#: Rows per batch of :func:`record_batches` by default (about 20 MB of Arrow data).
DEFAULT_BATCH_ROWS = 32_768


def _config_text(config):
    """TOML text from TOML text or a path to a TOML file."""
    if config is None or isinstance(config, str):
        return config
    if isinstance(config, os.PathLike):
        return Path(config).read_text(encoding="utf-8")
    raise ValueError(f"config: expected TOML text or a path, got {type(config).__name__}")


def generate_consumer_event_data(seed=None, index=None, *, rows=None, config=None):
    """One event as a dict, with the keys and nesting of the original module.

    The event is row ``index`` of the dataset of ``rows`` events (default
    1,000,000) with ``seed`` (default 42) and ``config``: the line ``index``
    (from 0) that ``customer-events sample --seed SEED --count ROWS`` prints.
    Without ``index``, successive calls return successive rows (a module-level
    counter shared by all calls). Timestamps are ISO 8601 text, as in JSON.
    """
    return _native.generate_consumer_event_data(seed, index, rows=rows, config=_config_text(config))


def schema(*, event_date=False, faults=None):
    """The events' ``pyarrow.Schema``; with ``event_date=True``, plus the
    non-null ``event_date`` (``date32``) column last, which the Parquet
    output holds as its Hive folder name. With ``faults`` (``"typical"``),
    the schema of what ``generate(…, faults=…)`` writes: missing values make
    ``user_id``, ``timestamp`` and ``location.country`` nullable."""
    return _native.schema(event_date=event_date, faults=faults)


def schema_text(form="spark", *, faults=None):
    """The schema as ``customer-events schema --format FORM`` prints it:
    ``arrow``, ``duckdb``, ``spark``, ``spark-ddl``, ``avro`` or ``json-schema``;
    with ``faults``, as ``--faults`` makes it."""
    return _native.schema_text(form, faults=faults)


def record_batches(
    rows=None,
    *,
    first_row=0,
    count=None,
    seed=None,
    start=None,
    days=None,
    users=None,
    catalog_size=None,
    events_per_day=None,
    config=None,
    batch_rows=DEFAULT_BATCH_ROWS,
    event_date=False,
    threads=None,
):
    """Rows ``first_row .. first_row + count`` of a dataset, as a ``pyarrow.RecordBatchReader``.

    ``rows`` is the size of the dataset (``--rows``): together with the seed,
    dates, users, catalog size and config it decides every value, so a slice
    of a 1M-row dataset is not the start of a 100k-row one. ``first_row`` and
    ``count`` (default: the rest of the dataset) select the slice; the batches
    (``batch_rows`` rows each, the last one shorter) hold exactly the values
    that ``customer-events generate`` writes for those rows with the same
    options, in the same order. ``event_date=True`` appends the ``event_date``
    column (the row's UTC day, the Parquet output's Hive folder).

    ``events_per_day`` instead of ``rows`` (``--events-per-day``) sizes each
    day by its date alone (the weekly pattern applied per day), so the days
    of one timeline are the same whichever window holds them.

    Batches are generated in Rust on ``threads`` workers (default: one per
    core) without the GIL, a few ahead of the reader.
    """
    return _native.record_batches(
        rows,
        first_row=first_row,
        count=count,
        seed=seed,
        start=start,
        days=days,
        users=users,
        catalog_size=catalog_size,
        events_per_day=events_per_day,
        config=_config_text(config),
        batch_rows=batch_rows,
        event_date=event_date,
        threads=threads,
    )


def row_groups(
    rows=None,
    *,
    seed=None,
    start=None,
    days=None,
    users=None,
    catalog_size=None,
    events_per_day=None,
    config=None,
    row_group_rows=None,
    max_rows_per_file=None,
):
    """The ``(first_row, rows)`` of every row group of the Parquet files that
    ``customer-events generate`` writes for the dataset, in row order (days
    split into files of at most ``max_rows_per_file`` rows, files into groups
    of ``row_group_rows``)."""
    return _native.row_groups(
        rows,
        seed=seed,
        start=start,
        days=days,
        users=users,
        catalog_size=catalog_size,
        events_per_day=events_per_day,
        config=_config_text(config),
        row_group_rows=row_group_rows,
        max_rows_per_file=max_rows_per_file,
    )


def generate(
    out,
    *,
    rows=None,
    seed=None,
    start=None,
    days=None,
    users=None,
    catalog_size=None,
    events_per_day=None,
    config=None,
    format=None,
    layout=None,
    compression=None,
    row_group_rows=None,
    max_rows_per_file=None,
    partition_by=None,
    string_statistics=False,
    overwrite=False,
    threads=None,
    faults=None,
):
    """Writes a dataset into folder ``out`` exactly as ``customer-events
    generate --out OUT`` does with the same options (byte-identical files).
    ``rows`` is the total; ``events_per_day`` instead sizes each day by its
    date (``--events-per-day``), for windows of one timeline. ``faults``
    (``"none"`` or ``"typical"``, as ``--faults``) writes dirty data with
    its ground truth in ``_faults/`` (docs/faults.md).

    Returns the summary: ``rows``, ``cells`` (leaf values), ``files`` (a list
    of ``{"path", "rows", "bytes"}``, paths relative to ``out``), ``bytes``
    and ``seconds``. Ctrl-C stops the run at its next row group, removes the
    partial file and raises :class:`KeyboardInterrupt`. An unusable folder or a
    failed write raises :class:`OSError`.
    """
    return _native.generate(
        os.fspath(out),
        rows=rows,
        seed=seed,
        start=start,
        days=days,
        users=users,
        catalog_size=catalog_size,
        events_per_day=events_per_day,
        config=_config_text(config),
        format=format,
        layout=layout,
        compression=compression,
        row_group_rows=row_group_rows,
        max_rows_per_file=max_rows_per_file,
        partition_by=partition_by,
        string_statistics=string_statistics,
        overwrite=overwrite,
        threads=threads,
        faults=faults,
    )
