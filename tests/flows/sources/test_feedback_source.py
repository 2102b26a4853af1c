"""The optional fourth source, ``feedback`` (CONTRACT.md §7.3): read from files, mapped, and
validated like every source, each kind of bad row quarantined with its reason.

The extract is taken on 1 Jan 2025 at noon.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from vcc.flows.config import SourceConfig, TableSource
from vcc.flows.errors import SourceError
from vcc.flows.sources.extract import extract_source
from vcc.flows.sources.validate import validate_extract
from vcc.transforms.schema import DEFAULT_DISTRICTS

EXTRACTED_AT = datetime(2025, 1, 1, 12, 0)

RESPONSES = """\
response_id,responded_at,crime_ref,offence_group,age_band,sex,ethnicity,has_disability
R1,2024-08-01 10:00,CR1,theft,25-64,female,white,false
R2,2024-08-02 11:00,,,,,,
R2,2024-08-03 11:00,,,,,,
R3,not a date,,,,,,
R4,2025-02-01 09:00,,,,,,
R5,2024-08-05 09:00,,violence_of_sorts,,,,
"""
ANSWERS = """response_id,question_id,answer
R1,q_offered_vps,yes
R1,q_kept_informed,no
R1,q_kept_informed,yes
R1,q_told_outcome,maybe
R2,q_offered_vps,dont_know
R9,q_offered_vps,yes
R3,q_offered_vps,yes
R4,q_offered_vps,yes
"""


def write(folder: Path, responses: str = RESPONSES, answers: str = ANSWERS) -> SourceConfig:
    folder.mkdir(exist_ok=True)
    (folder / "responses.csv").write_text(responses, encoding="utf-8")
    (folder / "answers.csv").write_text(answers, encoding="utf-8")
    return SourceConfig(kind="files", path=folder)


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory):
    source = write(tmp_path_factory.mktemp("feedback"))
    raw = {"feedback": extract_source("feedback", source)}
    return raw, validate_extract(raw, {"feedback": source}, DEFAULT_DISTRICTS, EXTRACTED_AT)


def test_rows_read_are_accepted_plus_quarantined(outcome) -> None:
    _, result = outcome
    counts = result.table_counts().set_index("table")
    assert counts.loc["responses"].tolist()[1:] == [6, 2, 4]
    assert counts.loc["answers"].tolist()[1:] == [8, 3, 5]


def test_each_bad_response_is_quarantined_with_its_reason(outcome) -> None:
    raw, result = outcome
    reasons = result.rejected[("feedback", "responses")]
    ids = raw["feedback"]["responses"].frame.loc[reasons.index, "response_id"]
    assert dict(zip(ids, reasons, strict=True)) == {
        "R2": "duplicate response_id",  # the second R2; the first is kept
        "R3": "unparseable responded_at: not a date",
        "R4": "responded_at after the extract was taken",
        "R5": "offence_group not an allowed value",
    }


def test_each_bad_answer_is_quarantined_with_its_reason(outcome) -> None:
    raw, result = outcome
    reasons = result.rejected[("feedback", "answers")]
    rows = raw["feedback"]["answers"].frame.loc[reasons.index]
    found = {
        (r.response_id, r.question_id): reason
        for r, reason in zip(rows.itertuples(), reasons, strict=True)
    }
    assert found == {
        ("R1", "q_kept_informed"): "duplicate response_id and question_id",  # the second one
        ("R1", "q_told_outcome"): "answer not an allowed value",
        ("R9", "q_offered_vps"): "linkage: response_id not a feedback response",
        # answers to responses quarantined themselves are answers to no accepted response
        ("R3", "q_offered_vps"): "linkage: response_id not a feedback response",
        ("R4", "q_offered_vps"): "linkage: response_id not a feedback response",
    }
    accepted = result.accepted[("feedback", "answers")]
    kept = accepted[["response_id", "question_id", "answer"]].itertuples(index=False, name=None)
    assert sorted(kept) == [
        ("R1", "q_kept_informed", "no"),
        ("R1", "q_offered_vps", "yes"),
        ("R2", "q_offered_vps", "dont_know"),
    ]


def test_a_source_maps_its_own_columns_and_codes(tmp_path: Path) -> None:
    source = write(
        tmp_path / "survey",
        responses="Ref,Date,crime_ref,offence_group,age_band,sex,ethnicity,has_disability\n"
        "S1,01/08/2024 10:00,,,,,,\n",
        answers="Ref,Question,Reply\nS1,Q7,Y\nS1,Q9,DK\n",
    ).model_copy(
        update={
            "date_format": "%d/%m/%Y %H:%M",
            "tables": {
                "responses": TableSource(rename={"Ref": "response_id", "Date": "responded_at"}),
                "answers": TableSource(
                    rename={"Ref": "response_id", "Question": "question_id", "Reply": "answer"},
                    values={"answer": {"Y": "yes", "N": "no", "DK": "dont_know"}},
                ),
            },
        }
    )
    raw = {"feedback": extract_source("feedback", source)}
    result = validate_extract(raw, {"feedback": source}, DEFAULT_DISTRICTS, EXTRACTED_AT)
    answers = result.accepted[("feedback", "answers")]
    assert answers["answer"].tolist() == ["yes", "dont_know"]
    assert str(result.accepted[("feedback", "responses")]["responded_at"][0]) == (
        "2024-08-01 10:00:00"
    )


def test_a_feedback_source_without_its_answers_is_refused_in_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "survey"
    folder.mkdir()
    (folder / "responses.csv").write_text(RESPONSES, encoding="utf-8")
    with pytest.raises(SourceError, match="answers") as error:
        extract_source("feedback", SourceConfig(kind="files", path=folder))
    assert "\n" not in str(error.value)
