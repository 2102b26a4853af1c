"""The victims' survey (CONTRACT.md §7.3) through the whole flow: the demo's survey as files,
the same survey in a real PostgreSQL database, and a run without it.

The three runs read the same police, CPS and probation sources, so ``metrics.csv`` must be the
same bytes in all three (the survey changes no figure of the records); the two runs with the
survey must write the same ``feedback.csv``, whose every figure is recomputed here from the
run's own snapshots and ``metrics.csv`` with the formulas written out (Wilson 1927; Newcombe
1998, method 10).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from tests.conftest import FLOW_AS_OF, FLOW_QUARTER
from vcc.flows.run.flow import run_quarter
from vcc.transforms.quarters import Quarter

pytestmark = pytest.mark.flow
Z = 1.959963984540054
FEEDBACK_BLOCK = re.compile(r"\[sources\.feedback\]\n(?:[^\[\n][^\n]*\n?)*")


def config_with_feedback(demo_config: Path, name: str, block: str) -> Path:
    """The demo configuration beside it (same demo-data), its feedback source replaced."""
    text = demo_config.read_text(encoding="utf-8")
    assert FEEDBACK_BLOCK.search(text), "the shipped configuration names the demo survey"
    path = demo_config.parent / name
    path.write_text(FEEDBACK_BLOCK.sub(block, text), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs(
    prefect_harness,
    demo_config: Path,
    postgres_database_module,
    tmp_path_factory: pytest.TempPathFactory,
):
    from sqlalchemy import create_engine

    survey = demo_config.parent / "demo-data" / "feedback"
    engine = create_engine(postgres_database_module)
    try:
        responses = pd.read_csv(survey / "responses.csv", dtype=str, keep_default_na=False)
        responses["responded_at"] = pd.to_datetime(responses["responded_at"])  # a timestamp column
        responses.replace({"": None}).to_sql("survey_responses", engine, index=False)
        answers = pd.read_csv(survey / "answers.csv", dtype=str)
        answers.rename(columns={"answer": "reply"}).to_sql("answers", engine, index=False)
    finally:
        engine.dispose()
    postgres = config_with_feedback(
        demo_config, "vcc-postgres.toml",
        f'[sources.feedback]\nkind = "sql"\nurl = "{postgres_database_module}"\n'
        '[sources.feedback.tables.responses]\ntable = "survey_responses"\n'
        '[sources.feedback.tables.answers]\nrename = { "reply" = "answer" }\n\n',
    )  # fmt: skip
    without = config_with_feedback(demo_config, "vcc-without.toml", "")
    folders = {}
    for label, config in (("files", demo_config), ("postgres", postgres), ("none", without)):
        out = tmp_path_factory.mktemp(f"out-{label}")
        run_quarter(Quarter.parse(FLOW_QUARTER), FLOW_AS_OF, config, out)
        folders[label] = out / FLOW_QUARTER
    return folders


@pytest.fixture(scope="module")
def postgres_database_module():
    """A PostgreSQL database for this module's runs (tests/conftest.py's, module-scoped)."""
    import uuid

    from sqlalchemy import create_engine, text

    from tests.conftest import POSTGRES

    name = f"vcc_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_survey_changes_no_figure_of_the_records(runs) -> None:
    metrics = {label: (folder / "metrics.csv").read_bytes() for label, folder in runs.items()}
    assert metrics["files"] == metrics["postgres"] == metrics["none"]


def test_files_and_postgresql_give_the_same_feedback_csv(runs) -> None:
    files = (runs["files"] / "feedback.csv").read_text()
    assert files == (runs["postgres"] / "feedback.csv").read_text()
    assert files.splitlines()[0] == (
        "question_id,right,measure_id,answered,yes,rate,ci_low,ci_high,records_rate,gap,"
        "gap_low,gap_high,significant"
    )
    assert len(files.splitlines()) > 5


def test_without_the_survey_there_is_no_feedback_csv_and_the_report_says_so(runs) -> None:
    assert not (runs["none"] / "feedback.csv").exists()
    text = " ".join(
        page.extract_text()
        for page in PdfReader(runs["none"] / f"vcc-{FLOW_QUARTER}-report.pdf").pages
    )
    assert "Feedback was not supplied" in " ".join(text.split())
    with_survey = " ".join(
        page.extract_text()
        for page in PdfReader(runs["files"] / f"vcc-{FLOW_QUARTER}-report.pdf").pages
    )
    assert "What the records say and what victims say, by right" in " ".join(with_survey.split())


def _wilson(yes: int, n: int) -> tuple[float, float]:
    p = yes / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def test_every_figure_of_feedback_csv_recomputed_from_the_runs_own_files(runs) -> None:
    folder = runs["postgres"]
    responses = pd.read_parquet(folder / "snapshots" / "feedback.responses.parquet")
    answers = pd.read_parquet(folder / "snapshots" / "feedback.answers.parquet")
    quarantined = pd.read_csv(folder / "quarantine" / "feedback.answers.csv", dtype=str) if (
        folder / "quarantine" / "feedback.answers.csv").exists() else None  # fmt: skip
    day = pd.to_datetime(responses["responded_at"]).dt.date
    start, end = pd.Timestamp("2024-10-01").date(), pd.Timestamp("2024-12-31").date()
    counted = set(responses.loc[(day >= start) & (day <= min(end, FLOW_AS_OF)), "response_id"])
    answers = answers[answers["response_id"].isin(counted)]
    if quarantined is not None:  # none of the survey's answers is quarantined in the demo
        assert not set(quarantined["response_id"]) & counted
    metrics = pd.read_csv(folder / "metrics.csv")
    metrics = metrics[metrics["dimension"] == "all"]
    feedback = pd.read_csv(folder / "feedback.csv", keep_default_na=False)
    assert set(feedback["question_id"]) == set(answers["question_id"])
    for row in feedback.itertuples():
        mine = answers[answers["question_id"] == row.question_id]["answer"]
        yes, no = int((mine == "yes").sum()), int((mine == "no").sum())
        assert (row.answered, row.yes) == (yes + no, yes), row.question_id
        if yes + no == 0:
            assert row.rate == "" and row.significant == ""
            continue
        rate, (low, high) = yes / (yes + no), _wilson(yes, yes + no)
        assert [float(row.rate), float(row.ci_low), float(row.ci_high)] == pytest.approx(
            [rate, low, high], abs=5e-5
        )
        records = metrics[metrics["measure_id"] == row.measure_id]
        met, eligible = int(records["met"].sum()), int(records["eligible"].sum())
        if not eligible:
            assert row.gap == ""
            continue
        other = met / eligible
        other_low, other_high = _wilson(met, eligible)
        gap_low = rate - other - math.sqrt((rate - low) ** 2 + (other_high - other) ** 2)
        gap_high = rate - other + math.sqrt((high - rate) ** 2 + (other - other_low) ** 2)
        assert [float(row.records_rate), float(row.gap), float(row.gap_low),
                float(row.gap_high)] == pytest.approx(
            [other, rate - other, gap_low, gap_high], abs=5e-5)  # fmt: skip
        assert row.significant == str(gap_low > 0 or gap_high < 0)
