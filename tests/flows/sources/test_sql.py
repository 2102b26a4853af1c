"""Extraction from a database (sql.py): tables, views and queries of a real SQLite database written
in tmp_path, and every database failure one line that says whether trying again may help."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from tests.flows.sources.probation import (
    sql_source,
)
from vcc.flows.config import SourceConfig, TableSource
from vcc.flows.errors import SourceError, SourceUnavailable
from vcc.flows.sources import sql
from vcc.flows.sources.extract import extract_source
from vcc.transforms.schema import CANONICAL


def test_database_tables_are_read_whole_in_chunks(
    probation_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql, "SQL_CHUNK_ROWS", 2)  # three rows: two chunks

    raw = extract_source("probation", sql_source(probation_db))

    table = raw["vcs_referrals"]
    assert set(raw) == {"vcs_referrals", "release_notifications"}  # no complaints: optional
    assert table.origin == f"sql table vcs_referrals on sqlite:///{probation_db}"
    assert table.frame.index.equals(pd.RangeIndex(3))
    assert list(table.frame.columns) == CANONICAL["probation"]["vcs_referrals"].column_names
    assert table.frame["referral_id"].tolist() == ["P1", "P2", "P3"]
    assert table.frame["opted_in"].tolist()[:2] == [1, 0]  # as the driver gave them
    assert pd.isna(table.frame.loc[2, "opted_in"])


def test_a_table_may_come_from_a_named_view_or_a_query(probation_db: Path) -> None:
    query = (
        "SELECT referral_id AS ref, urn, victim_id, referred_at, first_contact_at, "
        "CASE opted_in WHEN 1 THEN 'Y' WHEN 0 THEN 'N' END AS opted_in "
        "FROM vcs_referrals WHERE urn <> '10CU3'"
    )
    source = sql_source(
        probation_db,
        tables={
            "vcs_referrals": TableSource(
                query=query,
                rename={"ref": "referral_id"},
                values={"opted_in": {"Y": "true", "N": "false"}},
            ),
            "release_notifications": TableSource(table="releases_2024"),
        },
    )

    raw = extract_source("probation", source)

    assert raw["vcs_referrals"].origin == f"sql query on sqlite:///{probation_db}"
    assert raw["vcs_referrals"].frame["opted_in"].tolist() == ["true", "false"]
    assert raw["release_notifications"].frame["urn"].tolist() == ["10CU1"]


def test_the_url_may_come_from_an_environment_variable(
    probation_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VCC_PROBATION_URL", f"sqlite:///{probation_db}")

    raw = extract_source("probation", SourceConfig(kind="sql", url_env="VCC_PROBATION_URL"))

    assert len(raw["vcs_referrals"].frame) == 3


def test_a_missing_database_table_is_an_error(probation_db: Path) -> None:
    with sqlite3.connect(probation_db) as db:
        db.execute("DROP VIEW releases_2024")
        db.execute("DROP TABLE release_notifications")

    with pytest.raises(SourceError) as error:
        extract_source("probation", sql_source(probation_db))

    assert str(error.value) == (
        "source probation, table release_notifications: no table or view "
        f"release_notifications in database sqlite:///{probation_db}"
    )


def test_a_failing_query_is_an_error_not_worth_retrying(probation_db: Path) -> None:
    source = sql_source(
        probation_db, tables={"vcs_referrals": TableSource(query="SELECT * FROM referralz")}
    )

    with pytest.raises(SourceError, match=r"vcs_referrals: database .*: no such table: referralz"):
        extract_source("probation", source)
    with pytest.raises(SourceError) as error:
        extract_source("probation", source)
    assert not isinstance(error.value, SourceUnavailable)


def test_a_locked_database_is_unavailable_for_now(probation_db: Path) -> None:
    holder = sqlite3.connect(probation_db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process is writing
    try:
        source = SourceConfig(kind="sql", url=f"sqlite:///{probation_db}?timeout=0")
        with pytest.raises(SourceUnavailable, match=r"unavailable: database is locked$"):
            extract_source("probation", source)
    finally:
        holder.rollback()
        holder.close()


def test_a_database_file_that_does_not_exist_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"

    with pytest.raises(SourceError, match=r"database file .*missing.db does not exist"):
        extract_source("probation", sql_source(path))
    assert not path.exists()


def test_a_password_in_the_url_never_reaches_a_message() -> None:
    source = SourceConfig(kind="sql", url="mysql+pymysql://analyst:s3cret@127.0.0.1:1/vcc")

    with pytest.raises(SourceError) as error:  # no driver here; refused if there is one
        extract_source("probation", source)

    assert "s3cret" not in str(error.value)
    assert "mysql+pymysql://analyst:***@127.0.0.1:1/vcc" in str(error.value)
