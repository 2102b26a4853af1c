"""What a victims' survey of 20,000 responses adds to a run at scale 1 (CONTRACT.md §7.3).

The scale-1 synthetic sources (the 8-quarter trend window ending at ``QUARTER``) and a survey of
``--responses`` responses (11 questions each) are written as folders of canonical CSV files.
Then, in this one process, ``--runs`` times each and alternately (so the machine's load falls on
both alike), the work of ``vcc run`` from the files to the report:

- the baseline: the three agencies' sources alone;
- with the survey: the same and the ``feedback`` source.

Each is timed by stage, as the flow runs them: extract (``extract_source`` per source), validate
(``validate_extract``: coercion, the suites, linkage), figures (``quarter_figures``, with
``feedback.csv``'s figures), outputs (``feedback.csv`` and ``published-feedback.csv`` when
supplied, and the report rendered to HTML and a tagged PDF with ``render_report``). Prefect's
start-up, snapshots, the workbook and the Data Docs do not depend on the survey and are left out
of both. Importing Great Expectations and WeasyPrint is paid once, before the runs. Reported: the
medians, the seconds the survey adds (median with it less median without) and the ratio, in
``benchmarks/results/feedback.json``.

    .venv/bin/python benchmarks/bench_feedback.py [--runs 3] [--responses 20000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
QUARTER = "2025Q2"
AS_OF = dt.date(2025, 7, 15)
EXTRACTED_AT = dt.datetime(2025, 7, 16, 7, 0)
TARGET_SECONDS = 1.0


def one_run(configured: dict, names: list[str], config, folder: Path) -> dict[str, float]:
    from vcc.flows.run.figures import FigureSettings, quarter_figures
    from vcc.flows.run.outputs import four_places
    from vcc.flows.sources.extract import extract_source
    from vcc.flows.sources.validate import data_quality_csv, validate_extract
    from vcc.reports.model import ReportData
    from vcc.reports.render import render_report
    from vcc.transforms.quarters import Quarter

    quarter = Quarter.parse(QUARTER)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    raw = {name: extract_source(name, configured[name], AS_OF) for name in names}
    seconds["extract"] = time.perf_counter() - started

    started = time.perf_counter()
    sources = {name: configured[name] for name in names}
    outcome = validate_extract(raw, sources, config.districts, EXTRACTED_AT, config.validation)
    seconds["validate"] = time.perf_counter() - started

    started = time.perf_counter()
    catalogue = config.catalogue(quarter.start)
    settled = config.settled(catalogue)
    figures = quarter_figures(
        outcome.accepted, FigureSettings.of(settled, catalogue), quarter, AS_OF
    )
    seconds["figures"] = time.perf_counter() - started

    started = time.perf_counter()
    if figures.feedback is not None:
        four_places(figures.feedback.table).to_csv(folder / "feedback.csv", index=False)
        figures.feedback.published.to_csv(folder / "published-feedback.csv", index=False)
    data = ReportData(
        figures=figures, produced_on=AS_OF, settings=settled.report,
        measure_settings=dict(settled.measures), data_quality=outcome.table_counts(),
        suppression_threshold=settled.disclosure.threshold, code_version="bench",
        run_id="bench", quality=data_quality_csv(outcome, AS_OF),
    )  # fmt: skip
    render_report(data, folder / "report.pdf", folder / "report.html")
    seconds["outputs"] = time.perf_counter() - started
    seconds["total"] = sum(seconds.values())
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--responses", type=int, default=20_000)
    args = parser.parse_args()

    from vcc.flows.config import DEFAULT_CONFIG, SourceConfig, load_config
    from vcc.flows.synthetic import generate_sources
    from vcc.flows.synthetic.writers import write_files

    load_before = os.getloadavg()
    config = load_config(DEFAULT_CONFIG)
    sources = generate_sources(
        "2023Q3", QUARTER, scale=1.0, seed=1, until=AS_OF, feedback_responses=args.responses
    )
    responses = len(sources["feedback"]["responses"])
    answers = len(sources["feedback"]["answers"])
    with tempfile.TemporaryDirectory(prefix="vcc-bench-feedback-") as temporary:
        folder = Path(temporary)
        configured = {}
        for name, tables in sources.items():
            configured[name] = SourceConfig(kind="files", path=folder / name)
            write_files(name, tables, folder / name, configured[name])
        del sources
        import great_expectations  # noqa: F401  (once, in no run's figure)
        import weasyprint  # noqa: F401

        without = ["police", "cps", "probation"]
        timings: dict[str, list[dict[str, float]]] = {"without": [], "with": []}
        for run in range(args.runs):
            for label, names in (("without", without), ("with", [*without, "feedback"])):
                out = folder / f"out-{label}-{run}"
                out.mkdir()
                timings[label].append(one_run(configured, names, config, out))
                print(f"run {run + 1} {label}: " + ", ".join(
                    f"{k} {v:.2f} s" for k, v in timings[label][-1].items()), file=sys.stderr,
                    flush=True)  # fmt: skip
    medians = {
        label: {stage: statistics.median(run[stage] for run in runs) for stage in runs[0]}
        for label, runs in timings.items()
    }
    added = medians["with"]["total"] - medians["without"]["total"]
    summary = {
        "date": dt.date.today().isoformat(),
        "responses": responses,
        "answers": answers,
        "runs": args.runs,
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "medians_seconds": {k: {s: round(v, 3) for s, v in m.items()} for k, m in medians.items()},
        "added_seconds": round(added, 3),
        "added_by_stage": {
            stage: round(medians["with"][stage] - medians["without"][stage], 3)
            for stage in medians["with"]
        },
        "ratio": round(medians["with"]["total"] / medians["without"]["total"], 3),
        "target_seconds": TARGET_SECONDS,
        "met": added < TARGET_SECONDS,
        "every_run": timings,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "feedback.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "every_run"}, indent=2))


if __name__ == "__main__":
    main()
