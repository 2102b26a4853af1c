"""Reading a table from a source's folder: the newest drop of each table (CSV, XLSX or Parquet),
read with every value as it arrived, and a file cut short refused rather than half read."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import glob
import io
import os
import re
import sys
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow
from openpyxl.utils.exceptions import InvalidFileException
from python_calamine import CalamineError, PasswordError

from vcc.flows.config import SourceConfig, TableSource
from vcc.flows.errors import SourceError
from vcc.flows.sources.encoding_check import check_encoding
from vcc.transforms import schema

CSV_ERROR_PREFIX = "Error tokenizing data. C error: "
LAST_ROW_BYTES = 1 << 16  # enough for the longest row of any canonical table
FILE_KINDS = (".csv", ".xlsx", ".parquet")
DATE_IN_NAME = re.compile(r"\d{4}-\d{2}-\d{2}")
# A formula cell's element in a workbook's XML: <f>, <f t="shared" ...>, <f/>, or prefixed <x:f>.
FORMULA_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


def read_folder(
    name: str, source: SourceConfig, tables: list[schema.Table]
) -> Iterator[tuple[schema.Table, pd.DataFrame, str]]:
    """Each table's newest file in the source's folder, read: (table, frame, file); an absent
    optional table is passed over."""
    assert source.path is not None  # SourceConfig guarantees it for kind "files"
    folder = Path(source.path)
    if not folder.is_dir():
        raise SourceError(f"source {name}: folder {folder} does not exist")
    try:
        os.listdir(folder)  # a folder we may not list would read as one holding no file
    except OSError as error:
        raise SourceError(
            f"source {name}: folder {folder} cannot be read: {error.strerror}"
        ) from None
    for table in tables:
        where = f"source {name}, table {table.name}"
        spec = source.table(table.name)
        path = newest_drop(folder, table.name, spec.file)
        if path is None:
            if table.optional:
                continue
            wanted = spec.file or f"{table.name}.csv, {table.name}.xlsx or {table.name}.parquet"
            raise SourceError(f"{where}: no file {wanted} in {folder}")
        if not path.resolve().is_relative_to(folder.resolve()):
            # a symbolic link (or a glob) leading out of the folder: read nothing from there
            raise SourceError(f"{where}: {path} leads outside the source's folder {folder}")
        yield table, _read_file(path, spec, source, where), _origin(folder, table.name, spec, path)


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


def _origin(folder: Path, table: str, spec: TableSource, path: Path) -> str:
    """The file read, and, when it is the newest of several drops, the drops found."""
    if spec.file:
        found = glob.glob(os.path.join(glob.escape(str(folder)), spec.file))
        names = sorted(Path(p).name for p in found if Path(p).is_file())
    else:
        default = re.compile(
            rf"{re.escape(table)}(_\d{{4}}-\d{{2}}-\d{{2}})?\.(csv|xlsx|parquet)", re.IGNORECASE
        )
        names = sorted(p.name for p in folder.iterdir() if default.fullmatch(p.name))
    if len(names) < 2:
        return str(path)
    return f"{path} (the newest of {len(names)} drops found: {', '.join(names)})"


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
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise SourceError(f"{where}: unknown text encoding {encoding!r}") from None
    check_encoding(path, codec, where)  # UTF-16 without its mark, UTF-8 declared as cp1252
    if codec == "utf-8":
        encoding = "utf-8-sig"  # Excel writes a byte-order mark before UTF-8 text: dropped
    text: Path | io.StringIO = path
    try:
        if codec.startswith(("utf-16", "utf-32")):
            # pandas decodes a file in chunks, and loses UTF-16's byte-order mark after the first
            with path.open(encoding=encoding, newline="") as handle:
                text = io.StringIO(handle.read())
        # Every value stays text, and only an empty field is missing: "NA" or "null" may be data.
        # index_col=False: a first data row with an extra field must never become an index that
        # shifts every column; _check_rows below refuses such a file.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            frame = pd.read_csv(
                text,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                encoding=encoding,
                sep=delimiter,
                index_col=False,
            )
    except UnicodeDecodeError as error:
        shown = encoding.removesuffix("-sig")
        byte = error.object[error.start]
        with path.open("rb") as handle:
            utf16 = handle.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
        hint = ": it looks like UTF-16, set the table's encoding" if utf16 else ""
        raise SourceError(
            f"{where}: {path} is not valid {shown} text (byte {byte:#04x}){hint}"
        ) from error
    except UnicodeError as error:  # a codec's complaint about the whole text (no BOM...)
        raise SourceError(f"{where}: {path} is not valid {encoding} text ({error})") from error
    except pd.errors.EmptyDataError:
        raise SourceError(f"{where}: {path} is empty (not even a header line)") from None
    except pd.errors.ParserError as error:
        reason = str(error).strip().splitlines()[-1].removeprefix(CSV_ERROR_PREFIX)
        if reason.startswith("EOF inside string"):
            reason += " (a quoted value is never closed: the file looks cut short)"
        raise SourceError(f"{where}: {path} is not valid CSV: {reason}") from error
    _check_last_row(path, encoding, delimiter, frame.shape[1], where)
    _check_rows(path, encoding, delimiter, frame.shape[1], where)
    return frame


def _check_rows(path: Path, encoding: str, delimiter: str, columns: int, where: str) -> None:
    """What pandas would read without a word, refused naming the line:

    - a header naming a column twice (pandas renames the second ``crime_ref.1``);
    - a row with other than the header's number of fields: pandas reads a short row with its
      last fields empty and, when the first data row is long, takes its first column as an
      index and shifts every column; either way values would land under the wrong column;
    - a NUL byte, which no text file holds: a file with zeroed blocks (a disk or copy fault)."""
    csv.field_size_limit(sys.maxsize)
    try:
        with path.open(encoding=encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            header = next(reader, [])
            if twice := sorted({name for name in header if header.count(name) > 1}):
                raise SourceError(f"{where}: {path} header names {', '.join(twice)} twice")
            start = reader.line_num + 1
            for row in reader:
                blank = len(row) <= 1 and not "".join(row).strip()  # pandas skips blank lines
                if not blank and len(row) != columns:
                    raise SourceError(
                        f"{where}: {path} line {start} has {len(row)} fields where the header "
                        f"has {columns}: refused rather than read with shifted columns"
                    )
                if "\0" in "".join(row):  # one C-level scan, not a generator per field
                    raise SourceError(
                        f"{where}: {path} line {start} holds a NUL byte, which no text file "
                        "does: the file looks damaged"
                    )
                start = reader.line_num + 1
    except csv.Error as error:
        raise SourceError(f"{where}: {path} is not valid CSV: {error}") from error


def _check_last_row(path: Path, encoding: str, delimiter: str, columns: int, where: str) -> None:
    """A file cut short ends part-way through a row, with no line break after it. pandas would
    read that row with its missing fields empty, and the rows cut off would go unnoticed."""
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - LAST_ROW_BYTES))
        tail = handle.read().decode(encoding, errors="replace")
    if not tail or tail.endswith(("\n", "\r")):
        return
    last = tail.splitlines()[-1]
    if '"' in last:
        return  # may end a quoted value that began on an earlier line: cannot judge from here
    fields = len(last.split(delimiter))
    if fields < columns:
        raise SourceError(
            f"{where}: {path} ends part-way through a row (its last line has {fields} of "
            f"{columns} fields and no line break): the file looks cut short"
        )


def _read_xlsx(path: Path, sheet: str | None, where: str) -> pd.DataFrame:
    """A sheet's values as last saved, read by calamine (ten times openpyxl's speed on a
    28,000-row sheet: 0.39 s against 4.2 s); a workbook with formulas is then checked cell by
    cell (``_check_formulas``)."""
    try:
        with pd.ExcelFile(path, engine="calamine") as workbook:
            if not workbook.sheet_names:
                raise SourceError(f"{where}: {path} has no sheets")
            if sheet is not None and sheet not in workbook.sheet_names:
                sheets = ", ".join(map(str, workbook.sheet_names))
                raise SourceError(f"{where}: {path} has no sheet {sheet!r} (it has {sheets})")
            name = sheet if sheet is not None else workbook.sheet_names[0]
            frame = pd.read_excel(workbook, name, keep_default_na=False, na_values=[""])
            # Which sheet was read of which: a column missing from it names them (mapping.py).
            frame.attrs["sheet"] = (str(name), [str(n) for n in workbook.sheet_names], sheet)
        if _holds_formulas(path):
            _check_formulas(path, str(name), where)
    except PasswordError as error:
        raise SourceError(
            f"{where}: {path} is protected by a password: save it without one"
        ) from error
    except (zipfile.BadZipFile, InvalidFileException, KeyError, CalamineError) as error:
        raise SourceError(f"{where}: {path} is not an xlsx workbook") from error
    if frame.shape[1] == 0:
        raise SourceError(f"{where}: {path} sheet {name!r} is empty (not even a header row)")
    return frame


def _holds_formulas(path: Path) -> bool:
    """Whether any XML part of the workbook has a formula element, read as a stream. Workbooks
    exported by a case system have none and need no cell-by-cell check; a false alarm (a
    chart's cell reference) only costs that check."""
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if not member.endswith(".xml"):
                continue
            with archive.open(member) as part:
                tail = b""
                while chunk := part.read(1 << 20):
                    if FORMULA_ELEMENT.search(tail + chunk):
                        return True
                    tail = chunk[-64:]  # an element split between two chunks
    return False


def _check_formulas(path: Path, sheet: str, where: str) -> None:
    """A formula cell is read by its value as last calculated and saved. A workbook written by a
    program rather than saved by a spreadsheet holds formulas with no saved value, which read
    as empty: a notification date would silently go missing. Such a file is refused, naming the
    sheet and the first such cell."""
    formulas = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    try:
        found = [
            cell.coordinate
            for row in formulas[sheet].iter_rows()
            for cell in row
            if getattr(cell, "data_type", None) == "f"
        ]
    finally:
        formulas.close()
    if not found:
        return
    values = openpyxl.load_workbook(path, read_only=False, data_only=True, keep_links=False)
    try:
        unsaved = [coordinate for coordinate in found if values[sheet][coordinate].value is None]
    finally:
        values.close()
    if unsaved:
        more = f" and {len(unsaved) - 1} more" if len(unsaved) > 1 else ""
        raise SourceError(
            f"{where}: {path} sheet {sheet!r} cell {unsaved[0]}{more} holds a formula with no "
            "saved value: open and save the workbook in a spreadsheet, or export its values"
        )


def _read_parquet(path: Path, where: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except (pyarrow.ArrowException, ValueError) as error:
        reason = str(error).strip().splitlines()[0]
        raise SourceError(f"{where}: {path} is not a parquet file ({reason})") from error
