"""The SHA-256 of a file, read in blocks: how a run's outputs and snapshots are recorded in its
manifest, and how approval and circulation know a report is the one a run produced; and the
checksum of a run's open release (``release/``), which approval records beside the PDF's."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


RELEASE_FOLDER = "release"  # <out>/<quarter>/release/: the open release (CONTRACT.md §7.4)
CHECKSUMS = "SHA256SUMS"  # in the release: the SHA-256 of each of its other files


class ReleaseAltered(ValueError):
    """A release's files are not those its SHA256SUMS lists."""


def release_checksum(folder: Path) -> str | None:
    """The checksum of the release in ``folder`` (the SHA-256 of its ``SHA256SUMS``), once every
    file it lists is checked against it and no other file is found; None when there is no
    release (a run of an older vcc). Raises ReleaseAltered naming a file that differs."""
    sums = folder / CHECKSUMS
    if not sums.is_file():
        return None
    data = sums.read_bytes()
    listed: dict[str, str] = {}  # file name -> SHA-256, as sha256sum writes them
    for line in data.decode("utf-8").splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    for name, expected in listed.items():
        path = folder / name
        if not path.is_file() or sha256(path) != expected:
            raise ReleaseAltered(f"{path} is missing or is not the file its {CHECKSUMS} lists")
    extra = sorted(p.name for p in folder.iterdir() if p.name not in {*listed, CHECKSUMS})
    if extra:
        raise ReleaseAltered(
            f"{folder} holds files its {CHECKSUMS} does not list: {', '.join(extra)}"
        )
    return hashlib.sha256(data).hexdigest()
