"""The QAF's reading of records and reviews (transforms/qaf.py), and the report's QAF section: a
hand-made set of reviews gives hand-worked weighted estimates, suppressed as CONTRACT.md §4 says,
and the circulated report names no case."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from tests.reports.test_report import a_quarter, pdf_text, revised
from vcc.flows.run.figures import qaf_figures
from vcc.flows.warehouse.reviews import ReviewStore
from vcc.flows.warehouse.store import Warehouse
from vcc.reports.qaf import qaf_view
from vcc.reports.render import render_report
from vcc.transforms.qaf import (
    agencies_reviewed,
    case_records,
    disagreements,
    instance_outcomes,
    published_disagreements,
    published_estimates,
    theme_estimates,
)
from vcc.transforms.quarters import Quarter

# --- what the records say -----------------------------------------------------------------------


def instance(measure_id: str, status: str, due: str | None, action: str | None, **extra) -> dict:
    return {
        "measure_id": measure_id,
        "agency": "police",
        "victim_id": "V1",
        "trigger_date": pd.Timestamp("2024-10-01"),
        "due_date": pd.Timestamp(due) if due else pd.NaT,
        "action_date": pd.Timestamp(action) if action else pd.NaT,
        "status": status,
        **extra,
    }


def test_each_instance_is_met_late_missing_not_met_or_pending() -> None:
    instances = pd.DataFrame(
        [
            instance("R3-ACK", "met", "2024-10-08", "2024-10-03"),
            instance("R3-ACK", "not_met", "2024-10-08", "2024-10-10"),  # acted after the due date
            instance("R3-ACK", "not_met", "2024-10-08", None),  # never acted
            instance("R4-VNA-CONTENT", "not_met", None, "2024-10-02"),  # an item missing
            instance("ENH-IDENTIFIED", "not_met", None, None),  # not flagged
            instance("R8-HEARING", "pending", "2025-03-03", None),
            instance("R11-RELEASE", "not_met", None, "2024-10-01"),  # told on release day
            instance("R11-RELEASE", "not_met", None, None),  # never told
        ]
    )
    assert instance_outcomes(instances).tolist() == [
        "met", "late", "missing", "not met", "not met", "pending", "late", "missing",
    ]  # fmt: skip


def test_cases_are_reviewed_against_police_cps_and_every_agency_in_their_records() -> None:
    assert agencies_reviewed("charged", ["police", "wcu"]) == ["police", "cps", "wcu"]
    assert agencies_reviewed("not_charged_or_dropped", ["police"]) == ["police", "cps"]
    # eligible for the Victim Contact Scheme: Probation too, referred or not
    assert agencies_reviewed("vcs", ["police", "wcu"]) == ["police", "cps", "wcu", "probation"]


def test_case_records_count_each_agencys_outcomes() -> None:
    instances = pd.DataFrame(
        [
            instance("R3-ACK", "met", "2024-10-08", "2024-10-03"),
            instance("R4-VNA", "not_met", "2024-10-03", "2024-10-09"),
            instance("R8-HEARING", "not_met", "2024-10-02", None, agency="wcu"),
            instance("R3-ACK", "met", "2024-10-08", "2024-10-03", victim_id="V9"),  # not sampled
        ]
    )
    cases = pd.DataFrame({"victim_id": ["V1"], "route": ["charged"]})
    records = case_records(instances, cases).set_index("agency")
    assert records.loc["police", ["instances", "met", "late", "missing"]].tolist() == [2, 1, 1, 0]
    assert records.loc["cps", "instances"] == 0  # reviewed, though no CPS duty was measured
    assert records.loc["wcu", ["instances", "missing"]].tolist() == [1, 1]


# --- the weighted estimates, hand-worked --------------------------------------------------------

# Twelve sampled cases: A1-A6 from a stratum of 60 victims (weight 60/6 = 10) and B1-B6 from a
# stratum of 12 victims owed enhanced rights (weight 12/6 = 2).
WEIGHTS = {**{f"A{n}": 10.0 for n in range(1, 7)}, **{f"B{n}": 2.0 for n in range(1, 7)}}
CASES = list(WEIGHTS)
# Police ratings, theme by theme, case by case (A1..A6, B1..B6).
POLICE = {
    # A: 4 met, 2 not met; B: 2 met, 4 partly met
    "care_and_respect": ["met"] * 4 + ["not met"] * 2 + ["met"] * 2 + ["partly met"] * 4,
    # A: none evidenced; B: 3 met, 3 not met
    "enhanced_support": ["not evidenced"] * 6 + ["met"] * 3 + ["not met"] * 3,
    # A: 5 met, 1 not evidenced; B: 1 met, 5 not met
    "communication_and_information": ["met"] * 5 + ["not evidenced"] + ["met"] + ["not met"] * 5,
    "engagement_and_collaboration": ["not evidenced"] * 12,
}


def police_ratings() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"victim_id": case, "agency": "police", "theme": theme, "rating": rating,
             "weight": WEIGHTS[case]}
            for theme, ratings in POLICE.items()
            for case, rating in zip(CASES, ratings, strict=True)
        ]
    )  # fmt: skip


def test_weighted_share_met_and_its_interval_hand_worked() -> None:
    estimates = theme_estimates(police_ratings()).set_index("theme")
    care = estimates.loc["care_and_respect"]
    # met weight 4 x 10 + 2 x 2 = 44 of 6 x 10 + 6 x 2 = 72 rated: 0.6111 ("partly met" is not
    # met). Kish's effective n = 72² / (6 x 10² + 6 x 2²) = 5184 / 624 = 8.3077. Wilson at
    # p = 0.6111, n = 8.3077, z = 1.96: centre (0.6111 + 3.8415 / 16.6154) / (1 + 3.8415 /
    # 8.3077) = 0.5760, half-width 1.96 x sqrt(0.6111 x 0.3889 / 8.3077 + 3.8415 / 276.07) /
    # 1.4624 = 0.2764: 0.2996 to 0.8523.
    assert care["weighted_share_met"] == pytest.approx(44 / 72)
    assert care["effective_n"] == pytest.approx(8.3077, abs=1e-4)
    assert (care["ci_low"], care["ci_high"]) == pytest.approx((0.2996, 0.8523), abs=1e-4)
    assert care["rated"] == 12 and care["rated_met"] == 6 and care["rated_partly_met"] == 4
    # "not evidenced" is left out: A's 5 met and B's 1 met of 5 x 10 + 6 x 2 = 62: 52 / 62
    communication = estimates.loc["communication_and_information"]
    assert communication["weighted_share_met"] == pytest.approx(52 / 62)
    assert communication["not_evidenced"] == 1
    # nothing evidenced: no estimate
    assert np.isnan(estimates.loc["engagement_and_collaboration", "weighted_share_met"])


def test_equal_weights_give_the_plain_share_and_its_wilson_interval() -> None:
    ratings = police_ratings().assign(weight=1.0)
    care = theme_estimates(ratings).set_index("theme").loc["care_and_respect"]
    assert care["weighted_share_met"] == pytest.approx(6 / 12)
    assert care["effective_n"] == pytest.approx(12)


def test_published_estimates_are_suppressed_as_the_contract_says() -> None:
    published = published_estimates(theme_estimates(police_ratings()), threshold=5)
    shown = published.set_index("theme")[["rated", "not_evidenced", "share", "ci_low", "ci_high"]]
    assert shown.loc["care_and_respect"].tolist() == ["12", "0", "0.6111", "0.2996", "0.8523"]
    # 3 rated met (and 3 not): the share would give them away
    assert shown.loc["enhanced_support"].tolist() == ["6", "6", "[c]", "[c]", "[c]"]
    # 1 not evidenced: hidden, and the 11 rated with it (they add up to the cases reviewed);
    # the share (6 met, 5 not) can stand
    assert shown.loc["communication_and_information"].tolist()[:3] == ["[c]", "[c]", "0.8387"]
    # nothing rated: not applicable
    assert shown.loc["engagement_and_collaboration"].tolist() == ["0", "12", "[z]", "[z]", "[z]"]


# --- where reviewers and records disagree -------------------------------------------------------


def police_records() -> pd.DataFrame:
    rows = []
    for case in CASES:
        counts = {"met": 0, "late": 0, "missing": 0, "not_met": 0, "pending": 0}
        if case in ("A1", "A2", "A3", "A4", "A5"):
            counts["met"] = 3  # every duty met on time
        elif case == "A6":
            counts["pending"] = 1  # nothing final
        else:
            counts["met"], counts["missing"] = 2, 1  # B: a duty missed
        rows.append({"victim_id": case, "agency": "police", "instances": sum(counts.values()),
                     **counts})  # fmt: skip
    return pd.DataFrame(rows)


def test_disagreements_hand_worked() -> None:
    # Reviewers, per case (police): A1-A4 every evidenced theme met (served); A5, A6 care not
    # met; B1 care, enhanced support and communication met (served); B2-B6 a theme not met.
    # Records met on time, reviewers not: A5. Records not met, reviewers met: B1.
    counted = disagreements(police_ratings(), police_records()).set_index("agency")
    assert counted.loc["police"].tolist() == [1, 1]
    published = published_disagreements(counted.reset_index(), threshold=5)
    assert published.iloc[0].tolist() == ["police", "[c]", "[c]"]
    assert published_disagreements(counted.reset_index(), threshold=1).iloc[0].tolist() == [
        "police", "1", "1",
    ]  # fmt: skip


# --- the report's QAF section, from reviews in the warehouse -------------------------------------

QUARTER = "2024Q3"  # the hand-made report's quarter (tests/test_report.py)


def victim_id(case: str) -> str:
    return f"QAFVICTIM{case}"  # distinctive, so that the report can be searched for it


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, Path]:
    """A warehouse holding one sample of 2024Q3 (the twelve cases above, in a frame of 72) and
    two imports of its reviews: a first with every rating met, then the corrected one."""
    root = tmp_path_factory.mktemp("qaf-out")
    warehouse = Warehouse(f"sqlite:///{root / 'warehouse.sqlite'}")
    store = ReviewStore(warehouse)
    frame = pd.DataFrame(
        [
            {"victim_id": victim_id(f"{stratum}{n}"), "crime_ref": f"QAFCRIME{stratum}{n}",
             "route": "charged", "enhanced": stratum == "B",
             "stratum": f"charged/{'enhanced' if stratum == 'B' else 'standard'}",
             "selected": n <= 6,
             "case_number": (n if stratum == "A" else 6 + n) if n <= 6 else None,
             "weight": WEIGHTS[f"{stratum}{n}"] if n <= 6 else None}
            for stratum, size in (("A", 60), ("B", 12))
            for n in range(1, size + 1)
        ]
    )  # fmt: skip
    records = police_records().assign(
        victim_id=lambda r: r["victim_id"].map(victim_id),
        case_number=range(1, 13),
    )
    sample = store.save_sample(
        {
            "quarter": QUARTER, "run_id": "run-1", "as_of": dt.date(2024, 10, 15), "seed": 1,
            "size_requested": 12, "size": 12, "frame_size": 72, "oversampling": 2.0,
            "design": {"strata": []}, "config_sha256": "0" * 64,
            "drawn_at": dt.datetime(2024, 10, 20, 9, 0), "drawn_by": "test",
        },
        frame,
        records,
    )  # fmt: skip
    ratings = police_ratings().assign(victim_id=lambda r: r["victim_id"].map(victim_id))
    ratings = ratings.drop(columns="weight").assign(note="QAFNOTE", reviewer="QAFREVIEWER")
    store.save_import(
        sample.sample_id, "test", "first.xlsx", "1" * 64, ratings.assign(rating="met")
    )
    store.save_import(sample.sample_id, "test", "second.xlsx", "2" * 64, ratings)
    return warehouse, root


def test_summary_uses_the_latest_import_and_keeps_the_earlier(
    reviewed: tuple[Warehouse, Path],
) -> None:
    warehouse, root = reviewed
    summary = qaf_view(
        revised(a_quarter(), qaf=qaf_figures(ReviewStore(warehouse), Quarter.parse(QUARTER), 5))
    )
    assert summary is not None
    care = next(row for row in summary.estimates if row["theme"] == "Care and respect")
    assert care == {
        "agency": "Police", "theme": "Care and respect", "rated": "12", "not_evidenced": "0",
        "share": "61.1%", "interval": "30.0% to 85.2%",
    }  # fmt: skip
    assert (summary.cases_reviewed, summary.sample_size, summary.frame_size) == ("12", "12", "72")
    assert summary.disagreements == [
        {"agency": "Police", "records_met_reviewers_not": "[c]",
         "records_not_met_reviewers_met": "[c]"}
    ]  # fmt: skip
    assert len(ReviewStore(warehouse).imports(summary.sample_id)) == 2


def test_no_summary_without_reviews(reviewed: tuple[Warehouse, Path]) -> None:
    warehouse, root = reviewed
    assert qaf_figures(ReviewStore(warehouse), Quarter.parse("2024Q2"), 5) is None


@pytest.fixture(scope="module")
def report_with_reviews(
    reviewed: tuple[Warehouse, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, str]:
    warehouse, root = reviewed
    figures = qaf_figures(ReviewStore(warehouse), Quarter.parse(QUARTER), 5)
    folder = tmp_path_factory.mktemp("report-qaf")
    render_report(revised(a_quarter(), qaf=figures), folder / "r.pdf", folder / "r.html")
    return pdf_text(PdfReader(folder / "r.pdf")), (folder / "r.html").read_text(encoding="utf-8")


def test_report_shows_the_weighted_estimates_and_the_cases_reviewed(
    report_with_reviews: tuple[str, str],
) -> None:
    text, html = report_with_reviews
    assert "Quality Assessment Framework: case reviews" in text
    assert "12 of the 12 cases of sample 2024Q3-1 were reviewed" in " ".join(text.split())
    assert "61.1%" in html and "30.0% to 85.2%" in html
    assert "83.9%" in html  # communication and information, rated 11 hidden with its 1 not
    assert "Where reviewers and records disagree" in text


def test_report_holds_no_case_reference_note_or_reviewer(
    report_with_reviews: tuple[str, str],
) -> None:
    text, html = report_with_reviews
    for document in (text, html):
        for secret in ("QAFVICTIM", "QAFCRIME", "QAFNOTE", "QAFREVIEWER", "/qaf/", "sample-1"):
            assert secret not in document


@pytest.mark.slow
def test_report_without_reviews_says_so(tmp_path: Path) -> None:
    render_report(a_quarter(), tmp_path / "r.pdf", tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "No case reviews were recorded for this quarter" in html
