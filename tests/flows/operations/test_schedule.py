"""The quarterly schedule: the 10th working day after each quarter ends, bank holidays counted."""

from __future__ import annotations

import datetime as dt

from vcc.flows.config import load_config
from vcc.flows.operations.schedule import next_report_date, quarterly_run_dates
from vcc.transforms.calendar import WorkingDayCalendar
from vcc.transforms.quarters import Quarter


def test_next_run_dates_across_a_year_count_bank_holidays() -> None:
    runs = quarterly_run_dates(
        dt.date(2024, 11, 26), 4, WorkingDayCalendar(), working_days=10, at=dt.time(7, 0)
    )
    assert runs == [
        # 2024Q4 ends Tue 31 Dec; 1 Jan is a holiday: Thu 2 Jan is day 1, Wed 15 Jan day 10
        dt.datetime(2025, 1, 15, 7, 0),
        # 2025Q1 ends Mon 31 Mar: Tue 1 Apr is day 1, Mon 14 Apr day 10 (Easter comes after)
        dt.datetime(2025, 4, 14, 7, 0),
        # 2025Q2 ends Mon 30 Jun: Mon 14 Jul is day 10
        dt.datetime(2025, 7, 14, 7, 0),
        # 2025Q3 ends Tue 30 Sep: Tue 14 Oct is day 10
        dt.datetime(2025, 10, 14, 7, 0),
    ]


def test_easter_delays_the_april_run() -> None:
    # 2024Q1 ends Sun 31 Mar 2024; Mon 1 Apr is Easter Monday, so day 1 is Tue 2 Apr.
    runs = quarterly_run_dates(
        dt.date(2024, 2, 1), 1, WorkingDayCalendar(), working_days=10, at=dt.time(7, 0)
    )
    assert runs == [dt.datetime(2024, 4, 15, 7, 0)]


def test_a_run_day_already_passed_is_not_scheduled() -> None:
    runs = quarterly_run_dates(
        dt.date(2025, 1, 15), 1, WorkingDayCalendar(), working_days=10, at=dt.time(7, 0)
    )
    assert runs == [dt.datetime(2025, 4, 14, 7, 0)]


def test_the_next_report_is_due_on_the_next_quarters_scheduled_run() -> None:
    # 2024Q3's report says when 2024Q4's is due: the shipped schedule, 10 working days after
    # Tue 31 Dec (1 Jan a holiday): Wed 15 Jan 2025, the first run above
    assert next_report_date(load_config(None), Quarter(2024, 3)) == dt.date(2025, 1, 15)
