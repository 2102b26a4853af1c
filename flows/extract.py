"""Extraction: read each canonical table of one source as it arrived (CONTRACT.md §2).

A table comes from a file in the source's folder (CSV, XLSX or Parquet) or from a database table,
view or query. Extraction renames the source's columns onto the canonical ones, keeps only those in
schema order and applies the configured code maps. It interprets nothing else: coercion
(``flows/coerce.py``) types the values and reports each one it cannot read against its raw row.
"""

from __future__ import annotations

import codecs
import datetime as dt
import glob
import os
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow
import sqlalchemy as sa
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import exc as sa_exc

from flows.config import SourceConfig, TableSource
from flows.errors import SourceError, SourceUnavailable
from transforms import schema

SQL_CHUNK_ROWS = 50_000
FILE_KINDS = (".csv", ".xlsx", ".parquet")
DATE_IN_NAME = re.compile(r"\d{4}-\d{2}-\d{2}")
TRANSIENT_DATABASE_ERRORS = (
    sa_exc.OperationalError,  # refused, timed out, database locked, server gone away
    sa_exc.TimeoutError,  # no pooled connection free in time
    sa_exc.DisconnectionError,
)
BACKGROUND_LINK = re.compile(r"\s*\(Background on this error at: [^)]*\)$")
# sqlite raises these as OperationalError too, but no retry will cure them.
PERMANENT_DATABASE_PROBLEMS = ("no such table", "no such column", "syntax error")


@dataclass
class RawTable:
    """One canonical table as read: canonical columns in schema order, values as they arrived
    (with the configured code maps applied). The index is the row number as read: later stages
    point back at raw rows through it."""

    source: str
    table: str
    frame: pd.DataFrame
    origin: str  # the file read, or "sql table X on <url>" / "sql query on <url>", password masked


def extract_source(name: str, source: SourceConfig) -> dict[str, RawTable]:
    """Read every canonical table of source ``name``; an absent optional table has no entry."""
    if name not in schema.CANONICAL:
        raise SourceError(f"source {name}: not a known source ({', '.join(schema.SOURCES)})")
    unknown = sorted(set(source.tables) - set(schema.CANONICAL[name]))
    if unknown:
        raise SourceError(
            f"source {name}: configures table {', '.join(unknown)}, not a table of it"
        )
    tables = list(schema.CANONICAL[name].values())
    if source.kind == "sql":
        return _extract_database(name, source, tables)
    return _extract_folder(name, source, tables)


# --- files ----------------------------------------------------------------------------------


def _extract_folder(
    name: str, source: SourceConfig, tables: list[schema.Table]
) -> dict[str, RawTable]:
    assert source.path is not None  # SourceConfig guarantees it for kind "files"
    folder = Path(source.path)
    if not folder.is_dir():
        raise SourceError(f"source {name}: folder {folder} does not exist")
    extracted = {}
    for table in tables:
        where = f"source {name}, table {table.name}"
        spec = source.table(table.name)
        path = newest_drop(folder, table.name, spec.file)
        if path is None:
            if table.optional:
                continue
            wanted = spec.file or f"{table.name}.csv, {table.name}.xlsx or {table.name}.parquet"
            raise SourceError(f"{where}: no file {wanted} in {folder}")
        frame = _read_file(path, spec, source, where)
        extracted[table.name] = _canonical(name, table, frame, spec, str(path))
    return extracted


def newest_drop(folder: Path, table: str, pattern: str | None = None) -> Path | None:
    """The file holding ``table``: ``pattern`` (a name or glob) if given, else ``<table>.<ext>``
    or a dated drop ``<table>_YYYY-MM-DD.<ext>``. Of several, the newest drop wins: by the date
    in its name, else by its modification date; then by modification time."""
    if pattern:
        candidates = [Path(p) for p in glob.glob(os.path.join(glob.escape(str(folder)), pattern))]
    else:
        default = re.compile(
            rf"{re.escape(table)}(_\d{{4}}-\d{{2}}-\d{{2}})?\.(csv|xlsx|parquet)", re.IGNORECASE
        )
        candidates = [p for p in folder.iterdir() if default.fullmatch(p.name)]
    return max((p for p in candidates if p.is_file()), key=_drop_order, default=None)


def _drop_order(path: Path) -> tuple[str, float, str]:
    modified = path.stat().st_mtime
    dates = DATE_IN_NAME.findall(path.name)
    day = dates[-1] if dates else dt.date.fromtimestamp(modified).isoformat()
    return day, modified, path.name


def _read_file(path: Path, spec: TableSource, source: SourceConfig, where: str) -> pd.DataFrame:
    kind = path.suffix.lower()
    if kind not in FILE_KINDS:
        raise SourceError(f"{where}: {path} is not a .csv, .xlsx or .parquet file")
    try:
        if kind == ".csv":
            return _read_csv(
                path, spec.encoding or source.encoding, spec.delimiter or source.delimiter, where
            )
        if kind == ".xlsx":
            return _read_xlsx(path, spec.sheet, where)
        return _read_parquet(path, where)
    except PermissionError as error:
        raise SourceError(f"{where}: {path} cannot be read: {error.strerror}") from error


def _read_csv(path: Path, encoding: str, delimiter: str, where: str) -> pd.DataFrame:
    try:
        # Excel writes a byte-order mark before UTF-8 text; utf-8-sig drops it if present.
        if codecs.lookup(encoding).name == "utf-8":
            encoding = "utf-8-sig"
    except LookupError:
        raise SourceError(f"{where}: unknown text encoding {encoding!r}") from None
    try:
        # Every value stays text, and only an empty field is missing: "NA" or "null" may be data.
        return pd.read_csv(
            path, dtype=str, keep_default_na=False, na_values=[""], encoding=encoding, sep=delimiter
        )
    except UnicodeDecodeError as error:
        shown = encoding.removesuffix("-sig")
        byte = error.object[error.start]
        raise SourceError(
            f"{where}: {path} is not valid {shown} text (byte {byte:#04x})"
        ) from error
    except pd.errors.EmptyDataError:
        raise SourceError(f"{where}: {path} is empty (not even a header line)") from None
    except pd.errors.ParserError as error:
        reason = str(error).strip().splitlines()[-1]
        raise SourceError(f"{where}: {path} is not valid CSV: {reason}") from error


def _read_xlsx(path: Path, sheet: str | None, where: str) -> pd.DataFrame:
    try:
        with pd.ExcelFile(path, engine="openpyxl") as workbook:
            if sheet is not None and sheet not in workbook.sheet_names:
                sheets = ", ".join(map(str, workbook.sheet_names))
                raise SourceError(f"{where}: {path} has no sheet {sheet!r} (it has {sheets})")
            return pd.read_excel(
                workbook, sheet if sheet is not None else 0, keep_default_na=False, na_values=[""]
            )
    except (zipfile.BadZipFile, InvalidFileException, KeyError) as error:
        raise SourceError(f"{where}: {path} is not an xlsx workbook") from error


def _read_parquet(path: Path, where: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except (pyarrow.ArrowException, ValueError) as error:
        reason = str(error).strip().splitlines()[0]
        raise SourceError(f"{where}: {path} is not a parquet file ({reason})") from error


# --- databases ------------------------------------------------------------------------------


def _extract_database(
    name: str, source: SourceConfig, tables: list[schema.Table]
) -> dict[str, RawTable]:
    url = _parse_url(name, source.resolved_url(name))
    shown = url.render_as_string(hide_password=True)
    engine = _engine(name, url, shown)
    extracted = {}
    try:
        for table in tables:
            where = f"source {name}, table {table.name}"
            spec = source.table(table.name)
            with _database_errors(where, url):
                frame, origin = _read_database_table(engine, table, spec, shown)
            if frame is None:
                if table.optional:
                    continue
                raise SourceError(f"{where}: no table or view {origin} in database {shown}")
            extracted[table.name] = _canonical(name, table, frame, spec, origin)
    finally:
        engine.dispose()
    return extracted


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
        raise SourceError(f"source {name}: cannot open database {shown}: {error}") from error
    if engine.dialect.is_async:
        engine.dispose()
        raise SourceError(f"source {name}: {shown} names an asynchronous driver; use a plain one")
    return engine


def _read_database_table(
    engine: sa.Engine, table: schema.Table, spec: TableSource, shown: str
) -> tuple[pd.DataFrame | None, str]:
    """The whole table, view or query, read in chunks; (None, name) if the table does not exist."""
    with engine.connect() as connection:
        if spec.query:
            statement: sa.Executable = sa.text(spec.query)
            origin = f"sql query on {shown}"
        else:
            schema_name, _, name = (spec.table or table.name).rpartition(".")
            if not sa.inspect(connection).has_table(name, schema=schema_name or None):
                return None, spec.table or table.name
            selected = sa.table(name, schema=schema_name or None)
            statement = sa.select(sa.text("*")).select_from(selected)
            origin = f"sql table {spec.table or table.name} on {shown}"
        # Stream where the driver can, so a big table never sits in memory twice.
        connection = connection.execution_options(stream_results=True)
        chunks = pd.read_sql(statement, connection, chunksize=SQL_CHUNK_ROWS)
        return pd.concat(chunks, ignore_index=True), origin


@contextmanager
def _database_errors(where: str, url: sa.URL) -> Iterator[None]:
    """Turn database errors into one line, with a retryable class for transient failures."""
    shown = url.render_as_string(hide_password=True)
    try:
        yield
    except (sa_exc.SQLAlchemyError, pd.errors.DatabaseError) as raised:
        # pandas wraps the SQLAlchemy error of a failed query in its own DatabaseError.
        error = raised.__cause__ if isinstance(raised, pd.errors.DatabaseError) else raised
        reason = _one_line(error or raised, url.password)
        transient = isinstance(error, TRANSIENT_DATABASE_ERRORS) and not any(
            problem in reason.lower() for problem in PERMANENT_DATABASE_PROBLEMS
        )
        if transient:
            raise SourceUnavailable(f"{where}: database {shown} unavailable: {reason}") from raised
        raise SourceError(f"{where}: database {shown}: {reason}") from raised


def _one_line(error: BaseException, password: str | None) -> str:
    original = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    reason = BACKGROUND_LINK.sub("", lines[0]) if lines else type(original).__name__
    return reason.replace(password, "***") if password else reason


# --- the canonical shape --------------------------------------------------------------------


def _canonical(
    source: str, table: schema.Table, frame: pd.DataFrame, spec: TableSource, origin: str
) -> RawTable:
    """Rename onto canonical columns, keep those in schema order, map codes, number the rows."""
    where = f"source {source}, table {table.name}"
    frame = frame.rename(columns=lambda column: str(column).strip()).rename(columns=spec.rename)
    wanted = table.column_names
    missing = [column for column in wanted if column not in frame.columns]
    if missing:
        hint = " (only one column was read: check the delimiter)" if frame.shape[1] == 1 else ""
        raise SourceError(f"{where}: {origin} lacks column {', '.join(missing)}{hint}")
    doubled = [column for column in wanted if list(frame.columns).count(column) > 1]
    if doubled:
        raise SourceError(f"{where}: {origin} has more than one column {', '.join(doubled)}")
    unmapped = sorted(set(spec.values) - set(wanted))
    if unmapped:
        raise SourceError(f"{where}: values configured for {', '.join(unmapped)}, not a column")
    frame = frame[wanted].reset_index(drop=True)
    for column, codes in spec.values.items():
        frame[column] = _map_codes(frame[column], codes)
    return RawTable(source, table.name, frame, origin)


def _map_codes(values: pd.Series, codes: dict[str, str]) -> pd.Series:
    """Replace agency codes by canonical ones; other values stay as they arrived."""
    # Codes are text in TOML; compare as text so that a numeric XLSX or SQL code 1 matches "1".
    as_text = values.astype("string").str.strip()
    return as_text.map(codes).where(as_text.isin(list(codes)), values)
