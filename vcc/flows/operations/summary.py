"""A short summary of a published run, from its output folder: the Prefect artifact (markdown) and
the body of the circulation email (plain text). Figures come from ``published-tables.csv``, so
they are suppressed exactly as the report's annex is; nothing here names a victim or a case."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from vcc.flows.manifest import Manifest
from vcc.transforms.agencies import agency_label
from vcc.transforms.catalogue import MEASURES
from vcc.transforms.disclosure import CONFIDENTIAL

TITLES = {measure.measure_id: measure.title for measure in MEASURES}
NOT_RATED = "not rated"
HIDDEN = "hidden"
LEGEND = (
    "[c] suppressed to protect individuals; [z] no eligible cases; hidden: a status withheld "
    "with the figures beneath it; not rated: too few eligible to rate."
)


@dataclass(frozen=True)
class Headline:
    measure_id: str
    title: str
    agency: str
    eligible: str
    rate: str
    rag: str


@dataclass(frozen=True)
class RunSummary:
    quarter: str
    version: str
    as_of: str
    report: Path
    headlines: list[Headline]
    rows_read: int
    rows_quarantined: int

    @property
    def quarantined_share(self) -> str:
        return f"{self.rows_quarantined / self.rows_read:.1%}" if self.rows_read else "n/a"

    @property
    def rag_counts(self) -> str:
        """E.g. "1 green, 1 red, 1 not rated, 1 hidden": a status withheld by disclosure
        control ([c]) is "hidden", never counted with the measures too small to rate."""
        counts = pd.Series([h.rag for h in self.headlines]).value_counts()
        order = ["green", "amber", "red", NOT_RATED, HIDDEN]
        return ", ".join(f"{counts[rag]} {rag}" for rag in order if rag in counts)


def _status(rag: str) -> str:
    if rag == CONFIDENTIAL:
        return HIDDEN  # disclosure control: the status would give the hidden figures back
    if rag in ("", "none"):
        return NOT_RATED  # fewer eligible than the measure's minimum for a rating
    return rag


def _percent(text: str) -> str:
    try:
        return f"{float(text):.1%}"
    except ValueError:
        return text  # [c] suppressed, [z] nothing to rate


def read_summary(manifest: Manifest) -> RunSummary:
    """The summary of the run whose manifest this is, read from its published files."""
    report = Path(manifest["outputs"]["report"])
    folder = report.parent
    published = pd.read_csv(folder / "published-tables.csv", dtype=str, keep_default_na=False)
    published = published[published["dimension"] == "all"]
    headlines = [
        Headline(
            row.measure_id,
            TITLES.get(row.measure_id, row.measure_id),
            agency_label(row.agency),
            row.eligible,
            _percent(row.rate),
            _status(row.rag),
        )
        for row in published.itertuples(index=False)
    ]
    rows = pd.DataFrame(manifest.get("rows", []))
    version = manifest.get("version", {}).get("label", "")
    return RunSummary(
        quarter=manifest["quarter"],
        version=version,
        as_of=manifest["as_of"],
        report=report,
        headlines=headlines,
        rows_read=int(rows["rows_read"].sum()) if len(rows) else 0,
        rows_quarantined=int(rows["rows_quarantined"].sum()) if len(rows) else 0,
    )


def run_summary_markdown(manifest: Manifest) -> str:
    summary = read_summary(manifest)
    lines = [
        f"# Victims' Code compliance, {summary.quarter}",
        "",
        f"**{summary.version}**, data as of {summary.as_of}. Measures: {summary.rag_counts}.",
        "",
        "| Measure | Agency | Eligible | Rate | RAG |",
        "|---|---|---:|---:|---|",
        *[
            f"| {h.measure_id} {h.title} | {h.agency} | {h.eligible} | {h.rate} | {h.rag} |"
            for h in summary.headlines
        ],
        "",
        f"**Data quality:** {summary.rows_quarantined:,} of {summary.rows_read:,} source rows "
        f"quarantined ({summary.quarantined_share}); see the report's data-quality section.",
        "",
        f"**Report:** [{summary.report.name}]({summary.report.resolve().as_uri()})",
        "",
        LEGEND,
    ]
    return "\n".join(lines) + "\n"


def run_summary_text(manifest: Manifest) -> str:
    """The plain-text summary that goes in the body of the circulation email."""
    summary = read_summary(manifest)
    width = max((len(h.title) for h in summary.headlines), default=10)
    lines = [
        f"Victims' Code compliance report, {summary.quarter}: {summary.version}.",
        f"Data as of {summary.as_of}. Measures: {summary.rag_counts}.",
        "",
        *[f"  {h.title:<{width}}  {h.agency:<17}  {h.rate:>6}  {h.rag}" for h in summary.headlines],
        "",
        f"Data quality: {summary.quarantined_share} of {summary.rows_read:,} source rows were "
        "quarantined (see the report's data-quality section).",
        LEGEND,
    ]
    return "\n".join(lines) + "\n"
