"""Time the measures engine alone (``compute_instances`` + ``summarise``) at several scales.

For each scale a fresh child process generates the synthetic sources in memory (``scale`` 1 is a
Cumbria-sized force, about 9,000 crimes a quarter; 45 is roughly every police area of England and
Wales at once) for the 8-quarter trend window plus the year before it that the generator adds,
drops the rows validation would quarantine for duplicate keys and failed links (a plain pandas
stand-in for ``flows.sources.validate``, which imports Great Expectations and is slow), then runs
the
engine exactly as ``flows.run.figures.quarter_figures`` does, ``--runs`` times.

Reported per scale: the median engine time; the engine's peak resident memory (the kernel's
high-water mark is reset after generation, so generation's own, separately reported peak cannot
hide in it; the figure includes the input tables the engine reads); and a baseline timed in the
same process on the same data, one ``groupby("crime_ref").size()`` over the victims table, so
that ``ratio`` (engine / baseline) can be compared across machines and loads.

    .venv/bin/python benchmarks/bench_measures.py [--scales 1 10 45] [--runs 3]
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# benchmarks/ is the script's own folder, so its harness imports as a top-level module
from harness import (  # noqa: E402
    arguments,
    current_rss_mib,
    failed_row,
    peak_rss_mib,
    report,
    reset_peak_rss,
    run_scales,
    save,
    timed,
)

QUARTER = "2025Q2"  # the reported quarter; the trend window is the 8 quarters ending with it
AS_OF = dt.date(2025, 7, 15)  # a run two weeks after the quarter ends, as the schedule does
SEED = 1


# --- the work being timed ----------------------------------------------------------------------


def _accepted_tables(sources):
    """What validation would accept, as far as the engine cares: the first row of each duplicated
    key kept (as flows.sources.validate does), rows whose links fail left out. Other injected
    defects
    (unknown codes, dates out of order) stay in: they cost the engine the same work."""
    from vcc.transforms.matching import positions_in
    from vcc.transforms.schema import CANONICAL, LINKS

    tables = {}
    for source, frames in sources.items():
        for table, frame in frames.items():
            key = CANONICAL[source][table].key
            tables[(source, table)] = frame[~frame[key].duplicated()] if key else frame
    for (source, table, column), (to_source, to_table, to_column) in LINKS:  # parents come first
        frame = tables[(source, table)]
        # every link points at a key, unique by now; Series.isin is slow on millions of strings
        [found] = positions_in(tables[(to_source, to_table)][to_column], frame[column])
        tables[(source, table)] = frame[found >= 0]
    return tables


def _run_engine(tables, config, quarter, as_of) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The engine as flows.run.figures.quarter_figures calls it (``instances_and_metrics``, without
    the analyses and comparisons that follow): instances over the trend window, then the metrics
    of each of its quarters, every breakdown."""
    from vcc.flows.run.figures import FigureSettings, instances_and_metrics, trend_window

    catalogue = config.catalogue(quarter.start)
    settings = FigureSettings.of(config.settled(catalogue), catalogue)
    window = trend_window(quarter, settings.trend_quarters)
    return instances_and_metrics(tables, settings, quarter, as_of, window, settings.calendar())


def _baseline(tables) -> None:
    tables[("police", "victims")].groupby("crime_ref").size()


def child(scale: float, runs: int) -> None:
    from vcc.flows.config import load_config
    from vcc.flows.synthetic import generate_sources
    from vcc.transforms.quarters import Quarter

    quarter = Quarter.parse(QUARTER)
    first = quarter.shift(-7)
    report("started", rss_mib=current_rss_mib())
    seconds, sources = timed(
        lambda: generate_sources(first, quarter, scale=scale, seed=SEED, until=AS_OF)
    )
    report("generated", seconds=round(seconds, 2), peak_rss_mib=peak_rss_mib())
    tables = _accepted_tables(sources)
    del sources
    crimes, victims = len(tables[("police", "crimes")]), len(tables[("police", "victims")])
    input_rows = sum(len(frame) for frame in tables.values())
    generation_peak = peak_rss_mib()
    reset = reset_peak_rss()
    inputs_rss = current_rss_mib()
    report("cleaned", crimes=crimes, victims=victims, input_rows=input_rows, rss_mib=inputs_rss)

    config = load_config(REPO / "config" / "default.toml")
    baseline = statistics.median(timed(_baseline, tables)[0] for _ in range(max(runs, 5)))
    engine_seconds = []
    for run in range(runs):
        elapsed, (instances, metrics) = timed(_run_engine, tables, config, quarter, AS_OF)
        engine_seconds.append(elapsed)
        report("engine run", run=run + 1, seconds=round(elapsed, 2), peak_rss_mib=peak_rss_mib())
        instance_count, metric_rows = len(instances), len(metrics)
        del instances, metrics
    median = statistics.median(engine_seconds)
    report(
        "done",
        scale=scale,
        crimes=crimes,
        victims=victims,
        input_rows=input_rows,
        instances=instance_count,
        metric_rows=metric_rows,
        generation_seconds=round(seconds, 2),
        generation_peak_rss_mib=generation_peak,
        engine_seconds=[round(s, 3) for s in engine_seconds],
        engine_seconds_median=round(median, 3),
        engine_peak_rss_mib=peak_rss_mib(),
        engine_peak_is_separate_from_generation=reset,
        inputs_rss_mib=inputs_rss,
        engine_extra_rss_mib=round(peak_rss_mib() - inputs_rss, 1),
        baseline="police victims .groupby('crime_ref').size()",
        baseline_seconds_median=round(baseline, 4),
        ratio_to_baseline=round(median / baseline, 1),
        load_average_at_end=[round(x, 2) for x in os.getloadavg()],
    )


# --- the parent: one child per scale, a table at the end ---------------------------------------


def _markdown(results: list[dict]) -> str:
    lines = [
        "| scale | crimes | instances | engine median s | baseline s | ratio "
        "| engine peak RSS MiB (inputs) | generation s | generation peak MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if failed := failed_row(r):
            lines.append(failed)
            continue
        lines.append(
            f"| {r['scale']:g} | {r['crimes']:,} | {r['instances']:,} "
            f"| {r['engine_seconds_median']:.2f} | {r['baseline_seconds_median']:.3f} "
            f"| {r['ratio_to_baseline']:.0f} | {r['engine_peak_rss_mib']:,.0f} "
            f"({r['inputs_rss_mib']:,.0f}) | {r['generation_seconds']:.1f} "
            f"| {r['generation_peak_rss_mib']:,.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    args = arguments(__doc__.splitlines()[0], [1, 10, 45])
    if args.child is not None:
        child(args.child, args.runs)
        return

    import numpy
    import pandas

    versions = {"python": sys.version.split()[0], "pandas": pandas.__version__,
                "numpy": numpy.__version__}  # fmt: skip
    summary = run_scales(__file__, args, quarter=QUARTER, as_of=AS_OF.isoformat(),
                         versions=versions)  # fmt: skip
    path = save(summary, "measures.json")
    print(_markdown(summary["results"]))
    print(
        f"\nload average before {summary['load_average_before']}, "
        f"after {summary['load_average_after']} ({summary['cpus']} CPUs); written to {path}"
    )


if __name__ == "__main__":
    main()
