"""Test set-up shared by the whole suite.

Unit tests never start Prefect: with the ephemeral server disabled an accidental engine call
fails at once. Flow tests ask for ``prefect_harness``, one temporary Prefect server for the
whole session (for each xdist worker: ``make test`` runs two).

``make test`` runs the suite on two xdist workers with ``--dist loadfile``: each module's tests
run on one worker, so a module-scoped fixture (every flow module's run, a wheel) is made once.
(``--dist loadgroup`` with groups set here did nothing under pytest 9: xdist 3.8 names a test's
group by assigning ``item._nodeid``, which pytest 9 no longer reads, so every module's tests were
spread over both workers and each module's fixture was made on each.)
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import shutil
import uuid
from pathlib import Path
from typing import Any, cast

import pytest

from vcc.transforms.quarters import Quarter

os.environ["PREFECT_SERVER_EPHEMERAL_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

FIXTURES = Path(__file__).parent / "fixtures"
FLOW_QUARTER = "2024Q4"  # the quarter the flow tests run, on sources complete up to FLOW_AS_OF
FLOW_AS_OF = dt.date(2025, 2, 14)
GOLDEN = FIXTURES / "golden"


# Fixtures that connect to the PostgreSQL or MariaDB server (marker ``database``).
_DATABASE_FIXTURES = {"postgres_database", "postgres_url", "postgresql_url", "mariadb_url"}

# Fixtures that start the Prefect server or lay out a whole report or comparison PDF (marker
# ``slow``, left out of ``make test-fast``, as are the tests marked ``slow`` one by one).
_SLOW_FIXTURES = {
    "prefect_harness",
    "rendered",
    "full_pdf",
    "report_with_reviews",
    "pdf",
    "html_report",
}

# ``make test-fast`` sets VCC_TESTS_FAST: the property tests then try a tenth of their examples
# (at least 10), a quick check while working; ``make test`` tries them all.
FAST = os.environ.get("VCC_TESTS_FAST") == "1"


def examples(full: int) -> int:
    """How many examples a property test tries: ``full`` under ``make test``, a tenth of them
    (at least 10) under ``make test-fast``."""
    return max(10, full // 10) if FAST else full


def _uses_a_database_server(item: pytest.Item) -> bool:
    if _DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    callspec = getattr(item, "callspec", None)  # a test run once per backend
    values = [str(v) for v in callspec.params.values()] if callspec is not None else []
    return any(v in {"postgresql", "postgres", "mariadb"} for v in values)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The marker ``database`` on the tests that use the PostgreSQL or MariaDB server, and ``slow``
    on those that start Prefect or lay out a whole PDF through a fixture (``make test-fast`` leaves
    both out)."""
    for item in items:
        if _uses_a_database_server(item):
            item.add_marker(pytest.mark.database)
        if _SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    # 240 s: on a loaded 2-core machine, with two xdist workers each starting one, 90 s ran out.
    with prefect_test_harness(server_startup_timeout=240):
        yield


@pytest.fixture(scope="session")
def demo_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
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


@pytest.fixture(scope="session")
def demo_run(
    prefect_harness: None, demo_config: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    """One run of ``FLOW_QUARTER`` on the demo sources, made once (on each worker that asks):
    its output folder and manifest. Several modules start from this same run; each takes its own
    copy (``copy_demo_run``), never the original."""
    from vcc.flows.run.flow import run_quarter

    out = tmp_path_factory.mktemp("demo-run")
    manifest = run_quarter(Quarter.parse(FLOW_QUARTER), FLOW_AS_OF, demo_config, out)
    return out, cast(dict[str, Any], manifest)


def copy_demo_run(demo_run: tuple[Path, dict[str, Any]], out: Path) -> dict[str, Any]:
    """Copy the demo run's whole output folder (outputs, run folders and their links, snapshots,
    warehouse: all named relative to the folder) to the new folder ``out``; its manifest."""
    shutil.copytree(demo_run[0], out, symlinks=True)
    return copy.deepcopy(demo_run[1])


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
