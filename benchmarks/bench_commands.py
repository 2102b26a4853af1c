"""Time the quick commands (issue 18: each under 1 s), every call a fresh process as an analyst
runs it: ``vcc --help``, ``vcc --version``, ``vcc history``, ``vcc show RUN_ID`` and
``vcc approve``, against a small real warehouse (SQLite, written through the same ``Warehouse``
API the flow writes with; ``tests/flows/cli/published.py``) holding two finished runs of one
quarter and the published output folder of the second.

Reported per command: the median of ``--runs`` wall-clock times (default 5), with the fastest and
slowest, and the machine's load average, since the machine is shared; also written to
``benchmarks/results/commands.json``.

    .venv/bin/python benchmarks/bench_commands.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.flows.cli.published import QUARTER, published_quarter  # noqa: E402


def commands(out: Path, run_id: str) -> dict[str, list[str]]:
    place = ["--out", str(out)]
    return {
        "--help": ["--help"],
        "--version": ["--version"],
        "history": ["history", *place],
        "show": ["show", run_id, *place],
        "approve": ["approve", "--quarter", QUARTER, "--by", "Benchmark", *place],
    }


def time_command(vcc: Path, arguments: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run([str(vcc), *arguments], cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    vcc = Path(sys.executable).parent / "vcc"
    with tempfile.TemporaryDirectory(prefix="vcc-bench-commands-") as folder:
        work = Path(folder)  # no vcc.toml here: the shipped defaults, as on a fresh machine
        out = work / "out"
        run_id = published_quarter(out)
        load_before = os.getloadavg()
        rows = []
        for name, arguments in commands(out, run_id).items():
            seconds = [time_command(vcc, arguments, work) for _ in range(args.runs)]
            rows.append((name, statistics.median(seconds), min(seconds), max(seconds)))
        load_after = os.getloadavg()
    print(f"Quick commands, fresh processes, {args.runs} runs each, {os.cpu_count()} cpus, "
          f"load {load_before[0]:.2f} before, {load_after[0]:.2f} after")  # fmt: skip
    print("| command | median s | fastest s | slowest s |")
    print("| --- | ---: | ---: | ---: |")
    for name, median, fastest, slowest in rows:
        print(f"| vcc {name} | {median:.2f} | {fastest:.2f} | {slowest:.2f} |")
    summary = {
        "runs": args.runs,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "commands": {
            name: {"median": round(median, 3), "fastest": round(fastest, 3),
                   "slowest": round(slowest, 3)}
            for name, median, fastest, slowest in rows
        },
    }  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "commands.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
