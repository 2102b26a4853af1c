"""The run's short summary (flows/operations/summary.py): the circulation email's body and the
Prefect artifact, read from a run's published files, so they print exactly what the report
publishes."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import cast

import pandas as pd
import pytest

from vcc.flows.manifest import Manifest
from vcc.flows.operations.summary import run_summary_markdown, run_summary_text

PUBLISHED = """\
quarter,measure_id,right,agency,dimension,group,eligible,met,rate,ci_low,ci_high,target,rag
2026Q3,R2-RECORD,2,police,all,all,8255,7832,0.9488,0.9438,0.9533,0.90,green
2026Q3,R2-RECORD,2,police,rights,enhanced,3348,3148,0.9403,0.9317,0.9478,0.90,green
2026Q3,R6-VCL,6,cps,all,all,364,254,0.6978,0.6486,0.7429,0.90,red
2026Q3,R12-ACK,12,cps,all,all,23,[c],[c],[c],[c],0.90,[c]
2026Q3,R12-ACK,12,probation,all,all,8,8,1.0000,0.6756,1.0000,0.90,none
"""


@pytest.fixture
def manifest(tmp_path: Path) -> Manifest:
    (tmp_path / "published-tables.csv").write_text(PUBLISHED, encoding="utf-8")
    return cast(
        Manifest,
        {
            "quarter": "2026Q3",
            "as_of": "2026-11-26",
            "outputs": {"report": str(tmp_path / "vcc-2026Q3-report.pdf")},
            "version": {"number": 2, "label": "Revision 1 (version 2)", "reasons": ["later data"]},
            "rows": [
                {"source": "police", "table": "crimes", "rows_read": 900, "rows_quarantined": 2},
                {"source": "cps", "table": "cases", "rows_read": 100, "rows_quarantined": 1},
            ],
        },
    )


def test_the_email_body_lists_each_measure_as_published(manifest: Manifest) -> None:
    text = run_summary_text(manifest)
    lines = text.splitlines()
    assert lines[:2] == [
        "Victims' Code compliance report, 2026Q3: Revision 1 (version 2).",
        # green 1, red 1; too few to rate ("none") and hidden ([c]) are told apart
        "Data as of 2026-11-26. Measures: 1 green, 1 red, 1 not rated, 1 hidden.",
    ]
    width = len("CPS letter on a decision not to charge, to stop or to alter a charge")
    assert lines[3] == f"  {'Crime recorded without delay':<{width}}  {'Police':<17}   94.9%  green"
    assert lines[5].endswith(f"  {'CPS':<17}     [c]  hidden")
    assert lines[6].endswith(f"  {'Probation':<17}  100.0%  not rated")
    assert len(lines) == 10  # four headlines: the enhanced row is a breakdown, not a headline
    assert "Data quality: 0.3% of 1,000 source rows were quarantined" in text


def test_the_prefect_artifact_is_a_markdown_table_with_a_link_to_the_report(
    manifest: Manifest,
) -> None:
    markdown = run_summary_markdown(manifest)
    assert "| R6-VCL CPS letter on a decision not to charge, to stop or to alter a charge " \
           "| CPS | 364 | 69.8% | red |" in markdown  # fmt: skip
    assert "3 of 1,000 source rows quarantined (0.3%)" in markdown
    report = Path(manifest["outputs"]["report"])
    assert f"[vcc-2026Q3-report.pdf]({report.as_uri()})" in markdown


def test_not_rated_and_hidden_are_counted_apart_as_the_published_tables_say(
    manifest: Manifest,
) -> None:
    # CPS's R12-ACK has 23 eligible, enough to rate, but its status is hidden ([c]) because only
    # 2 were not met; probation's has 8, fewer than the 10 needed for a rating, so it is unrated.
    published = pd.read_csv(StringIO(PUBLISHED), dtype=str)
    rag = published[published["dimension"] == "all"]["rag"]
    hidden, unrated = (rag == "[c]").sum(), (rag == "none").sum()
    assert (hidden, unrated) == (1, 1)
    counts = f"{unrated} not rated, {hidden} hidden"
    assert f"Measures: 1 green, 1 red, {counts}." in run_summary_text(manifest)
    assert f"Measures: 1 green, 1 red, {counts}." in run_summary_markdown(manifest)
    assert "| R12-ACK Complaint acknowledged | CPS | 23 | [c] | hidden |" in run_summary_markdown(
        manifest
    )
