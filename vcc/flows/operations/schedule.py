"""The quarterly schedule: by default the 10th working day after each quarter ends, at 07:00
Europe/London, computed with the same working-day calendar as the measures (bank holidays
included). ``vcc serve`` serves the flow with one schedule per run date (``flows.run.serve``).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from vcc.flows.config import Config
from vcc.transforms.calendar import WorkingDayCalendar
from vcc.transforms.quarters import Quarter


def quarterly_run_dates(
    after: dt.date, count: int, calendar: WorkingDayCalendar, working_days: int, at: dt.time
) -> list[dt.datetime]:
    """The next ``count`` run times after ``after``: the ``working_days``-th working day after
    each quarter's last day."""
    runs: list[dt.datetime] = []
    quarter = Quarter.containing(after).previous()
    while len(runs) < count:
        end = pd.Series([pd.Timestamp(quarter.end)])
        day = calendar.due_dates(end, working_days).iloc[0].date()
        moment = dt.datetime.combine(day, at)
        if day > after:
            runs.append(moment)
        quarter = quarter.next()
    return runs


def next_report_date(config: Config, quarter: Quarter) -> dt.date:
    """When the next quarter's report is due (the workbook's cover): its scheduled run, the
    configured working day after that quarter ends."""
    calendar = WorkingDayCalendar(config.calendar.extra_holidays)
    schedule = config.schedule
    after = quarter.next().end  # the first run after it is the next quarter's
    return quarterly_run_dates(
        after, 1, calendar, schedule.working_days_after_quarter, schedule.time
    )[0].date()
