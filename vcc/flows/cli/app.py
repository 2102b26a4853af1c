"""The ``vcc`` group itself (CONTRACT.md §5): every failure a user can cause ends in one line and a
non-zero exit status, never a traceback; and what the commands share: the quarter and date
option types, the option sets, the as-of check and the warehouse they read.

Importing this (and so ``vcc --help``) loads no pandas, Prefect or Great Expectations: each
command imports what it needs when it runs.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from vcc.flows.errors import ConfigError, RunDatesError, VccError, machine_fault
from vcc.flows.version import code_version
from vcc.transforms.quarters import Quarter, unreportable

if TYPE_CHECKING:
    from vcc.flows.config import Config
    from vcc.flows.warehouse.store import Warehouse

# The temporary Prefect server would try to send telemetry out of a closed network.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Its first start on a machine creates Prefect's database, which on a busy machine takes longer than
# Prefect's 20 s: a fresh install's first `vcc demo` would fail before reading anything.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")


class QuarterType(click.ParamType):
    name = "QUARTER"

    def convert(self, value, param, ctx):
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
        except BrokenPipeError:
            _reader_gone()
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise  # --help, --version and command-line errors: click reports them
        except Exception as error:
            if os.environ.get("VCC_DEBUG"):
                raise
            if fault := machine_fault(error):
                _fail(fault)
            _fail(
                f"unexpected {type(error).__name__} (a fault in vcc, not in your data or "
                f"configuration); the details are in {_crash_report(error)}: send it to the vcc "
                "maintainers, then delete it (it may quote case data)"
            )


def _reader_gone() -> None:
    """Standard output was closed by its reader (``vcc history | head -1``): stop quietly as Unix
    tools do, with no message and 141 (128 + SIGPIPE), and never write to it again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(141)


def _crash_report(error: Exception) -> Path:
    """The traceback of an unexpected error, written where only this user can read it. It is not
    printed: a traceback can quote the values (case data) it failed on."""
    descriptor, name = tempfile.mkstemp(  # a new file, readable by this user alone
        prefix=f"vcc-crash-{dt.datetime.now():%Y%m%dT%H%M%S}-", suffix=".log"
    )
    with os.fdopen(descriptor, "w", encoding="utf-8") as log:
        log.write(f"command line: {' '.join(sys.argv)}\nvcc {code_version()}\n\n")
        log.write("".join(traceback.format_exception(error)))
    return Path(name)


def _print_version(ctx: click.Context, _: click.Parameter, asked: bool) -> None:
    if asked and not ctx.resilient_parsing:
        click.echo(f"vcc {code_version()}")
        ctx.exit()


@click.group(cls=VccGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version (and, run from a git checkout, the commit) and exit.",
)
def main() -> None:
    """vcc: the Victims' Code compliance pipeline.

    Extracts police, CPS and probation case data, validates it, computes every Victims' Code
    compliance measure and renders the quarterly report for the criminal justice partnership.
    Configuration: --config FILE, else ./vcc.toml, else the shipped defaults, whose demo sources
    are read from ./demo-data (relative paths in a configuration file are read against its
    folder, in the shipped defaults against the working folder). Outputs: --out, else
    output_dir, else ./out.
    """


def check_dates(quarter: Quarter, as_of) -> dt.date:
    """The as-of date asked for (else today); refuses a quarter not begun by it, or a date after
    today, before any source is read or Prefect server started."""
    today = dt.date.today()
    day = as_of.date() if as_of else today
    if problem := unreportable(quarter, day, today):
        raise RunDatesError(problem)
    return day


def open_place(
    config: Path | None, out: Path | None, area: str | None = None, one_area: bool = False
) -> tuple[Config, Warehouse, Path]:
    """The configured warehouse and output folder, for the commands that read them: those of
    ``area`` (``<out>/<area>/``) on a configuration of many areas. A command about one area's
    report (``one_area``) refuses to guess which; without ``area`` the others read ``<out>``'s
    own warehouse, where runs of every area and their comparisons are recorded."""
    # Inside: pydantic and SQLAlchemy, 625 and 1,598 ms, which vcc --help never needs
    from vcc.flows.config import load_config
    from vcc.flows.warehouse.store import open_warehouse

    settings = load_config(config)
    output_root = out or settings.output_dir
    if area is not None:
        settings, output_root = settings.for_area(area), output_root / area
    elif one_area and settings.areas:
        names = ", ".join(settings.areas)
        raise ConfigError(
            f"this configuration has {len(settings.areas)} areas ({names}): name one with --area"
        )
    return settings, open_warehouse(settings, output_root, _waiting), output_root


def _waiting(line: str) -> None:
    """Told once when a command waits for another operation on its quarter (the quarter lock)."""
    click.echo(f"vcc: {line}", err=True)


def _options(*options: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """One decorator applying ``options`` in the order given (as the help lists them)."""

    def decorate(command: Any) -> Any:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


CONFIG_OPTION = click.option(
    "--config", "config", type=click.Path(path_type=Path, dir_okay=False),
    help="Configuration TOML [./vcc.toml, else the shipped defaults].",
)  # fmt: skip
AS_OF_HELP = "Data complete up to the end of this day, not after today [today"
# The options every command that runs the flow shares.
run_options = _options(
    click.option("--as-of", type=DATE, metavar="YYYY-MM-DD",
                 help=f"{AS_OF_HELP}]."),
    CONFIG_OPTION,
    click.option("--out", type=click.Path(path_type=Path, file_okay=False),
                 help="Output folder; a run writes <out>/<quarter>/ [out]."),
)  # fmt: skip
# --config and --out, for commands that read what runs wrote.
place_options = _options(
    CONFIG_OPTION,
    click.option("--out", type=click.Path(path_type=Path, file_okay=False),
                 help="Output folder the runs wrote to [out]."),
)  # fmt: skip
# With [areas] configured: which area's report and warehouse (<out>/<name>/) a command reads.
AREA_OPTION = click.option(
    "--area", metavar="NAME",
    help="With [areas] configured: the area whose report and records to use (<out>/NAME/).",
)  # fmt: skip
