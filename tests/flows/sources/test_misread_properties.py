"""Properties of issue 27's classes of misreading, over values hypothesis draws: a partial date
never reads as a date; a date whose day and month are exchanged, or a count of milliseconds
since 1970, is named as such; UTF-8 declared as cp1252, and UTF-16 without its byte-order mark,
are refused naming the encoding, while text really in cp1252 reads; a workbook's sheets are
named when the one read is not the table's."""

from __future__ import annotations

import datetime as dt

import hypothesis.strategies as st
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings

from tests.conftest import examples
from vcc.flows.config import TableSource
from vcc.flows.errors import SourceError
from vcc.flows.sources import date_text
from vcc.flows.sources.coerce import coerce_column
from vcc.flows.sources.encoding_check import check_encoding
from vcc.flows.sources.files import _read_xlsx
from vcc.flows.sources.mapping import canonical_frame
from vcc.transforms.schema import CANONICAL

PROPERTY = settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
DAYS = st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31))
CP1252_TEXT = st.text(
    st.characters(codec="cp1252", exclude_categories=("Cc", "Cs")), min_size=1, max_size=30
)


@PROPERTY
@given(day=DAYS, layout=st.sampled_from(["{y}", "{y}-{m:02d}", "{m:02d}/{y}", "{y}/{m}"]))
def test_a_month_or_a_year_never_reads_as_a_date(day, layout):
    text = layout.format(y=day.year, m=day.month)

    typed, unreadable = coerce_column(pd.Series([text]), "datetime")

    assert typed.isna().all() and unreadable.tolist() == [text]
    assert date_text.why_unreadable(unreadable, None).tolist() == [date_text.PARTIAL]


@PROPERTY
@given(day=DAYS.filter(lambda d: d.day > 12))
def test_a_date_with_day_and_month_exchanged_is_named(day):
    iso_swapped = f"{day.year}-{day.day:02d}-{day.month:02d}"
    month_first = f"{day.month:02d}/{day.day:02d}/{day.year}"

    assert date_text.why_unreadable(pd.Series([iso_swapped]), None).tolist() == [date_text.SWAPPED]
    assert date_text.why_unreadable(pd.Series([month_first]), "%d/%m/%Y").tolist() == [
        date_text.SWAPPED
    ]


@PROPERTY
@given(moment=st.datetimes(dt.datetime(2001, 1, 1), dt.datetime(2030, 12, 31)))
def test_milliseconds_since_1970_are_named_not_read(moment):
    millis = int(pd.Timestamp(moment).value // 1_000_000)

    typed, unreadable = coerce_column(pd.Series([millis], dtype="int64"), "datetime")

    assert typed.isna().all()
    assert date_text.why_unreadable(unreadable, None).tolist() == [date_text.EPOCH]


@PROPERTY
@given(text=CP1252_TEXT.filter(lambda t: not t.isascii()))
def test_utf8_declared_as_cp1252_is_refused_naming_the_encoding(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("enc") / "crimes.csv"
    path.write_bytes(f"district\n{text}\n".encode())

    with pytest.raises(SourceError, match=r"is UTF-8 text, not cp1252 as configured"):
        check_encoding(path, "cp1252", "source police, table crimes")


@PROPERTY
@given(text=CP1252_TEXT)
def test_text_really_in_cp1252_is_not_refused(tmp_path_factory, text):
    data = f"district\n{text}\n".encode("cp1252")
    try:
        data.decode("utf-8")
        assume(data.isascii())  # bytes valid as UTF-8 too are indistinguishable: not this case
    except UnicodeDecodeError:
        pass
    path = tmp_path_factory.mktemp("enc") / "crimes.csv"
    path.write_bytes(data)

    check_encoding(path, "cp1252", "source police, table crimes")  # no refusal


@PROPERTY
@given(text=st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=40),
       codec=st.sampled_from(["utf-16-le", "utf-16-be"]))  # fmt: skip
def test_utf16_without_its_mark_is_refused_naming_its_byte_order(tmp_path_factory, text, codec):
    path = tmp_path_factory.mktemp("enc") / "crimes.csv"
    path.write_bytes(f"crime_ref,district\n{text}\n".encode(codec))

    with pytest.raises(SourceError, match=rf"is {codec.upper()} text without a byte-order mark"):
        check_encoding(path, "utf-8", "source police, table crimes")


@PROPERTY
@given(names=st.lists(st.sampled_from(["Notes", "About", "Read me", "Crimes", "Data"]),
                      min_size=2, max_size=4, unique=True))  # fmt: skip
def test_the_sheet_read_and_the_sheets_present_are_named(tmp_path_factory, names):
    assume(names[0] not in ("Crimes", "Data"))  # the first sheet is not the table's
    workbook = openpyxl.Workbook()
    workbook.active.title = names[0]
    workbook.active.append(["About this extract"])
    for name in names[1:]:
        workbook.create_sheet(name).append(CANONICAL["police"]["crimes"].column_names)
    path = tmp_path_factory.mktemp("xlsx") / "crimes.xlsx"
    workbook.save(path)
    frame = _read_xlsx(path, None, "source police, table crimes")

    with pytest.raises(SourceError) as raised:
        canonical_frame("police", CANONICAL["police"]["crimes"], frame, TableSource(), str(path))

    shown = ", ".join(map(repr, names))
    assert f"(sheet {names[0]!r} was read, the first, as no sheet is configured; " in str(
        raised.value
    )
    assert f"the workbook's sheets are {shown}" in str(raised.value)
