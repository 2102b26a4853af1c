"""How much a run prints (``--quiet``, ``--verbose``).

By default a run prints vcc's own progress, a line per stage (``flows.run.progress``), and hides
the INFO lines of Prefect and Great Expectations (about 60 a run) from the terminal; they still
reach the Prefect server's log of the run. ``--verbose`` shows them all, ``--quiet`` only errors
and the report's path.

A fault inside a flow reaches the terminal as vcc's one line alone (``flows.cli.app``): without
``--verbose`` Prefect's reports of a failed flow or task ("Encountered exception during
execution", "Finished in state Failed"...) and any log record carrying or quoting a traceback
(Great Expectations quotes one) are not printed. The traceback stays in the Prefect server's log
of the run and, for a fault in vcc, in the crash report the one line names.
"""

from __future__ import annotations

import logging
import os
import sys

import click

from vcc.flows.run.progress import is_progress

QUIET, NORMAL, VERBOSE = "quiet", "normal", "verbose"
# The command's verbosity, for the processes it starts (the workers of a local Dask cluster).
CONSOLE_ENV = "VCC_CONSOLE"


class _AtLeast(logging.Filter):
    def __init__(self, level: int) -> None:
        super().__init__("vcc-console")
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level


# How Prefect's engine begins its reports of a failed flow or task (its traceback may have been
# taken off already: flows.cli.run strips it from the project's own errors).
_ENGINE_FAILURE_REPORTS = (
    "Encountered exception during execution",
    "Task run failed with",
    "Finished in state",
)


# Prefect's background services (EventsWorker, APILogWorker) note, as a warning, that they are
# still sending their queue when the process ends; under load the note reached the terminal and
# broke a failed run's one line. It reports no problem: the items are sent before the exit.
_SERVICE_DRAIN_NOTE = "Still processing items:"


class _NoFailureReports(logging.Filter):
    """Drops the engine's reports of a failure (the command reports it itself, in one line) and
    Prefect's notes that its services are still draining at exit."""

    def __init__(self) -> None:
        super().__init__("vcc-console")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info or record.exc_text:
            return False
        if str(record.msg).startswith(_SERVICE_DRAIN_NOTE):
            return False
        if "Traceback (most recent call last)" in record.getMessage():
            return False  # Great Expectations quotes one in its message
        failed = record.levelno >= logging.ERROR and record.name.startswith("prefect")
        return not (failed and str(record.msg).startswith(_ENGINE_FAILURE_REPORTS))


class _ProgressEcho(logging.Handler):
    """Prints vcc's progress lines as the command's own ``vcc: ...`` lines."""

    def emit(self, record: logging.LogRecord) -> None:
        if is_progress(record) and record.levelno < logging.WARNING:
            echo(f"vcc: {record.getMessage()}")


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
    os.environ[CONSOLE_ENV] = verbosity
    for handler in _console_handlers():
        for earlier in [f for f in handler.filters if isinstance(f, _AtLeast | _NoFailureReports)]:
            handler.removeFilter(earlier)
        if verbosity != VERBOSE:
            handler.addFilter(_AtLeast(logging.ERROR if verbosity == QUIET else logging.WARNING))
            handler.addFilter(_NoFailureReports())
    root = logging.getLogger()
    for echo in [h for h in root.handlers if isinstance(h, _ProgressEcho)]:
        root.removeHandler(echo)
    if verbosity == NORMAL:
        root.addHandler(_ProgressEcho())


def echo(line: str) -> None:
    """A line of a run's standard output. A run is not stopped by its reader going away (``vcc
    run | head -1``): it goes on to publish, printing nothing more."""
    try:
        click.echo(line)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def say(verbosity: str | None, line: str) -> None:
    """One of the command's own lines, unless ``--quiet``."""
    if verbosity != QUIET:
        echo(line)
