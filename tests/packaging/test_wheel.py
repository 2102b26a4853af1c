"""vcc as a package: the wheel carries everything vcc reads at run time inside the one ``vcc``
package, and, installed in a fresh environment outside the repository, runs ``vcc demo`` from an
empty folder to a PDF, writing under that folder and nowhere beside its installed code.

The installing test runs the demo for real (a minute or two: it starts Prefect's temporary
server) and is part of ``make test``. It fails, never skips, when the wheel cannot be built or
installed: ``make setup`` provides the pinned uv it builds with.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner

from vcc.flows.cli import main
from vcc.transforms.quarters import Quarter

REPO = Path(__file__).resolve().parents[2]
UV = REPO / ".tools" / "bin" / "uv"  # the uv `make setup` pins
SHIPPED_FOLDERS = ("flows", "transforms", "reports", "config", "expectations")

pytestmark = pytest.mark.packaging


def _run(command: list[str | Path], **options) -> subprocess.CompletedProcess[str]:
    """Run a command; a failure fails the test with the command's own output."""
    result = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, **options
    )
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, command))} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"
        )
    return result


def _uv(*arguments: str | Path, **options) -> subprocess.CompletedProcess[str]:
    if not UV.exists():
        pytest.fail(f"{UV} does not exist: run `make setup` first")
    # never download a Python; reuse the uv cache (~/.cache/uv) so installing is fast offline
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    return _run([UV, *arguments], env=env, **options)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    _uv("build", "--wheel", "--out-dir", dist, REPO)
    (built,) = dist.glob("vcc-*.whl")
    return built


def test_the_wheel_installs_one_vcc_package_holding_every_shipped_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    # no top-level flows, transforms or reports to collide with another project's
    assert {name.split("/")[0] for name in names} == {"vcc", f"vcc-{version('vcc')}.dist-info"}
    in_checkout = {
        path.relative_to(REPO).as_posix()
        for folder in SHIPPED_FOLDERS
        for path in (REPO / "vcc" / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert in_checkout - names == set()  # templates, styles, suites, migrations, defaults...
    for read_at_run_time in (
        "vcc/config/default.toml",
        "vcc/expectations/police.crimes.json",
        "vcc/reports/templates/report.html.j2",
        "vcc/reports/static/report.css",
        "vcc/flows/warehouse/migrations/env.py",
        "vcc/flows/warehouse/migrations/script.py.mako",
    ):
        assert read_at_run_time in names
    entry_points = zipfile.ZipFile(wheel).read(f"vcc-{version('vcc')}.dist-info/entry_points.txt")
    assert b"vcc = vcc.flows.cli:main" in entry_points


def test_the_version_in_a_checkout_is_the_metadatas_and_the_commit() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    if (REPO / ".git").exists():
        assert result.output.startswith(f"vcc {version('vcc')}+")
    else:
        assert result.output == f"vcc {version('vcc')}\n"


def _files_under(folder: Path) -> set[Path]:
    """Every file, except the bytecode Python caches as it imports."""
    return {
        path.relative_to(folder)
        for path in folder.rglob("*")
        if "__pycache__" not in path.parts and not path.is_dir()
    }


def test_the_installed_wheel_runs_the_demo_from_an_empty_folder(
    wheel: Path, tmp_path: Path
) -> None:
    # The environment sits in a git repository of its own: vcc must not report that one's commit.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _run(["git", "init", "-q", elsewhere])
    _run(["git", "-C", elsewhere, "-c", "user.name=t", "-c", "user.email=t@example.org",
          "commit", "-q", "--allow-empty", "-m", "not vcc"])  # fmt: skip
    venv = elsewhere / "venv"
    _uv("venv", "--quiet", "--python", sys.executable, venv)
    constraints = tmp_path / "constraints.txt"  # the locked versions, as `make setup` installs
    _uv("export", "--frozen", "--no-hashes", "--no-dev", "--no-emit-project", "--quiet",
        "--output-file", constraints, cwd=REPO)  # fmt: skip
    python = venv / "bin" / "python"
    _uv("pip", "install", "--quiet", "--python", python, "--constraint", constraints, wheel)

    work = tmp_path / "work"
    work.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PREFECT_", "VCC_")) and key not in ("PYTHONPATH", "VIRTUAL_ENV")
    }  # not the test session's settings: a user's shell
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")  # its own temporary server's database
    where = "import vcc, vcc.flows.version as v; print(vcc.__file__, v.CHECKOUT)"
    located = _run([python, "-c", where], cwd=work, env=env).stdout.split()
    assert Path(located[0]).is_relative_to(venv) and located[1] == "None"

    installed = _files_under(venv)
    assert _run([venv / "bin" / "vcc", "--version"], cwd=work, env=env).stdout == (
        f"vcc {version('vcc')}\n"
    )
    quarter = Quarter.last_complete(dt.date.today())
    demo = _run([venv / "bin" / "vcc", "demo"], cwd=work, env=env, timeout=900)

    report = work / "out" / str(quarter) / f"vcc-{quarter}-report.pdf"
    assert f"vcc: report: out/{quarter}/vcc-{quarter}-report.pdf" in demo.stdout
    assert report.read_bytes().startswith(b"%PDF-")
    assert (work / "demo-data" / "police.sqlite").is_file()
    assert {p.name for p in (work / "demo-data").iterdir()} == {
        "police.sqlite",
        "cps",
        "probation",
        "feedback",
    }
    assert {p.name for p in work.iterdir()} == {"demo-data", "out"}
    assert _files_under(venv) == installed  # nothing written beside the installed code
