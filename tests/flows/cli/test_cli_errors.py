"""What a user sees when vcc itself fails: one line, and the traceback in a private file."""

from __future__ import annotations

import re
import stat
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import vcc.flows.operations.history
from vcc.flows.cli import main


def test_a_fault_in_vcc_is_one_line_with_its_traceback_in_a_private_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args, **kwargs):
        raise ValueError("victim V000123 could not be formatted")

    monkeypatch.setattr(vcc.flows.operations.history, "history_text", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.delenv("VCC_DEBUG", raising=False)
    (tmp_path / "tmp").mkdir()
    result = CliRunner().invoke(main, ["history", "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    match = re.fullmatch(
        r"vcc: error: unexpected ValueError \(a fault in vcc, not in your data or configuration\); "
        r"the details are in (\S+): send it to the vcc maintainers, then delete it \(it may quote "
        r"case data\)",
        line,
    )
    assert match, line
    assert "V000123" not in result.output  # the error's text may hold case data: not printed
    report = Path(match[1])
    assert report.parent == tmp_path / "tmp"
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    written = report.read_text()
    assert written.startswith("command line: ") and "\nvcc 0." in written
    assert "Traceback (most recent call last)" in written
    assert written.endswith("ValueError: victim V000123 could not be formatted\n")


def test_vcc_debug_lets_the_traceback_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args, **kwargs):
        raise ValueError("a fault")

    monkeypatch.setattr(vcc.flows.operations.history, "history_text", broken)
    monkeypatch.setenv("VCC_DEBUG", "1")
    result = CliRunner().invoke(main, ["history", "--out", str(tmp_path)])
    assert result.exit_code == 1 and isinstance(result.exception, ValueError)
