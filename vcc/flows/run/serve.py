"""``vcc serve``: the flow served as a Prefect deployment with one schedule per run date of the
quarterly schedule (``flows.operations.schedule``), beside an on-demand backfill deployment, on
the configured Prefect server or a local one started for as long as vcc serves."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prefect import serve
from prefect.schedules import RRule
from prefect.settings import PREFECT_API_URL, temporary_settings

from vcc.flows.config import Config, load_config
from vcc.flows.operations.schedule import quarterly_run_dates
from vcc.flows.run.flow import backfill_quarters, quarterly_compliance_report
from vcc.flows.run.server import serving_state, start_child, stop_child, wait_until_healthy
from vcc.transforms.calendar import WorkingDayCalendar

DEPLOYMENT_NAME = "quarterly"


@contextmanager
def prefect_server(port: int = 4200) -> Iterator[str]:
    """The configured Prefect server (PREFECT_API_URL), else a local one started for as long as
    vcc serves (it ends with vcc: ``flows.run.server.start_child``): Prefect's temporary
    in-process server cannot run schedules."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        yield configured
        return
    url = f"http://127.0.0.1:{port}/api"
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
               "--port", str(port)]  # fmt: skip
    server = start_child(command)
    try:
        wait_until_healthy(url, server, f"a local Prefect server on port {port}")
        print(f"vcc: local Prefect server at {url.removesuffix('/api')} (its UI shows the runs)")
        os.environ["PREFECT_API_URL"] = url
        yield url
    finally:
        stop_child(server)


def serve_quarterly(config_path: Path | None = None, out_dir: Path | None = None) -> None:
    """Serve the flow on the quarterly schedule until interrupted; its runs read ``config_path``
    and write to ``out_dir`` (absolute, so that they do not depend on the worker's directory)."""
    config = load_config(config_path)
    defaults = {
        "config_path": str(config_path.resolve()) if config_path else None,
        "out_dir": str((out_dir or config.output_dir).resolve()),
    }
    with (
        prefect_server() as api_url,
        serving_state(Path(defaults["out_dir"] or "."), api_url),
        # Prefect read its settings when it was imported, before the server was known: the
        # environment variable reaches the runs it starts, this setting the deployments' client
        temporary_settings(updates={PREFECT_API_URL: api_url}),
    ):
        _serve(config, defaults)  # `vcc run` on the same output folder uses this server


def _serve(config: Config, defaults: dict[str, str | None]) -> None:
    deployment = quarterly_deployment(config, defaults, dt.date.today())
    backfill = backfill_deployment(defaults)
    starts = [
        s.schedule.rrule.split("\n")[0].removeprefix("DTSTART:") for s in deployment.schedules
    ]
    moments = [dt.datetime.strptime(start, "%Y%m%dT%H%M%S") for start in starts]
    print("vcc: next scheduled runs: " + ", ".join(f"{m:%Y-%m-%d %H:%M}" for m in moments[:4]))
    print(
        f"vcc: deployments {deployment.flow_name}/{deployment.name} (scheduled) and "
        f"{backfill.flow_name}/{backfill.name} (on demand, parameters first and last)"
    )
    serve(deployment, backfill)


SCHEDULED_QUARTERS = 40


def quarterly_deployment(config: Config, defaults: dict[str, str | None], today: dt.date):
    """The flow's deployment: the quarterly run moments of the next ten years (SCHEDULED_QUARTERS),
    each a one-off RRule in the configured time zone, and the parameters every run of it gets.
    No cron or RRule says "the 10th working day" with bank holidays, so each moment is computed;
    ten years outlasts any service's uptime, and each start of ``vcc serve`` computes them anew."""
    calendar = WorkingDayCalendar(config.calendar.extra_holidays)
    runs = quarterly_run_dates(
        today,
        count=SCHEDULED_QUARTERS,
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
    # A run started from the deployment by hand (the UI, `prefect deployment run`) is recorded as
    # "deployment", not as a manual `vcc run`; the scheduled runs override it with "schedule".
    return quarterly_compliance_report.to_deployment(
        name=DEPLOYMENT_NAME, schedules=schedules,
        parameters={**defaults, "triggered_by": "deployment"},
    )  # fmt: skip


def backfill_deployment(defaults: dict[str, str | None]):
    """A deployment with no schedule that reruns a range of quarters when asked, for example
    ``prefect deployment run backfill-quarters/backfill -p first=2025Q1 -p last=2025Q4``."""
    return backfill_quarters.to_deployment(name="backfill", parameters=defaults)
