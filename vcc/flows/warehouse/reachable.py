"""A database warehouse (PostgreSQL) that cannot be reached, at opening or in the middle of a
run, is one line naming it, not "a fault in vcc": the server stopped, the network went, an
administrator ended the session. Nothing half-done is left: a run's figures, versions and the
switch of its outputs are one transaction (``flows.run.publish``), so a run that loses the
warehouse before committing publishes nothing and leaves the earlier outputs as they were.

Only errors of the connection are turned so (no SQLSTATE, class 08 "connection exception" or
57P "operator intervention", or SQLAlchemy's word that the connection is gone); others, such
as a lock or serialization failure, keep their own handling."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

from vcc.flows.errors import VccError
from vcc.flows.urls import mask_secrets, mask_url


class WarehouseError(VccError):
    """The warehouse cannot be opened or written."""


class WarehouseUnreachable(WarehouseError):
    """The warehouse's database server cannot be reached now: run again when it is back."""


def report_unreachable(engine: Engine, url: str) -> None:
    """Make ``engine`` raise ``WarehouseUnreachable`` for a lost or refused connection."""

    @event.listens_for(engine, "handle_error")
    def _unreachable(context: Any) -> None:
        original = context.original_exception
        state = getattr(original, "sqlstate", None)
        lost = context.is_disconnect or (
            type(original).__name__ == "OperationalError"
            and (state is None or str(state).startswith(("08", "57P")))
        )
        if not lost:
            return
        lines = [line.strip() for line in str(original).splitlines() if line.strip()]
        said = mask_secrets(lines[0] if lines else type(original).__name__, url)
        raise WarehouseUnreachable(
            f"the warehouse {mask_url(url)} cannot be reached ({said}): nothing more was "
            "recorded, and a run that had not committed its figures published nothing; run it "
            "again when the warehouse is back"
        )
