"""``vcc circulate`` with nothing new to send (issue 15): every recipient already has the
approved version, so it says so and exits 0, sending nothing; no SMTP server is needed, since
none is contacted. The sending itself is tested against a real SMTP server in
test_operations.py."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import insert

from tests.flows.cli.published import QUARTER, published_quarter
from vcc.flows.cli import main
from vcc.flows.operations.circulation import approve
from vcc.flows.warehouse.store import Warehouse, default_url
from vcc.flows.warehouse.tables import circulations

BOARD = ["chair@partnership.example.org", "analyst@opfcc.example.org"]


def test_circulate_with_nothing_new_to_send_says_so_and_exits_0(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_id = published_quarter(out)
    warehouse = Warehouse(default_url(out))
    approval, _ = approve(warehouse, out, QUARTER, "Head of Victims Services", None)
    with warehouse.transaction() as connection:
        for recipient in BOARD:
            connection.execute(insert(circulations).values(
                quarter=QUARTER, version=approval["version"], run_id=run_id,
                recipient=recipient, pdf_sha256=approval["pdf_sha256"], message_id="<m@x>",
                sent_at=dt.datetime(2025, 2, 20, 9, 30), sent_by="analyst",
            ))  # fmt: skip
    config = tmp_path / "vcc.toml"
    config.write_text(
        f'[mail]\nhost = "127.0.0.1"\nport = 1\nsender = "vcc@opfcc.example.org"\n'
        f"distribution = {json.dumps(BOARD)}\n",
        encoding="utf-8",
    )  # port 1: were anything sent, it would fail
    result = CliRunner().invoke(
        main, ["circulate", "--quarter", QUARTER, "--config", str(config), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"vcc: nothing new to send: {QUARTER} version 1 was already sent to all 2 recipient(s) "
        "(last on 20 February 2025 09:30); --resend sends it again\n"
    )
    assert len(warehouse.table("circulations", QUARTER)) == 2  # nothing more logged
