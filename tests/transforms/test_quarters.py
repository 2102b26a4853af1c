"""Which quarters can be reported as of which day, and what the CLI says when one cannot."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from vcc.flows.cli import main
from vcc.transforms.quarters import Quarter, part_quarter, unreportable

TODAY = dt.date(2026, 11, 27)


@pytest.mark.parametrize(
    ("quarter", "as_of"),
    [
        ("2026Q3", TODAY),  # the last complete quarter
        ("2026Q4", TODAY),  # the quarter in progress: a part quarter, reported as such
        ("2026Q4", dt.date(2026, 10, 1)),  # its first day
        ("2019Q1", TODAY),  # long past
    ],
)
def test_a_quarter_begun_by_the_as_of_date_can_be_reported(quarter, as_of) -> None:
    assert unreportable(Quarter.parse(quarter), as_of, TODAY) is None


def test_a_quarter_not_begun_by_the_as_of_date_cannot() -> None:
    assert unreportable(Quarter.parse("2027Q1"), TODAY, TODAY) == (
        "2027Q1 begins on 1 January 2027, after the as-of date 27 November 2026: there is "
        "nothing to report yet (the last complete quarter is 2026Q3)"
    )
    # an earlier as-of date moves the quarter out of reach too
    assert (unreportable(Quarter.parse("2026Q4"), dt.date(2026, 9, 30), TODAY) or "").startswith(
        "2026Q4 begins on 1 October 2026, after the as-of date 30 September 2026"
    )


def test_an_as_of_date_after_today_is_refused() -> None:
    assert unreportable(Quarter.parse("2026Q3"), dt.date(2026, 11, 28), TODAY) == (
        "the as-of date 28 November 2026 is after today (27 November 2026): the data cannot be "
        "complete up to a day that has not ended"
    )


@pytest.mark.parametrize(
    ("as_of", "part"),
    [
        (dt.date(2026, 9, 29), True),
        (dt.date(2026, 9, 30), False),  # complete up to the end of its last day
        (TODAY, False),
    ],
)
def test_part_quarter_until_its_last_day_is_in(as_of, part) -> None:
    assert part_quarter(Quarter.parse("2026Q3"), as_of) is part


def vcc(*args: str):
    return CliRunner().invoke(main, list(args))


def test_run_of_a_quarter_not_begun_is_refused_in_one_line_before_prefect_starts(
    tmp_path: Path,
) -> None:
    today = dt.date.today()
    future = Quarter.containing(today).next()
    result = vcc("run", "--quarter", str(future), "--out", str(tmp_path))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"vcc: error: {future} begins on {future.start.day} {future.start:%B %Y}, after the "
        f"as-of date {today.day} {today:%B %Y}: there is nothing to report yet (the last "
        f"complete quarter is {Quarter.last_complete(today)})"
    ]
    assert list(tmp_path.iterdir()) == []  # no warehouse, no run recorded


def test_run_with_an_as_of_date_after_today_is_refused(tmp_path: Path) -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    result = vcc("run", "-q", "2024Q3", "--as-of", f"{tomorrow}", "--out", str(tmp_path))
    assert result.exit_code == 1
    assert result.output.startswith(f"vcc: error: the as-of date {tomorrow.day} {tomorrow:%B %Y}")


def test_backfill_into_a_quarter_not_begun_runs_nothing(tmp_path: Path) -> None:
    future = Quarter.containing(dt.date.today()).next()
    result = vcc("backfill", "--from", "2024Q3", "--to", str(future), "--out", str(tmp_path))
    assert result.exit_code == 1
    assert "backfill 1/" not in result.output
    assert result.output.startswith(f"vcc: error: {future} begins on")


def test_validate_of_a_quarter_not_begun_is_refused_before_any_source_is_read() -> None:
    future = Quarter.containing(dt.date.today()).next()
    result = vcc("validate", "--quarter", str(future))
    assert result.exit_code == 1
    assert "validating the sources" not in result.output
    assert result.output.startswith(f"vcc: error: {future} begins on")
