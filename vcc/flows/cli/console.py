"""``--quiet`` and ``--verbose``: the options of the commands that run the flow (what each shows:
``flows.run.console``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from vcc.flows.run.console import QUIET, VERBOSE


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
