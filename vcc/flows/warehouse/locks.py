"""One lock per quarter (the ``run_locks`` table): run, approve, circulate, sample and review
import of a quarter wait for each other, up to ``[warehouse] lock_wait_seconds``, then refuse in
one line naming the holder. A holder whose process has died on this machine, or older than
``STALE_LOCK``, is taken over (a run it was making is recorded as abandoned)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from vcc.flows.errors import VccError
from vcc.flows.warehouse.tables import run_locks, runs

STALE_LOCK = dt.timedelta(hours=12)  # no run takes this long; its holder was killed elsewhere
LOCK_POLL_SECONDS = 0.25  # how often a waiting operation looks at the lock again
LOCK_ATTEMPTS = 100_000  # bounds the loop; the wait itself ends it
# What the holder of a quarter's lock is doing, as the refusal says it.
OPERATIONS = {
    "run": "being run",
    "approve": "being approved",
    "circulate": "being circulated",
    "sample": "being sampled",
    "review import": "having a review form imported",
    "comparison": "having how it compares added to its report",
}
# Who started a run holding the lock (its ``triggered_by``), as the refusal says it: an analyst
# refused by the run ``vcc serve`` started on schedule is told so, and the reverse.
TRIGGERS = {
    "schedule": "a scheduled run of vcc serve",
    "deployment": "a run of vcc serve's deployment",
    "backfill": "a backfill",
    "manual": "a vcc run",
}


class QuarterLocked(VccError):
    """Another run, approval, circulation, sample or review import of the quarter holds its
    lock."""


def held_by(holder: dict[str, Any]) -> str:
    """Who holds a quarter's lock, in words: "2026Q3 is being circulated by pid 1234 since
    14:02"; a run adds who started it: "…since 07:00, a scheduled run of vcc serve"."""
    doing = OPERATIONS.get(holder["operation"], f"locked by {holder['operation']}")
    run = f" (run {holder['run_id']})" if holder["operation"] == "run" else ""
    where = "" if holder["host"] == socket.gethostname() else f" on {holder['host']}"
    since = holder["acquired_at"]
    when = f"{since:%H:%M}" if since.date() == dt.date.today() else f"{since:%Y-%m-%d %H:%M}"
    started = holder.get("triggered_by")
    by = f", {TRIGGERS.get(started, started)}" if started else ""
    return f"{holder['quarter']} is {doing}{run} by pid {holder['pid']}{where} since {when}{by}"


def now() -> dt.datetime:
    """The warehouse's time stamps: local time to the second."""
    return dt.datetime.now().replace(microsecond=0)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class QuarterLocks:
    """The quarters' locks of one warehouse database."""

    def __init__(
        self, engine: Engine, lock_wait: float = 0.0, notice: Callable[[str], None] | None = None
    ):
        self.engine = engine
        self.lock_wait = lock_wait
        self.notice = notice

    @contextmanager
    def holding(self, quarter: str, operation: str) -> Iterator[None]:
        """Hold the quarter's lock for ``operation`` (one of ``OPERATIONS``) while the block
        runs, and release it however the block ends."""
        holder = f"{operation.replace(' ', '-')}-{uuid.uuid4().hex[:12]}"
        self.take(quarter, operation, holder)
        try:
            yield
        finally:
            with self.engine.begin() as connection:
                connection.execute(delete(run_locks).where(run_locks.c.run_id == holder))

    def take(self, quarter: str, operation: str, holder: str) -> None:
        """One lock per quarter for run, approve, circulate, sample and review import: wait up
        to ``lock_wait`` seconds for another holder to finish, then refuse naming it. A holder
        whose process has died on this machine, or older than ``STALE_LOCK``, is taken over."""
        row = dict(quarter=quarter, run_id=holder, host=socket.gethostname(), pid=os.getpid(),
                   operation=operation)  # fmt: skip
        deadline = time.monotonic() + self.lock_wait
        told = False
        for _ in range(LOCK_ATTEMPTS):
            try:
                with self.engine.begin() as connection:
                    connection.execute(insert(run_locks).values(**row, acquired_at=now()))
                return
            except IntegrityError:
                found = self._holder(quarter)
                if found is None:
                    continue  # released in between
                if self._stale(found):
                    self._take_over(found)
                    continue
                if time.monotonic() >= deadline:
                    raise QuarterLocked(f"{held_by(found)}; try again when it finishes") from None
                if not told and self.notice:
                    self.notice(f"{held_by(found)}; waiting up to {self.lock_wait:g} s")
                    told = True
                time.sleep(min(LOCK_POLL_SECONDS, max(deadline - time.monotonic(), 0)))
        raise QuarterLocked(f"{quarter}: could not take the quarter's lock; try again")

    def _holder(self, quarter: str) -> dict[str, Any] | None:
        """The quarter's lock, with who started the run holding it (none until it is recorded,
        a moment after it takes the lock, nor for another operation)."""
        with self.engine.connect() as connection:
            found = connection.execute(
                select(run_locks, runs.c.triggered_by)
                .join(runs, runs.c.run_id == run_locks.c.run_id, isouter=True)
                .where(run_locks.c.quarter == quarter)
            ).first()
        return dict(found._mapping) if found else None

    def _take_over(self, holder: dict[str, Any]) -> None:
        """Remove a dead holder's lock; a run it was making is recorded as abandoned."""
        with self.engine.begin() as connection:
            connection.execute(delete(run_locks).where(run_locks.c.run_id == holder["run_id"]))
            connection.execute(
                update(runs)
                .where(runs.c.run_id == holder["run_id"], runs.c.status == "running")
                .values(status="abandoned", error="the process was killed")
            )

    @staticmethod
    def _stale(holder: dict[str, Any]) -> bool:
        if holder["host"] == socket.gethostname() and not _pid_alive(holder["pid"]):
            return True
        return now() - holder["acquired_at"] > STALE_LOCK
