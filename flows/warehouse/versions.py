"""The version policy: which report version a run's figures are published as, and, for a
revision, why and what changed (README "Reruns and revisions").

- a quarter's first successful run is version 1, its *first issue*;
- a rerun with byte-identical ``metrics.csv`` keeps the version (a rerun changes no figure);
- a rerun whose figures differ from the last *circulated* version is version N+1, a *revision*,
  recorded with why (later data, configuration change, code change) and which figures changed;
- while the newest version has not been circulated, changed figures replace it in place (a draft
  nobody outside the office has seen is not a revision), and its approval lapses with it.

The warehouse (``store.py``) records what is decided here; this module decides and stores nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from vcc.transforms.disclosure import published_tables
from vcc.transforms.quarters import long_date

if TYPE_CHECKING:
    from vcc.flows.warehouse.store import Warehouse


@dataclass(frozen=True)
class RunFacts:
    """What a run was made from, to say why its figures differ from an earlier version's."""

    as_of: dt.date
    config_sha256: str
    code_version: str
    sources_sha256: dict[str, str]


@dataclass(frozen=True)
class Revision:
    """One row of the report's revisions table."""

    version: int
    produced: dt.date
    reasons: list[str]
    changes: list[str]


@dataclass(frozen=True)
class VersionPlan:
    """The version a run's figures will be published as, decided before the report is drawn."""

    quarter: str
    version: int
    action: str  # "new", "same" (figures unchanged) or "replace" (an uncirculated draft)
    reasons: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    history: list[Revision] = field(default_factory=list)  # earlier circulated revisions

    @property
    def label(self) -> str:
        name = "First issue" if self.version == 1 else f"Revision {self.version - 1}"
        return f"{name} (version {self.version})"

    @property
    def revisions(self) -> list[Revision]:
        """Every revision since the first issue, oldest first, this one included."""
        if self.version == 1:
            return []
        current = Revision(self.version, dt.date.today(), self.reasons, self.changes)
        earlier = [r for r in self.history if 1 < r.version < self.version]
        return [*earlier, current]


def plan_version(
    warehouse: Warehouse, quarter: str, metrics_frame: pd.DataFrame, metrics_sha256: str,
    facts: RunFacts, threshold: int,
) -> VersionPlan:  # fmt: skip
    """Which version these figures are, and, for a revision, why and what changed."""
    latest = warehouse.latest_version(quarter)
    history = revisions(warehouse, quarter)
    if latest is None:
        return VersionPlan(quarter, 1, "new", ["first issue"], [], history)
    if latest["metrics_sha256"] == metrics_sha256:
        return VersionPlan(
            quarter, latest["version"], "same",
            json.loads(latest["reasons"]), json.loads(latest["changes"]), history,
        )  # fmt: skip
    circulated = warehouse.last_circulated(quarter)
    action = "new" if circulated and circulated["version"] == latest["version"] else "replace"
    version = latest["version"] + 1 if action == "new" else latest["version"]
    if circulated is None:
        return VersionPlan(quarter, version, action, ["first issue"], [], history)
    earlier = warehouse.run(circulated["run_id"])
    reasons = revision_reasons(earlier, facts)
    before = warehouse.metrics_of(circulated["run_id"])
    changes = changed_headlines(before, metrics_frame, threshold)
    return VersionPlan(quarter, version, action, reasons, changes, history)


def revisions(warehouse: Warehouse, quarter: str) -> list[Revision]:
    """Every recorded version of the quarter, oldest first."""
    found = sorted(warehouse.table("report_versions", quarter), key=lambda row: row["version"])
    return [
        Revision(
            row["version"],
            row["created_at"].date(),
            json.loads(row["reasons"]),
            json.loads(row["changes"]),
        )
        for row in found
    ]


def revision_reasons(earlier: dict[str, Any] | None, facts: RunFacts) -> list[str]:
    """Why these figures differ from the last circulated version's, in words."""
    if earlier is None:
        return ["figures changed"]
    reasons = []
    earlier_sources = json.loads(earlier["sources_sha256"] or "{}")
    if earlier["as_of"] != facts.as_of:
        reasons.append(
            f"later data: as of {long_date(facts.as_of)} (was {long_date(earlier['as_of'])})"
        )
    if earlier_sources != facts.sources_sha256:
        changed = sorted(
            {name.split(".")[0] for name in set(earlier_sources) | set(facts.sources_sha256)
             if earlier_sources.get(name) != facts.sources_sha256.get(name)}
        )  # fmt: skip
        reasons.append("late or corrected source data (" + ", ".join(changed) + ")")
    if earlier["config_sha256"] != facts.config_sha256:
        reasons.append("configuration change")
    if earlier["code_version"] != facts.code_version:
        reasons.append(f"code change ({earlier['code_version']} to {facts.code_version})")
    return reasons or ["figures changed with the same data, configuration and code"]


def changed_headlines(before: pd.DataFrame, after: pd.DataFrame, threshold: int) -> list[str]:
    """Each measure whose published headline figures changed, as published (suppressed cells
    stay suppressed): e.g. ``R6-UPDATE: eligible 812 to 830; rate 81.2% to 80.4%``."""

    def headline(frame: pd.DataFrame) -> dict[str, tuple[str, str]]:
        if frame.empty:
            return {}
        shown = published_tables(frame, threshold)
        rows = shown[shown["dimension"] == "all"]
        return {
            m: (e, _percent(r))
            for m, e, r in zip(rows["measure_id"], rows["eligible"], rows["rate"], strict=True)
        }

    old, new = headline(before), headline(after)
    changes = []
    for measure_id, (eligible, rate) in new.items():
        was_eligible, was_rate = old.get(measure_id, ("[x]", "[x]"))
        parts = []
        if eligible != was_eligible:
            parts.append(f"eligible {was_eligible} to {eligible}")
        if rate != was_rate:
            parts.append(f"rate {was_rate} to {rate}")
        if parts:
            changes.append(f"{measure_id}: " + "; ".join(parts))
    if not changes and not before.empty:
        changes.append("breakdowns changed; headline figures unchanged")
    return changes


def _percent(text: str) -> str:
    try:
        return f"{float(text):.1%}"
    except ValueError:
        return text  # [c], [z] or [x]
