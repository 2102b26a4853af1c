"""Is this warehouse vcc's, and whole? Checked on every opening, before anything is written.

Only a missing file is a new warehouse. An SQLite file that exists but is empty (0 bytes: a
truncated or zeroed file), holds no vcc schema, is at a revision this vcc does not know, or lacks
a table or column the code declares (a dropped table passes SQLite's ``quick_check``) is refused
in one line: taking it for a new warehouse would lose its approvals and remove approved reports.
A new SQLite warehouse is therefore made whole in a file of its own and linked into place in one
step (``create_sqlite``), so that no other process ever sees it half made.

Before a migration moves an existing SQLite warehouse on, a copy is taken beside it with SQLite's
online backup (``backup_sqlite``), as ``vcc warehouse backup`` takes one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import inspect

from vcc.flows.private import private_file
from vcc.flows.warehouse.tables import metadata

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def known_revisions() -> set[str]:
    """The revision ids of vcc's migrations (their files are named ``<id>_<words>.py``)."""
    return {path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("[0-9]*_*.py")}


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL; None for another database or an in-memory one."""
    if not url.startswith("sqlite"):
        return None
    database = url.split("///", 1)[-1]
    return Path(database) if database and database != ":memory:" else None


def empty_file_problem(path: Path) -> str | None:
    """Why an existing SQLite file cannot be a warehouse before it is even opened."""
    if path.exists() and path.is_file() and path.stat().st_size == 0:
        return "the file is empty (0 bytes); a new warehouse is made only where no file is"
    return None


def schema_problem(connection: Any, revision: str | None, current: str) -> str | None:
    """Why the opened database is not a whole vcc warehouse at ``current`` (None if it is).
    ``revision`` is the one Alembic recorded (None: no record)."""
    tables = set(inspect(connection).get_table_names())
    ours = set(metadata.tables)
    if revision is None:
        found = sorted(tables & ours)
        if found:
            return f"it holds vcc's tables ({', '.join(found[:3])}, ...) but no schema revision"
        if tables:
            shown = ", ".join(sorted(tables)[:4])
            return f"it is not a vcc warehouse: it holds other tables ({shown}) and none of vcc's"
        return "it holds no tables at all, so it is not a vcc warehouse"
    if revision not in known_revisions():
        return (
            f"its schema revision {revision!r} is not one this vcc knows (a newer vcc's?): "
            "open it with the vcc that wrote it"
        )
    if revision != current:
        return None  # an older vcc's: the migrations bring it on, after a backup
    missing = sorted(ours - tables)
    if missing:
        return f"table {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing"
    for name in sorted(ours):
        have = {column["name"] for column in inspect(connection).get_columns(name)}
        lost = [column.name for column in metadata.tables[name].columns if column.name not in have]
        if lost:
            return f"table {name} has lost its column {', '.join(lost)}"
    return None


def create_sqlite(path: Path, make_schema: Callable[[Path], None]) -> None:
    """A new SQLite warehouse at ``path``: ``make_schema`` builds it in a file of its own, which
    is then linked into place in one step; if another process got there first, its file
    stands."""
    draft = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.new")
    private_file(draft)
    try:
        make_schema(draft)
        with contextlib.suppress(FileExistsError):  # another process made it first
            os.link(draft, path)
    finally:
        draft.unlink(missing_ok=True)


def backup_sqlite(path: Path, target: Path | None = None) -> Path:
    """A consistent copy of the SQLite warehouse at ``path`` (SQLite's online backup: other
    processes may go on reading and writing meanwhile), owner-only; its path. Default target:
    ``<path>.backup-<YYYYmmddTHHMMSS>`` beside it."""
    if target is None:
        stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
        target = path.with_name(f"{path.name}.backup-{stamp}")
    private_file(target)
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    return target
