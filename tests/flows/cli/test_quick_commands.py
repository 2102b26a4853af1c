"""Issue 18: the quick commands start quickly. Importing the command line, and running ``--help``,
``--version``, ``history``, ``show`` and ``approve`` on a real warehouse, loads none of the heavy
libraries (each is seconds to import on a busy machine); each command runs in a fresh process,
as an analyst runs it. Timings are not asserted: ``benchmarks/bench_commands.py`` measures them."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.flows.cli.published import QUARTER, published_quarter

HEAVY = ("pandas", "numpy", "prefect", "great_expectations", "weasyprint", "matplotlib", "pyarrow")

# Runs the command line in this process, then says which heavy libraries it loaded.
PROBE = """
import json, sys
from vcc.flows.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    loaded = sorted({name.split(".")[0] for name in sys.modules} & set(HEAVY))
    print("\\nLOADED " + json.dumps(loaded))
"""


def heavy_modules_loaded(*arguments: str, cwd: Path) -> list[str]:
    probe = f"HEAVY = {HEAVY!r}\n{PROBE}"
    done = subprocess.run([sys.executable, "-c", probe, *arguments], cwd=cwd, text=True,
                          capture_output=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("LOADED "), done.stdout
    return json.loads(last.removeprefix("LOADED "))


def test_importing_the_command_line_loads_nothing_heavy(tmp_path: Path) -> None:
    probe = f"import sys, vcc.flows.cli\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, text=True,
                          capture_output=True, check=True)  # fmt: skip
    assert done.stdout.strip() == "[]"


def test_importing_the_command_line_loads_no_library_but_click(tmp_path: Path) -> None:
    """What ``vcc --help`` loads: click and vcc's own light modules; the settings (pydantic) and
    the warehouse (SQLAlchemy) are imported by the commands that use them (issue 23: the
    imports left inside the command line's functions, each with its measured cost)."""
    probe = (
        "import json, sys, vcc.flows.cli\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, text=True,
                          capture_output=True, check=True)  # fmt: skip
    loaded = set(json.loads(done.stdout)) - set(sys.stdlib_module_names) - {"__main__", "vcc"}
    assert {name for name in loaded if not name.startswith("_")} == {"click"}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("quick") / "out"
    return out, published_quarter(out)


@pytest.mark.parametrize(
    "command",
    [
        ["--help"],
        ["--version"],
        ["history"],
        ["history", "--quarter", QUARTER],
        ["show", "RUN"],
        ["show", "RUN", "--json"],
        ["approve", "--quarter", QUARTER, "--by", "Head of Victims Services"],
    ],
    ids=lambda command: " ".join(command),
)
def test_a_quick_command_loads_nothing_heavy(command, published: tuple[Path, str]) -> None:
    out, run_id = published
    arguments = [run_id if word == "RUN" else word for word in command]
    if arguments[0] not in ("--help", "--version"):
        arguments += ["--out", str(out)]
    assert heavy_modules_loaded(*arguments, cwd=out.parent) == []


def test_show_prints_a_run_in_words_and_its_manifest_with_json(published: tuple[Path, str]) -> None:
    out, run_id = published
    command = [sys.executable, "-m", "vcc.flows.cli", "show", run_id, "--out", str(out)]
    words = subprocess.run(command, text=True, capture_output=True, check=True).stdout
    lines = words.splitlines()
    assert lines[0] == f"Run {run_id}: {QUARTER}, data as of 14 February 2025"
    assert lines[1].startswith("Status         succeeded, started by manual on ")
    assert "Report         First issue (version 1)" in lines  # the same figures twice
    pdf = out / QUARTER / f"vcc-{QUARTER}-report.pdf"
    sha = hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert f"               {pdf} (SHA-256 {sha})" in lines
    assert "Timings        extract 1.0 s" in lines
    assert lines[-1] == f"The whole manifest: vcc show {run_id} --json"
    assert not words.lstrip().startswith("{")  # words, not JSON
    manifest = subprocess.run([*command, "--json"], text=True, capture_output=True,
                              check=True).stdout  # fmt: skip
    assert json.loads(manifest) == json.loads((out / QUARTER / "manifest.json").read_text())
