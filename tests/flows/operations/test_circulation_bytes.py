"""Circulation sends exactly the approved bytes (issue 14: a run during circulation sent two of
three recipients the new, unapproved PDF while the log recorded the approved one's SHA-256).
The PDF is read once, checked against the approval's SHA-256, and those bytes go to everyone,
through a real SMTP server; a PDF replaced before sending is refused with nothing sent."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.flows.cli.published import QUARTER, published_quarter
from tests.smtp_server import running_smtp_server
from vcc.flows.config import Config, load_config
from vcc.flows.operations.circulation import CirculationError, approve, circulate
from vcc.flows.warehouse.store import Warehouse, default_url

BOARD = ["chair@partnership.example.org", "police@partnership.example.org",
         "cps@partnership.example.org"]  # fmt: skip
PDF = f"vcc-{QUARTER}-report.pdf"
UNAPPROVED = b"%PDF-1.7 other figures, never approved"


def settings(tmp_path: Path, port: int) -> Config:
    path = tmp_path / "vcc.toml"
    path.write_text(
        f'[mail]\nhost = "127.0.0.1"\nport = {port}\nsender = "vcc@opfcc.example.org"\n'
        f"distribution = {json.dumps(BOARD)}\n",
        encoding="utf-8",
    )
    return load_config(path)


def replace_report(out: Path, data: bytes, manifest_too: bool) -> None:
    """What a run replacing the published PDF does to the files (with its manifest, or not)."""
    (out / QUARTER / PDF).write_bytes(data)
    if manifest_too:
        path = out / QUARTER / "manifest.json"
        manifest = json.loads(path.read_text(encoding="utf-8"))
        manifest["outputs"]["checksums"][PDF] = hashlib.sha256(data).hexdigest()
        path.write_text(json.dumps(manifest), encoding="utf-8")


@pytest.fixture
def approved(tmp_path: Path) -> tuple[Path, Warehouse, bytes]:
    """A published quarter, approved: its output folder, warehouse and the approved PDF."""
    out = tmp_path / "out"
    published_quarter(out)
    (out / QUARTER / "published-tables.csv").write_text(  # the email's summary: no figures
        "measure_id,agency,dimension,eligible,rate,rag\n", encoding="utf-8"
    )
    warehouse = Warehouse(default_url(out))
    approve(warehouse, out, QUARTER, "Head of Victims Services", None)
    return out, warehouse, (out / QUARTER / PDF).read_bytes()


def test_every_recipient_gets_the_approved_bytes_though_the_file_changes_meanwhile(
    approved: tuple[Path, Warehouse, bytes], tmp_path: Path
) -> None:
    out, warehouse, pdf = approved
    with running_smtp_server() as smtp:
        # after the first message, the published PDF (and its manifest) is replaced
        result = circulate(
            warehouse, settings(tmp_path, smtp.port), out, QUARTER, "analyst",
            progress=lambda line: replace_report(out, UNAPPROVED, manifest_too=True),
        )  # fmt: skip
        sent = [next(m.iter_attachments()).get_content() for m in smtp.messages]
    assert result.sent == BOARD
    assert sent == [pdf, pdf, pdf]
    (approval,) = warehouse.table("approvals")
    logged = warehouse.table("circulations", QUARTER)
    assert [row["pdf_sha256"] for row in logged] == [approval["pdf_sha256"]] * 3
    assert approval["pdf_sha256"] == hashlib.sha256(pdf).hexdigest()


@pytest.mark.parametrize("manifest_too", [False, True])
def test_a_pdf_replaced_between_approval_and_circulation_is_refused_and_nothing_sent(
    approved: tuple[Path, Warehouse, bytes], tmp_path: Path, manifest_too: bool
) -> None:
    out, warehouse, _ = approved
    replace_report(out, UNAPPROVED, manifest_too)
    with running_smtp_server() as smtp:
        with pytest.raises(CirculationError) as refused:
            circulate(warehouse, settings(tmp_path, smtp.port), out, QUARTER, "analyst")
        assert smtp.messages == []
    assert warehouse.table("circulations") == []
    said = str(refused.value)
    if manifest_too:  # the manifest names the new PDF: it is not the one approved
        assert said.startswith(f"the current {QUARTER} report (run {QUARTER}-run-2, version 1) "
                               "is not approved")  # fmt: skip
    else:  # the PDF is not the one the run made
        assert said == (
            f"{out / QUARTER / PDF} is missing or is not the file run {QUARTER}-run-2 produced "
            f"(SHA-256 differs); rerun the quarter with `vcc run --quarter {QUARTER}`"
        )


def test_a_refused_recipient_stops_no_one_else_and_a_rerun_sends_to_it_alone(approved, tmp_path):
    # Issue 27: a 550 for the second of four recipients left the third and fourth unsent, and
    # every rerun failed the same way.
    out, warehouse, pdf = approved
    four = [*BOARD, "probation@partnership.example.org"]
    gone = BOARD[1]

    def four_recipients(port: int) -> Config:
        config = settings(tmp_path, port)
        return config.model_copy(
            update={"mail": config.mail.model_copy(update={"distribution": four})}
        )

    with running_smtp_server(refuse={gone}) as smtp:
        with pytest.raises(CirculationError) as raised:
            circulate(warehouse, four_recipients(smtp.port), out, QUARTER, "analyst")
        delivered = [r for item in smtp.received for r in item.rcpt_tos]

    assert delivered == [four[0], four[2], four[3]]
    assert str(raised.value) == (
        f"sent to 3 of 4; refused 1: {gone} (the mail server 127.0.0.1:{smtp.port} refused the "
        f"recipient {gone}: 550 5.1.1 <{gone}>: no such mailbox here); each refusal is recorded "
        f"in {out / 'circulation-refusals.jsonl'}: correct the address in [mail] distribution "
        f"and run `vcc circulate --quarter {QUARTER}` again to send to it"
    )
    (refusal,) = [json.loads(line) for line in (out / "circulation-refusals.jsonl").open()]
    assert (refusal["recipient"], refusal["quarter"], refusal["refused_by"]) == (
        gone, QUARTER, "analyst"
    )  # fmt: skip
    assert "550 5.1.1" in refusal["reply"]
    assert [row["recipient"] for row in warehouse.table("circulations", QUARTER)] == [
        four[0], four[2], four[3]
    ]  # fmt: skip

    with running_smtp_server() as smtp:  # the mailbox is back: the rerun sends to it alone
        result = circulate(warehouse, four_recipients(smtp.port), out, QUARTER, "analyst")
        again = [r for item in smtp.received for r in item.rcpt_tos]
    assert (again, result.sent) == ([gone], [gone])
    assert [next(m.iter_attachments()).get_content() for m in smtp.messages] == [pdf]
