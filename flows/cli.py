"""The ``vcc`` command (CONTRACT.md §5). Every failure a user can cause ends in one line and a
non-zero exit status, never a traceback."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

import click

from flows.config import MAX_SAMPLE_SIZE
from flows.errors import RunDatesError, VccError
from transforms.quarters import Quarter, part_quarter, quarter_range, unreportable

# The temporary Prefect server would try to send telemetry out of a closed network.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

DEMO_DATA = Path(__file__).resolve().parent.parent / "demo-data"


class QuarterType(click.ParamType):
    name = "QUARTER"

    def convert(self, value, param, ctx):  # noqa: ANN001 - click's signature
        if isinstance(value, Quarter):
            return value
        try:
            return Quarter.parse(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


QUARTER = QuarterType()
DATE = click.DateTime(formats=["%Y-%m-%d"])


def _fail(message: str) -> None:
    click.echo(f"vcc: error: {message}", err=True)
    sys.exit(1)


class VccGroup(click.Group):
    """Turns the project's errors into one line on standard error."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except VccError as error:
            _fail(str(error))
        except KeyboardInterrupt:
            _fail("interrupted; the previous outputs were left as they were")
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise  # --help, --version and command-line errors: click reports them
        except Exception as error:  # noqa: BLE001 - a bug: one line here, the traceback to a file
            if os.environ.get("VCC_DEBUG"):
                raise
            _fail(
                f"unexpected {type(error).__name__} (a fault in vcc, not in your data or "
                f"configuration); the details are in {_crash_report(error)}: send it to the vcc "
                "maintainers, then delete it (it may quote case data)"
            )


def _crash_report(error: Exception) -> Path:
    """The traceback of an unexpected error, written where only this user can read it. It is not
    printed: a traceback can quote the values (case data) it failed on."""
    from flows.version import code_version

    descriptor, name = tempfile.mkstemp(  # a new file, readable by this user alone
        prefix=f"vcc-crash-{dt.datetime.now():%Y%m%dT%H%M%S}-", suffix=".log"
    )
    with os.fdopen(descriptor, "w", encoding="utf-8") as log:
        log.write(f"command line: {' '.join(sys.argv)}\nvcc {code_version()}\n\n")
        log.write("".join(traceback.format_exception(error)))
    return Path(name)


@click.group(cls=VccGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vcc")
def main() -> None:
    """vcc: the Victims' Code compliance pipeline.

    Extracts police, CPS and probation case data, validates it, computes every Victims' Code
    compliance measure and renders the quarterly report for the criminal justice partnership.
    Configuration: --config FILE, else ./vcc.toml, else the shipped defaults (the demo sources).
    """


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


def _check_dates(quarter: Quarter, as_of) -> dt.date:
    """The as-of date asked for (else today); refuses a quarter not begun by it, or a date after
    today, before any source is read or Prefect server started."""
    today = dt.date.today()
    day = as_of.date() if as_of else today
    if problem := unreportable(quarter, day, today):
        raise RunDatesError(problem)
    return day


def _run_one(
    quarter: Quarter,
    as_of,
    config: Path | None,
    out: Path | None,
    by: str,
    snapshot: str | None = None,
) -> dict:
    from flows.config import load_config
    from flows.pipeline import run_quarter  # Prefect is slow to import; --help stays fast

    load_config(config)  # a bad configuration fails here, before a Prefect server starts
    if not snapshot and part_quarter(quarter, _check_dates(quarter, as_of)):
        # (a run from snapshots takes their as-of date: the flow checks that one)
        click.echo(
            f"vcc: {quarter} had not ended on the as-of date: its report covers part of the "
            "quarter and says so"
        )
    _quiet_prefect_tracebacks()
    click.echo(f"vcc: running {quarter} (this starts a local Prefect server if none is set)")
    started = time.perf_counter()
    manifest = run_quarter(
        str(quarter), as_of.date() if as_of else None, config, out, by, from_snapshot=snapshot
    )
    seconds = time.perf_counter() - started
    revised = manifest["revised_earlier_figures"]
    note = " (figures revised since the last run)" if revised else ""
    click.echo(f"vcc: {quarter} done in {seconds:.1f} s{note}")
    click.echo(f"vcc: report: {manifest['outputs']['report']}")
    return manifest


def run_options(command):
    """The options every command that runs the flow shares."""
    options = [
        click.option("--as-of", type=DATE, metavar="YYYY-MM-DD",
                     help="Data complete up to the end of this day, not after today [today; "
                     "with --from-snapshot, that run's]."),
        click.option("--config", "config", type=click.Path(path_type=Path, dir_okay=False),
                     help="Configuration TOML [./vcc.toml, else the shipped defaults]."),
        click.option("--out", type=click.Path(path_type=Path, file_okay=False),
                     help="Output folder; a run writes <out>/<quarter>/ [out]."),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


@main.command()
@click.option("--quarter", "-q", type=QUARTER, required=True, help="Quarter to report, YYYYQn.")
@run_options
@click.option(
    "--from-snapshot",
    "snapshot",
    metavar="RUN_ID",
    help="Read the sources from an earlier run's checked snapshots, not the agencies.",
)
def run(quarter: Quarter, as_of, config: Path | None, out: Path | None, snapshot) -> None:
    """Run one quarter now (a manual rerun replaces that quarter's outputs on success)."""
    _run_one(quarter, as_of, config, out, "manual", snapshot)


@main.command()
@click.option("--from", "first", type=QUARTER, required=True, help="First quarter, YYYYQn.")
@click.option("--to", "last", type=QUARTER, required=True, help="Last quarter, YYYYQn.")
@run_options
def backfill(first: Quarter, last: Quarter, as_of, config: Path | None, out: Path | None) -> None:
    """Run every quarter from --from to --to, oldest first."""
    try:
        quarters = quarter_range(first, last)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    _check_dates(last, as_of)  # before any quarter is run
    for number, quarter in enumerate(quarters, start=1):
        click.echo(f"vcc: backfill {number}/{len(quarters)}")
        _run_one(quarter, as_of, config, out, "backfill")


def _warehouse(config: Path | None, out: Path | None):
    """The configured warehouse and output folder, for the commands that read them."""
    from flows.config import load_config
    from flows.warehouse import open_warehouse

    settings = load_config(config)
    output_root = out or settings.output_dir
    return settings, open_warehouse(settings, output_root), output_root


def place_options(command):
    """--config and --out, for commands that read what runs wrote."""
    options = [
        click.option("--config", "config", type=click.Path(path_type=Path, dir_okay=False),
                     help="Configuration TOML [./vcc.toml, else the shipped defaults]."),
        click.option("--out", type=click.Path(path_type=Path, file_okay=False),
                     help="Output folder the runs wrote to [out]."),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


@main.command()
@click.option("--quarter", "-q", type=QUARTER, required=True, help="Quarter, YYYYQn.")
@click.option("--by", "by", required=True, help="Who signs the report off (name and role).")
@click.option("--note", help="A note kept with the approval.")
@place_options
def approve(quarter: Quarter, by: str, note: str | None, config, out) -> None:
    """Record sign-off of the quarter's current report (the exact PDF now published)."""
    from flows.circulation import approve as record_approval

    _, warehouse, output_root = _warehouse(config, out)
    approval, new = record_approval(warehouse, output_root, str(quarter), by.strip(), note)
    what = f"{quarter} version {approval['version']} (run {approval['run_id']})"
    if new:
        click.echo(f"vcc: approved {what} by {approval['approved_by']}")
    else:
        click.echo(
            f"vcc: {what} was already approved by {approval['approved_by']} on "
            f"{approval['approved_at']:%d %B %Y %H:%M}; nothing changed"
        )


@main.command()
@click.option("--quarter", "-q", type=QUARTER, required=True, help="Quarter, YYYYQn.")
@click.option("--by", "by", help="Who is sending it [the logged-in user].")
@click.option("--resend", is_flag=True, help="Send again to recipients who already have it.")
@place_options
def circulate(quarter: Quarter, by: str | None, resend: bool, config, out) -> None:
    """Email the approved report to the distribution list ([mail] in the configuration)."""
    import getpass

    from flows.circulation import circulate as send_report

    settings, warehouse, output_root = _warehouse(config, out)
    result = send_report(
        warehouse, settings, output_root, str(quarter), by or getpass.getuser(), resend,
        progress=lambda line: click.echo(f"vcc: {line}"),
    )  # fmt: skip
    version = f"{quarter} version {result.report.version}"
    click.echo(f"vcc: sent {version} to {len(result.sent)} recipient(s)")
    if result.already:
        click.echo(f"vcc: {len(result.already)} recipient(s) already had it and were skipped")


@main.command()
@click.option("--quarter", "-q", type=QUARTER, help="Only this quarter [every quarter].")
@place_options
def history(quarter: Quarter | None, config, out) -> None:
    """List runs and report versions, with their approvals and circulation."""
    from flows.history import history_text

    _, warehouse, _ = _warehouse(config, out)
    click.echo(history_text(warehouse, str(quarter) if quarter else None), nl=False)


@main.command()
@click.argument("run_id")
@place_options
def show(run_id: str, config, out) -> None:
    """Show one run's record and manifest (RUN_ID as `vcc history` lists it)."""
    from flows.history import show_text

    _, warehouse, _ = _warehouse(config, out)
    click.echo(show_text(warehouse, run_id), nl=False)


@main.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEMO_DATA,
    show_default=True,
    help="Folder to write the sources into.",
)
@click.option(
    "--from",
    "first",
    type=QUARTER,
    help="First quarter [7 before the last complete quarter: 8 quarters].",
)
@click.option(
    "--to",
    "last",
    type=QUARTER,
    help="Last quarter [the quarter in progress, up to today, as an agency's system holds it].",
)
@click.option(
    "--scale",
    type=click.FloatRange(min=0.01),
    default=1.0,
    show_default=True,
    help="Volume multiplier; 1 is Cumbria (about 9,000 crimes a quarter).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
def generate(
    out: Path, first: Quarter | None, last: Quarter | None, scale: float, seed: int
) -> None:
    """Write synthetic police (SQLite), CPS and probation (file drop) sources."""
    written = _generate(out, first, last, scale, seed)
    click.echo(f"vcc: wrote {len(written)} files to {out}")


def _generate(out: Path, first: Quarter | None, last: Quarter | None, scale: float, seed: int):
    from flows.synthetic import generate_sources, write_demo_sources

    today = dt.date.today()
    # the records of the quarter in progress too, as a live system holds them on the as-of day:
    # a source whose newest record is the last quarter's end would look weeks late
    first = first or (last or Quarter.last_complete(today)).shift(-7)
    last = last or Quarter.last_complete(today).next()
    if last < first:
        raise click.BadParameter(f"--to {last} is before --from {first}")
    click.echo(f"vcc: generating {first} to {last} up to {today} at scale {scale:g} (seed {seed})")
    sources = generate_sources(str(first), str(last), scale=scale, seed=seed, until=today)
    for source, tables in sources.items():
        rows = sum(len(frame) for frame in tables.values())
        click.echo(f"vcc:   {source}: {len(tables)} tables, {rows:,} rows")
    return write_demo_sources(sources, out, load_config_defaults())


def load_config_defaults():
    from flows.config import DEFAULT_CONFIG, load_config

    return load_config(DEFAULT_CONFIG)


@main.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("out"),
    show_default=True,
    help="Output folder.",
)
def demo(out: Path) -> None:
    """Make the synthetic demo sources if absent and report the latest complete quarter."""
    from flows.config import DEFAULT_CONFIG

    if not (DEMO_DATA / "police.sqlite").exists():
        _generate(DEMO_DATA, None, None, 1.0, 1)
    _run_one(Quarter.last_complete(dt.date.today()), None, DEFAULT_CONFIG, out, "demo")


@main.command()
@click.option("--code", "version", metavar="VERSION", help="A Victims' Code version, e.g. 2021-04.")
@click.option(
    "--config",
    "config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Configuration TOML [./vcc.toml, else the shipped defaults].",
)
def measures(version: str | None, config: Path | None) -> None:
    """Print the measure catalogue: each measure's id, right, agency, deadlines and description
    (default: the Code pinned in the configuration, else the one in force today)."""
    from flows.config import load_config
    from transforms.catalogue_text import catalogue_text

    settings = load_config(config)
    if version is not None:
        settings = settings.model_copy(
            update={"code": settings.code.model_copy(update={"version": version})}
        )
    click.echo(catalogue_text(settings.catalogue(dt.date.today())), nl=False)


@main.command()
@click.option("--quarter", "-q", type=QUARTER, required=True, help="Quarter the data is for.")
@click.option(
    "--as-of",
    type=DATE,
    metavar="YYYY-MM-DD",
    help="Data complete up to the end of this day, not after today [today].",
)
@click.option(
    "--config",
    "config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Configuration TOML [./vcc.toml, else the shipped defaults].",
)
def validate(quarter: Quarter, as_of, config: Path | None) -> None:
    """Extract and validate the sources only, and summarise what was found (writes nothing).

    Exit status 0 when the data is usable, 1 when a source cannot be read or a critical
    expectation fails. No Prefect server is started unless a source's URL is in a Secret block.
    """
    from flows.config import load_config
    from flows.source_check import check_sources, summary_lines

    settings = load_config(config)
    day = _check_dates(quarter, as_of)
    click.echo(f"vcc: validating the sources for {quarter} (nothing is written)")
    check = check_sources(settings, quarter, day, progress=lambda line: click.echo(f"vcc: {line}"))
    for line in summary_lines(check):
        click.echo(line)


@main.command()
@place_options
def serve(config: Path | None, out: Path | None) -> None:
    """Keep the quarterly schedule running (a Prefect deployment served from this process,
    with a second, unscheduled one for backfills started from Prefect)."""
    from flows.schedule import serve_quarterly

    serve_quarterly(config, out)


@main.command()
@click.option("--quarter", "-q", type=QUARTER, required=True, help="Quarter to sample, YYYYQn.")
@click.option(
    "--size",
    type=click.IntRange(min=1, max=MAX_SAMPLE_SIZE),
    help=f"Cases to sample, at most {MAX_SAMPLE_SIZE} [[qaf] sample_size: 40].",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    help="Random seed; the same quarter, data and seed give the same sample [a new one, printed].",
)
@place_options
def sample(quarter: Quarter, size: int | None, seed: int | None, config, out) -> None:
    """Draw the Quality Assessment Framework's dip sample of a run quarter: case review pack and
    review form."""
    from flows.review import draw_quarter_sample

    settings, warehouse, output_root = _warehouse(config, out)
    click.echo(f"vcc: sampling {quarter} from its published run in {output_root}")
    drawn = draw_quarter_sample(
        settings,
        output_root,
        quarter,
        size,
        seed,
        warehouse,
        progress=lambda line: click.echo(f"vcc: {line}"),
    )
    chosen = drawn.sample
    again = " (drawn before with the same run, seed and size)" if drawn.reused else ""
    click.echo(
        f"vcc: sample {chosen.sample_id}{again}: {chosen.size} of {chosen.frame_size:,} victims, "
        f"seed {chosen.seed}, run {chosen.run_id}"
    )
    for row in drawn.design.itertuples(index=False):
        weight = f"weight {row.weight:.2f}" if row.sample else "none sampled"
        click.echo(f"vcc:   {row.label}: {row.sample} of {row.frame} ({weight})")
    click.echo(f"vcc: case review pack ({settings.qaf.pack_marking}): {drawn.pack}")
    click.echo(f"vcc: review form: {drawn.form}")


@main.group(cls=VccGroup)
def review() -> None:
    """Quality Assessment Framework case reviews: import a completed review form."""


@review.command(name="import")
@click.argument("form", type=click.Path(path_type=Path, dir_okay=False))
@place_options
def import_form(form: Path, config, out) -> None:
    """Check a completed review form and store its ratings (the latest import counts)."""
    from flows.review import import_review_form
    from flows.review_form import FormProblems

    settings, warehouse, output_root = _warehouse(config, out)
    try:
        imported = import_review_form(settings, output_root, form, warehouse)
    except FormProblems as problems:
        for line in problems.problems:
            click.echo(f"vcc: {form.name}: {line}", err=True)
        raise
    replaced = f", replacing import {imported.replaces}" if imported.replaces else ""
    click.echo(
        f"vcc: imported {imported.rows} rows ({imported.cases} cases) into sample "
        f"{imported.sample_id} as import {imported.import_id}{replaced}"
    )


if __name__ == "__main__":
    main()
