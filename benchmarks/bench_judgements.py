"""What the judgements of CONTRACT.md §7 add to a run at scale 1: statistical process control
(``spc.csv`` and the report's SPC charts) and the overdispersion of the comparison of areas.

From a finished scale-1 run's output folder (``out/<Q>``, e.g. of ``vcc demo``), in this one
process, ``--runs`` times each (medians reported):

- ``spc.csv``: ``statistical_process_control`` on the run's ``instances.parquet`` over the
  trend window's quarters, as ``quarter_figures`` makes it;
- the SPC charts and judgements the report draws: ``spc_view`` for each agency;
- overdispersion: ``compare_areas`` on ``--areas`` areas made from the run's ``metrics.csv``
  (sizes from a fixed spread, rates shifted), with ``overdispersion = "additive"`` against
  ``"none"`` alternately; the difference is φ, τ² and the additive limits.

Results in ``benchmarks/results/judgements.json``.

    .venv/bin/python benchmarks/bench_judgements.py out/2026Q3 [--runs 5] [--areas 43]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"


def timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    from vcc.reports.spc import spc_view
    from vcc.transforms.comparison import compare_areas
    from vcc.transforms.spc import statistical_process_control

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--areas", type=int, default=43)
    args = parser.parse_args()

    instances = pd.read_parquet(args.run_dir / "instances.parquet")
    metrics = pd.read_csv(args.run_dir / "metrics.csv")
    spc_csv = pd.read_csv(args.run_dir / "spc.csv", keep_default_na=False, na_values=[""])
    spc_csv["signals"] = spc_csv["signals"].fillna("")
    spc_csv["assurance"] = spc_csv["assurance"].fillna("")
    quarter = str(metrics["quarter"].iloc[0])
    months = list(dict.fromkeys(spc_csv["month"]))
    quarters = list(dict.fromkeys(f"{m[:4]}Q{(int(m[5:]) - 1) // 3 + 1}" for m in months))
    overall = metrics[metrics["dimension"] == "all"]
    pairs = list(overall[["measure_id", "agency"]].itertuples(index=False, name=None))
    targets = dict(zip(overall["measure_id"], overall["target"], strict=False))

    rng = np.random.default_rng(1)
    areas = {}
    for index in range(args.areas):
        frame = overall.copy()
        scale = float(np.exp(rng.normal(0, 0.9)))
        frame["eligible"] = (frame["eligible"] * scale).round().astype(int)
        rate = (overall["met"] / overall["eligible"].clip(lower=1)).to_numpy()
        rate = np.clip(rate + rng.normal(0, 0.05), 0, 1)
        frame["met"] = np.minimum((frame["eligible"] * rate).round(), frame["eligible"]).astype(int)
        areas[f"area{index:02d}"] = frame

    times: dict[str, list[float]] = {"spc": [], "spc_charts": [], "additive": [], "none": []}
    for _ in range(args.runs):
        times["spc"].append(
            timed(lambda: statistical_process_control(instances, quarters, pairs, targets))
        )
        times["spc_charts"].append(
            timed(
                lambda: [
                    spc_view(spc_csv, agency, quarter, 5, targets)
                    for agency in ("police", "cps", "wcu", "probation")
                ]
            )  # fmt: skip
        )
        times["additive"].append(timed(lambda: compare_areas(areas, quarter, "additive")))
        times["none"].append(timed(lambda: compare_areas(areas, quarter, "none")))
    medians = {name: statistics.median(values) for name, values in times.items()}
    result = {
        "run_dir": str(args.run_dir),
        "instances": len(instances),
        "runs": args.runs,
        "areas": args.areas,
        "median_seconds": medians,
        "overdispersion_adds": medians["additive"] - medians["none"],
        "spc_adds": medians["spc"] + medians["spc_charts"],
        "all_seconds": times,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "judgements.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "all_seconds"}, indent=2))


if __name__ == "__main__":
    main()
