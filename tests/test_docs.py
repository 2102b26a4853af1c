"""The README says what the code does: its set-up commands and its command reference are checked
against the Makefile, .ci/run and the CLI itself."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from vcc.flows.cli import main

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_two_set_up_commands() -> None:
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^demo: setup", makefile, re.M) and re.search(r"^test: setup", makefile, re.M)
    assert "make test" in (REPO / ".ci" / "run").read_text()


def _reference_row(command: str) -> str:
    reference = README.split("## Command reference", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in reference.splitlines() if line.startswith(f"| `vcc {command}")]
    assert len(rows) == 1, f"README's command reference has no single row for vcc {command}"
    return rows[0]


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_and_option_is_in_the_readme(command) -> None:
    row = _reference_row(command)
    for parameter in main.commands[command].params:
        if isinstance(parameter, click.Option) and not parameter.hidden:
            long_name = max(parameter.opts, key=len)
            if long_name != "--help":
                assert long_name in row, f"{long_name} of vcc {command} is not in the README"


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_explains_itself(command) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert main.commands[command].get_short_help_str() and "Usage: main" in result.output


@pytest.mark.parametrize("command", sorted(main.commands))
def test_a_commands_help_mentions_only_options_it_has(command) -> None:
    # backfill --help once named --from-snapshot, which only vcc run has
    result = CliRunner().invoke(main, [command, "--help"], terminal_width=200)
    options = {opt for parameter in main.commands[command].params for opt in parameter.opts}
    mentioned = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", result.output))
    assert mentioned <= options | {"--help"}, mentioned - options
