"""``make bench``: every benchmark in turn, then one markdown table of medians, ratios and targets.

Runs, each in its own process(es), with the defaults below (about 10 minutes on a quiet 2-core
machine):

- ``bench_run.py``: ``vcc run`` at scale 1 end to end, fresh processes, against a no-op Prefect
  flow in a fresh process run alternately with it; then with a Prefect server already running
  (as under ``vcc serve``); and the stages inside the flow, from the manifest;
- ``bench_validate.py``: validation against reading the CSV files, scale 1 and 10;
- ``bench_measures.py``: the measures engine, scale 1 and 10;
- ``bench_commands.py``: the quick commands;
- ``bench_feedback.py``: what a victims' survey of 20,000 responses adds to a run at scale 1,
  against the same run without it, alternately in one process.

Each writes its figures to ``benchmarks/results/<name>.json``; this script reads them and writes
``benchmarks/results/bench.md`` (also printed): the table the README's "Performance" section
quotes, with the machine's load average so that a noisy run can be told from a slow one.

    .venv/bin/python benchmarks/bench_all.py [--runs 3] [--only run validate ... feedback]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
BENCHMARKS = {
    "run": ["bench_run.py"],
    "validate": ["bench_validate.py", "--scales", "1", "10"],
    "measures": ["bench_measures.py", "--scales", "1", "10"],
    "commands": ["bench_commands.py"],
    "feedback": ["bench_feedback.py"],
}


def _load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _row(what: str, median: float, baseline: str, ratio: str, target: str, met: bool) -> str:
    return (
        f"| {what} | {median:.2f} s | {baseline} | {ratio} | {target} | {'yes' if met else 'no'} |"
    )


def _run_rows(run: dict) -> list[str]:
    total, noop = run["vcc_run_seconds_median"], run["prefect_noop_flow_seconds_median"]
    ratio = total / noop
    rows = [
        _row("`vcc run`, scale 1, fresh process, no server running", total,
             f"no-op Prefect flow {noop:.2f} s", f"{ratio:.2f}", "≤ 2.0× baseline", ratio <= 2.0),
    ]  # fmt: skip
    if served := run.get("vcc_run_with_server_seconds_median"):
        rows.append(
            _row("`vcc run`, scale 1, a Prefect server running", served, "", "", "≤ 15 s",
                 served <= 15)
        )  # fmt: skip
    stages = run["stage_seconds_median"]
    if "outputs" in stages:
        rows.append(_row("outputs stage (CSV, workbook, Data Docs, PDF and HTML)",
                         stages["outputs"], "", "", "≤ 5 s", stages["outputs"] <= 5))  # fmt: skip
    return rows


def _validate_rows(validate: dict) -> list[str]:
    rows = []
    for result in validate["results"]:
        if "failed" in result:
            rows.append(f"| validation, scale {result['scale']:g} | {result['failed']} |||||")
            continue
        ratio = result["ratio_to_baseline"]
        rows.append(
            _row(f"validation, scale {result['scale']:g} ({result['rows']:,} rows)",
                 result["validate_seconds_median"],
                 f"reading the CSV files {result['read_seconds_median']:.2f} s",
                 f"{ratio:.2f}", "≤ 2.5× baseline", ratio <= 2.5)
        )  # fmt: skip
    return rows


def _measures_rows(measures: dict) -> list[str]:
    targets = {1: None, 10: 10.0, 45: 60.0}
    rows = []
    for result in measures["results"]:
        if "failed" in result:
            continue
        target = targets.get(int(result["scale"]))
        seconds = result["engine_seconds_median"]
        rows.append(
            _row(f"measures engine, scale {result['scale']:g}", seconds,
                 f"one groupby {result['baseline_seconds_median']:.3f} s",
                 f"{result['ratio_to_baseline']:.0f}",
                 f"≤ {target:g} s" if target else "", target is None or seconds <= target)
        )  # fmt: skip
    return rows


def _command_rows(commands: dict) -> list[str]:
    return [
        _row(f"`vcc {name}`", figures["median"], "", "", "< 1 s", figures["median"] < 1)
        for name, figures in commands["commands"].items()
    ]


def _feedback_rows(feedback: dict) -> list[str]:
    medians = feedback["medians_seconds"]
    added, baseline = feedback["added_seconds"], medians["without"]["total"]
    what = f"run with a survey of {feedback['responses']:,} responses, scale 1 (extract to report)"
    target = f"< {feedback['target_seconds']:g} s more (+{added:.2f} s)"
    return [
        _row(what, medians["with"]["total"], f"without it {baseline:.2f} s",
             f"{feedback['ratio']:.3f}", target, bool(feedback["met"])),
    ]  # fmt: skip


def table() -> str:
    """The markdown table of every benchmark's latest results in ``benchmarks/results``."""
    lines = [
        "| what | median | baseline (same run) | ratio | target | met |",
        "|---|---:|---|---:|---|---|",
    ]
    loads = []
    for name, rows in (("run", _run_rows), ("validate", _validate_rows),
                       ("measures", _measures_rows), ("commands", _command_rows),
                       ("feedback", _feedback_rows)):  # fmt: skip
        if (figures := _load(name)) is not None:
            lines += rows(figures)
            loads.append(f"{name} {figures.get('load_average_before', ['?'])[0]}")
    lines.append("")
    lines.append(f"Load average (1 min) as each benchmark began: {', '.join(loads)}; "
                 f"{os.cpu_count()} CPUs.")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (medians)")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), default=list(BENCHMARKS))
    args = parser.parse_args()
    for name in args.only:
        script, *options = BENCHMARKS[name]
        print(f"== {script} ==", file=sys.stderr, flush=True)
        command = [sys.executable, str(HERE / script), *options, "--runs", str(args.runs)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    text = f"Measured {dt.date.today().isoformat()} with `make bench`.\n\n{table()}\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
