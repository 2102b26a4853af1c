"""The quarterly schedule: the 10th working day after each quarter ends, bank holidays counted."""

from __future__ import annotations

import datetime as dt

from vcc.flows.operations.schedule import quarterly_run_dates
from vcc.transforms.calendar import WorkingDayCalendar


def test_next_run_dates_across_a_year_count_bank_holidays():
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


def test_easter_delays_the_april_run():
    # 2024Q1 ends Sun 31 Mar 2024; Mon 1 Apr is Easter Monday, so day 1 is Tue 2 Apr.
    runs = quarterly_run_dates(
        dt.date(2024, 2, 1), 1, WorkingDayCalendar(), working_days=10, at=dt.time(7, 0)
    )
    assert runs == [dt.datetime(2024, 4, 15, 7, 0)]


def test_a_run_day_already_passed_is_not_scheduled():
    runs = quarterly_run_dates(
        dt.date(2025, 1, 15), 1, WorkingDayCalendar(), working_days=10, at=dt.time(7, 0)
    )
    assert runs == [dt.datetime(2025, 4, 14, 7, 0)]


def test_the_served_deployment_runs_each_quarter_with_the_configured_files():
    from vcc.flows.config import load_config
    from vcc.flows.operations.schedule import quarterly_deployment

    defaults: dict[str, str | None] = {
        "config_path": "/etc/vcc/vcc.toml",
        "out_dir": "/srv/vcc/out",
    }
    deployment = quarterly_deployment(load_config(None), defaults, dt.date(2026, 11, 26))
    assert deployment.name == "quarterly"
    # started by hand from the deployment: recorded as such, not as a manual `vcc run`
    assert deployment.parameters == defaults | {"triggered_by": "deployment"}
    schedules = [entry.schedule for entry in deployment.schedules]
    # Q4 2026 ends on Thursday 31 December; 1 January is a bank holiday, so the 10th working day
    # is Friday 15 January 2027. Q1 2027 ends on Wednesday 31 March, after Easter (26 and 29
    # March): 1, 2, 5 to 9 and 12 to 14 April make Wednesday 14 April the 10th working day.
    assert [s.rrule.split("\n")[0] for s in schedules[:2]] == [
        "DTSTART:20270115T070000",
        "DTSTART:20270414T070000",
    ]
    assert {s.timezone for s in schedules} == {"Europe/London"}
    # ten years of quarters; the last, after 2036Q3 ends on Tuesday 30 September: 1 to 3, 6 to 10,
    # 13 and 14 October make Tuesday 14 October the 10th working day
    assert len(schedules) == 40
    assert schedules[-1].rrule.split("\n")[0] == "DTSTART:20361014T070000"
    assert all(e.parameters == {"triggered_by": "schedule"} for e in deployment.schedules)


def test_the_backfill_deployment_runs_on_demand_with_the_configured_files():
    from vcc.flows.operations.schedule import backfill_deployment

    defaults: dict[str, str | None] = {
        "config_path": "/etc/vcc/vcc.toml",
        "out_dir": "/srv/vcc/out",
    }
    deployment = backfill_deployment(defaults)
    assert (deployment.flow_name, deployment.name) == ("backfill-quarters", "backfill")
    assert deployment.parameters == defaults and deployment.schedules == []
