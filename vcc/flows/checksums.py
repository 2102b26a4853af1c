"""The SHA-256 of a file, read in blocks: how a run's outputs and snapshots are recorded in its
manifest, and how approval and circulation know a report is the one a run produced."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
