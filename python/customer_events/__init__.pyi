"""Typed signatures of customer_events (see __init__.py for the documentation)."""

import datetime
import os
from typing import Any, Dict, List, Literal, Optional, Tuple, TypedDict, Union

import pyarrow

__version__: str
DEFAULT_BATCH_ROWS: int

#: A count: an int, or text the command line takes ("10k", "5M", "1_000_000").
Count = Union[int, str]
#: A day: "YYYY-MM-DD" or a date.
Day = Union[str, datetime.date]
#: A config: TOML text, or the path of a TOML file.
ConfigSource = Union[str, "os.PathLike[str]"]

class WrittenFile(TypedDict):
    path: str
    rows: int
    bytes: int

class Summary(TypedDict):
    rows: int
    cells: int
    files: List[WrittenFile]
    bytes: int
    seconds: float

def generate_consumer_event_data(
    seed: Optional[int] = None,
    index: Optional[Count] = None,
    *,
    rows: Optional[Count] = None,
    config: Optional[ConfigSource] = None,
) -> Dict[str, Any]: ...
def schema(*, event_date: bool = False, faults: Optional[Literal["none", "typical"]] = None) -> pyarrow.Schema: ...
def schema_text(
    form: Literal["arrow", "duckdb", "spark", "spark-ddl", "avro", "json-schema"] = "spark",
    *,
    faults: Optional[Literal["none", "typical"]] = None,
) -> str: ...
def record_batches(
    rows: Optional[Count],
    *,
    first_row: Count = 0,
    count: Optional[Count] = None,
    seed: Optional[int] = None,
    start: Optional[Day] = None,
    days: Optional[Count] = None,
    users: Optional[Count] = None,
    catalog_size: Optional[Count] = None,
    config: Optional[ConfigSource] = None,
    batch_rows: Count = 32768,
    event_date: bool = False,
    threads: Optional[int] = None,
) -> pyarrow.RecordBatchReader: ...
def row_groups(
    rows: Optional[Count],
    *,
    seed: Optional[int] = None,
    start: Optional[Day] = None,
    days: Optional[Count] = None,
    users: Optional[Count] = None,
    catalog_size: Optional[Count] = None,
    config: Optional[ConfigSource] = None,
    row_group_rows: Optional[Count] = None,
    max_rows_per_file: Optional[Count] = None,
) -> List[Tuple[int, int]]: ...
def generate(
    out: Union[str, "os.PathLike[str]"],
    *,
    rows: Optional[Count] = None,
    seed: Optional[int] = None,
    start: Optional[Day] = None,
    days: Optional[Count] = None,
    users: Optional[Count] = None,
    catalog_size: Optional[Count] = None,
    config: Optional[ConfigSource] = None,
    format: Optional[Literal["parquet", "ndjson", "arrow"]] = None,
    layout: Optional[Literal["nested", "normalized"]] = None,
    compression: Optional[str] = None,
    row_group_rows: Optional[Count] = None,
    max_rows_per_file: Optional[Count] = None,
    partition_by: Optional[Literal["date", "none"]] = None,
    string_statistics: bool = False,
    overwrite: bool = False,
    threads: Optional[int] = None,
    faults: Optional[Literal["none", "typical"]] = None,
) -> Summary: ...
