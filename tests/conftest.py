"""Test set-up shared by the whole suite.

Unit tests never start Prefect: with the ephemeral server disabled an accidental engine call
fails at once. Flow tests ask for ``prefect_harness``, one temporary Prefect server for the
whole session.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from pathlib import Path

import pytest

from vcc.transforms.quarters import Quarter

os.environ["PREFECT_SERVER_EPHEMERAL_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

FIXTURES = Path(__file__).parent / "fixtures"
FLOW_QUARTER = "2024Q4"  # the quarter the flow tests run, on sources complete up to FLOW_AS_OF
FLOW_AS_OF = dt.date(2025, 2, 14)
GOLDEN = FIXTURES / "golden"


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture(scope="session")
def demo_config(tmp_path_factory) -> Path:
    """The shipped configuration, copied as a user's ``vcc.toml`` (its relative paths read against
    its folder), beside small demo sources in ``demo-data/`` as ``vcc demo`` lays them out."""
    from vcc.flows.config import DEFAULT_CONFIG, load_config
    from vcc.flows.synthetic import generate_sources, write_demo_sources

    root = tmp_path_factory.mktemp("demo")
    config = root / "vcc.toml"
    shutil.copy(DEFAULT_CONFIG, config)
    sources = generate_sources(
        Quarter(2024, 1), Quarter(2024, 4), scale=0.05, seed=7, until=FLOW_AS_OF
    )
    write_demo_sources(sources, root / "demo-data", load_config(config))
    return config


POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"


@pytest.fixture
def postgres_database():
    """A new, empty PostgreSQL database for one test, dropped afterwards. Fails (never skips)
    when the server at 127.0.0.1:5432 is down: .ci/run starts it."""
    from sqlalchemy import create_engine, text

    name = f"vcc_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
