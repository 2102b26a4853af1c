"""Every warehouse test runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from vcc.flows.warehouse.store import Warehouse


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    if request.param == "sqlite":
        return Warehouse(f"sqlite:///{tmp_path / 'warehouse.sqlite'}")
    return Warehouse(request.getfixturevalue("postgres_database"))
