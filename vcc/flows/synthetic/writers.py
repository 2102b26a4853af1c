"""Write the synthetic sources the way each agency delivers them.

The police deliver an SQLite database (one table per canonical table, ISO 8601 text times, 0/1
booleans). The CPS and probation deliver file drops, written by inverting the mapping their
``[sources.<name>]`` configuration gives (column names, codes, date format, encoding, file and
sheet), so that the configuration is the one place the mapping lives and reading the files back
through it gives the canonical tables again.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook

from vcc.flows.config import Config, SourceConfig, TableSource
from vcc.transforms.schema import CANONICAL

SQLITE_TYPES = {
    "str": "TEXT",
    "datetime": "TEXT",
    "bool": "INTEGER",
    "int": "INTEGER",
    "float": "REAL",
}

# Free text the CPS adds to its extracts (the pipeline ignores extra columns): fictitious staff
# names, some with characters Windows-1252 has and ASCII lacks. Never victims' names.
FREE_TEXT_COLUMNS = {"decisions": "Reviewing Lawyer", "hearings": "Witness Care Officer"}
FIRST_NAMES = ("Ciarán", "Siân", "Zoë", "Renée", "Seán", "Chloë", "José", "Niamh", "Priya")
SURNAMES = ("O’Neill", "D’Arcy", "Brontë", "Nuñez", "Atkinson", "Hodgson", "Armstrong", "Bell")


def write_demo_sources(
    sources: dict[str, dict[str, pd.DataFrame]], out_dir: Path, config: Config
) -> list[Path]:
    """Write ``out_dir/police.sqlite``, ``out_dir/cps/``, ``out_dir/probation/`` and (when
    generated) the victims' survey ``out_dir/feedback/``; return the files written. File drops
    follow ``config.sources``' mapping for them (a source the configuration does not describe
    as files is written with canonical names as CSV)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [write_database(sources["police"], out_dir / "police.sqlite")]
    for name in ("cps", "probation", "feedback"):
        if name not in sources:
            continue
        source = config.sources.get(name)
        if source is None or source.kind != "files":
            source = SourceConfig(kind="files", path=out_dir / name)
        written += write_files(name, sources[name], out_dir / name, source)
    return written


def write_database(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    """An SQLite database holding each canonical table under its own name."""
    path.unlink(missing_ok=True)
    connection = sqlite3.connect(path)
    try:
        # A fresh file nobody else reads yet: no journal needed.
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        for table, frame in tables.items():
            columns = CANONICAL["police"][table].columns
            declared = ", ".join(f'"{c.name}" {SQLITE_TYPES[c.kind]}' for c in columns)
            connection.execute(f'CREATE TABLE "{table}" ({declared})')
            rows = zip(*(_stored(frame[c.name], c.kind) for c in columns), strict=True)
            placeholders = ", ".join("?" * len(columns))
            connection.executemany(f'INSERT INTO "{table}" VALUES ({placeholders})', rows)
        connection.commit()
    finally:
        connection.close()
    return path


def _stored(values: pd.Series, kind: str) -> list:
    """Python values for sqlite: ISO 8601 text times, 0/1 booleans, None for missing."""
    if kind == "datetime":
        return _iso_text(values).tolist()
    if kind == "bool":
        values = values.astype("Int64")
    return values.astype(object).where(values.notna(), None).tolist()


def _iso_text(values: pd.Series) -> pd.Series:
    instants = values.to_numpy(dtype="datetime64[s]")
    text = np.datetime_as_string(instants, unit="s").astype(object)
    text[np.isnat(instants)] = None
    return pd.Series(text, index=values.index, dtype=object)


def write_files(
    name: str, tables: dict[str, pd.DataFrame], folder: Path, source: SourceConfig
) -> list[Path]:
    """One file per table, in the agency's own names, codes, dates and encoding."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table, frame in tables.items():
        spec = source.table(table)
        agency = to_agency_form(name, table, frame, spec, source)
        if table in FREE_TEXT_COLUMNS and name == "cps":
            agency[FREE_TEXT_COLUMNS[table]] = staff_names(len(agency))
        path = folder / _file_name(table, spec)
        if path.suffix == ".xlsx":
            _write_workbook(agency, path, spec.sheet or table)
        elif path.suffix == ".parquet":
            agency.to_parquet(path, index=False)
        else:
            agency.to_csv(
                path,
                index=False,
                encoding=spec.encoding or source.encoding,
                sep=spec.delimiter or source.delimiter,
            )
        written.append(path)
    return written


def _file_name(table: str, spec: TableSource) -> str:
    """The configured file; a glob of dated drops becomes one drop named 'extract'."""
    if spec.file is None:
        return f"{table}.csv"
    return spec.file.replace("*", "extract").replace("?", "x")


def to_agency_form(
    source: str, table: str, frame: pd.DataFrame, spec: TableSource, config: SourceConfig
) -> pd.DataFrame:
    """The canonical table in the agency's form: the inverse of the configured mapping.

    Booleans are written ``true``/``false`` (or the agency's codes for them), times in the
    configured date format, else as ISO 8601 text (kept as real times in a workbook).
    """
    date_format = spec.date_format or config.date_format
    workbook = (spec.file or "").lower().endswith(".xlsx")
    columns = {}
    for column in CANONICAL[source][table].columns:
        values = frame[column.name]
        if column.kind == "datetime":
            if date_format:
                values = values.dt.strftime(date_format).astype(object)
            elif not workbook:
                values = _iso_text(values)
        elif column.kind == "bool":
            values = values.map({True: "true", False: "false"}).astype(object)
        if column.name in spec.values:
            values = _agency_codes(values, spec.values[column.name])
        columns[column.name] = values
    agency = pd.DataFrame(columns)
    names = {canonical: own for own, canonical in reversed(list(spec.rename.items()))}
    return agency.rename(columns=names)


def _agency_codes(values: pd.Series, codes: dict[str, str]) -> pd.Series:
    """Canonical codes back to the agency's (the first agency code for each); others, such as a
    code the agency added and the configuration does not know, stay as they are."""
    inverse = {canonical: own for own, canonical in reversed(list(codes.items()))}
    as_object = values.astype(object)
    return as_object.map(inverse).where(as_object.isin(list(inverse)), as_object)


def staff_names(count: int) -> list[str]:
    """Fictitious staff names, the same for the same count."""
    rng = np.random.default_rng(count)
    first = np.array(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), count)]
    last = np.array(SURNAMES)[rng.integers(0, len(SURNAMES), count)]
    return list(np.char.add(np.char.add(first, " "), last))


def _write_workbook(frame: pd.DataFrame, path: Path, sheet: str) -> None:
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append([str(column) for column in frame.columns])
    cells = frame.astype(object).where(frame.notna(), None)
    for row in cells.itertuples(index=False, name=None):
        worksheet.append(
            [value.to_pydatetime() if isinstance(value, pd.Timestamp) else value for value in row]
        )
    workbook.save(path)
