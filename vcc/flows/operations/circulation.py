"""Sign-off and circulation of a quarter's report (``vcc approve``, ``vcc circulate``).

The report to approve or send is the one published in ``<out>/<quarter>/``; the warehouse says
which run, version and edition it is. Approval binds the exact PDF (its SHA-256): a rerun, even
with the same figures, needs approving again. Circulation sends only an approved PDF that is still
the current one, one message per recipient, records each message as it is accepted, and never
sends an edition of a version to someone who already has it unless asked to. A new edition (the
same figures in a report that says more, flows.warehouse.versions) goes to everyone again, and
says so in its subject and first lines. The PDF is read once and those bytes, checked against the
approval's SHA-256, are what every recipient gets (a file replaced meanwhile changes nothing
sent). Both hold the quarter's lock, so no run or sample interleaves.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select

from vcc.flows.checksums import CHECKSUMS, RELEASE_FOLDER, ReleaseAltered, release_checksum
from vcc.flows.errors import VccError
from vcc.flows.manifest import Manifest
from vcc.flows.operations.mail import RecipientRefused, send_message
from vcc.flows.operations.refusals import REFUSALS, record_refusal
from vcc.flows.warehouse.store import Warehouse
from vcc.flows.warehouse.tables import approvals, circulated_instances, circulations

if TYPE_CHECKING:
    from vcc.flows.config import Config


class CirculationError(VccError):
    """A report cannot be approved or sent as asked."""


@dataclass(frozen=True)
class Published:
    """The report currently published for a quarter, as the warehouse knows it."""

    quarter: str
    run_id: str
    version: int
    folder: Path
    pdf: Path
    pdf_sha256: str
    manifest: Manifest  # read from the run folder's manifest.json
    pdf_bytes: bytes  # the PDF as read once and checked: what is approved or sent
    release_sha256: str | None = None  # the open release's checksum; None: the run has none

    @property
    def edition(self) -> int:
        return int(self.manifest.get("version", {}).get("edition", 1))


def current_report(warehouse: Warehouse, output_root: Path, quarter: str) -> Published:
    """The published report of ``quarter``, checked against its manifest and the warehouse."""
    folder = output_root / quarter
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise CirculationError(
            f"no report for {quarter} in {output_root}; run `vcc run --quarter {quarter}` first"
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    run = warehouse.run(manifest["run_id"])
    if run is None or run["status"] != "succeeded" or run["version"] is None:
        raise CirculationError(
            f"the report in {folder} (run {manifest['run_id']}) is not in the warehouse "
            f"{warehouse.shown_url}; rerun the quarter with `vcc run --quarter {quarter}`"
        )
    pdf = Path(manifest["outputs"]["report"])
    pdf = folder / pdf.name  # the output folder may have moved since the run
    expected = manifest["outputs"]["checksums"][pdf.name]
    data = pdf.read_bytes() if pdf.is_file() else b""  # read once: a later change cannot slip in
    if hashlib.sha256(data).hexdigest() != expected:
        raise CirculationError(
            f"{pdf} is missing or is not the file run {manifest['run_id']} produced "
            f"(SHA-256 differs); rerun the quarter with `vcc run --quarter {quarter}`"
        )
    release = _checked_release(folder, manifest)
    return Published(
        quarter, run["run_id"], run["version"], folder, pdf, expected, manifest, data, release
    )


def _checked_release(folder: Path, manifest: dict[str, Any]) -> str | None:
    """The checksum of the run's open release, its files checked against its SHA256SUMS and
    that against the manifest; None for a run without one (an older vcc's)."""
    listed = manifest["outputs"]["checksums"].get(f"{RELEASE_FOLDER}/{CHECKSUMS}")
    try:
        found = release_checksum(folder / RELEASE_FOLDER)
    except ReleaseAltered as error:
        raise CirculationError(
            f"{error}: the open release is not the one run {manifest['run_id']} produced; rerun "
            f"the quarter with `vcc run --quarter {manifest['quarter']}`"
        ) from None
    if found != listed:
        raise CirculationError(
            f"the open release in {folder / RELEASE_FOLDER} is not the one run "
            f"{manifest['run_id']} produced (its {CHECKSUMS} differs from the manifest's)"
        )
    return found


def approve(warehouse: Warehouse, output_root: Path, quarter: str, by: str, note: str | None):
    """Record sign-off of the quarter's current report; returns (approval row, newly made).
    Holds the quarter's lock: no run replaces the report while it is being approved."""
    with warehouse.holding(quarter, "approve"):
        return _record_approval(warehouse, output_root, quarter, by, note)


def _record_approval(
    warehouse: Warehouse, output_root: Path, quarter: str, by: str, note: str | None
) -> tuple[dict[str, Any], bool]:
    report = current_report(warehouse, output_root, quarter)
    earlier = _approval_of(warehouse, report)
    if earlier:
        return earlier, False
    row = dict(
        quarter=quarter,
        version=report.version,
        run_id=report.run_id,
        pdf_sha256=report.pdf_sha256,
        release_sha256=report.release_sha256,
        approved_by=by,
        approved_at=dt.datetime.now().replace(microsecond=0),
        note=note,
    )
    with warehouse.transaction() as connection:
        connection.execute(insert(approvals).values(**row))
    return row, True


def _approval_of(warehouse: Warehouse, report: Published) -> dict[str, Any] | None:
    with warehouse.transaction() as connection:
        found = connection.execute(
            select(approvals)
            .where(approvals.c.run_id == report.run_id)
            .where(approvals.c.pdf_sha256 == report.pdf_sha256)
            .order_by(approvals.c.id)
            .limit(1)
        ).first()
    return dict(found._mapping) if found else None


@dataclass
class CirculationResult:
    report: Published
    sent: list[str]
    already: list[str]
    last_sent: dt.datetime | None = None  # nothing new to send: when it last went out


def circulate(
    warehouse: Warehouse,
    config: Config,
    output_root: Path,
    quarter: str,
    sent_by: str,
    resend: bool = False,
    progress=None,
) -> CirculationResult:
    """Email the approved current report to the distribution list, holding the quarter's lock
    (no run, approval or sample of the quarter meanwhile)."""
    with warehouse.holding(quarter, "circulate"):
        return _send(warehouse, config, output_root, quarter, sent_by, resend, progress)


def _send(
    warehouse: Warehouse,
    config: Config,
    output_root: Path,
    quarter: str,
    sent_by: str,
    resend: bool,
    progress,
) -> CirculationResult:
    # Inside: pandas, 1,662 ms; only sending needs it, not vcc approve
    from vcc.flows.operations.summary import run_summary_text

    report = current_report(warehouse, output_root, quarter)
    latest = warehouse.latest_version(quarter)
    if latest is None or (latest["version"], latest["edition"]) != (report.version, report.edition):
        raise CirculationError(f"version {report.version} of {quarter} has been superseded")
    approval = _approval_of(warehouse, report)
    if approval is None:
        raise CirculationError(_not_approved(warehouse, report))
    # What is sent is the bytes read once and checked, not the file, which a run could replace.
    if hashlib.sha256(report.pdf_bytes).hexdigest() != approval["pdf_sha256"]:
        raise CirculationError(
            f"{report.pdf} is not the PDF approved on {approval['approved_at']:%d %B %Y} "
            "(SHA-256 differs); nothing was sent"
        )
    attachment = (report.pdf.name, report.pdf_bytes)
    recipients = list(config.mail.distribution)
    if not recipients:
        raise CirculationError("no distribution list: set [mail] distribution in the configuration")
    already = sorted(set(_recipients_of(warehouse, report)) & set(recipients))
    to_send = recipients if resend else [r for r in recipients if r not in already]
    if not to_send:  # nothing new to send: not a failure, the log already shows it went out
        return CirculationResult(report, [], already, _last_sent(warehouse, report))
    _keep_instances(warehouse, report)
    subject = (
        f"{config.report.title}, {config.report.area}, {quarter}: "
        f"{report.manifest.get('version', {}).get('label', f'version {report.version}')}"
    )
    body = (
        f"Please find attached the {config.report.area} Victims' Code compliance report for "
        f"{quarter}, marked {config.report.marking}.\n\n{_version_note(warehouse, report)}"
        f"{_findings_note(report)}{run_summary_text(report.manifest)}\n{_release_note(approval)}"
        f"Sent by {config.report.produced_by}.\n"
    )
    sent: list[str] = []
    refused: dict[str, str] = {}
    for number, recipient in enumerate(to_send, start=1):
        try:
            message_id = send_message(config.mail, recipient, subject, body, [attachment])
        except RecipientRefused as error:
            # One refused mailbox stops no one else: recorded with the server's reply.
            refused[recipient] = str(error)
            record_refusal(output_root, quarter, report.version, report.edition, recipient,
                           str(error), sent_by)  # fmt: skip
            continue
        except VccError as error:
            raise CirculationError(
                f"{error}; sent to {len(sent)} of {len(to_send)} before it failed (recorded); "
                f"run `vcc circulate --quarter {quarter}` again to send to the rest"
            ) from None
        with warehouse.transaction() as connection:
            connection.execute(
                insert(circulations).values(
                    quarter=quarter,
                    version=report.version,
                    edition=report.edition,
                    run_id=report.run_id,
                    recipient=recipient,
                    pdf_sha256=approval["pdf_sha256"],  # of the bytes sent
                    message_id=message_id,
                    sent_at=dt.datetime.now().replace(microsecond=0),
                    sent_by=sent_by,
                )
            )
        sent.append(recipient)
        if progress:
            progress(f"sent {number}/{len(to_send)}")
    if refused:
        replies = "; ".join(refused.values())
        raise CirculationError(
            f"sent to {len(sent)} of {len(to_send)}; refused {len(refused)}: "
            f"{', '.join(refused)} ({replies}); each refusal is recorded in "
            f"{output_root / REFUSALS}: correct the address in [mail] distribution and run "
            f"`vcc circulate --quarter {quarter}` again to send to it"
        )
    return CirculationResult(report, sent, [] if resend else already)


def _release_note(approval: dict[str, Any]) -> str:
    """Names the open release approved with the report, so a reader can check the one they see."""
    if not approval.get("release_sha256"):
        return ""
    return (
        f"The open release approved with it (release/: the public page, the published tables "
        f"as open data and their Data Package) has the checksum {approval['release_sha256']} "
        f"(SHA-256 of its {CHECKSUMS} file).\n\n"
    )


def _not_approved(warehouse: Warehouse, report: Published) -> str:
    earlier = [a for a in warehouse.table("approvals", report.quarter)]
    if earlier:
        last = earlier[-1]
        return (
            f"the current {report.quarter} report (run {report.run_id}, version {report.version}) "
            f"is not approved: the approval by {last['approved_by']} on "
            f"{last['approved_at']:%d %B %Y} was for run {last['run_id']}, which a rerun has "
            f"superseded. Check the new report, then `vcc approve --quarter {report.quarter} "
            "--by NAME`"
        )
    return (
        f"the {report.quarter} report (version {report.version}) is not approved; check it, then "
        f"`vcc approve --quarter {report.quarter} --by NAME`"
    )


def _version_note(warehouse: Warehouse, report: Published) -> str:
    """For a revision or a later edition: what it replaces (and when that went out), why, and
    which headline figures changed; nothing for a first issue."""
    version = report.manifest.get("version", {})
    reasons = "; ".join(version.get("reasons", []))
    if report.edition > 1:
        return (
            f"This is edition {report.edition} of version {report.version}, which replaces edition "
            f"{report.edition - 1}{_sent_on(warehouse, report, report.version, report.edition - 1)}"
            f": {reasons}.\n\n"
        )
    if report.version == 1:
        return ""
    earlier = [
        (row["version"], row["edition"])
        for row in warehouse.table("circulations", report.quarter)
        if row["version"] < report.version
    ]
    was, edition = max(earlier, default=(report.version - 1, 1))
    changes: list[str] = list(version.get("changes", []))
    moved = "".join(f"  - {change}\n" for change in changes)
    return (
        f"This is {version.get('label', f'version {report.version}')}. It replaces version {was}"
        f"{_sent_on(warehouse, report, was, edition)}, because of: {reasons}.\n"
        + (f"Headline figures changed:\n{moved}" if moved else "No headline figure changed.\n")
        + "\n"
    )


def _sent_on(warehouse: Warehouse, report: Published, version: int, edition: int) -> str:
    sent = [
        row["sent_at"]
        for row in warehouse.table("circulations", report.quarter)
        if (row["version"], row["edition"]) == (version, edition)
    ]
    return f" (circulated on {min(sent).day} {min(sent):%B %Y})" if sent else ""


def _findings_note(report: Published) -> str:
    """The report's headline findings, as its summary page words them."""
    findings: list[str] = list(report.manifest.get("findings") or [])
    if not findings:
        return ""
    listed = "".join(f"  - {finding}\n" for finding in findings)
    return f"Headline findings:\n{listed}\n"


def _of_this_edition(warehouse: Warehouse, report: Published) -> list[dict[str, Any]]:
    return [
        row
        for row in warehouse.table("circulations", report.quarter)
        if (row["version"], row["edition"]) == (report.version, report.edition)
    ]


def _recipients_of(warehouse: Warehouse, report: Published) -> list[str]:
    """Who already has this edition (a rerun that changed no word of it is the same edition)."""
    return [row["recipient"] for row in _of_this_edition(warehouse, report)]


def _last_sent(warehouse: Warehouse, report: Published) -> dt.datetime:
    return max(row["sent_at"] for row in _of_this_edition(warehouse, report))


def _keep_instances(warehouse: Warehouse, report: Published) -> None:
    """Keep the instance table behind a version the first time it is circulated."""
    if any(row["version"] == report.version for row in _kept(warehouse, report.quarter)):
        return
    path = report.folder / "instances.parquet"
    data = path.read_bytes()
    checksum = hashlib.sha256(data).hexdigest()  # of the bytes kept, read once
    if checksum != report.manifest["outputs"]["checksums"]["instances.parquet"]:
        raise CirculationError(f"{path} is not the file run {report.run_id} produced")
    with warehouse.transaction() as connection:
        connection.execute(
            insert(circulated_instances).values(
                quarter=report.quarter,
                version=report.version,
                run_id=report.run_id,
                sha256=checksum,
                parquet=data,
            )
        )


def _kept(warehouse: Warehouse, quarter: str) -> list[dict[str, Any]]:
    with warehouse.transaction() as connection:
        found = connection.execute(
            select(circulated_instances.c.quarter, circulated_instances.c.version).where(
                circulated_instances.c.quarter == quarter
            )
        ).all()
    return [dict(row._mapping) for row in found]
