"""Recipients the mail server refused during ``vcc circulate``, kept with the server's reply.

One refused address (a 550 for a mailbox that has gone) must not stop the rest of the list:
circulation sends to every recipient, records each refusal here, and then fails naming the
refused addresses, so that a rerun (once the list is put right) sends to them alone. The record
is ``<out>/circulation-refusals.jsonl``, owner-only, one JSON object a line: quarter, version,
edition, recipient, the server's reply, when and by whom. It is kept in a file rather than in a
warehouse table so that recording it needs no migration of the warehouse's schema.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from vcc.flows.private import private_file

REFUSALS = "circulation-refusals.jsonl"


def record_refusal(
    output_root: Path, quarter: str, version: int, edition: int, recipient: str, reply: str,
    refused_by: str,
) -> None:  # fmt: skip
    """Append one refusal to ``<out>/circulation-refusals.jsonl``."""
    path = private_file(output_root / REFUSALS)
    entry = {
        "quarter": quarter, "version": version, "edition": edition, "recipient": recipient,
        "reply": reply, "refused_at": dt.datetime.now().replace(microsecond=0).isoformat(),
        "refused_by": refused_by,
    }  # fmt: skip
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def refusals(output_root: Path, quarter: str | None = None) -> list[dict]:
    """The recorded refusals, oldest first (of ``quarter`` only, if given)."""
    path = output_root / REFUSALS
    if not path.exists():
        return []
    entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [entry for entry in entries if quarter is None or entry["quarter"] == quarter]
