"""The version policy: which report version a run's figures are published as, and, for a
revision, why and what changed (README "Reruns and revisions").

- a quarter's first successful run is version 1, its *first issue*;
- a rerun with byte-identical ``metrics.csv`` keeps the version (a rerun changes no figure);
- a rerun whose figures differ from the last *circulated* version is version N+1, a *revision*,
  recorded with why (later data, configuration change, code change) and which figures changed;
- while the newest version has not been circulated, changed figures replace it in place (a draft
  nobody outside the office has seen is not a revision), and its approval lapses with it;
- a rerun with the same figures whose report says something else (case reviews imported since,
  say) is a new *edition* of the version when the current edition has been circulated, recorded
  with what changed; before that it replaces the edition in place. What a report says is its
  fingerprint without the run's id, date and version label
  (``reports.render.content_fingerprints``), so a rerun that changes no word of it is neither.

The warehouse (``store.py``) records what is decided here; this module decides and stores nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from vcc.reports.names import table_words
from vcc.transforms.agencies import agency_rank
from vcc.transforms.quarters import long_date

if TYPE_CHECKING:
    import pandas as pd  # only comparing figures needs it (history and show print labels)

    from vcc.flows.warehouse.store import Warehouse


@dataclass(frozen=True)
class RunFacts:
    """What a run was made from, to say why its figures differ from an earlier version's."""

    as_of: dt.date
    config_sha256: str
    code_version: str
    sources_sha256: dict[str, str]  # "<source>.<table>.parquet": the snapshot's SHA-256
    source_rows: dict[str, int] = field(default_factory=dict)  # "<source>.<table>": rows read
    # the settings the configuration's fingerprint covers, by section (Config.fingerprint)
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Revision:
    """One row of the report's revisions table."""

    version: int
    produced: dt.date
    reasons: list[str]
    changes: list[str]
    edition: int = 1

    @property
    def name(self) -> str:
        """``2``, or ``2, edition 2`` for a later edition of version 2."""
        return f"{self.version}" + (f", edition {self.edition}" if self.edition > 1 else "")


def version_label(version: int, edition: int = 1) -> str:
    """``First issue (version 1)``, ``Revision 1 (version 2)``, ``Revision 1 (version 2, edition
    2)``: the words on the cover, in ``vcc history`` and in the circulation email."""
    name = "First issue" if version == 1 else f"Revision {version - 1}"
    return f"{name} (version {version}" + (f", edition {edition})" if edition > 1 else ")")


@dataclass(frozen=True)
class VersionPlan:
    """The version a run's figures will be published as, decided before the report is drawn."""

    quarter: str
    version: int
    # "new" (a new version), "same" (figures and report unchanged, or an uncirculated edition
    # replaced in place), "replace" (an uncirculated draft) or "edition" (a new edition)
    action: str
    reasons: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    history: list[Revision] = field(default_factory=list)  # every recorded version and edition
    edition: int = 1
    content: dict[str, str] | None = None  # the report's fingerprint it was planned with

    @property
    def label(self) -> str:
        return version_label(self.version, self.edition)

    @property
    def revisions(self) -> list[Revision]:
        """Every revision and later edition since the first issue, oldest first, this one
        included."""
        here = (self.version, self.edition)
        if here == (1, 1):
            return []
        current = Revision(self.version, dt.date.today(), self.reasons, self.changes, self.edition)
        earlier = [r for r in self.history if (1, 1) < (r.version, r.edition) < here]
        return [*earlier, current]


def plan_version(
    warehouse: Warehouse, quarter: str, metrics_frame: pd.DataFrame, metrics_sha256: str,
    facts: RunFacts, threshold: int, content: dict[str, str] | None = None,
) -> VersionPlan:  # fmt: skip
    """Which version (and edition) these figures are, and, for a revision or a new edition, why
    and what changed. ``content`` is the report's fingerprint (``content_fingerprints``)."""
    plan = _plan(warehouse, quarter, metrics_frame, metrics_sha256, facts, threshold, content)
    return replace(plan, content=content)


def _plan(
    warehouse: Warehouse, quarter: str, metrics_frame: pd.DataFrame, metrics_sha256: str,
    facts: RunFacts, threshold: int, content: dict[str, str] | None,
) -> VersionPlan:  # fmt: skip
    latest = warehouse.latest_version(quarter)
    history = revisions(warehouse, quarter)
    if latest is None:
        return VersionPlan(quarter, 1, "new", ["first issue"], [], history)
    if latest["metrics_sha256"] == metrics_sha256:
        version, edition = latest["version"], latest["edition"]
        said = json.loads(latest["content_sha256"] or "null")
        changed = content and said and said["report"] != content["report"]
        if content and changed and _circulated(warehouse, quarter, version, edition):
            reasons = edition_reasons(said, content, warehouse.run(latest["run_id"]), facts)
            return VersionPlan(quarter, version, "edition", reasons, [], history, edition + 1)
        return VersionPlan(
            quarter, version, "same",
            json.loads(latest["reasons"]), json.loads(latest["changes"]), history, edition,
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


def _circulated(warehouse: Warehouse, quarter: str, version: int, edition: int) -> bool:
    return any(
        (row["version"], row["edition"]) == (version, edition)
        for row in warehouse.table("circulations", quarter)
    )


def revisions(warehouse: Warehouse, quarter: str) -> list[Revision]:
    """Every recorded version and edition of the quarter, oldest first."""
    rows = warehouse.table("report_versions", quarter)
    found = sorted(rows, key=lambda row: (row["version"], row["edition"]))
    return [
        Revision(
            row["version"],
            row["created_at"].date(),
            json.loads(row["reasons"]),
            json.loads(row["changes"]),
            row["edition"],
        )
        for row in found
    ]


# The parts of a report a new edition is explained by, in words (content_fingerprints' names).
_CHANGED_PARTS = {
    "case reviews": "case reviews imported since the last edition",
    "data quality": "data quality figures changed (rows read or quarantined)",
}
_SAME_FIGURES = "figures unchanged"
_NO_FACT = "figures changed with the same data, configuration and code"


def edition_reasons(
    said: dict[str, str], says: dict[str, str], earlier: dict[str, Any] | None, facts: RunFacts
) -> list[str]:
    """Why a report with the same figures says something else: the parts that changed, then
    what the run was made from that differs from the edition before (``revision_reasons``)."""
    parts = [words for part, words in _CHANGED_PARTS.items() if said.get(part) != says.get(part)]
    made_from = [] if earlier is None else [
        reason for reason in revision_reasons(earlier, facts) if reason != _NO_FACT
    ]  # fmt: skip
    return [_SAME_FIGURES, *(parts + made_from or ["the report's wording changed"])]


def revision_reasons(earlier: dict[str, Any] | None, facts: RunFacts) -> list[str]:
    """Why these figures differ from the last circulated version's, in words, each reason read
    from the evidence the two runs recorded: their as-of dates (earlier or later), the source
    tables whose snapshots' checksums differ (with their rows read then and now), the
    configuration's sections that differ, and the code version."""
    if earlier is None:
        return ["figures changed"]
    manifest = _manifest_of(earlier)
    reasons = []
    was, now = earlier["as_of"], facts.as_of
    if now < was:
        reasons.append(f"an earlier data date: as of {long_date(now)} (was {long_date(was)})")
    elif now > was:
        reasons.append(f"later data: as of {long_date(now)} (was {long_date(was)})")
    earlier_sources = json.loads(earlier["sources_sha256"] or "{}")
    if earlier_sources != facts.sources_sha256:
        reasons.append(_sources_reason(earlier_sources, manifest, facts, now != was))
    elif now != was and facts.sources_sha256:
        reasons.append("no source table differs")
    if earlier["config_sha256"] != facts.config_sha256:
        sections = _changed_sections(manifest, facts.settings)
        reasons.append("configuration changed" + (f" ({sections})" if sections else ""))
    if earlier["code_version"] != facts.code_version:
        reasons.append(f"code changed (version {earlier['code_version']} to {facts.code_version})")
    return reasons or [_NO_FACT]


TABLES_NAMED = 4  # source tables named in a reason; the rest are counted
_WORDS = {"cps": "CPS", "wcu": "Witness Care Unit"}  # sources and agencies as said


def _manifest_of(run: dict[str, Any]) -> dict[str, Any]:
    try:
        manifest = json.loads(run.get("manifest") or "{}")
    except (TypeError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _sources_reason(
    earlier_sources: dict[str, str], manifest: dict[str, Any], facts: RunFacts, dated: bool
) -> str:
    """Which source tables differ (their snapshots' checksums), with their rows read then and
    now, the largest changes in rows first. With the data date changed the tables are read up to
    another day, so they are said to differ, not to have been corrected."""

    def stem(name: str) -> str:
        return name.removesuffix(".parquet")

    before = {stem(name): checksum for name, checksum in earlier_sources.items()}
    after = {stem(name): checksum for name, checksum in facts.sources_sha256.items()}
    rows_before = {
        f"{row.get('source')}.{row.get('table')}": row.get("rows_read")
        for row in manifest.get("rows", []) if isinstance(row, dict)
    }  # fmt: skip
    differ = [
        name for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)
    ]

    def change(name: str) -> int:
        old, new = rows_before.get(name), facts.source_rows.get(name)
        return abs(new - old) if isinstance(old, int) and isinstance(new, int) else 0

    described = []
    for name in sorted(differ, key=lambda name: (-change(name), name))[:TABLES_NAMED]:
        old, new = rows_before.get(name), facts.source_rows.get(name)
        if name not in after:
            described.append(f"{table_words(name)} no longer supplied")
        elif name not in before:
            described.append(f"{table_words(name)} newly supplied" + _rows(new))
        elif isinstance(old, int) and isinstance(new, int) and old == new:
            described.append(f"{table_words(name)} (the same {new:,} rows, values changed)")
        elif isinstance(old, int) and isinstance(new, int):
            described.append(f"{table_words(name)} {new:,} rows (was {old:,})")
        else:
            described.append(table_words(name))
    more = len(differ) - len(described)
    listed = "; ".join(described) + (f"; and {more} more" if more else "")
    total = len(set(before) | set(after))
    if dated:
        return f"{len(differ)} of {total} source tables differ as read to that date: {listed}"
    return f"late or corrected source data in {len(differ)} of {total} tables: {listed}"


def _rows(count: int | None) -> str:
    return f" ({count:,} rows)" if isinstance(count, int) else ""


def _changed_sections(manifest: dict[str, Any], settings: dict[str, Any]) -> str:
    """The configuration's sections whose settings differ (``measures, disclosure``), when both
    runs recorded them; the sources' settings (not in the manifest's settings) otherwise."""
    recorded = manifest.get("configuration", {}).get("settings")
    if not isinstance(recorded, dict) or not settings:
        return ""
    changed = [
        key for key in sorted(settings) if key in recorded and recorded[key] != settings[key]
    ]
    return ", ".join(key.replace("_", " ") for key in changed) or "sources"


def changed_headlines(before: pd.DataFrame, after: pd.DataFrame, threshold: int) -> list[str]:
    """Each measure whose published headline figures changed, as published (suppressed cells
    stay suppressed), named with its agency (``R12-ACK`` is reported once per source), counts
    with thousands separators: e.g. ``R6-UPDATE (police): eligible 812 to 1,030; rate 81.2% to
    80.4%``."""

    # Inside: pandas, 1,588 ms; vcc approve reads versions and never loads it
    from vcc.transforms.disclosure import published_tables

    def headline(frame: pd.DataFrame) -> dict[tuple[str, str], tuple[str, str]]:
        if frame.empty:
            return {}
        shown = published_tables(frame, threshold)
        rows = shown[shown["dimension"] == "all"]
        return {
            (m, a): (_count(e), _percent(r))
            for m, a, e, r in zip(
                rows["measure_id"], rows["agency"], rows["eligible"], rows["rate"], strict=True
            )
        }

    old, new = headline(before), headline(after)
    changes = []
    for measure_id, agency in new:
        eligible, rate = new[(measure_id, agency)]
        was_eligible, was_rate = old.get((measure_id, agency), ("[x]", "[x]"))
        parts = []
        if eligible != was_eligible:
            parts.append(f"eligible {was_eligible} to {eligible}")
        if rate != was_rate:
            parts.append(f"rate {was_rate} to {rate}")
        if parts:
            named = f"{measure_id} ({_WORDS.get(agency, agency)})"
            changes.append((agency_rank(agency), f"{named}: " + "; ".join(parts)))
    listed = [text for _, text in sorted(changes, key=lambda change: change[0])]
    if not listed and not before.empty:
        listed.append("breakdowns changed; headline figures unchanged")
    return listed


def _count(text: str) -> str:
    """A published count with thousands separators (``1,240``); a symbol as it is."""
    return f"{int(text):,}" if str(text).isdigit() else str(text)


def _percent(text: str) -> str:
    try:
        return f"{float(text):.1%}"
    except ValueError:
        return text  # [c], [z] or [x]
