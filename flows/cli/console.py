"""How much a run prints (``--quiet``, ``--verbose``).

By default a run prints vcc's own progress, a line per stage (``flows.run.progress``), and hides
the INFO lines of Prefect and Great Expectations (about 60 a run) from the terminal; they still
reach the Prefect server's log of the run. ``--verbose`` shows them all, ``--quiet`` only errors
and the report's path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import click

QUIET, NORMAL, VERBOSE = "quiet", "normal", "verbose"


def verbosity_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--quiet`` and ``--verbose``, passed to the command as ``verbosity``."""
    command = click.option(
        "--verbose", "verbosity", flag_value=VERBOSE,
        help="Also show Prefect's and Great Expectations' own log lines.",
    )(command)  # fmt: skip
    command = click.option(
        "--quiet", "verbosity", flag_value=QUIET,
        help="Print only errors and the report's path.",
    )(command)  # fmt: skip
    return command


class _AtLeast(logging.Filter):
    def __init__(self, level: int) -> None:
        super().__init__("vcc-console")
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level


class _ProgressEcho(logging.Handler):
    """Prints vcc's progress lines as the command's own ``vcc: ...`` lines."""

    def emit(self, record: logging.LogRecord) -> None:
        from vcc.flows.run.progress import is_progress

        if is_progress(record) and record.levelno < logging.WARNING:
            click.echo(f"vcc: {record.getMessage()}")


def _console_handlers() -> list[logging.Handler]:
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    return [
        handler
        for logger in loggers
        for handler in logger.handlers
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, _ProgressEcho)
    ]


def set_console(verbosity: str | None) -> None:
    """Make the terminal show what ``verbosity`` asks for; call once Prefect has set up logging
    (importing it does). Calling it again (a backfill's next quarter) changes nothing more."""
    verbosity = verbosity or NORMAL
    for handler in _console_handlers():
        for earlier in [f for f in handler.filters if isinstance(f, _AtLeast)]:
            handler.removeFilter(earlier)
        if verbosity != VERBOSE:
            handler.addFilter(_AtLeast(logging.ERROR if verbosity == QUIET else logging.WARNING))
    root = logging.getLogger()
    for echo in [h for h in root.handlers if isinstance(h, _ProgressEcho)]:
        root.removeHandler(echo)
    if verbosity == NORMAL:
        root.addHandler(_ProgressEcho())


def say(verbosity: str | None, line: str) -> None:
    """One of the command's own lines, unless ``--quiet``."""
    if verbosity != QUIET:
        click.echo(line)
