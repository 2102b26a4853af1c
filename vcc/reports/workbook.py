"""``published-tables.xlsx``: the published tables as a spreadsheet that follows the Government
Analysis Function's guidance on releasing statistics in spreadsheets, written with ``gptables``:
a cover sheet, a contents sheet, a notes sheet, then one table per sheet (one sheet per measure,
every breakdown in long form), GSS symbols ``[c]``, ``[x]`` and ``[z]`` in cells and explained in
the notes.

The figures are exactly those of ``published-tables.csv`` (``transforms.disclosure``), with
numbers written as numbers and the symbols as text; nothing is suppressed or unsuppressed here.
Counts carry a whole-number format and percentages one decimal place, as the report prints them
(the CSV keeps four places of a proportion); groups and statuses are written as words, as the
report writes them (``violence_with_injury`` as Violence with injury, ``true`` as Domestic abuse
or Yes, ``none`` as Not rated). The file's properties (title,
subject, author) name the report, and the cover gives the publication and next-update dates.
"""

from __future__ import annotations

import warnings
import zipfile
from datetime import date
from pathlib import Path

import gptables as gpt
import pandas as pd

from vcc.reports.groups import group_label
from vcc.reports.model import (
    financial_year_label,
    measure_sort_key,
    part_quarter_note,
    quarter_period,
)
from vcc.transforms.agencies import agency_label
from vcc.transforms.catalogue import MEASURES_BY_ID
from vcc.transforms.cell_text import neutralise, neutralise_frame
from vcc.transforms.disclosure import CONFIDENTIAL, NOT_APPLICABLE, NOT_AVAILABLE
from vcc.transforms.quarters import Quarter, long_date

SYMBOLS = (CONFIDENTIAL, NOT_APPLICABLE, NOT_AVAILABLE)
_DIMENSIONS = {
    "all": "All victims",
    "rights": "Enhanced rights",
    "district": "District",
    "age_band": "Age band at the offence",
    "sex": "Sex",
    "ethnicity": "Ethnic group",
    "has_disability": "Disability",
}
# Statuses as words: the codes of published-tables.csv (CONTRACT.md §2) are for machines.
_STATUSES = {"green": "Green", "amber": "Amber", "red": "Red", "none": "Not rated"}
LANGUAGE = "en-GB"  # the workbook's language, as the report's <html lang>
COUNT_FORMAT = "#,##0"
PERCENT_FORMAT = "0.0"
TARGET_FORMAT = "0"
_COUNTS = ("Eligible", "Met")
_PERCENTS = ("Rate (%)", "95% interval lower (%)", "95% interval upper (%)")
NOTES = pd.DataFrame(
    {
        "Note reference": ["symbols", "suppression", "rates", "status"],
        "Note text": [
            f"{CONFIDENTIAL} confidential: withheld to protect victims' identities. "
            f"{NOT_APPLICABLE} not applicable: no instance was eligible, so there is no rate. "
            f"{NOT_AVAILABLE} not available.",
            "A count of people from 1 to the disclosure threshold less one is shown as [c]. Met "
            "is also withheld when that few were not met, and the rate and interval go with it. "
            "Within a breakdown, when one group is withheld the smallest other group is withheld "
            "too, so that no figure can be worked out from the total.",
            "Rate is met divided by eligible, as a percentage. The 95% interval is the Wilson "
            "score interval. Instances not yet due at the data date (pending) are left out.",
            "Status compares the rate with the target: green at or above it, amber within the "
            "tolerance below it, red further below, none when too few instances are eligible.",
        ],
    }
)


def _number(text: object, scale: float = 1.0, decimals: int | None = None) -> object:
    """A published text cell as a number, or its GSS symbol as text."""
    value = "" if pd.isna(text) else str(text)  # type: ignore[arg-type]
    if value in SYMBOLS:
        return value
    if value == "":
        return NOT_AVAILABLE
    number = float(value) * scale
    if decimals is None:
        return int(number)
    return round(number, decimals)


def status_label(status: str) -> str:
    return _STATUSES.get(status, status)  # a symbol ([c]) stays a symbol


def _sheet_table(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Breakdown": rows["dimension"].map(lambda d: _DIMENSIONS.get(d, d)).to_numpy(),
            "Group": [
                group_label(str(d), str(g))
                for d, g in zip(rows["dimension"], rows["group"], strict=True)
            ],
            "Eligible": [_number(v) for v in rows["eligible"]],
            "Met": [_number(v) for v in rows["met"]],
            "Rate (%)": [_number(v, 100, 1) for v in rows["rate"]],
            "95% interval lower (%)": [_number(v, 100, 1) for v in rows["ci_low"]],
            "95% interval upper (%)": [_number(v, 100, 1) for v in rows["ci_high"]],
            "Target (%)": [_number(v, 100, 0) for v in rows["target"]],
            "Status": [status_label(str(s)) for s in rows["rag"]],
        }
    )


# Each column's number format (symbols are text, so they keep theirs).
_FORMATS = [
    {"column": {"columns": list(_COUNTS), "format": {"num_format": COUNT_FORMAT}}},
    {"column": {"columns": list(_PERCENTS), "format": {"num_format": PERCENT_FORMAT}}},
    {"column": {"columns": ["Target (%)"], "format": {"num_format": TARGET_FORMAT}}},
]


def _sheet_name(measure_id: str, agency: str, repeated: bool) -> str:
    return f"{measure_id} {agency_label(agency)}"[:31] if repeated else measure_id[:31]


def write_published_workbook(
    published: pd.DataFrame,
    path: Path,
    title: str,
    quarter: Quarter,
    area: str = "",
    produced_by: str = "",
    as_of: date | None = None,
    threshold: int | None = None,
    published_on: str = "",
    next_update: str = "",
) -> Path:
    """Write ``published`` (``transforms.disclosure.published_tables`` output, one quarter) to
    ``path`` as an accessible workbook and return ``path``. ``as_of`` (the data's as-of date;
    when it falls inside the quarter, the titles give the days up to it and the cover says so)
    and ``threshold`` (the disclosure threshold) are stated on the cover and in the notes;
    ``published_on`` and ``next_update`` (dates in words) on the cover. Text from the sources
    or the configuration is neutralised here, this workbook's one writer (``cell_text``): it
    never runs as a formula."""
    published = neutralise_frame(published)
    title, area, produced_by = neutralise(title), neutralise(area), neutralise(produced_by)
    table = published[published["quarter"].astype(str) == str(quarter)]
    period = quarter_period(quarter, as_of)  # a part quarter's tables: only the days to as_of
    part = part_quarter_note(quarter, as_of) if as_of is not None else None
    keys = list(dict.fromkeys(zip(table["measure_id"], table["agency"], strict=True)))
    keys.sort(key=lambda key: measure_sort_key(*key))
    repeated = {m for m, _ in keys if sum(1 for other, _ in keys if other == m) > 1}
    sheets = {}
    for index, (measure_id, agency) in enumerate(keys, start=1):
        rows = table[(table["measure_id"] == measure_id) & (table["agency"] == agency)]
        definition = MEASURES_BY_ID.get(measure_id)
        name = definition.title if definition else measure_id
        sheets[_sheet_name(measure_id, agency, measure_id in repeated)] = gpt.GPTable(
            table=_sheet_table(rows.reset_index(drop=True)),
            table_name=f"table_{index}_{measure_id.replace('-', '_')}_{agency.replace(' ', '_')}",
            title=", ".join(
                part
                for part in (f"{measure_id}: {name} ({agency_label(agency)})", area, period)
                if part
            ),
            subtitles=[
                f"Right {int(rows['right'].iloc[0])} of the Victims' Code; every breakdown "
                "published for the quarter",
                "Symbols and suppression are explained in notes $$symbols$$ $$suppression$$",
                "Rates, intervals and status are explained in notes $$rates$$ $$status$$",
            ],
            scope=f"{area}, calendar quarter {quarter} (financial year "
            f"{financial_year_label(quarter)})",
            source=produced_by or None,
            index_columns={2: 0},
            additional_formatting=_FORMATS,
        )
    cover = gpt.Cover(
        title=", ".join(part for part in (f"{title}: published tables", area, period) if part),
        intro=[
            "Compliance with the Code of Practice for Victims of Crime: how often each right was "
            "met within its deadline, by agency and measure, with every breakdown published.",
            *([f"Data complete to the end of {long_date(as_of)}."] if as_of else []),
            *([part] if part else []),
            *([f"Published: {published_on}."] if published_on else []),
            *(
                [f"Next update: {next_update}, with the next quarter's tables."]
                if next_update
                else []
            ),
        ],
        about=[
            "One table per sheet, one sheet per measure. The Contents sheet lists them; the "
            "Notes sheet explains the symbols [c], [z] and [x], the suppression rule, rates and "
            "status.",
            "These are the figures of published-tables.csv and of the annex of the report.",
        ],
        contact=[produced_by] if produced_by else None,
    )
    notes = NOTES.copy()
    if threshold is not None:
        notes.loc[1, "Note text"] = notes.loc[1, "Note text"].replace(
            "from 1 to the disclosure threshold less one", f"from 1 to {threshold - 1}"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gptables warns about notes not yet placed
        workbook = gpt.produce_workbook(
            filename=str(path), sheets=sheets, cover=cover, notes_table=notes
        )
        workbook.set_properties(
            {
                "title": cover.title,
                "subject": f"Compliance with the Victims' Code, {area or 'all areas'}, {period}",
                "author": produced_by or "vcc",
                "company": produced_by,
                "keywords": f"Victims' Code, compliance, {quarter}, "
                f"{financial_year_label(quarter)}",
                "comments": "Published tables of the quarterly Victims' Code compliance report",
            }
        )
        workbook.close()
    _declare_language(path, LANGUAGE)
    return path


def _declare_language(path: Path, language: str) -> None:
    """Add ``dc:language`` to the workbook's core properties (``docProps/core.xml``, ECMA-376
    Part 2 §11; XlsxWriter writes no language), so screen readers and Excel read it as en-GB."""
    staged = path.with_name(path.name + ".lang")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(staged, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "docProps/core.xml" and b"<dc:language>" not in data:
                data = data.replace(
                    b"</cp:coreProperties>",
                    f"<dc:language>{language}</dc:language></cp:coreProperties>".encode(),
                )
            out.writestr(item, data)
    staged.replace(path)
