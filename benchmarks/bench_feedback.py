"""What a victims' survey of 20,000 responses adds to a run at scale 1 (CONTRACT.md §7.3).

The scale-1 synthetic sources (the 8-quarter trend window ending at ``QUARTER``) and a survey of
``--responses`` responses (11 questions each) are written as folders of canonical CSV files. The
run's work without the survey is done once, timed by stage as the flow runs it (extract,
validate, figures, the report rendered to HTML and a tagged PDF): the baseline. Then, ``--runs``
times in this one process, the work the survey adds, each piece on its own, since no stage of
the agencies' sources depends on it:

- extract: ``extract_source("feedback")``;
- validate: ``validate_extract`` of the survey alone (coercion, its two suites, its linkage; the
  agencies' tables are validated independently of it);
- figures: ``flows.run.figures.feedback_figures`` (``feedback.csv``, its breakdowns and the
  published tables) and writing ``feedback.csv`` and ``published-feedback.csv``;
- the report: ``render_report`` of the same figures with and without the survey, alternately,
  the difference being the section's share of the HTML and PDF.

Reported: the medians, the seconds the survey adds (their sum) and the ratio of the run's work
with it to without it, in ``benchmarks/results/feedback.json``. Prefect's start-up, snapshots,
the workbook and the Data Docs do not depend on the survey and are in neither figure. Importing
Great Expectations and WeasyPrint is paid once, before any timing.

    .venv/bin/python benchmarks/bench_feedback.py [--runs 5] [--responses 20000]
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


def _timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--responses", type=int, default=20_000)
    args = parser.parse_args()

    from dataclasses import replace

    from vcc.flows.config import DEFAULT_CONFIG, SourceConfig, load_config
    from vcc.flows.run.figures import FigureSettings, feedback_figures, quarter_figures
    from vcc.flows.run.outputs import four_places
    from vcc.flows.sources.extract import extract_source
    from vcc.flows.sources.validate import data_quality_csv, validate_extract
    from vcc.flows.synthetic import generate_sources
    from vcc.flows.synthetic.writers import write_files
    from vcc.reports.model import ReportData
    from vcc.reports.render import render_report
    from vcc.transforms.quarters import Quarter

    load_before = os.getloadavg()
    config = load_config(DEFAULT_CONFIG)
    quarter = Quarter.parse(QUARTER)
    catalogue = config.catalogue(quarter.start)
    settled = config.settled(catalogue)
    settings = FigureSettings.of(settled, catalogue)
    sources = generate_sources(
        "2023Q3", QUARTER, scale=1.0, seed=1, until=AS_OF, feedback_responses=args.responses
    )
    responses = len(sources["feedback"]["responses"])
    answers = len(sources["feedback"]["answers"])
    import great_expectations  # noqa: F401  (once, in no figure)
    import weasyprint  # noqa: F401

    with tempfile.TemporaryDirectory(prefix="vcc-bench-feedback-") as temporary:
        folder = Path(temporary)
        configured = {}
        for name, tables in sources.items():
            configured[name] = SourceConfig(kind="files", path=folder / name)
            write_files(name, tables, folder / name, configured[name])
        del sources
        agencies = ["police", "cps", "probation"]
        baseline: dict[str, float] = {}
        baseline["extract"], raw = _timed(
            lambda: {name: extract_source(name, configured[name], AS_OF) for name in agencies}
        )
        baseline["validate"], outcome = _timed(
            validate_extract, raw, {n: configured[n] for n in agencies}, settled.districts,
            EXTRACTED_AT, settled.validation,
        )  # fmt: skip
        baseline["figures"], figures = _timed(
            quarter_figures, outcome.accepted, settings, quarter, AS_OF
        )
        data = ReportData(
            figures=figures, produced_on=AS_OF, settings=settled.report,
            measure_settings=dict(settled.measures), data_quality=outcome.table_counts(),
            suppression_threshold=settled.disclosure.threshold, code_version="bench",
            run_id="bench", quality=data_quality_csv(outcome, AS_OF),
        )  # fmt: skip
        baseline["report"], _ = _timed(render_report, data, folder / "a.pdf", folder / "a.html")
        baseline["total"] = sum(baseline.values())
        print(f"without the survey: {baseline}", file=sys.stderr, flush=True)

        added: dict[str, list[float]] = {"extract": [], "validate": [], "figures": []}
        reports: dict[str, list[float]] = {"without": [], "with": []}
        for run in range(args.runs):
            seconds, survey = _timed(extract_source, "feedback", configured["feedback"], AS_OF)
            added["extract"].append(seconds)
            seconds, checked = _timed(
                validate_extract, {"feedback": survey}, {"feedback": configured["feedback"]},
                settled.districts, EXTRACTED_AT, settled.validation,
            )  # fmt: skip
            added["validate"].append(seconds)
            started = time.perf_counter()
            feedback = feedback_figures(
                {**outcome.accepted, **checked.accepted}, settings, figures.metrics, quarter,
                AS_OF,
            )  # fmt: skip
            assert feedback is not None
            four_places(feedback.table).to_csv(folder / "feedback.csv", index=False)
            feedback.published.to_csv(folder / "published-feedback.csv", index=False)
            added["figures"].append(time.perf_counter() - started)
            with_survey = replace(data, figures=replace(figures, feedback=feedback))
            for label, report in (("without", data), ("with", with_survey)):
                seconds, _ = _timed(render_report, report, folder / "r.pdf", folder / "r.html")
                reports[label].append(seconds)
            print(f"run {run + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in
                  {**added, **reports}.items()), file=sys.stderr, flush=True)  # fmt: skip
    medians = {stage: statistics.median(values) for stage, values in added.items()}
    medians["report"] = statistics.median(reports["with"]) - statistics.median(reports["without"])
    total_added = sum(medians.values())
    summary = {
        "date": dt.date.today().isoformat(),
        "responses": responses,
        "answers": answers,
        "runs": args.runs,
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "baseline_seconds": {k: round(v, 3) for k, v in baseline.items()},
        "added_by_stage": {k: round(v, 3) for k, v in medians.items()},
        "report_medians": {k: round(statistics.median(v), 3) for k, v in reports.items()},
        "added_seconds": round(total_added, 3),
        "medians_seconds": {
            "without": {"total": round(baseline["total"], 3)},
            "with": {"total": round(baseline["total"] + total_added, 3)},
        },
        "ratio": round((baseline["total"] + total_added) / baseline["total"], 3),
        "target_seconds": TARGET_SECONDS,
        "met": total_added < TARGET_SECONDS,
        "every_run": {**added, **{f"report_{k}": v for k, v in reports.items()}},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "feedback.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "every_run"}, indent=2))


if __name__ == "__main__":
    main()
