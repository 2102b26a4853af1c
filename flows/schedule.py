"""The quarterly schedule: by default the 10th working day after each quarter ends, at 07:00
Europe/London, computed with the same working-day calendar as the measures (bank holidays
included). ``vcc serve`` serves the flow as a Prefect deployment with one schedule per run date.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from flows.config import Config, load_config
from transforms.calendar import WorkingDayCalendar
from transforms.quarters import Quarter

DEPLOYMENT_NAME = "quarterly"


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


def serve_quarterly(config: Config | None = None) -> None:
    """Serve the flow on the quarterly schedule until interrupted."""
    from prefect.schedules import RRule

    from flows.pipeline import quarterly_compliance_report

    config = config or load_config()
    calendar = WorkingDayCalendar(config.calendar.extra_holidays)
    runs = quarterly_run_dates(
        dt.date.today(),
        count=8,
        calendar=calendar,
        working_days=config.schedule.working_days_after_quarter,
        at=config.schedule.time,
    )
    schedules = [
        RRule(
            f"DTSTART:{moment:%Y%m%dT%H%M%S}\nRRULE:FREQ=DAILY;COUNT=1",
            timezone=config.schedule.timezone,
            parameters={"triggered_by": "schedule"},
        )
        for moment in runs
    ]
    print("vcc: next scheduled runs: " + ", ".join(f"{m:%Y-%m-%d %H:%M}" for m in runs[:4]))
    quarterly_compliance_report.serve(name=DEPLOYMENT_NAME, schedules=schedules)
