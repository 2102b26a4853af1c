"""A tiny probation source, the smallest with two required tables and the optional complaints,
written in tmp_path as a folder of CSV files or read from a SQLite database."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from vcc.flows.config import SourceConfig
from vcc.flows.sources.extract import extract_source

VCS_REFERRALS = """\
referral_id,urn,victim_id,referred_at,first_contact_at,opted_in
P1,10CU1,V1,2024-09-19T04:34:58,2024-10-29T05:23:28,true
P2,10CU2,V2,2024-09-29T18:11:48,,
"""
RELEASES = """\
urn,victim_id,release_at,notified_at
10CU1,V1,2024-08-18T08:47:28,2024-08-18T08:58:46
"""
COMPLAINTS = """\
complaint_id,received_at,acknowledged_at,responded_at
PRC1,2024-09-03T22:43:46,,
"""


def probation_folder(tmp_path: Path, files: dict[str, str | bytes | None] | None = None) -> Path:
    """A probation folder of canonical CSVs; ``files`` adds, replaces or (None) removes files."""
    folder = tmp_path / "probation"
    folder.mkdir()
    tables = {"vcs_referrals.csv": VCS_REFERRALS, "release_notifications.csv": RELEASES}
    for name, content in (tables | (files or {})).items():
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        elif content is not None:
            (folder / name).write_text(content, encoding="utf-8")
    return folder


def files_source(folder: Path, **settings) -> SourceConfig:
    return SourceConfig(kind="files", path=folder, **settings)


def referrals(folder: Path, **settings) -> pd.DataFrame:
    return extract_source("probation", files_source(folder, **settings))["vcs_referrals"].frame


def sql_source(path: Path, **settings) -> SourceConfig:
    return SourceConfig(kind="sql", url=f"sqlite:///{path}", **settings)
