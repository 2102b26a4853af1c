"""Extraction from real databases: SQLite, PostgreSQL and MariaDB hold the golden example's police
tables in real column types, and reading them must give exactly what the golden CSV files give.

PostgreSQL (127.0.0.1:5432, user postgres) and MariaDB (127.0.0.1:3306, root) must be running:
``.ci/run`` starts them. A server that does not answer fails these tests with the command that
starts it; it never skips them. Other servers can be named with ``VCC_TEST_POSTGRES_URL`` and
``VCC_TEST_MARIADB_URL`` (an SQLAlchemy URL to an existing database the user may create in).
Each test module creates its own uniquely named schema (PostgreSQL) or database (MariaDB) and drops
it afterwards, so parallel runs never meet.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.conftest import FIXTURES
from vcc.flows.config import SourceConfig, TableSource, load_config
from vcc.flows.errors import SourceUnavailable
from vcc.flows.sources.coerce import coerce_source
from vcc.flows.sources.cut import cut_tables
from vcc.flows.sources.extract import RawTable, extract_source
from vcc.flows.sources.validate import ValidationOutcome
from vcc.transforms import schema
from vcc.transforms.calendar import WorkingDayCalendar
from vcc.transforms.measures import Deadline, compute_instances

GOLDEN = FIXTURES / "golden" / "data"
# The police tables of the golden example, which has no optional `property` table (§6.1).
POLICE = {
    name: table
    for name, table in schema.CANONICAL["police"].items()
    if (GOLDEN / "police" / f"{name}.csv").exists()
}
# The golden example's first as-of date; the extract is taken long after it.
AS_OF = dt.date(2024, 7, 12)
EXTRACTED_AT = dt.datetime(2026, 1, 1, 12, 0)


@dataclass(frozen=True)
class Server:
    name: str
    url_variable: str
    default_url: str
    start_command: str


SERVERS = {
    "postgresql": Server(
        "PostgreSQL",
        "VCC_TEST_POSTGRES_URL",
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    ),
    "mariadb": Server(
        "MariaDB",
        "VCC_TEST_MARIADB_URL",
        "mysql+pymysql://root@127.0.0.1:3306/test",
        "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd",
    ),
}


def server_url(kind: str) -> sa.URL:
    """The server's URL; fails (never skips) the tests when nothing answers there."""
    server = SERVERS[kind]
    url = sa.make_url(os.environ.get(server.url_variable, server.default_url))
    engine = sa.create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return url
    except sa.exc.SQLAlchemyError as error:
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
    finally:
        engine.dispose()
    pytest.fail(
        f"{server.name} is not accepting connections at "
        f"{url.render_as_string(hide_password=True)} ({reason}). Start it with: "
        f"{server.start_command} (or run .ci/run), or name another server in "
        f"{server.url_variable}.",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def postgresql_url() -> sa.URL:
    return server_url("postgresql")


@pytest.fixture(scope="session")
def mariadb_url() -> sa.URL:
    return server_url("mariadb")


# --- the golden police tables, from CSV and in each database ---------------------------------


@pytest.fixture(scope="module")
def golden_sources() -> dict[str, SourceConfig]:
    return dict(load_config(GOLDEN / "vcc.toml").sources)


@pytest.fixture(scope="module")
def golden_raw(golden_sources: dict[str, SourceConfig]) -> dict[str, dict[str, RawTable]]:
    return {name: extract_source(name, source) for name, source in golden_sources.items()}


@pytest.fixture(scope="module")
def golden_typed(
    golden_raw: dict[str, dict[str, RawTable]], golden_sources: dict[str, SourceConfig]
) -> dict[tuple[str, str], pd.DataFrame]:
    """Every golden table typed from its CSV file: what each database read must equal."""
    return typed_tables(golden_raw, golden_sources)


def typed_tables(
    raw: dict[str, dict[str, RawTable]], sources: dict[str, SourceConfig]
) -> dict[tuple[str, str], pd.DataFrame]:
    typed = {}
    for name, tables in raw.items():
        for table, (frame, problems) in coerce_source(tables, sources[name], name).items():
            assert problems.empty, (name, table, problems)
            typed[(name, table)] = frame
    return typed


# Real column types; in PostgreSQL two times are `timestamp with time zone`, read back in UTC.
WITH_TIME_ZONE = {("crimes", "recorded_at"), ("vps_offers", "offered_at")}


def column_type(table: str, column: schema.Column, dialect: str) -> sa.types.TypeEngine:
    if column.kind == "datetime":
        return sa.DateTime(
            timezone=dialect == "postgresql" and (table, column.name) in WITH_TIME_ZONE
        )
    kinds: dict[str, sa.types.TypeEngine] = {
        "str": sa.String(64),
        "bool": sa.Boolean(create_constraint=False),
        "int": sa.Integer(),
        "float": sa.Float(),
    }
    return kinds[column.kind]


def database_values(frame: pd.DataFrame, table: str, dialect: str) -> list[dict]:
    """The typed golden rows as Python values for the driver (local times, London)."""
    columns = {}
    for name in frame.columns:
        values = frame[name]
        if dialect == "postgresql" and (table, name) in WITH_TIME_ZONE:
            values = values.dt.tz_localize("Europe/London")
        columns[name] = values.astype(object).where(values.notna(), None)
    return pd.DataFrame(columns).to_dict(orient="records")


# Views rename columns as an agency's system would; the source maps them back.
VIEW_NAMES = {"victim_id": "VictimRef", "crime_ref": "CrimeRef"}


def load_police(engine: sa.Engine, typed: dict[tuple[str, str], pd.DataFrame]) -> None:
    """Each police table, and a view ``v_<table>`` of it with agency column names."""
    dialect = engine.dialect.name
    metadata = sa.MetaData()
    tables = [
        sa.Table(
            name,
            metadata,
            *(sa.Column(c.name, column_type(name, c, dialect)) for c in table.columns),
        )
        for name, table in POLICE.items()
    ]
    metadata.create_all(engine)
    with engine.begin() as connection:
        for table in tables:
            connection.execute(
                table.insert(), database_values(typed[("police", table.name)], table.name, dialect)
            )
            quote = engine.dialect.identifier_preparer.quote
            selected = ", ".join(
                f"{quote(c.name)} AS {quote(VIEW_NAMES.get(c.name, c.name))}" for c in table.columns
            )
            connection.execute(
                sa.text(f"CREATE VIEW v_{table.name} AS SELECT {selected} FROM {table.name}")
            )


@dataclass(frozen=True)
class Database:
    dialect: str
    url: sa.URL


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mariadb"])
def database(
    request: pytest.FixtureRequest,
    golden_typed: dict[tuple[str, str], pd.DataFrame],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Database]:
    """A fresh database holding the golden police tables, dropped after the module."""
    dialect = request.param
    name = f"vcc_test_{uuid.uuid4().hex[:12]}"
    if dialect == "sqlite":
        url = sa.make_url(f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'police.sqlite'}")
        admin = None
    elif dialect == "postgresql":
        server = request.getfixturevalue("postgresql_url")
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f"CREATE SCHEMA {name}"))
        url = server.update_query_dict({"options": f"-csearch_path={name}"})
    else:
        server = request.getfixturevalue("mariadb_url")
        admin = sa.create_engine(server)
        with admin.connect() as connection:
            connection.execute(sa.text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
        url = server.set(database=name)
    engine = sa.create_engine(url)
    try:
        load_police(engine, golden_typed)
        engine.dispose()
        yield Database(dialect, url)
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as connection:
                drop = "SCHEMA {} CASCADE" if dialect == "postgresql" else "DATABASE {}"
                connection.execute(sa.text("DROP " + drop.format(name)))
                connection.commit()
            admin.dispose()


def police_source(database: Database, mode: str) -> SourceConfig:
    """The police source in the database, each table read as a ``table``, a ``view`` (with agency
    column names mapped back) or a parameterised ``query``."""
    url = database.url.render_as_string(hide_password=False)
    tables = {}
    for name, table in POLICE.items():
        if mode == "view":
            renamed = {VIEW_NAMES[c]: c for c in table.column_names if c in VIEW_NAMES}
            tables[name] = TableSource(table=f"v_{name}", rename=renamed)
        elif mode == "query":  # cut at the as-of date where that is safe (flows/sources/cut.py)
            dates = cut_tables("police").get(name)
            where = f"WHERE {dates[0]} < :as_of_end OR {dates[0]} IS NULL" if dates else ""
            tables[name] = TableSource(query=f"SELECT * FROM {name} {where}")
    return SourceConfig(kind="sql", url=url, tables=tables)


def police_typed(source: SourceConfig, **cut) -> dict[str, pd.DataFrame]:
    raw = extract_source("police", source, **cut)
    return {
        table: typed
        for (_, table), typed in typed_tables({"police": raw}, {"police": source}).items()
    }


# --- reading: the same typed frames as the CSV path ------------------------------------------


@pytest.mark.parametrize("mode", ["table", "view", "query"])
def test_the_database_gives_the_frames_the_csv_files_give(
    database: Database, mode: str, golden_typed: dict[tuple[str, str], pd.DataFrame]
) -> None:
    source = police_source(database, mode)
    # A query's :as_of_end is bound; with the extract taken in 2026 it keeps every golden row.
    typed = police_typed(source, extracted_at=EXTRACTED_AT)

    assert set(typed) == set(POLICE)
    for table, frame in typed.items():
        pd.testing.assert_frame_equal(frame, golden_typed[("police", table)], obj=table)


@pytest.fixture(scope="module")
def csv_outcome(golden_typed: dict[tuple[str, str], pd.DataFrame]):
    from vcc.flows.sources.validate import validate_sources

    districts = load_config(GOLDEN / "vcc.toml").districts
    return validate_sources(golden_typed, {}, extracted_at=EXTRACTED_AT, districts=districts)


def test_validation_of_the_database_source_matches_the_csv_source(
    database: Database, golden_typed: dict[tuple[str, str], pd.DataFrame], csv_outcome
) -> None:
    from vcc.flows.sources.validate import validate_sources

    source = police_source(database, "table")
    typed = dict(golden_typed)
    typed.update({("police", t): frame for t, frame in police_typed(source).items()})
    districts = load_config(GOLDEN / "vcc.toml").districts

    outcome = validate_sources(typed, {}, extracted_at=EXTRACTED_AT, districts=districts)

    for key, frame in csv_outcome.accepted.items():
        pd.testing.assert_frame_equal(outcome.accepted[key], frame, obj=".".join(key))
    assert all(reasons.empty for reasons in outcome.rejected.values())
    pd.testing.assert_frame_equal(outcome.quality, csv_outcome.quality)


# --- the as-of cut pushed to the database ----------------------------------------------------


def left_out_by_the_cut(
    frame: pd.DataFrame,
    table: str,
    dialect: str,
    as_of: dt.date = AS_OF,
    extracted_at: dt.datetime = EXTRACTED_AT,
) -> pd.Series:
    """Which rows the module docstring of flows/sources/cut.py says stay in the database."""
    dates = cut_tables("police").get(table)
    left_out = pd.Series(dates is not None, index=frame.index)
    for column in dates or ():
        if dialect == "sqlite":  # ISO text: whole days, three days' margin on each side
            days = pd.Timedelta(days=3)
            first, last = pd.Timestamp(as_of) + days, pd.Timestamp(extracted_at.date()) - days
            inside = frame[column].dt.normalize().between(first, last)
        else:  # real types: exactly after the as-of date and not after the extract
            inside = frame[column].between(pd.Timestamp(as_of) + pd.Timedelta(days=1), extracted_at)
        left_out &= inside.fillna(False).astype(bool)
    return left_out


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """The SQL statements sent to any database while the test runs."""
    sent: list[str] = []

    def record(connection, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    sa.event.listen(sa.Engine, "before_cursor_execute", record)
    yield sent
    sa.event.remove(sa.Engine, "before_cursor_execute", record)


def test_rows_dated_after_the_as_of_date_stay_in_the_database(
    database: Database, golden_typed: dict[tuple[str, str], pd.DataFrame], statements: list[str]
) -> None:
    source = police_source(database, "table")

    typed = police_typed(source, as_of=AS_OF, extracted_at=EXTRACTED_AT)

    assert set(cut_tables("police")) == {
        "needs_assessments", "referrals", "investigation_events", "victim_contacts", "vps_offers"
    }  # fmt: skip
    for table, frame in typed.items():
        whole = golden_typed[("police", table)]
        kept = whole[~left_out_by_the_cut(whole, table, database.dialect)]
        if table in cut_tables("police"):
            assert 0 < len(kept) < len(whole), table
        else:  # crimes and victims (linked to) and complaints (keyed) are read whole
            assert len(kept) == len(whole), table
        pd.testing.assert_frame_equal(frame, kept.reset_index(drop=True), obj=table)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT *")]
    assert any("vps_offers" in s and "WHERE NOT" in s for s in selects)
    assert not any("crimes" in s and "WHERE" in s for s in selects)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("as_of", "extracted_at"),
    [
        (AS_OF, EXTRACTED_AT),
        # Rows dated after this extract (January to April 2025) are read, and quarantined.
        (dt.date(2025, 1, 8), dt.datetime(2025, 1, 20, 9, 0)),
    ],
)
def test_the_cut_changes_no_verdict_and_no_figure(
    database: Database, golden_typed: dict[tuple[str, str], pd.DataFrame], as_of, extracted_at
) -> None:
    from vcc.flows.sources.validate import validate_sources

    source = police_source(database, "table")
    config = load_config(GOLDEN / "vcc.toml")
    outcomes: dict[bool, ValidationOutcome] = {}
    for cutting in (False, True):
        typed = dict(golden_typed)
        police = police_typed(source, as_of=as_of if cutting else None, extracted_at=extracted_at)
        typed.update({("police", table): frame for table, frame in police.items()})
        outcomes[cutting] = validate_sources(
            typed, {}, extracted_at=extracted_at, districts=config.districts
        )
    whole, cut = outcomes[False], outcomes[True]

    # Every row read is accepted or quarantined, for the same reasons, as when all are read.
    for (source_name, table), frame in whole.accepted.items():
        if source_name != "police":
            continue
        key = (source_name, table)
        left_out = left_out_by_the_cut(
            golden_typed[key], table, database.dialect, as_of, extracted_at
        )
        kept = ~left_out[frame.index]
        pd.testing.assert_frame_equal(
            cut.accepted[key].reset_index(drop=True), frame[kept].reset_index(drop=True)
        )
        reasons = whole.rejected[key]
        assert sorted(cut.rejected[key]) == sorted(reasons[~left_out[reasons.index]]), table
    quarantined = sum(len(reasons) for reasons in cut.rejected.values())
    assert quarantined > 0 if as_of > AS_OF else quarantined == 0
    # Links from tables read whole (and so from CPS and probation) fail exactly as before.
    read_whole = ~whole.linkage["table"].isin(list(cut_tables("police")))
    pd.testing.assert_frame_equal(cut.linkage[read_whole], whole.linkage[read_whole])

    # And every instance of every measure is the same.
    deadlines = {
        measure: Deadline(settings.deadline_standard, settings.deadline_enhanced)
        for measure, settings in config.measures.items()
    }
    calendar = WorkingDayCalendar(config.calendar.extra_holidays)
    order = ["measure_id", "agency", "record_key", "victim_id", "trigger_date", "action_date"]
    instances = [
        compute_instances(outcome.accepted, as_of, deadlines, calendar)
        .sort_values(order)
        .reset_index(drop=True)
        for outcome in (whole, cut)
    ]
    assert len(instances[0]) > 1000
    pd.testing.assert_frame_equal(instances[1], instances[0])


BOUNDARY_OFFERS = [  # (offered_at as stored, read?) with D = 12 July 2024, extract 1 Jan 2026 12:00
    ("2024-07-12 23:59:59", True),  # on D
    ("2024-07-13 00:00:00", False),  # the first instant after D
    ("2026-01-01 12:00:00", False),  # the moment of the extract: not yet in the future
    ("2026-01-01 12:00:01", True),  # after the extract: read, and quarantined as a future date
    (None, True),  # empty: read, and quarantined as missing
]
# In PostgreSQL the column is `timestamp with time zone`: instants, read as London time (BST).
BOUNDARY_INSTANTS = [
    ("2024-07-12 22:59:59+00", True),  # 23:59:59 in London, on D
    ("2024-07-12 23:00:00+00", False),  # midnight in London
    ("2026-01-01 12:00:00+00", False),
    ("2026-01-01 12:00:01+00", True),
    (None, True),
]
# SQLite keeps ISO text: whole days are cut, from three days after D to three before the extract.
BOUNDARY_TEXT = [
    ("2024-07-14T23:59:59", True),
    ("2024-07-15T00:00:00", False),
    ("2025-12-29T23:59:59", False),
    ("2025-12-30T00:00:00", True),
    (None, True),
]
BOUNDS = {
    "sqlite": ("TEXT", BOUNDARY_TEXT),
    "postgresql": ("TIMESTAMP WITH TIME ZONE", BOUNDARY_INSTANTS),
    "mariadb": ("DATETIME", BOUNDARY_OFFERS),
}


def test_the_cut_is_exact_at_its_bounds(database: Database) -> None:
    engine = sa.create_engine(database.url)
    declared, rows = BOUNDS[database.dialect]
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                f"CREATE TABLE offer_bounds (victim_id TEXT, offered_at {declared}, vps_made INT)"
            )
        )
        for number, (stamp, _) in enumerate(rows):
            connection.execute(
                sa.text("INSERT INTO offer_bounds VALUES (:victim, :stamp, 1)"),
                {"victim": f"V{number}", "stamp": stamp},
            )
    engine.dispose()
    source = police_source(database, "table").model_copy(
        update={"tables": {"vps_offers": TableSource(table="offer_bounds")}}
    )

    raw = extract_source("police", source, AS_OF, extracted_at=EXTRACTED_AT)

    read = [f"V{number}" for number, (_, kept) in enumerate(rows) if kept]
    assert raw["vps_offers"].frame["victim_id"].tolist() == read
    assert raw["vps_offers"].origin.endswith(", rows dated after 2024-07-12 left out")


def test_a_query_may_cut_at_the_as_of_date_itself(
    database: Database, golden_typed: dict[tuple[str, str], pd.DataFrame]
) -> None:
    source = police_source(database, "query")

    typed = police_typed(source, as_of=AS_OF, extracted_at=EXTRACTED_AT)

    offers = golden_typed[("police", "vps_offers")]
    dated_by_as_of = offers[offers["offered_at"] < pd.Timestamp(AS_OF) + pd.Timedelta(days=1)]
    pd.testing.assert_frame_equal(typed["vps_offers"], dated_by_as_of.reset_index(drop=True))
    for table in ("crimes", "victims", "complaints"):  # not cut by their queries
        assert len(typed[table]) == len(golden_typed[("police", table)])


@pytest.mark.parametrize("server", ["postgresql", "mariadb"])
def test_a_refused_connection_is_worth_retrying_and_names_no_password(
    request: pytest.FixtureRequest, server: str
) -> None:
    url = request.getfixturevalue(f"{server}_url").set(port=1, password="s3cret")
    source = SourceConfig(kind="sql", url=url.render_as_string(hide_password=False))

    with pytest.raises(SourceUnavailable) as raised:
        extract_source("police", source)

    message = str(raised.value)
    assert message.startswith("source police, table crimes: database ")
    assert "s3cret" not in message and ":***@" in message
    assert "\n" not in message


def test_a_snapshot_of_the_database_extract_types_as_the_extract(
    database: Database, golden_typed: dict[tuple[str, str], pd.DataFrame], tmp_path: Path
) -> None:
    from vcc.flows.sources.snapshot import snapshot_frame

    source = police_source(database, "table")
    raw = extract_source("police", source)
    reloaded = {}
    for table, original in raw.items():
        path = tmp_path / f"police.{table}.parquet"
        snapshot_frame(original.frame).to_parquet(path, index=False)
        reloaded[table] = RawTable("police", table, pd.read_parquet(path), str(path))

    typed = typed_tables({"police": reloaded}, {"police": source})

    for (_, table), frame in typed.items():
        pd.testing.assert_frame_equal(frame, golden_typed[("police", table)], obj=table)
