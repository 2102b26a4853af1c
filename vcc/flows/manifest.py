"""The manifests a run writes beside its outputs (``manifest.json``, CONTRACT.md §4), as types:
``Manifest`` for a quarter's run (``flows.run.publish``), ``ComparisonManifest`` for the
comparison of a run of many areas (``flows.run.comparison``). Both are plain JSON objects on
disk, and a ``dict`` at run time."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict, cast


class Outputs(TypedDict):
    report: str  # the PDF's path in <out>/<quarter>/
    checksums: dict[str, str]  # file (relative to the run's folder) -> SHA-256
    release_sha256: NotRequired[str]  # a comparison's open release: its SHA256SUMS' SHA-256


class Version(TypedDict):
    number: int
    edition: int
    label: str  # "First issue (version 1)", "Revision 1 (version 2)", ...
    reasons: list[str]
    changes: NotRequired[list[str]]  # a revision's headline figures that moved, as published


class Manifest(TypedDict):
    run_id: str
    quarter: str
    as_of: str  # ISO date
    extracted_at: str  # ISO date and time
    triggered_by: str
    from_snapshot: str | None
    code_version: str
    victims_code: str | None  # the Code's catalogue (CONTRACT.md §6.4)
    python: str
    configuration: dict[str, Any]  # files, sha256, settings, sources
    rows: list[dict[str, Any]]  # per source table: rows read, accepted, quarantined
    snapshots: dict[str, str]  # snapshot file -> SHA-256
    outputs: Outputs
    findings: NotRequired[list[str]]  # the report's headline findings (the email quotes them)
    timings_seconds: dict[str, float]
    revised_earlier_figures: bool | None
    version: NotRequired[Version]  # added once the warehouse has said which version it is


class ComparisonVersion(TypedDict):
    number: int
    label: str


class ComparisonManifest(TypedDict):
    run_id: str
    quarter: str
    as_of: str
    areas: dict[str, dict[str, str | None]]  # area -> its run_id and failure
    missing_areas: dict[str, str]  # area -> why it is not compared
    comparison: list[dict[str, Any]]  # the published comparison's rows
    outputs: Outputs
    version: ComparisonVersion
    revised_earlier_figures: bool


RunManifest = Manifest | ComparisonManifest  # what a run of the flow returns


def one_area(manifest: RunManifest) -> Manifest:
    """The manifest of a run of one area, from what the flow returns: a comparison of many areas
    (it has ``areas``) is refused, so a caller that ran one area reads its fields typed."""
    if "areas" in manifest:
        raise TypeError("a comparison of many areas, not the run of one area")
    return cast(Manifest, manifest)
