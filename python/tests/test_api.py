"""The Python API against the command line: the same events, batches and files."""

import filecmp
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import customer_events as ce

ROWS = 300_000
SEED = 11


def sample_lines(cli, seed, count, lines, *extra):
    """The first `lines` JSON lines of `customer-events sample --seed SEED --count COUNT`,
    without waiting for the rest of a large sample."""
    with subprocess.Popen(
        [str(cli.path), "sample", "--seed", str(seed), "--count", str(count), *extra],
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        events = [json.loads(process.stdout.readline()) for _ in range(lines)]
        process.kill()
    return events


def test_events_are_the_lines_that_sample_prints(cli):
    pairs = 0
    for seed in [0, 1, 7, 42, 99, 1234, 2**32, 2**63, 31337, 5]:
        printed = sample_lines(cli, seed, "1M", 40)
        for index in range(0, 40, 4):
            assert ce.generate_consumer_event_data(seed, index) == printed[index], (seed, index)
            pairs += 1
    assert pairs == 100


def test_small_datasets_and_configs_are_their_samples(cli, tmp_path):
    config = "completion_rate = 0.9\n[event_mix]\ncontent_play = 1.0\nsearch = 0.0\nbrowse = 0.0\n"
    path = tmp_path / "c.toml"
    path.write_text(config)
    printed = [json.loads(line) for line in cli("sample", "--seed", 3, "--count", 25, "--config", path).stdout.splitlines()]
    assert len(printed) == 25
    for index, event in enumerate(printed):
        assert ce.generate_consumer_event_data(3, index, rows=25, config=config) == event
        assert event["event_type"] == "content_play"
    assert ce.generate_consumer_event_data(3, 24, rows=25, config=path) == printed[24]


def test_without_an_index_calls_walk_the_default_dataset(cli):
    script = "import json, customer_events as ce\nfor _ in range(3): print(json.dumps(ce.generate_consumer_event_data()))"
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
    assert [json.loads(line) for line in out.splitlines()] == sample_lines(cli, 42, "1M", 3)


@pytest.fixture(scope="module")
def cli_table(cli, tmp_path_factory):
    """The CLI's Parquet of a 300k-row dataset, read in file order (days, then parts)."""
    out = tmp_path_factory.mktemp("cli") / "events"
    cli("generate", "--rows", ROWS, "--seed", SEED, "--days", 3, "--start", "2026-02-27",
        "--max-rows-per-file", "40k", "--out", out, "--quiet")
    partitioning = ds.partitioning(pa.schema([("event_date", pa.date32())]), flavor="hive")
    dataset = ds.dataset(out, format="parquet", partitioning=partitioning)
    files = [Path(f).relative_to(out).as_posix() for f in dataset.files]
    assert files == sorted(files) and len(files) > 3
    return dataset.to_table()


def batches(**options):
    return ce.record_batches(ROWS, seed=SEED, days=3, start="2026-02-27", event_date=True, **options)


@pytest.mark.parametrize(
    "batch_rows, first_row, count",
    [(32_768, 0, None), (1_000, 0, None), (7_919, 123_457, 100_000), (100_000, 299_990, None), (1, 77, 5)],
)
def test_batches_hold_the_values_the_cli_writes(cli_table, batch_rows, first_row, count):
    reader = batches(batch_rows=batch_rows, first_row=first_row, count=count)
    assert reader.schema == ce.schema(event_date=True)
    got = reader.read_all()
    expected = cli_table.slice(first_row, count if count is not None else ROWS - first_row)
    assert got.num_rows == expected.num_rows
    assert all(len(c) <= batch_rows for c in got.column(0).chunks)
    assert got.column_names == expected.column_names
    for name in got.column_names:
        assert got.column(name).equals(expected.column(name)), name


def test_batches_do_not_depend_on_threads(cli_table):
    one = batches(count=50_000, threads=1, batch_rows=5_000).read_all()
    assert one.column("event_id").equals(cli_table.slice(0, 50_000).column("event_id"))
    assert one.equals(batches(count=50_000, threads=3, batch_rows=12_345).read_all())


def test_the_schema_is_the_cli_schema(cli, cli_table):
    assert ce.schema().equals(cli_table.schema.remove(cli_table.schema.get_field_index("event_date")))
    assert ce.schema_text("spark") == cli("schema", "--format", "spark").stdout.decode()
    spark_file = Path(__file__).resolve().parents[2] / "schemas" / "events.spark.json"
    assert json.loads(ce.schema_text("spark")) == json.loads(spark_file.read_text())
    assert ce.schema(event_date=True).field("event_date") == pa.field("event_date", pa.date32(), nullable=False)


def test_the_schema_with_faults_is_what_generate_writes_with_them(cli, tmp_path):
    ce.generate(tmp_path / "dirty", rows=5_000, days=2, faults="typical")
    written = pq.read_schema(next((tmp_path / "dirty").glob("event_date=*/part-*.parquet")))
    assert ce.schema(faults="typical").equals(written.remove_metadata(), check_metadata=False)
    assert ce.schema(faults="typical").field("user_id").nullable
    assert not ce.schema().field("user_id").nullable and not ce.schema(faults="none").field("user_id").nullable
    assert ce.schema_text("spark-ddl", faults="typical") == cli(
        "schema", "--format", "spark-ddl", "--faults", "typical").stdout.decode()
    with pytest.raises(ValueError, match="faults"):
        ce.schema(faults="messy")


@pytest.mark.parametrize(
    "call, option",
    [
        (lambda: ce.record_batches(0), "rows"),
        (lambda: ce.record_batches("ten"), "rows"),
        (lambda: ce.record_batches(-5), "rows"),
        (lambda: ce.record_batches(1000, start="2026-13-01"), "start"),
        (lambda: ce.record_batches(1000, days=0), "days"),
        (lambda: ce.record_batches(1000, users=0), "users"),
        (lambda: ce.record_batches(1000, catalog_size=5), "catalog_size"),
        (lambda: ce.record_batches(1000, seed="x"), "seed"),
        (lambda: ce.record_batches(1000, first_row=1001), "first_row"),
        (lambda: ce.record_batches(1000, first_row=10, count=991), "count"),
        (lambda: ce.record_batches(1000, batch_rows=0), "batch_rows"),
        (lambda: ce.record_batches(1000, threads=0), "threads"),
        (lambda: ce.record_batches(1000, config="colour = 1"), "colour"),
        (lambda: ce.record_batches(1000, config="completion_rate = 3.0"), "completion_rate"),
        (lambda: ce.generate_consumer_event_data(1, 10, rows=10), "index"),
        (lambda: ce.generate("unused", format="csv"), "format"),
        (lambda: ce.generate("unused", layout="flat"), "layout"),
        (lambda: ce.generate("unused", partition_by="month"), "partition_by"),
        (lambda: ce.generate("unused", compression="brotli"), "compression"),
        (lambda: ce.generate("unused", format="arrow", compression="gzip"), "compression"),
        (lambda: ce.generate("unused", row_group_rows=0), "row_group_rows"),
        (lambda: ce.generate("unused", max_rows_per_file=0), "max_rows_per_file"),
        (lambda: ce.generate("unused", threads=0), "threads"),
        (lambda: ce.schema_text("xml"), "form"),
    ],
)
def test_bad_options_raise_value_errors_naming_them(call, option):
    with pytest.raises(ValueError, match=option):
        call()
    assert not Path("unused").exists()


def same_tree(a, b):
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b
    mismatch = filecmp.cmpfiles(a, b, [str(p) for p in files_a], shallow=False)[1:]
    assert mismatch == ([], []), mismatch
    return files_a


@pytest.mark.parametrize(
    "flags",
    [
        {},
        {"format": "ndjson", "compression": "gzip", "layout": "normalized", "seed": 5},
        {"format": "arrow", "partition_by": "none", "max_rows_per_file": "7k", "start": "2025-12-30"},
        {"compression": "zstd(3)", "row_group_rows": 5_000, "string_statistics": True, "users": 2_000},
        {"faults": "typical", "layout": "normalized"},
    ],
)
def test_generate_writes_the_files_the_cli_writes(cli, tmp_path, flags):
    cli_flags = []
    for key, value in flags.items():
        cli_flags += [f"--{key.replace('_', '-')}"] + ([] if value is True else [value])
    cli("generate", "--rows", "20k", "--out", tmp_path / "cli", "--quiet", *cli_flags)
    summary = ce.generate(tmp_path / "py", rows="20k", threads=2, **flags)
    files = same_tree(tmp_path / "cli", tmp_path / "py")
    assert summary["rows"] == 20_000 and summary["cells"] > 20_000 * 50
    assert {f["path"] for f in summary["files"]} < {p.as_posix() for p in files}
    assert summary["bytes"] == sum(f["bytes"] for f in summary["files"])
    assert summary["seconds"] > 0


def test_generate_refuses_a_folder_of_other_files(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(OSError, match="notes.txt|holds|overwrite"):
        ce.generate(tmp_path, rows=1000)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_refusal_names_keywords_and_its_advice_works(tmp_path):
    """A message names options the Python way (`overwrite=True`, not
    `--overwrite`), and following it succeeds."""
    ce.generate(tmp_path / "events", rows=1000)
    with pytest.raises(OSError) as refused:
        ce.generate(tmp_path / "events", rows=2000)
    message = str(refused.value)
    assert "pass overwrite=True" in message and "another out" in message and "--" not in message, message
    assert ce.generate(tmp_path / "events", rows=2000, overwrite=True)["rows"] == 2000
    with pytest.raises(ValueError) as codec:
        ce.generate(tmp_path / "other", rows=1000, format="arrow", compression="gzip")
    assert "with format arrow" in str(codec.value) and "--" not in str(codec.value), codec.value


def test_record_batches_refuse_faults_and_the_advice_works(tmp_path):
    """`record_batches` gives clean events: a config with `[faults]` is
    refused with a message naming `generate(…)`, which writes them."""
    config = "[faults]\nduplicates = 0.01\nlate_arrivals = 0.01\n"
    with pytest.raises(ValueError) as refused:
        ce.record_batches(1000, config=config)
    message = str(refused.value)
    assert "generate(" in message and "[faults]" in message and "--" not in message, message
    with pytest.raises(ValueError, match=r"generate\("):
        ce.row_groups(rows=1000, config=config)
    summary = ce.generate(tmp_path / "dirty", rows=20_000, days=2, config=config)
    assert any(f["path"].startswith("_faults/") for f in summary["files"]), summary["files"]
    assert any("/late-" in f["path"] for f in summary["files"]), summary["files"]


def test_ctrl_c_cancels_generate(tmp_path):
    out = tmp_path / "events"
    script = textwrap.dedent(f"""
        import customer_events as ce
        print("started", flush=True)
        try:
            ce.generate({str(out)!r}, rows="1B", threads=1)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
    """)
    # A child of a shell's background job inherits SIGINT ignored, and Python
    # then raises no KeyboardInterrupt: the child gets the default back.
    restore = lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)  # noqa: E731
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, preexec_fn=restore) as process:
        assert process.stdout.readline() == "started\n"
        # Let the run get under way (its first file appears), then press Ctrl-C.
        deadline = time.monotonic() + 60
        while not (out.exists() and any(out.rglob("*.parquet*"))) and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    assert rest == "interrupted\n"
    assert not (out / "_SUCCESS").exists()
    leftovers = [p.name for p in out.rglob("*") if p.is_file()]
    assert all(not name.startswith(".") for name in leftovers), leftovers


def test_the_examples_run():
    examples = Path(__file__).resolve().parents[2] / "examples" / "python"
    for name in ["one_event.py", "polars_example.py"]:
        out = subprocess.run([sys.executable, examples / name], check=True, capture_output=True, text=True).stdout
        assert "content_play" in out, name


def test_a_timeline_window_from_a_config_is_the_cli_window(cli, tmp_path):
    """`events_per_day` in a config sizes the days by date; the batches of a
    later window are the days the CLI writes for it, whatever window holds them."""
    config = 'events_per_day = 2000\nseed = 9\nstart = "2026-03-05"\ndays = 2\n'
    path = tmp_path / "c.toml"
    path.write_text(config)
    out = tmp_path / "long"
    cli("generate", "--config", path, "--start", "2026-03-02", "--days", 5, "--out", out, "--quiet")
    partitioning = ds.partitioning(pa.schema([("event_date", pa.date32())]), flavor="hive")
    whole = ds.dataset(out, format="parquet", partitioning=partitioning).to_table()
    window = ce.record_batches(None, config=config, event_date=True).read_all()
    # Thursday 2026-03-05 (10/11 of 2,000) and Friday (2,000), the last two days of the long run.
    assert window.num_rows == 1818 + 2000
    expected = whole.slice(whole.num_rows - window.num_rows)
    for name in window.column_names:
        assert window.column(name).equals(expected.column(name)), name


def test_events_per_day_writes_the_cli_window(cli, tmp_path):
    """`events_per_day=` is `--events-per-day`: the same days, byte for byte,
    and the rows of the timeline's weekly pattern."""
    window = dict(start="2026-03-05", days=3, seed=9)
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    summary = ce.generate(ours, events_per_day=2000, **window)
    cli("generate", "--events-per-day", 2000, "--start", "2026-03-05", "--days", 3, "--seed", 9,
        "--out", theirs, "--quiet")
    # Thursday 10/11 of 2,000, Friday 2,000, Saturday 13/11 (rounded).
    assert summary["rows"] == 1818 + 2000 + 2364
    files = lambda root: {p.relative_to(root): p.read_bytes() for p in root.rglob("*.parquet")}
    assert files(ours) == files(theirs) and len(files(ours)) == 3
    batches = ce.record_batches(events_per_day=2000, **window).read_all()
    assert batches.num_rows == summary["rows"]
    with pytest.raises(ValueError, match="events_per_day"):
        ce.generate(tmp_path / "both", rows=10, events_per_day=2000)
