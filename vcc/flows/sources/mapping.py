"""The canonical shape of a table as read: the source's columns renamed onto the canonical ones
(``[sources.<name>.tables.<table>] rename``), only those kept, in schema order, and the agency's
codes replaced by canonical ones (``values``). Nothing else is interpreted here."""

from __future__ import annotations

import pandas as pd

from vcc.flows.config import TableSource
from vcc.flows.errors import SourceError
from vcc.transforms import schema


def canonical_frame(
    source: str, table: schema.Table, frame: pd.DataFrame, spec: TableSource, origin: str
) -> pd.DataFrame:
    """Rename onto canonical columns, keep those in schema order, map codes, number the rows."""
    where = f"source {source}, table {table.name}"
    frame = frame.rename(columns=lambda column: str(column).strip()).rename(columns=spec.rename)
    wanted = table.column_names
    # an optional column (CONTRACT.md §6.1) the source does not supply is read as empty
    absent = [c.name for c in table.columns if c.optional and c.name not in frame.columns]
    frame = frame.assign(**dict.fromkeys(absent))
    missing = [column for column in wanted if column not in frame.columns]
    if missing:
        hint = " (only one column was read: check the delimiter)" if frame.shape[1] == 1 else ""
        read, sheets, configured = frame.attrs.get("sheet") or (None, [], None)
        if read is not None and len(sheets) > 1:
            which = "the one configured" if configured else "the first, as no sheet is configured"
            hint = (
                f" (sheet {read!r} was read, {which}; the workbook's sheets are "
                f"{', '.join(map(repr, sheets))}: name the table's sheet with "
                f"[sources.{source}.tables.{table.name}] sheet)"
            )
        raise SourceError(f"{where}: {origin} lacks column {', '.join(missing)}{hint}")
    doubled = [column for column in wanted if list(frame.columns).count(column) > 1]
    if doubled:
        raise SourceError(f"{where}: {origin} has more than one column {', '.join(doubled)}")
    unmapped = sorted(set(spec.values) - set(wanted))
    if unmapped:
        raise SourceError(f"{where}: values configured for {', '.join(unmapped)}, not a column")
    frame = frame[wanted].reset_index(drop=True)
    for column, codes in spec.values.items():
        frame[column] = map_codes(frame[column], codes)
    return frame


def map_codes(values: pd.Series, codes: dict[str, str]) -> pd.Series:
    """Replace agency codes by canonical ones; other values stay as they arrived."""
    # Codes are text in TOML; compare as text so that a numeric XLSX or SQL code 1 matches "1".
    as_text = values.astype("string").str.strip()
    return as_text.map(codes).where(as_text.isin(list(codes)), values)
