"""Shared fixtures of the lakehouse tests: the command line that writes the
datasets, and DuckDB with the lakehouse extensions loaded from their wheels
(offline: nothing is downloaded)."""

import glob
import importlib
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cli():
    binary = Path(os.environ.get("CUSTOMER_EVENTS_BIN", REPO / "target" / "debug" / "customer-events"))
    if not binary.exists():
        pytest.fail(f"{binary} is missing: run `cargo build` or set CUSTOMER_EVENTS_BIN")

    def run(*args):
        return subprocess.run([str(binary), *map(str, args)], check=True, capture_output=True, text=True)

    return run


def load_extension(con, name):
    """Loads DuckDB's extension `name` from its wheel (duckdb-extension-NAME)."""
    module = importlib.import_module(f"duckdb_extension_{name}")
    (path,) = glob.glob(os.path.join(os.path.dirname(module.__file__), "extensions", "*", "*.duckdb_extension"))
    con.execute(f"LOAD '{path}'")


@pytest.fixture
def duck():
    con = duckdb.connect()
    for name in ("avro", "iceberg", "delta"):
        load_extension(con, name)
    yield con
    con.close()
