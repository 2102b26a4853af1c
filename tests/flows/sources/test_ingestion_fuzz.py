"""Property: whatever damage a file of police crimes carries, ingestion either refuses it with one
vcc line, or accounts for every row: each accepted row is exactly the row written, typed as the
schema says, and accepted + quarantined = rows written.

The files are made from the canonical schema (``transforms.schema``): well-formed rows, then on
some of them one kind of damage: a field added or dropped (shifted columns), random bytes in a
field, a random date, a random code or flag. Coercion strips text and reads flags as
``flows.sources.coerce.BOOLEANS``; what an accepted row must hold is worked out from that alone.
"""

from __future__ import annotations

import datetime as dt
import re

import hypothesis.strategies as st
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings

from tests.conftest import examples
from tests.flows.sources.test_bad_inputs import EXTRACTED_AT, lines, police, police_folder
from vcc.flows.config import load_config
from vcc.flows.errors import VccError
from vcc.flows.sources.coerce import BOOLEANS, coerce_source
from vcc.flows.sources.extract import extract_source
from vcc.transforms.schema import CANONICAL, OFFENCE_CATEGORIES

CRIMES = CANONICAL["police"]["crimes"]
DISTRICTS = list(load_config().districts)
FUZZ = settings(
    max_examples=examples(50),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

MOMENTS = st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2025, 1, 1)).map(
    lambda moment: moment.replace(microsecond=0).isoformat()
)
# Dates a system may send: placeholders, impossible days, other layouts, out of range, blank.
ODD_DATES = st.one_of(
    st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31)).map(lambda d: d.isoformat()),
    st.sampled_from(["1900-01-01", "2024-02-30", "31/12/2024", "2024-13-01T00:00:00", "",
                     "9999-12-31", " 2024-05-01 ", "2024-05-01", "yesterday", "2024-09", "2024",
                     "09/2024", "2024/9", "Sep 2024", "20240905", "2024-13-05", "1725494400000"]),
)  # fmt: skip
FLAGS = st.sampled_from(["true", "false", "TRUE", " Yes ", "n", "0", "1", "maybe", "", "tru"])
CODES = st.one_of(st.sampled_from(OFFENCE_CATEGORIES), st.text("abcdefghijklmnopqrstuvwxyz_"))
# Any byte but the CSV syntax (quote, delimiter, line breaks), which the field-shift damage tries.
BYTES = st.binary(min_size=1, max_size=6).map(
    lambda data: bytes(b for b in data if b not in b'",\r\n') or b"\xff"
)


@st.composite
def crime_rows(draw) -> list[list[bytes]]:
    """Well-formed crimes, then one kind of damage to some of them."""
    rows = []
    for number in range(draw(st.integers(1, 6))):
        reported = draw(MOMENTS)
        row = [
            f"CR{number}", reported, draw(st.sampled_from([reported, draw(MOMENTS)])),
            draw(st.sampled_from(OFFENCE_CATEGORIES)), draw(FLAGS), draw(FLAGS),
            draw(st.sampled_from(DISTRICTS)),
        ]  # fmt: skip
        fields = [value.encode("utf-8") for value in row]
        damage = draw(st.sampled_from(["none", "none", "shift", "bytes", "date", "code"]))
        column = draw(st.integers(0, len(fields) - 1))
        if damage == "shift":
            if draw(st.booleans()):
                fields.insert(column, b"x")
            else:
                del fields[column]
        elif damage == "bytes":
            fields[column] += draw(BYTES)
        elif damage == "date":
            fields[draw(st.sampled_from([1, 2]))] = draw(ODD_DATES).encode("utf-8")
        elif damage == "code":
            fields[3], fields[6] = draw(CODES).encode(), draw(CODES).encode()
        rows.append(fields)
    return rows


def read_crimes(folder):
    """extract, coerce and validate the crimes table, as a run does."""
    from vcc.flows.sources.validate import validate_sources

    source = police(folder)
    raw = {"crimes": extract_source("police", source)["crimes"]}
    frame, problems = coerce_source(raw, source, "police")["crimes"]
    key = ("police", "crimes")
    outcome = validate_sources(
        {key: frame}, {key: problems}, extracted_at=EXTRACTED_AT, districts=DISTRICTS
    )
    return outcome.accepted[key], outcome.rejected[key]


def typed(kind: str, field: bytes):
    """What an accepted field must hold: the text stripped, read as its kind."""
    text = field.decode("utf-8").strip()
    if kind == "datetime":
        # A date names its day (2024-09 is a month, never 1 September): year, month and day.
        assert re.match(r"^[0-9]{4}-?[0-9]{2}-?[0-9]{2}", text), text
        return pd.Timestamp(text)
    if kind == "bool":
        return BOOLEANS[text.lower()]
    return text


@FUZZ
@given(rows=crime_rows())
def test_damaged_crimes_are_refused_in_one_line_or_every_row_accounted_for(
    tmp_path_factory: pytest.TempPathFactory, rows
) -> None:
    body = b"".join(b",".join(fields) + b"\n" for fields in rows)
    folder = police_folder(tmp_path_factory.mktemp("fuzz"), crimes=lines(",".join(
        CRIMES.column_names)).encode() + body)  # fmt: skip
    try:
        accepted, quarantined = read_crimes(folder)
    except VccError as error:  # any other exception fails the test
        assert "\n" not in str(error)
        event("refused")
        return
    event(f"read, {len(quarantined)} of {len(rows)} quarantined")

    assert len(accepted) + len(quarantined) == len(rows)
    assert not set(accepted.index) & set(quarantined.index)
    assert str(accepted["reported_at"].dtype) == "datetime64[ns]"
    assert str(accepted["is_domestic_abuse"].dtype) == "boolean"
    for label, row in accepted.iterrows():
        written = rows[label]
        assert len(written) == len(CRIMES.columns)
        assert [row[c.name] for c in CRIMES.columns] == [
            typed(c.kind, field) for c, field in zip(CRIMES.columns, written, strict=True)
        ]
