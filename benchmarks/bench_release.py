"""Time the open release (``release/``, CONTRACT.md §7.4) that every ``vcc run`` now writes.

The release is built, as a run builds it (``flows/run/outputs.py`` ``_write_release``), from a
scale-1 run's published tables and changes: its tidy CSVs, ``datapackage.json``, ``index.html``
and ``SHA256SUMS``. Reported: the first build in a fresh process (templates compiled, modules
imported: what a run pays) and the median of ``--runs`` more; the ``release`` stage of the run's
own manifest; and a baseline timed alternately in the same process, writing the run's
``published-tables.csv`` again with pandas, so that the ratio can be compared across machines
and loads. Target (issue 26): the release adds under 2 s to ``vcc run`` at scale 1.

    .venv/bin/python benchmarks/bench_release.py RUN_FOLDER [--runs 5]

RUN_FOLDER is ``<out>/<quarter>`` of a ``vcc run`` on scale-1 sources (``vcc generate`` then
``vcc run``; the changes are read back from its ``changes.csv``, four decimal places, as the run
holds them unrounded: the same work).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_folder", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    started = time.perf_counter()
    import pandas as pd

    from vcc.flows.config import load_config
    from vcc.flows.operations.schedule import next_report_date
    from vcc.flows.run.release import ReleaseFacts, quarter_tables, write_release
    from vcc.reports.model import quarter_period
    from vcc.transforms.quarters import Quarter

    imports = time.perf_counter() - started
    manifest = json.loads((args.run_folder / "manifest.json").read_text())
    quarter, as_of = Quarter.parse(manifest["quarter"]), dt.date.fromisoformat(manifest["as_of"])
    config = load_config(None)
    catalogue = config.catalogue(quarter.start)
    config = config.settled(catalogue)

    def build(into: Path) -> None:
        published = pd.read_csv(
            args.run_folder / "published-tables.csv", dtype=str, keep_default_na=False
        )
        changes = pd.read_csv(args.run_folder / "changes.csv")
        facts = ReleaseFacts(
            area=config.report.area, producer=config.report.produced_by, quarter=quarter,
            period=quarter_period(str(quarter), as_of), as_of=as_of,
            published_on=dt.date.today(), next_update=next_report_date(config, quarter),
            threshold=config.disclosure.threshold, settings=config.release,
            report_version="First issue (version 1)", code_version="bench",
        )  # fmt: skip
        tables = quarter_tables(
            published, changes, catalogue, dict(config.measures), facts, args.run_folder
        )
        write_release(into, tables, catalogue, facts, quarter.financial_year_label())

    def baseline(into: Path) -> None:
        frame = pd.read_csv(args.run_folder / "published-tables.csv", dtype=str)
        frame.to_csv(into, index=False, lineterminator="\n")

    scratch = Path(tempfile.mkdtemp(prefix="bench-release-"))
    try:
        first_started = time.perf_counter()
        build(scratch / "first")
        first = time.perf_counter() - first_started
        builds, baselines = [], []
        for number in range(args.runs):
            started = time.perf_counter()
            build(scratch / f"release-{number}")
            builds.append(time.perf_counter() - started)
            started = time.perf_counter()
            baseline(scratch / f"published-{number}.csv")
            baselines.append(time.perf_counter() - started)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    median, base = statistics.median(builds), statistics.median(baselines)
    summary = {
        "run_folder": str(args.run_folder),
        "imports_seconds": round(imports, 3),
        "first_build_seconds": round(first, 3),
        "median_build_seconds": round(median, 3),
        "builds_seconds": [round(b, 3) for b in builds],
        "baseline_median_seconds": round(base, 4),
        "ratio": round(median / base, 1) if base else None,
        "run_manifest_release_seconds": manifest.get("timings_seconds", {}).get("release"),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "target": "under 2 s added to vcc run at scale 1",
        "met": first < 2.0 and median < 2.0,
    }
    print(json.dumps(summary, indent=2))
    results = REPO / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / "release.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
