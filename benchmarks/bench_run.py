"""Time ``vcc run`` end to end at scale 1, and each stage inside it.

Each run is a fresh process, as a user's would be, so Prefect's temporary server start-up is
included. The baseline is a no-op Prefect flow in a fresh process, timed the same way: the ratio
says what the pipeline costs on top of Prefect's own start-up. Medians of ``--runs`` runs.

    .venv/bin/python benchmarks/bench_run.py [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VCC = [sys.executable, "-m", "vcc.flows.cli"]
BASELINE = "from prefect import flow\nflow(name='noop')(lambda: 1)()\n"


def timed(command: list[str]) -> float:
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    if not (REPO / "demo-data" / "police.sqlite").exists():
        subprocess.run([*VCC, "generate"], cwd=REPO, check=True)
    from vcc.transforms.quarters import Quarter

    quarter = str(Quarter.last_complete(dt.date.today()))
    baseline, totals, stages = [], [], []
    with tempfile.TemporaryDirectory() as out:
        for number in range(1, args.runs + 1):
            baseline.append(timed([sys.executable, "-c", BASELINE]))
            totals.append(
                timed([*VCC, "run", "--quarter", quarter, "--config",
                       str(REPO / "config" / "default.toml"), "--out", out])
            )  # fmt: skip
            manifest = json.loads((Path(out) / quarter / "manifest.json").read_text())
            stages.append(manifest["timings_seconds"])
            print(f"run {number}: {totals[-1]:.1f} s (baseline {baseline[-1]:.1f} s)", flush=True)

    median_total, median_base = statistics.median(totals), statistics.median(baseline)
    result = {
        "quarter": quarter,
        "runs": args.runs,
        "vcc_run_seconds_median": round(median_total, 1),
        "prefect_noop_flow_seconds_median": round(median_base, 1),
        "ratio_to_baseline": round(median_total / median_base, 2),
        "stage_seconds_median": {
            stage: round(statistics.median(run[stage] for run in stages), 1) for stage in stages[0]
        },
    }
    print(json.dumps(result, indent=2))
    results = REPO / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / "run.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
