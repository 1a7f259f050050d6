"""Shared fixtures: the command-line binary the package is checked against.

The tests compare the package with `customer-events` itself: set
CUSTOMER_EVENTS_BIN to its path (`.ci/python` builds it into
target/debug/customer-events, the default here).
"""

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cli():
    binary = Path(os.environ.get("CUSTOMER_EVENTS_BIN", REPO / "target" / "debug" / "customer-events"))
    if not binary.exists():
        pytest.fail(f"{binary} is missing: run `cargo build` or set CUSTOMER_EVENTS_BIN")

    def run(*args, **kwargs):
        return subprocess.run([str(binary), *map(str, args)], check=True, capture_output=True, **kwargs)

    run.path = binary
    return run
