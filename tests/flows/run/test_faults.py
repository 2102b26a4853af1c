"""Faults of the machine around a run, tried for real: a read-only output folder (a read-only bind
mount), a full disk at the start and while staging outputs (a small tmpfs), a source folder vcc
may not read (its permission bits, with the capabilities that let root ignore them dropped), and
standard output closed by its reader. And a fault raised at the end of each stage (extract,
validate, figures, rendering), in-process.

After each fault: a non-zero exit, exactly one line on standard error and no traceback (Prefect's
failure reports included), the earlier ``out/<quarter>`` and the warehouse's record as they
were, and no staging folder left. The tests run ``vcc`` as a user does, against the session's
Prefect server; they must run as root, to mount.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import FLOW_AS_OF, FLOW_QUARTER
from vcc.flows.errors import SourceError
from vcc.flows.warehouse.store import Warehouse, default_url

pytestmark = pytest.mark.flow
QUARTER = FLOW_QUARTER
# Root ignores permission bits; without these two capabilities it obeys them like any user.
AS_A_USER = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]


def vcc(*args: str, stdout=subprocess.PIPE, prefix: tuple[str, ...] = ()):
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    env.pop("VCC_DEBUG", None)
    command = [*prefix, sys.executable, "-m", "vcc.flows.cli", *args]
    return subprocess.run(
        command, stdout=stdout, stderr=subprocess.PIPE, text=True, env=env, timeout=900
    )


def run_args(config: Path, out: Path) -> list[str]:
    return ["run", "-q", QUARTER, "--as-of", FLOW_AS_OF.isoformat(), "--config", str(config),
            "--out", str(out)]  # fmt: skip


def contents(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` and its SHA-256."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def record(out: Path) -> dict[str, list]:
    """The warehouse's record: every published figure, version and run that did not fail (a failed
    run is logged as failed, which is the record working, not changing)."""
    warehouse = Warehouse(default_url(out))
    kept = {name: warehouse.table(name) for name in ("metrics", "report_versions", "approvals")}
    kept["runs"] = [run for run in warehouse.list_runs() if run["status"] != "failed"]
    warehouse.engine.dispose()
    return kept


def assert_one_line(result: subprocess.CompletedProcess, starts: str) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith(f"vcc: error: {starts}"), line
    return line


def assert_untouched(out: Path, before: dict[str, str], earlier_record: dict) -> None:
    assert contents(out / QUARTER) == before
    assert not list(out.glob(".staging-*"))
    assert record(out) == earlier_record


@contextmanager
def mounted(*command: str, at: Path) -> Iterator[Path]:
    at.mkdir(exist_ok=True)
    subprocess.run(["mount", *command, str(at)], check=True)
    try:
        yield at
    finally:
        subprocess.run(["umount", str(at)], check=True)


def fill(folder: Path, leave: int) -> None:
    """Fill the file system of ``folder`` until ``leave`` bytes at most are free."""
    with (folder / "filler").open("wb", buffering=0) as filler:
        try:
            while (free := shutil.disk_usage(folder).free) > leave:
                filler.write(b"\0" * min(free - leave or 1, 1 << 20))
        except OSError:  # full
            pass


@pytest.fixture(scope="module")
def earlier(prefect_harness, demo_config: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder holding a published quarter, made by ``vcc run`` piped to ``head -1``:
    the reader leaves after the first line, the run goes on, prints nothing more and publishes."""
    out = tmp_path_factory.mktemp("earlier")
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    command = [sys.executable, "-m", "vcc.flows.cli", *run_args(demo_config, out)]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as running:
        assert running.stdout is not None and running.stderr is not None
        first = running.stdout.readline()
        running.stdout.close()  # as head -1 does
        errors = running.stderr.read()
        running.wait(timeout=900)
    assert first.startswith("vcc: ")
    assert running.returncode == 0, errors
    assert "Traceback" not in errors and "BrokenPipe" not in errors
    assert (out / QUARTER / f"vcc-{QUARTER}-report.pdf").exists()
    return out


def test_a_closed_standard_output_ends_vcc_history_quietly(earlier: Path) -> None:
    reading, writing = os.pipe()
    os.close(reading)  # the reader has gone before vcc writes a line
    try:
        result = vcc("history", "--out", str(earlier), stdout=writing)
    finally:
        os.close(writing)
    assert result.returncode == 141  # 128 + SIGPIPE, as a Unix tool killed by it
    assert result.stderr == ""


def test_a_read_only_output_folder_is_one_line_and_changes_nothing(
    earlier: Path, demo_config: Path, tmp_path: Path
) -> None:
    before, earlier_record = contents(earlier / QUARTER), record(earlier)
    with mounted("--bind", "-o", "ro", str(earlier), at=tmp_path / "read-only") as out:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(out)], check=True)
        result = vcc(*run_args(demo_config, out))
        line = assert_one_line(result, f"{out}")
        assert line == f"vcc: error: {out}/vcc-warehouse.sqlite: read-only file system"
        # --verbose keeps Prefect's report of the failure, traceback and all
        verbose = vcc(*run_args(demo_config, out), "--verbose")
        assert verbose.returncode == 1 and "Traceback (most recent call last)" in verbose.stderr
        assert verbose.stderr.splitlines()[-1] == line
    assert_untouched(earlier, before, earlier_record)


def copy_earlier(earlier: Path, out: Path) -> None:
    shutil.copytree(earlier / QUARTER, out / QUARTER)
    shutil.copy2(earlier / "vcc-warehouse.sqlite", out / "vcc-warehouse.sqlite")


def test_a_full_disk_at_the_start_is_one_line_and_changes_nothing(
    earlier: Path, demo_config: Path, tmp_path: Path
) -> None:
    with mounted("-t", "tmpfs", "-o", "size=16m", "tmpfs", at=tmp_path / "disk") as out:
        copy_earlier(earlier, out)
        before, earlier_record = contents(out / QUARTER), record(out)
        fill(out, leave=0)

        result = vcc(*run_args(demo_config, out))

        assert_one_line(result, "the warehouse: no space left on the disk")
        (out / "filler").unlink()
        assert_untouched(out, before, earlier_record)


def test_a_disk_filling_while_outputs_are_staged_is_one_line_and_changes_nothing(
    earlier: Path, demo_config: Path, tmp_path: Path
) -> None:
    # The fault is raised inside the write-outputs task: Prefect's report of a failed task and
    # flow, tracebacks and all, stays off the terminal.
    with mounted("-t", "tmpfs", "-o", "size=16m", "tmpfs", at=tmp_path / "disk") as out:
        copy_earlier(earlier, out)
        before, earlier_record = contents(out / QUARTER), record(out)
        fill(out, leave=2 << 20)  # room for the warehouse's writes, not for the outputs

        result = vcc(*run_args(demo_config, out))

        assert_one_line(result, "")
        assert result.stderr.strip().endswith("no space left on the disk")
        (out / "filler").unlink()
        assert_untouched(out, before, earlier_record)
        warehouse = Warehouse(default_url(out))
        (failed,) = [run for run in warehouse.list_runs() if run["status"] == "failed"]
        warehouse.engine.dispose()
        assert failed["error"] == "no space left on the disk"


def test_an_unreadable_source_folder_is_one_line_and_changes_nothing(
    earlier: Path, demo_config: Path, tmp_path: Path
) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(demo_config.parent, sources)
    cps = sources / "demo-data" / "cps"
    cps.chmod(0)
    out = tmp_path / "out"
    copy_earlier(earlier, out)
    before, earlier_record = contents(out / QUARTER), record(out)

    checked = vcc("validate", "-q", QUARTER, "--as-of", FLOW_AS_OF.isoformat(),
                  "--config", str(sources / demo_config.name), prefix=tuple(AS_A_USER))  # fmt: skip
    run = vcc(*run_args(sources / demo_config.name, out), prefix=tuple(AS_A_USER))

    expected = f"vcc: error: source cps: folder {cps} cannot be read: Permission denied"
    assert checked.returncode == 1 and checked.stderr.splitlines() == [expected]
    assert_one_line(run, "source cps")
    assert run.stderr.splitlines() == [expected]
    assert_untouched(out, before, earlier_record)


def _fails_after(module: str, name: str, fault: BaseException):
    """``module.name`` doing its work, then raising ``fault``: a failure at the stage's end."""
    import importlib

    real = getattr(importlib.import_module(module), name)

    def then_fail(*args, **kwargs):
        real(*args, **kwargs)
        raise fault

    return then_fail


@pytest.mark.parametrize(
    ("module", "name", "fault", "line"),
    [
        ("vcc.flows.run.flow", "extract_source", OSError(errno.EIO, "I/O", "/mnt/police.db"),
         "vcc: error: /mnt/police.db: input/output error"),
        ("vcc.flows.run.flow", "validate_extract", SourceError("source cps: gone"),
         "vcc: error: source cps: gone"),
        ("vcc.flows.run.flow", "quarter_figures", ValueError("V000123"),
         "vcc: error: unexpected ValueError (a fault in vcc"),
        ("vcc.flows.run.outputs", "report_html", OSError(errno.ENOSPC, "full"),
         "vcc: error: no space left on the disk"),
    ],
    ids=["extract", "validate", "figures", "rendering"],
)  # fmt: skip
def test_a_fault_at_the_end_of_each_stage_is_one_line_and_changes_nothing(
    earlier: Path,
    demo_config: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    module,
    name,
    fault,
    line,
) -> None:
    from click.testing import CliRunner

    from vcc.flows.cli import main

    out = tmp_path / "out"
    copy_earlier(earlier, out)
    before, earlier_record = contents(out / QUARTER), record(out)
    monkeypatch.setattr(f"{module}.{name}", _fails_after(module, name, fault))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where a crash report goes
    monkeypatch.delenv("VCC_DEBUG", raising=False)

    result = CliRunner().invoke(main, run_args(demo_config, out))

    assert result.exit_code == 1
    (said,) = result.stderr.splitlines()
    assert said.startswith(line) and "V000123" not in said
    assert_untouched(out, before, earlier_record)
    warehouse = Warehouse(default_url(out))
    assert [run["status"] for run in warehouse.list_runs()][-1] == "failed"
    warehouse.engine.dispose()
