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
        sent = [m.get_payload()[1].get_content() for m in smtp.messages]  # type: ignore[index, union-attr]
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
