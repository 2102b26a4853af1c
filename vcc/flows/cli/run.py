"""Commands that run the flow: ``vcc run``, ``backfill``, ``demo`` and ``serve``."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import click

from vcc.flows.cli.app import QUARTER, check_dates, place_options, run_options
from vcc.flows.cli.console import verbosity_options
from vcc.flows.cli.sources import DEMO_DATA, generate_sources
from vcc.flows.errors import VccError
from vcc.flows.run.console import QUIET, echo, say, set_console
from vcc.flows.run.server import run_server, use_server
from vcc.transforms.quarters import Quarter, part_quarter, quarter_range

if TYPE_CHECKING:
    from vcc.flows.config import Config
    from vcc.flows.manifest import RunManifest


class _NoTracebackForUserErrors(logging.Filter):
    """Prefect logs a failed run with its traceback; for the project's own errors, whose message
    already says what is wrong, the user sees the message alone."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], VccError):
            record.exc_info = None
            record.exc_text = None
        return True


def _quiet_prefect_tracebacks() -> None:
    quiet = _NoTracebackForUserErrors()
    loggers = [logging.getLogger(), logging.getLogger("prefect")]
    loggers += [
        logging.getLogger(name)
        for name in logging.root.manager.loggerDict
        if name.startswith("prefect")
    ]
    for logger in loggers:
        for handler in logger.handlers:
            handler.addFilter(quiet)


@contextmanager
def _prefect_for_runs(
    config: Path | None, out: Path | None, verbosity: str | None, area: str | None = None
) -> Iterator[Config]:
    """Prefect ready for the command's runs: its server found (``PREFECT_API_URL``, a running
    ``vcc serve``), else a temporary one started in the background while Prefect, pandas and Great
    Expectations are imported, and stopped at the end (``flows.run.server``)."""
    # Inside: the settings load pydantic (625 ms), which vcc --help never needs
    from vcc.flows.config import load_config

    settings = load_config(config)  # a bad configuration fails here, before a server starts
    if area is not None:
        settings.for_area(area)  # so does an area it does not have
    announce = partial(say, verbosity)
    with run_server(out or settings.output_dir, announce) as server:
        import great_expectations  # noqa: F401 - validation's, likewise (seconds)

        import vcc.flows.run.flow  # noqa: F401 - Prefect and pandas, while the server starts

        _quiet_prefect_tracebacks()
        set_console(verbosity)
        with use_server(server, announce):
            yield settings


def _run_one(
    quarter: Quarter,
    as_of,
    config: Path | None,
    out: Path | None,
    by: str,
    snapshot: str | None = None,
    verbosity: str | None = None,
    area: str | None = None,
    areas: int = 0,
) -> RunManifest:
    """Run one quarter's flow (of ``areas`` areas on a Dask cluster, if more than none); inside
    ``_prefect_for_runs``."""
    # Inside: Prefect, pandas and WeasyPrint, 19,681 ms (loaded while the server starts)
    from vcc.flows.run.flow import run_quarter

    if not snapshot and part_quarter(quarter, check_dates(quarter, as_of)):
        # (a run from snapshots takes their as-of date: the flow checks that one)
        say(
            verbosity,
            f"vcc: {quarter} had not ended on the as-of date: its report covers part of the "
            "quarter and says so",
        )
    what = f", {areas} areas on a Dask cluster" if areas else ""
    say(verbosity, f"vcc: running {quarter}{' of ' + area if area else ''}{what}")
    started = time.perf_counter()
    manifest = run_quarter(
        quarter, as_of.date() if as_of else None, config, out, by, from_snapshot=snapshot,
        area=area,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    revised = manifest["revised_earlier_figures"]
    note = " (figures revised since the last run)" if revised else ""
    say(verbosity, f"vcc: {quarter} done in {seconds:.1f} s{note}")
    report = manifest["outputs"]["report"]
    echo(report if verbosity == QUIET else f"vcc: report: {report}")
    return manifest


@click.command()
@click.option("--quarter", "-q", type=QUARTER, required=True, help="Quarter to report, YYYYQn.")
@run_options
@click.option(
    "--from-snapshot",
    "snapshot",
    metavar="RUN_ID",
    help="Read the sources from an earlier run's checked snapshots, not the agencies "
    "(--as-of then defaults to that run's).",
)
@click.option(
    "--area",
    metavar="NAME",
    help="With [areas] configured: run this area alone, into OUT/NAME/ (without it every area "
    "runs on a Dask cluster and is compared in OUT/comparison/).",
)
@verbosity_options
def run(
    quarter: Quarter, as_of, config: Path | None, out: Path | None, snapshot, area, verbosity
) -> None:
    """Run one quarter now (a manual rerun replaces that quarter's outputs on success)."""
    check_dates(quarter, as_of)  # a quarter not begun, or a future date: before any server
    with _prefect_for_runs(config, out, verbosity, area) as settings:
        areas = 0 if area else len(settings.areas)
        _run_one(quarter, as_of, config, out, "manual", snapshot, verbosity, area, areas)


@click.command()
@click.option("--from", "first", type=QUARTER, required=True, help="First quarter, YYYYQn.")
@click.option("--to", "last", type=QUARTER, required=True, help="Last quarter, YYYYQn.")
@run_options
@verbosity_options
def backfill(
    first: Quarter, last: Quarter, as_of, config: Path | None, out: Path | None, verbosity
) -> None:
    """Run every quarter from --from to --to, oldest first."""
    try:
        quarters = quarter_range(first, last)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    check_dates(last, as_of)  # before any quarter is run
    with _prefect_for_runs(config, out, verbosity) as settings:  # one server for every quarter
        for number, quarter in enumerate(quarters, start=1):
            say(verbosity, f"vcc: backfill {number}/{len(quarters)}")
            _run_one(quarter, as_of, config, out, "backfill", verbosity=verbosity,
                     areas=len(settings.areas))  # fmt: skip


@click.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("out"),
    show_default=True,
    help="Output folder.",
)
@verbosity_options
def demo(out: Path, verbosity) -> None:
    """Make the synthetic demo sources in ./demo-data if absent and report the latest complete
    quarter, all under the working folder."""
    # Inside: the settings load pydantic (625 ms), which vcc --help never needs
    from vcc.flows.config import DEFAULT_CONFIG

    # (made again when it predates the victims' survey, demo-data/feedback)
    if not all((DEMO_DATA / name).exists() for name in ("police.sqlite", "feedback")):
        generate_sources(DEMO_DATA, None, None, 1.0, 1, echo=lambda line: say(verbosity, line))
    with _prefect_for_runs(DEFAULT_CONFIG, out, verbosity):
        _run_one(
            Quarter.last_complete(dt.date.today()), None, DEFAULT_CONFIG, out, "demo",
            verbosity=verbosity,
        )  # fmt: skip


@click.command()
@place_options
def serve(config: Path | None, out: Path | None) -> None:
    """Keep the quarterly schedule running (a Prefect deployment served from this process,
    with a second, unscheduled one for backfills started from Prefect)."""
    # Inside: Prefect and the flow, 13,115 ms, which vcc --help never needs
    from vcc.flows.run.serve import serve_quarterly

    serve_quarterly(config, out)
