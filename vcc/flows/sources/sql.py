"""Reading a table from a source's database: a table, view or query, streamed in chunks, with the
as-of cut (``cut.py``) applied where it is safe, and every database error turned into one line
that says whether trying again may help (``SourceUnavailable``)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from vcc.flows.config import SourceConfig, TableSource
from vcc.flows.errors import SourceError, SourceUnavailable
from vcc.flows.sources.cut import DateCut, cut_clause
from vcc.flows.urls import mask_secrets, mask_url
from vcc.transforms import schema

SQL_CHUNK_ROWS = 50_000
TRANSIENT_DATABASE_ERRORS = (
    sa_exc.OperationalError,  # refused, timed out, database locked, server gone away
    sa_exc.TimeoutError,  # no pooled connection free in time
    sa_exc.DisconnectionError,
)
BACKGROUND_LINK = re.compile(r"\s*\(Background on this error at: [^)]*\)$")
# Drivers raise these as OperationalError too, but no retry will cure them: a missing table or
# database (PostgreSQL's 'database "x" does not exist', MariaDB's "Unknown database"), a
# refused login.
PERMANENT_DATABASE_PROBLEMS = (
    "no such table",
    "no such column",
    "syntax error",
    "does not exist",
    "unknown database",
    "authentication failed",
    "access denied",
)


def read_database(
    name: str,
    source: SourceConfig,
    tables: list[schema.Table],
    cut: DateCut | None,
    as_of_end: dt.datetime,
) -> Iterator[tuple[schema.Table, pd.DataFrame, str]]:
    """Each table from the source's database, read: (table, frame, where it was read from); an
    absent optional table is passed over."""
    url = _parse_url(name, source.resolved_url(name))
    shown = mask_url(url)
    engine = _engine(name, url, shown)
    try:
        for table in tables:
            where = f"source {name}, table {table.name}"
            spec = source.table(table.name)
            date_format = spec.date_format or source.date_format
            reading = TableReading(name, table, spec, shown, cut, as_of_end, date_format)
            with _database_errors(where, url):
                frame, origin = _read_database_table(engine, reading)
            if frame is None:
                if table.optional:
                    continue
                raise SourceError(f"{where}: no table or view {origin} in database {shown}")
            yield table, frame, origin
    finally:
        engine.dispose()


def _parse_url(name: str, text: str) -> sa.URL:
    try:
        return sa.make_url(text)
    except sa_exc.ArgumentError:
        # Not parsed, so it cannot be masked: say nothing of its content.
        raise SourceError(
            f"source {name}: the database URL is not a valid SQLAlchemy URL"
        ) from None


def _engine(name: str, url: sa.URL, shown: str) -> sa.Engine:
    database = url.database or ""
    a_sqlite_file = url.get_backend_name() == "sqlite" and database not in ("", ":memory:")
    # sqlite would silently create an empty database where the file is missing.
    if a_sqlite_file and not url.query.get("uri") and not Path(database).is_file():
        raise SourceError(f"source {name}: database file {database} does not exist")
    try:
        engine = sa.create_engine(url)
    except (sa_exc.ArgumentError, ImportError) as error:
        reason = _one_line(error, url)
        raise SourceError(f"source {name}: cannot open database {shown}: {reason}") from None
    if engine.dialect.is_async:
        engine.dispose()
        raise SourceError(f"source {name}: {shown} names an asynchronous driver; use a plain one")
    return engine


@dataclass(frozen=True)
class TableReading:
    """What reading one table from a database needs to know."""

    source: str
    table: schema.Table
    spec: TableSource
    shown: str  # the URL with its password masked
    cut: DateCut | None
    as_of_end: dt.datetime  # bound to a query's :as_of_end
    date_format: str | None


def _read_database_table(
    engine: sa.Engine, reading: TableReading
) -> tuple[pd.DataFrame | None, str]:
    """The table, view or query, read in chunks; (None, name) if the table does not exist."""
    table, spec, shown = reading.table, reading.spec, reading.shown
    parameters: dict[str, object] = {}
    with engine.connect() as connection:
        if spec.query:
            query = sa.text(spec.query)
            if "as_of_end" in query.compile().params:
                parameters["as_of_end"] = reading.as_of_end
            statement: sa.Executable = query
            origin = f"sql query on {shown}"
        else:
            schema_name, _, name = (spec.table or table.name).rpartition(".")
            inspector = sa.inspect(connection)
            if not inspector.has_table(name, schema=schema_name or None):
                return None, spec.table or table.name
            selected = sa.table(name, schema=schema_name or None)
            statement = sa.select(sa.text("*")).select_from(selected)
            origin = f"sql table {spec.table or table.name} on {shown}"
            left_out = cut_clause(connection, inspector, selected, reading)
            if left_out is not None:
                assert reading.cut is not None
                statement = statement.where(sa.not_(left_out))
                origin += f", rows dated after {reading.cut.as_of} left out"
        # Stream where the driver can, so a big table never sits in memory twice.
        connection = connection.execution_options(stream_results=True)
        chunks = pd.read_sql(statement, connection, params=parameters, chunksize=SQL_CHUNK_ROWS)
        return pd.concat(chunks, ignore_index=True), origin


@contextmanager
def _database_errors(where: str, url: sa.URL) -> Iterator[None]:
    """Turn database errors into one line, with a retryable class for transient failures."""
    shown = mask_url(url)
    try:
        yield
    except (sa_exc.SQLAlchemyError, pd.errors.DatabaseError) as raised:
        # pandas wraps the SQLAlchemy error of a failed query in its own DatabaseError.
        error = raised.__cause__ if isinstance(raised, pd.errors.DatabaseError) else raised
        reason = _one_line(error or raised, url)
        transient = isinstance(error, TRANSIENT_DATABASE_ERRORS) and not any(
            problem in reason.lower() for problem in PERMANENT_DATABASE_PROBLEMS
        )
        if transient:
            raise SourceUnavailable(f"{where}: database {shown} unavailable: {reason}") from raised
        raise SourceError(f"{where}: database {shown}: {reason}") from raised


def _one_line(error: BaseException, url: sa.URL) -> str:
    original = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    reason = BACKGROUND_LINK.sub("", lines[0]) if lines else type(original).__name__
    return mask_secrets(reason, url)
