"""Test set-up shared by the whole suite.

Unit tests never start Prefect: with the ephemeral server disabled an accidental engine call
fails at once. Flow tests ask for ``prefect_harness``, one temporary Prefect server for the
whole session.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["PREFECT_SERVER_EPHEMERAL_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = FIXTURES / "golden"


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield
