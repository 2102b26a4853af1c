"""Database credentials: a sql source's URL written in the file (``url``, no password allowed), in
an environment variable (``url_env``) or in a Prefect ``Secret`` block (``url_secret``), and a
password that never reaches a message, a log line or the manifest.

The Secret blocks are saved in the session's real temporary Prefect server (``prefect_harness``).
PostgreSQL (127.0.0.1:5432, trust authentication, so any password is accepted) stands in for an
agency's server, as in tests/test_databases.py.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from tests.conftest import GOLDEN
from tests.flows.sources.test_databases import server_url
from vcc.flows.cli import main
from vcc.flows.config import SourceConfig, load_config
from vcc.flows.errors import ConfigError, SourceError, SourceUnavailable
from vcc.flows.sources.extract import extract_source
from vcc.transforms.quarters import Quarter

PASSWORD = "s3cret"
REPO = Path(__file__).resolve().parents[3]


def save_secret(name: str, value: str) -> str:
    from prefect.blocks.system import Secret

    Secret(value=value).save(name, overwrite=True)  # type: ignore[arg-type]  # Prefect: T unsolved
    return name


def postgres_url_with_password(schema: str | None = None, port: int | None = None) -> str:
    """The test server's URL with a password (which trust authentication ignores)."""
    url = server_url("postgresql").set(password=PASSWORD)
    if port is not None:
        url = url.set(port=port)
    if schema is not None:
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


# --- the configuration file ------------------------------------------------------------------


def write_config(tmp_path: Path, police: str) -> Path:
    path = tmp_path / "vcc.toml"
    path.write_text(f'[sources.police]\nkind = "sql"\n{police}\n', encoding="utf-8")
    return path


def test_a_password_written_in_the_file_is_refused(tmp_path: Path) -> None:
    config = write_config(tmp_path, f'url = "postgresql+psycopg://analyst:{PASSWORD}@db/vcc"')

    with pytest.raises(ConfigError) as raised:
        load_config(config)

    message = str(raised.value)
    assert message == (
        f"configuration {config}: sources.police: Value error, url holds a credential "
        "(password), which must not be written in the file: put the whole URL in an environment "
        "variable named by url_env, or in a Prefect Secret block named by url_secret"
    )
    assert PASSWORD not in message


def test_a_url_without_a_password_may_be_written_in_the_file(tmp_path: Path) -> None:
    config = write_config(tmp_path, 'url = "postgresql+psycopg://analyst@db/vcc"')
    assert load_config(config).sources["police"].url == "postgresql+psycopg://analyst@db/vcc"


def test_a_secret_block_is_named_in_the_file(tmp_path: Path) -> None:
    config = write_config(tmp_path, 'url_secret = "police-database"')
    source = load_config(config).sources["police"]
    assert (source.url, source.url_env, source.url_secret) == (None, None, "police-database")


@pytest.mark.parametrize(
    ("lines", "found"),
    [
        ("", ""),
        ('url = "sqlite:///a.db"\nurl_secret = "police-database"', " (it has url and url_secret)"),
        ('url_env = "POLICE_URL"\nurl_secret = "police-database"',
         " (it has url_env and url_secret)"),
    ],
)  # fmt: skip
def test_a_sql_source_names_exactly_one_place_for_its_url(tmp_path: Path, lines, found) -> None:
    config = write_config(tmp_path, lines)
    with pytest.raises(ConfigError) as raised:
        load_config(config)
    assert str(raised.value) == (
        f"configuration {config}: sources.police: Value error, a sql source needs exactly one "
        f"of url, url_env, url_secret{found}"
    )


# --- Secret blocks in a real Prefect server ----------------------------------------------------


@pytest.fixture
def probation_sqlite(tmp_path: Path) -> Path:
    """The golden probation tables in an SQLite file."""
    path = tmp_path / "probation.db"
    with sqlite3.connect(path) as db:
        for csv in (GOLDEN / "data" / "probation").glob("*.csv"):
            pd.read_csv(csv, dtype=str).to_sql(csv.stem, db, index=False)
    return path


@pytest.mark.slow
def test_a_source_reads_its_url_from_a_secret_block(
    prefect_harness, probation_sqlite: Path
) -> None:
    block = save_secret(f"probation-{uuid.uuid4().hex[:8]}", f"sqlite:///{probation_sqlite}")

    raw = extract_source("probation", SourceConfig(kind="sql", url_secret=block))

    assert {table: len(raw[table].frame) for table in raw} == {
        "vcs_referrals": 16,
        "release_notifications": 4,
        "complaints": 40,
    }
    assert raw["vcs_referrals"].origin == f"sql table vcs_referrals on sqlite:///{probation_sqlite}"


def test_a_missing_secret_block_is_named_in_one_line(prefect_harness) -> None:
    source = SourceConfig(kind="sql", url_secret="no-such-block")

    with pytest.raises(ConfigError) as raised:
        extract_source("probation", source)

    assert (
        str(raised.value) == "source probation: Prefect Secret block 'no-such-block' does not exist"
    )


@pytest.mark.slow
def test_a_secret_block_that_is_not_a_url_is_refused(prefect_harness) -> None:
    block = save_secret(f"not-a-url-{uuid.uuid4().hex[:8]}", "   ")
    with pytest.raises(
        ConfigError, match=f"Prefect Secret block '{block}' does not hold a database URL$"
    ):
        extract_source("probation", SourceConfig(kind="sql", url_secret=block))


def test_the_password_of_a_secret_url_never_reaches_an_error(prefect_harness) -> None:
    empty_schema = f"vcc_empty_{uuid.uuid4().hex[:8]}"  # does not exist: no table is visible
    missing = save_secret(
        f"police-{uuid.uuid4().hex[:8]}", postgres_url_with_password(empty_schema)
    )
    refused = save_secret(f"police-{uuid.uuid4().hex[:8]}", postgres_url_with_password(port=1))

    with pytest.raises(SourceError) as no_table:
        extract_source("police", SourceConfig(kind="sql", url_secret=missing))
    with pytest.raises(SourceUnavailable) as no_server:
        extract_source("police", SourceConfig(kind="sql", url_secret=refused))

    for raised in (no_table, no_server):
        message = str(raised.value)
        assert PASSWORD not in message and "postgres:***@127.0.0.1:" in message, message
        assert "\n" not in message
    assert str(no_table.value).startswith(
        "source police, table crimes: no table or view crimes in database "
        "postgresql+psycopg://postgres:***@127.0.0.1:5432/test?options="
    )


def test_vcc_validate_names_a_missing_block_in_one_line(prefect_harness, tmp_path: Path) -> None:
    config = write_config(tmp_path, 'url_secret = "no-such-police-block"')

    result = CliRunner().invoke(main, ["validate", "-q", "2024Q4", "--config", str(config)])

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "vcc: error: source police: Prefect Secret block 'no-such-police-block' does not exist"
    ]


@pytest.mark.slow
def test_an_unreachable_prefect_api_is_one_line(tmp_path: Path) -> None:
    config = write_config(tmp_path, 'url_secret = "police-database"')
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:1/api"}

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "vcc.flows.cli",
            "validate",
            "-q",
            "2024Q4",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
    )

    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "vcc: error: source police: Prefect Secret block 'police-database' cannot be read: the "
        "Prefect API is not reachable (ConnectError); set PREFECT_API_URL to the server that "
        "holds it"
    ]


# --- a whole run with the police source behind a Secret block -----------------------------------


@pytest.fixture(scope="module")
def police_schema() -> Iterator[str]:
    """The golden police tables, as text, in a PostgreSQL schema of their own."""
    schema = f"vcc_secret_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(server_url("postgresql"))
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            for csv in (GOLDEN / "data" / "police").glob("*.csv"):
                frame = pd.read_csv(csv, dtype=str, keep_default_na=False, na_values=[""])
                frame.to_sql(csv.stem, connection, schema=schema, index=False)
        yield schema
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def run_log() -> Iterator[list[str]]:
    """Every line the flow and its tasks log, INFO included (the suite logs WARNING and up)."""
    import prefect.main  # noqa: F401 - sets Prefect's logging up on first import: do it first

    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler = Collect(logging.INFO)
    prefect_logger = logging.getLogger("prefect")
    level = prefect_logger.level
    prefect_logger.setLevel(logging.INFO)
    run_loggers = [logging.getLogger(f"prefect.{kind}_runs") for kind in ("flow", "task")]
    for logger in run_loggers:
        logger.addHandler(handler)
    try:
        yield lines
    finally:
        for logger in run_loggers:
            logger.removeHandler(handler)
        prefect_logger.setLevel(level)


@pytest.mark.slow
def test_a_run_from_a_secret_url_keeps_the_password_out_of_logs_and_outputs(
    prefect_harness, police_schema: str, tmp_path: Path, run_log: list[str]
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterTextSearch
    from prefect.logging.handlers import APILogHandler

    from vcc.flows.run.flow import run_quarter

    block = save_secret(f"police-{uuid.uuid4().hex[:8]}", postgres_url_with_password(police_schema))
    config = tmp_path / "vcc.toml"
    config.write_text(
        f'[sources.police]\nkind = "sql"\nurl_secret = "{block}"\n\n'
        + "".join(
            f'[sources.{name}]\nkind = "files"\npath = "{GOLDEN / "data" / name}"\n\n'
            for name in ("cps", "probation")
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"

    manifest = run_quarter(Quarter.parse("2024Q4"), dt.date(2025, 1, 8), config, out)

    shown = f"postgresql+psycopg://postgres:***@127.0.0.1:5432/test?options=-csearch_path%3D{police_schema}"
    origins = manifest["configuration"]["sources"]["police"]["tables"]  # type: ignore[typeddict-item]
    assert origins["crimes"] == f"sql table crimes on {shown}"
    read = {row["table"]: row["rows_read"] for row in manifest["rows"] if row["source"] == "police"}  # type: ignore[typeddict-item]
    assert (read["crimes"], read["victims"]) == (600, 887)  # read whole, as the golden CSVs hold
    # not in the manifest, nor any other file the run wrote (warehouse included) ...
    written = [path for path in out.rglob("*") if path.is_file()]
    assert any(path.name == "manifest.json" for path in written)
    for path in written:
        assert PASSWORD.encode() not in path.read_bytes(), path
    assert json.loads((out / "2024Q4" / "manifest.json").read_text()) == manifest
    # ... nor in the run's log, here or in the Prefect server, which do show the masked URL
    assert f"police.crimes: 600 rows read from sql table crimes on {shown}" in run_log
    assert not any(PASSWORD in line for line in run_log)
    APILogHandler().flush()
    with get_client(sync_client=True) as client:
        logged = client.read_logs(LogFilter(text=LogFilterTextSearch(query=police_schema)))
        leaked = client.read_logs(LogFilter(text=LogFilterTextSearch(query=PASSWORD)))
    assert any(shown in log.message for log in logged)
    assert leaked == []
