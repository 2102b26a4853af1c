"""Time the validation stage alone (coercion + ``validate_sources``) at scale 1 and 10.

For each scale a fresh child process generates the synthetic sources (the 8-quarter trend window
ending at ``QUARTER``, plus the year before it that the generator adds, with its injected
defects), writes them as folders of canonical CSV files and reads them back with
``flows.sources.extract.extract_source``, as a ``kind = "files"`` source with no mapping is read.
Then,
``--runs`` times each, in the same process on the same tables:

- the baseline: reading the CSV files (``extract_source`` for the three sources);
- coercion alone (``vcc.flows.sources.validate.coerce_extract``);
- validation: ``vcc.flows.sources.validate.validate_extract``, what the flow's validate task and
  ``vcc validate`` run (coercion, the 17 Great Expectations suites, linkage).

Importing Great Expectations is timed once, before any run, and is in no run's figure (the first
run still pays for building its first ephemeral context, so the median is the figure to quote).
Reported per scale: rows, the medians, the ratio of validation to the baseline, and the peak
resident memory of the process.

    .venv/bin/python benchmarks/bench_validate.py [--scales 1 10] [--runs 3]
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# benchmarks/ is the script's own folder, so its harness imports as a top-level module
from harness import arguments, failed_row, peak_rss_mib, report, run_scales, save, timed  # noqa: E402

QUARTER = "2025Q2"  # the trend window is the 8 quarters ending with it
AS_OF = dt.date(2025, 7, 15)  # a run two weeks after the quarter ends, as the schedule does
EXTRACTED_AT = dt.datetime(2025, 7, 16, 7, 0)  # the next morning
SEED = 1


def _write_canonical_csv(sources: dict, folder: Path) -> dict:
    """Every table as ``<folder>/<source>/<table>.csv`` with canonical names; the sources that
    read them back."""
    from vcc.flows.config import SourceConfig
    from vcc.flows.synthetic.writers import write_files

    configured = {}
    for name, tables in sources.items():
        source = SourceConfig(kind="files", path=folder / name)
        write_files(name, tables, folder / name, source)
        configured[name] = source
    return configured


def child(scale: float, runs: int) -> None:
    from vcc.flows.config import DEFAULT_CONFIG, load_config
    from vcc.flows.sources.extract import extract_source
    from vcc.flows.sources.validate import coerce_extract, validate_extract
    from vcc.flows.synthetic import generate_sources
    from vcc.transforms.quarters import Quarter

    last = Quarter.parse(QUARTER)
    first = last.shift(-7)
    seconds, sources = timed(
        lambda: generate_sources(first, last, scale=scale, seed=SEED, until=AS_OF)
    )
    report("generated", seconds=round(seconds, 1))
    defaults = load_config(DEFAULT_CONFIG)
    with tempfile.TemporaryDirectory() as folder:
        configured = _write_canonical_csv(sources, Path(folder))
        del sources
        config = defaults.model_copy(update={"sources": configured})

        def read() -> dict:
            return {
                name: extract_source(name, source, AS_OF, extracted_at=EXTRACTED_AT)
                for name, source in configured.items()
            }

        read_seconds, raw = [], None
        for _ in range(runs):
            elapsed, raw = timed(read)
            read_seconds.append(elapsed)
        report("read", seconds=[round(s, 2) for s in read_seconds])
    assert raw is not None
    rows = sum(len(table.frame) for tables in raw.values() for table in tables.values())
    crimes = len(raw["police"]["crimes"].frame)

    import_seconds, _ = timed(lambda: __import__("great_expectations"))
    report("imported great_expectations", seconds=round(import_seconds, 2))

    coerce_seconds = []
    for _ in range(runs):
        elapsed, _ = timed(lambda: coerce_extract(raw, config.sources))
        coerce_seconds.append(elapsed)
    report("coerced", seconds=[round(s, 2) for s in coerce_seconds])

    validate_seconds, quarantined = [], 0
    for run in range(runs):
        elapsed, outcome = timed(
            lambda: validate_extract(raw, config.sources, config.districts, EXTRACTED_AT)
        )
        validate_seconds.append(elapsed)
        quarantined = sum(len(reasons) for reasons in outcome.rejected.values())
        report("validated", run=run + 1, seconds=round(elapsed, 2), peak_rss_mib=peak_rss_mib())
        del outcome

    median = statistics.median(validate_seconds)
    baseline = statistics.median(read_seconds)
    report(
        "done",
        scale=scale,
        rows=rows,
        crimes=crimes,
        quarantined=quarantined,
        great_expectations_import_seconds=round(import_seconds, 2),
        read_seconds=[round(s, 2) for s in read_seconds],
        read_seconds_median=round(baseline, 2),
        coerce_seconds=[round(s, 2) for s in coerce_seconds],
        coerce_seconds_median=round(statistics.median(coerce_seconds), 2),
        validate_seconds=[round(s, 2) for s in validate_seconds],
        validate_seconds_median=round(median, 2),
        ratio_to_baseline=round(median / baseline, 2),
        peak_rss_mib=peak_rss_mib(),
        load_average_at_end=[round(x, 2) for x in os.getloadavg()],
    )


def _markdown(results: list[dict]) -> str:
    lines = [
        "| scale | rows | quarantined | read CSV (baseline) | coerce | validate (coerce + "
        "suites + linkage) | ratio to baseline | peak MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if failed := failed_row(r):
            lines.append(failed)
            continue
        lines.append(
            f"| {r['scale']:g} | {r['rows']:,} | {r['quarantined']:,} "
            f"| {r['read_seconds_median']:.1f} s | {r['coerce_seconds_median']:.1f} s "
            f"| **{r['validate_seconds_median']:.1f} s** | {r['ratio_to_baseline']:.1f} "
            f"| {r['peak_rss_mib']:,.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    args = arguments(__doc__.splitlines()[0], [1, 10])
    if args.child is not None:
        child(args.child, args.runs)
        return

    summary = run_scales(__file__, args, quarter=QUARTER, as_of=AS_OF.isoformat())
    path = save(summary, "validate.json")
    results = summary["results"]
    print(_markdown(results))
    imports = [r["great_expectations_import_seconds"] for r in results if "failed" not in r]
    print(f"\nimporting Great Expectations (once per process, not in the figures): {imports} s")
    print(f"load average before {summary['load_average_before']}, after "
          f"{summary['load_average_after']}; written to {path}")  # fmt: skip


if __name__ == "__main__":
    main()
