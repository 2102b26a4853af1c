"""Time the measures engine alone (``compute_instances`` + ``summarise``) at several scales.

For each scale a fresh child process generates the synthetic sources in memory (``scale`` 1 is a
Cumbria-sized force, about 9,000 crimes a quarter; 45 is roughly every police area of England and
Wales at once) for the 8-quarter trend window plus the year before it that the generator adds,
drops the rows validation would quarantine for duplicate keys and failed links (a plain pandas
stand-in for ``flows.validate``, which imports Great Expectations and is slow), then runs the
engine exactly as ``flows.pipeline.measures_task`` does, ``--runs`` times.

Reported per scale: the median engine time; the engine's peak resident memory (the kernel's
high-water mark is reset after generation, so generation's own, separately reported peak cannot
hide in it; the figure includes the input tables the engine reads); and a baseline timed in the
same process on the same data, one ``groupby("crime_ref").size()`` over the victims table, so
that ``ratio`` (engine / baseline) can be compared across machines and loads.

    .venv/bin/python benchmarks/bench_measures.py [--scales 1 10 45] [--runs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime as dt
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import pandas as pd

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

QUARTER = "2025Q2"  # the reported quarter; the trend window is the 8 quarters ending with it
AS_OF = dt.date(2025, 7, 15)  # a run two weeks after the quarter ends, as the schedule does
SEED = 1


# --- memory, from the kernel -------------------------------------------------------------------


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _current_rss_mib() -> float:
    kib = _status_kib("VmRSS")
    return round((kib or 0) / 1024, 1)


def _peak_rss_mib() -> float:
    """The process's resident high-water mark since start or the last reset."""
    kib = _status_kib("VmHWM")
    if kib is None:  # not Linux: ru_maxrss is KiB on Linux, bytes on macOS
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        kib = kib // 1024 if sys.platform == "darwin" else kib
    return round(kib / 1024, 1)


def _reset_peak_rss() -> bool:
    """Give freed memory back to the kernel and restart the high-water mark (Linux 4.0+).
    Both malloc and Arrow's allocator keep freed memory for reuse: after generation that is
    gigabytes the engine did not ask for."""
    import pyarrow

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # glibc only
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    pyarrow.default_memory_pool().release_unused()
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# --- the work being timed ----------------------------------------------------------------------


def _accepted_tables(sources):
    """What validation would accept, as far as the engine cares: the first row of each duplicated
    key kept (as flows.validate does), rows whose links fail left out. Other injected defects
    (unknown codes, dates out of order) stay in: they cost the engine the same work."""
    from transforms.matching import positions_in
    from transforms.schema import CANONICAL, LINKS

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
    """The engine exactly as flows.pipeline.measures_task calls it (``compute_figures``, without
    the analyses and comparisons that follow): instances over the trend window, then the metrics
    of each of its quarters, every breakdown. Importing flows.pipeline loads Prefect, whose
    memory counts in the peak figure (the first run also pays that import; the median does not)."""
    from flows.pipeline import _trend_window, compute_figures
    from transforms.calendar import WorkingDayCalendar

    window = _trend_window(quarter, config.report.trend_quarters)
    calendar = WorkingDayCalendar(config.calendar.extra_holidays)
    return compute_figures(tables, config, quarter, as_of, window, calendar)


def _baseline(tables) -> None:
    tables[("police", "victims")].groupby("crime_ref").size()


Result = TypeVar("Result")


def _timed(function: Callable[..., Result], *args: Any) -> tuple[float, Result]:
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def _report(stage: str, **figures) -> None:
    """One JSON line per stage on stdout, so the parent knows how far a child got if it dies."""
    print(json.dumps({"stage": stage, **figures}), flush=True)


def child(scale: float, runs: int) -> None:
    from flows.config import load_config
    from flows.synthetic import generate_sources
    from transforms.quarters import Quarter

    quarter = Quarter.parse(QUARTER)
    first = str(quarter.shift(-7))
    _report("started", rss_mib=_current_rss_mib())
    seconds, sources = _timed(
        lambda: generate_sources(first, QUARTER, scale=scale, seed=SEED, until=AS_OF)
    )
    _report("generated", seconds=round(seconds, 2), peak_rss_mib=_peak_rss_mib())
    tables = _accepted_tables(sources)
    del sources
    crimes, victims = len(tables[("police", "crimes")]), len(tables[("police", "victims")])
    input_rows = sum(len(frame) for frame in tables.values())
    generation_peak = _peak_rss_mib()
    reset = _reset_peak_rss()
    inputs_rss = _current_rss_mib()
    _report("cleaned", crimes=crimes, victims=victims, input_rows=input_rows, rss_mib=inputs_rss)

    config = load_config(REPO / "config" / "default.toml")
    baseline = statistics.median(_timed(_baseline, tables)[0] for _ in range(max(runs, 5)))
    engine_seconds = []
    for run in range(runs):
        elapsed, (instances, metrics) = _timed(_run_engine, tables, config, quarter, AS_OF)
        engine_seconds.append(elapsed)
        _report("engine run", run=run + 1, seconds=round(elapsed, 2), peak_rss_mib=_peak_rss_mib())
        instance_count, metric_rows = len(instances), len(metrics)
        del instances, metrics
    median = statistics.median(engine_seconds)
    _report(
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
        engine_peak_rss_mib=_peak_rss_mib(),
        engine_peak_is_separate_from_generation=reset,
        inputs_rss_mib=inputs_rss,
        engine_extra_rss_mib=round(_peak_rss_mib() - inputs_rss, 1),
        baseline="police victims .groupby('crime_ref').size()",
        baseline_seconds_median=round(baseline, 4),
        ratio_to_baseline=round(median / baseline, 1),
        load_average_at_end=[round(x, 2) for x in os.getloadavg()],
    )


# --- the parent: one child per scale, a table at the end ---------------------------------------


def _run_child(scale: float, runs: int) -> dict:
    command = [sys.executable, __file__, "--child", str(scale), "--runs", str(runs)]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    last: dict = {}
    assert process.stdout is not None
    for line in process.stdout:
        last = json.loads(line)
        print(f"  scale {scale:g}: {line.strip()}", file=sys.stderr, flush=True)
    status = process.wait()
    if status != 0 or last.get("stage") != "done":
        elapsed = time.perf_counter() - started
        return {
            "scale": scale,
            "failed": f"child exited with status {status} after {elapsed:.0f} s",
            "got_as_far_as": last,
        }
    return {key: value for key, value in last.items() if key != "stage"}


def _markdown(results: list[dict]) -> str:
    lines = [
        "| scale | crimes | instances | engine median s | baseline s | ratio "
        "| engine peak RSS MiB (inputs) | generation s | generation peak MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if "failed" in r:
            lines.append(f"| {r['scale']:g} | {r['failed']}: {json.dumps(r['got_as_far_as'])} |")
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 10, 45])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.runs)
        return

    import numpy
    import pandas

    load_before = os.getloadavg()
    results = [_run_child(scale, args.runs) for scale in args.scales]
    summary = {
        "quarter": QUARTER,
        "as_of": AS_OF.isoformat(),
        "runs": args.runs,
        "cpus": os.cpu_count(),
        "versions": {
            "python": sys.version.split()[0],
            "pandas": pandas.__version__,
            "numpy": numpy.__version__,
        },
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "results": results,
    }
    folder = REPO / "benchmarks" / "results"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "measures.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(_markdown(results))
    print(
        f"\nload average before {summary['load_average_before']}, "
        f"after {summary['load_average_after']} ({summary['cpus']} CPUs); "
        f"written to {folder / 'measures.json'}"
    )


if __name__ == "__main__":
    main()
