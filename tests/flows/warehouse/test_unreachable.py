"""Issue 27, not probed before: the PostgreSQL warehouse becomes unreachable in the middle of a
run. The run stops in one line naming the warehouse (not "a fault in vcc"), publishes nothing
(the switch of its outputs is in the transaction that could not commit), and the earlier
outputs stay; once the server is back, the next run goes on as usual. With a real PostgreSQL
whose database an administrator closes, and real files."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from tests.conftest import POSTGRES
from tests.flows.run.test_publish_switch import (
    QUARTER,
    outputs_of,
    published,
    recorder,
    staged,
)
from vcc.flows.cli import main
from vcc.flows.run.publish import publish_folder
from vcc.flows.warehouse.store import Warehouse, WarehouseUnreachable


def close_database(url: str, closed: bool) -> None:
    """As an administrator (or a failing server) does: refuse new connections to the database
    and end the open ones; or open it again."""
    name = url.rsplit("/", 1)[1]
    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(not closed)}'))
        if closed:
            connection.execute(text(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            ))  # fmt: skip
    admin.dispose()


def test_the_warehouse_lost_before_a_run_commits_publishes_nothing(postgres_database, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    warehouse = Warehouse(postgres_database)
    publish_folder(staged(out, "run-1"), out, QUARTER, "run-1", recorder(warehouse, "run-1"))
    record = recorder(warehouse, "run-2", lambda: close_database(postgres_database, True))

    try:
        with pytest.raises(WarehouseUnreachable) as raised:
            publish_folder(staged(out, "run-2"), out, QUARTER, "run-2", record)
        assert published(out) == outputs_of("run-1")
        assert sorted(p.name for p in out.iterdir()) == [f".{QUARTER}-run-1", QUARTER]
    finally:
        close_database(postgres_database, False)

    message = str(raised.value)
    assert message.startswith(f"the warehouse {postgres_database} cannot be reached (")
    assert message.endswith(
        "): nothing more was recorded, and a run that had not committed its figures published "
        "nothing; run it again when the warehouse is back"
    )
    assert "\n" not in message
    # The server is back: the run was never recorded as finished, and the next run publishes.
    back = Warehouse(postgres_database)
    run = back.run("run-2")
    assert run is not None and run["status"] == "running"
    back.fail_run("run-2", QUARTER, "the warehouse could not be reached")
    publish_folder(staged(out, "run-3"), out, QUARTER, "run-3", recorder(back, "run-3"))
    assert published(out) == outputs_of("run-3")


def test_a_warehouse_server_that_cannot_be_reached_is_one_line(tmp_path):
    config = tmp_path / "vcc.toml"
    config.write_text('districts = ["Eden"]\n[warehouse]\nurl_env = "VCC_TEST_WAREHOUSE"\n')
    url = "postgresql+psycopg://vcc@127.0.0.1:1/vcc"  # nothing listens on port 1

    result = CliRunner().invoke(
        main, ["history", "--config", str(config)], env={"VCC_TEST_WAREHOUSE": url}
    )

    assert result.exit_code == 1
    assert result.output.startswith(f"vcc: error: the warehouse {url} cannot be reached (")
    assert "a fault in vcc" not in result.output and result.output.count("\n") == 1
