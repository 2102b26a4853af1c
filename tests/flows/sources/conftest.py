"""Fixtures of the source tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest


@pytest.fixture
def probation_db(tmp_path: Path) -> Path:
    """A SQLite database with both required probation tables (and no complaints)."""
    path = tmp_path / "probation.db"
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE vcs_referrals (referral_id TEXT, urn TEXT, victim_id TEXT,
                referred_at TEXT, first_contact_at TEXT, opted_in INTEGER, caseworker TEXT);
            INSERT INTO vcs_referrals VALUES
                ('P1', '10CU1', 'V1', '2024-09-19T04:34:58', NULL, 1, 'AB'),
                ('P2', '10CU2', 'V2', '2024-09-29T18:11:48', '2024-10-01T09:00:00', 0, 'CD'),
                ('P3', '10CU3', 'V3', '2024-09-30T10:00:00', NULL, NULL, 'AB');
            CREATE TABLE release_notifications (urn TEXT, victim_id TEXT, release_at TEXT,
                notified_at TEXT);
            INSERT INTO release_notifications VALUES
                ('10CU1', 'V1', '2024-08-18T08:47:28', '2024-08-18T08:58:46');
            CREATE VIEW releases_2024 AS SELECT * FROM release_notifications;
            """
        )
    return path
