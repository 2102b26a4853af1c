"""``vcc serve``'s deployments: the quarterly schedule's run dates, and the backfill on demand."""

from __future__ import annotations

import datetime as dt

from vcc.flows.config import load_config
from vcc.flows.run.serve import backfill_deployment, quarterly_deployment


def test_the_served_deployment_runs_each_quarter_with_the_configured_files() -> None:
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


def test_the_backfill_deployment_runs_on_demand_with_the_configured_files() -> None:
    defaults: dict[str, str | None] = {
        "config_path": "/etc/vcc/vcc.toml",
        "out_dir": "/srv/vcc/out",
    }
    deployment = backfill_deployment(defaults)
    assert (deployment.flow_name, deployment.name) == ("backfill-quarters", "backfill")
    assert deployment.parameters == defaults and deployment.schedules == []
