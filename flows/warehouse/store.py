"""The warehouse of record: runs, metrics history, report versions, approvals, the circulation log
and the instance tables of circulated versions.

Any SQLAlchemy 2 database: an SQLite file beside the outputs by default, PostgreSQL when
``[warehouse] url_env`` names one. The schema belongs to the Alembic migrations in
``flows/migrations/``; opening a warehouse upgrades it to the newest revision.

Version rules (README "Reruns and revisions"):
- a quarter's first successful run is version 1, its *first issue*;
- a rerun with byte-identical ``metrics.csv`` keeps the version (a rerun changes no figure);
- a rerun whose figures differ from the last *circulated* version is version N+1, a *revision*,
  recorded with why (later data, configuration change, code change) and which figures changed;
- while the newest version has not been circulated, changed figures replace it in place (a draft
  nobody outside the office has seen is not a revision), and its approval lapses with it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from vcc.flows.errors import VccError
from vcc.transforms.disclosure import published_tables
from vcc.transforms.metrics import METRIC_COLUMNS
from vcc.transforms.quarters import long_date

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
WAREHOUSE_FILE = "vcc-warehouse.sqlite"
STALE_LOCK = dt.timedelta(hours=12)  # no run takes this long; its holder was killed elsewhere

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("quarter", String(6), nullable=False, index=True),
    Column("as_of", Date, nullable=False),
    Column("triggered_by", String(40), nullable=False),
    Column("parameters", Text, nullable=False),  # JSON
    Column("config_sha256", String(64), nullable=False),
    Column("code_version", String(120), nullable=False),
    Column("status", String(12), nullable=False),  # running, succeeded, failed, abandoned
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("timings", Text),  # JSON: seconds per stage
    Column("error", Text),  # the one-line reason a run failed
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("version", Integer),  # the report version the run produced or confirmed
    Column("metrics_sha256", String(64)),
    Column("sources_sha256", Text),  # JSON: snapshot file -> SHA-256
    Column("manifest", Text),  # JSON, as written to manifest.json
)

metrics = Table(
    "metrics",
    metadata,
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False, index=True),
    Column("quarter", String(6), nullable=False),
    Column("measure_id", String(40), nullable=False),
    Column("right", String(40), nullable=False),
    Column("agency", String(20), nullable=False),
    Column("dimension", String(40), nullable=False),
    Column("group", String(120), nullable=False),
    Column("eligible", Integer, nullable=False),
    Column("met", Integer, nullable=False),
    Column("not_met", Integer, nullable=False),
    Column("pending", Integer, nullable=False),
    Column("rate", Float),
    Column("ci_low", Float),
    Column("ci_high", Float),
    Column("target", Float),
    Column("rag", String(20)),
)

report_versions = Table(
    "report_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("quarter", String(6), nullable=False),
    Column("version", Integer, nullable=False),
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("metrics_sha256", String(64), nullable=False),
    Column("pdf_sha256", String(64), nullable=False),
    Column("reasons", Text, nullable=False),  # JSON list of sentences
    Column("changes", Text, nullable=False),  # JSON list of changed headline figures
    UniqueConstraint("quarter", "version", name="uq_report_versions_quarter_version"),
)

approvals = Table(
    "approvals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("quarter", String(6), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False),
    Column("pdf_sha256", String(64), nullable=False),
    Column("approved_by", String(200), nullable=False),
    Column("approved_at", DateTime, nullable=False),
    Column("note", Text),
)

circulations = Table(
    "circulations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("quarter", String(6), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("pdf_sha256", String(64), nullable=False),
    Column("message_id", String(320), nullable=False),
    Column("sent_at", DateTime, nullable=False),
    Column("sent_by", String(200), nullable=False),
)

circulated_instances = Table(
    "circulated_instances",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("quarter", String(6), nullable=False),
    Column("version", Integer, nullable=False),
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("parquet", LargeBinary, nullable=False),  # instances.parquet as circulated
    UniqueConstraint("quarter", "version", name="uq_circulated_instances_quarter_version"),
)

run_locks = Table(
    "run_locks",
    metadata,
    Column("quarter", String(6), primary_key=True),
    Column("run_id", String(64), nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("acquired_at", DateTime, nullable=False),
)


class WarehouseError(VccError):
    """The warehouse cannot be opened or written."""


class QuarterLocked(VccError):
    """Another run of the same quarter holds the lock."""


@dataclass(frozen=True)
class RunFacts:
    """What a run was made from, to say why its figures differ from an earlier version's."""

    as_of: dt.date
    config_sha256: str
    code_version: str
    sources_sha256: dict[str, str]


@dataclass(frozen=True)
class Revision:
    """One row of the report's revisions table."""

    version: int
    produced: dt.date
    reasons: list[str]
    changes: list[str]


@dataclass(frozen=True)
class VersionPlan:
    """The version a run's figures will be published as, decided before the report is drawn."""

    quarter: str
    version: int
    action: str  # "new", "same" (figures unchanged) or "replace" (an uncirculated draft)
    reasons: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    history: list[Revision] = field(default_factory=list)  # earlier circulated revisions

    @property
    def label(self) -> str:
        name = "First issue" if self.version == 1 else f"Revision {self.version - 1}"
        return f"{name} (version {self.version})"

    @property
    def revisions(self) -> list[Revision]:
        """Every revision since the first issue, oldest first, this one included."""
        if self.version == 1:
            return []
        current = Revision(self.version, dt.date.today(), self.reasons, self.changes)
        earlier = [r for r in self.history if 1 < r.version < self.version]
        return [*earlier, current]


def default_url(output_root: Path) -> str:
    return f"sqlite:///{(output_root / WAREHOUSE_FILE).resolve()}"


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mask_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown by its scheme alone
        return url.split(":", 1)[0] + ":…"


class Warehouse:
    """One warehouse database; every method is one short transaction."""

    def __init__(self, url: str):
        self.url = url
        self.shown_url = mask_url(url)
        try:
            self.engine = _engine(url)
            self._upgrade()
        except SQLAlchemyError as error:
            cause = getattr(error, "orig", None) or error  # the driver's own error, if any
            raise WarehouseError(
                f"warehouse {self.shown_url}: {type(cause).__name__}: {str(cause).splitlines()[0]}"
            ) from None

    def _upgrade(self) -> None:
        from alembic import command
        from alembic.config import Config as AlembicConfig

        settings = AlembicConfig()
        settings.set_main_option("script_location", str(MIGRATIONS))
        for attempt in range(3):
            try:
                with self.engine.begin() as connection:
                    settings.attributes["connection"] = connection
                    command.upgrade(settings, "head")
                return
            except (IntegrityError, OperationalError):
                if attempt == 2:  # two processes creating one new warehouse at once
                    raise

    # --- runs -----------------------------------------------------------------------------------

    def start_run(self, run_id: str, quarter: str, as_of: dt.date, triggered_by: str,
                  parameters: dict[str, Any], facts: RunFacts) -> None:  # fmt: skip
        """Take the quarter's lock and record the run as running (refuses if another run of the
        quarter is in progress)."""
        self._lock(quarter, run_id)
        with self.engine.begin() as connection:
            connection.execute(
                insert(runs).values(
                    run_id=run_id,
                    quarter=quarter,
                    as_of=as_of,
                    triggered_by=triggered_by,
                    parameters=json.dumps(parameters, sort_keys=True, default=str),
                    config_sha256=facts.config_sha256,
                    code_version=facts.code_version,
                    status="running",
                    started_at=_now(),
                    host=socket.gethostname(),
                    pid=os.getpid(),
                )
            )

    def _lock(self, quarter: str, run_id: str) -> None:
        row = dict(quarter=quarter, run_id=run_id, host=socket.gethostname(), pid=os.getpid())
        for _ in range(2):
            try:
                with self.engine.begin() as connection:
                    connection.execute(insert(run_locks).values(**row, acquired_at=_now()))
                return
            except IntegrityError:
                holder = self._lock_holder(quarter)
                if holder is None:
                    continue  # released in between
                if not self._stale(holder):
                    raise QuarterLocked(
                        f"{quarter} is already being run (run {holder['run_id']}, started "
                        f"{holder['acquired_at']:%Y-%m-%d %H:%M} by process {holder['pid']} on "
                        f"{holder['host']}); wait for it to finish, then run again"
                    ) from None
                with self.engine.begin() as connection:
                    connection.execute(
                        delete(run_locks).where(run_locks.c.run_id == holder["run_id"])
                    )
                    connection.execute(
                        update(runs)
                        .where(runs.c.run_id == holder["run_id"], runs.c.status == "running")
                        .values(status="abandoned", error="the process was killed")
                    )
        raise QuarterLocked(f"{quarter}: could not take the run lock; try again")

    def _lock_holder(self, quarter: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            found = connection.execute(
                select(run_locks).where(run_locks.c.quarter == quarter)
            ).first()
        return dict(found._mapping) if found else None

    @staticmethod
    def _stale(holder: dict[str, Any]) -> bool:
        if holder["host"] == socket.gethostname() and not _pid_alive(holder["pid"]):
            return True
        return _now() - holder["acquired_at"] > STALE_LOCK

    def fail_run(self, run_id: str, quarter: str, reason: str) -> None:
        """Record a failed run and release its lock; nothing it computed is kept."""
        with self.engine.begin() as connection:
            connection.execute(
                update(runs)
                .where(runs.c.run_id == run_id)
                .values(status="failed", finished_at=_now(), error=reason[:2000])
            )
            connection.execute(delete(run_locks).where(run_locks.c.run_id == run_id))

    def finish_run(
        self,
        run_id: str,
        plan: VersionPlan,
        metrics_frame: pd.DataFrame,
        metrics_sha256: str,
        pdf_sha256: str,
        facts: RunFacts,
        manifest: dict[str, Any],
        publish: Callable[[], None],
    ) -> None:
        """Record a successful run in one transaction: its metrics, its version, its status.
        ``publish`` (the output folder swap) runs inside the transaction, so that if it fails
        nothing is recorded, and if the recording fails the transaction is rolled back before
        the outputs change."""
        rows = metrics_frame[METRIC_COLUMNS].astype(object).where(metrics_frame.notna(), None)
        with self.engine.begin() as connection:
            connection.execute(
                update(runs)
                .where(runs.c.run_id == run_id)
                .values(
                    status="succeeded",
                    finished_at=_now(),
                    timings=json.dumps(manifest.get("timings_seconds", {})),
                    version=plan.version,
                    metrics_sha256=metrics_sha256,
                    sources_sha256=json.dumps(facts.sources_sha256, sort_keys=True),
                    manifest=json.dumps(manifest, sort_keys=True),
                )
            )
            if len(rows):
                connection.execute(
                    insert(metrics), [dict(run_id=run_id, **r) for r in rows.to_dict("records")]
                )
            version_row = dict(
                run_id=run_id,
                metrics_sha256=metrics_sha256,
                pdf_sha256=pdf_sha256,
                reasons=json.dumps(plan.reasons),
                changes=json.dumps(plan.changes),
            )
            if plan.action == "new":
                connection.execute(
                    insert(report_versions).values(
                        quarter=plan.quarter,
                        version=plan.version,
                        created_at=_now(),
                        **version_row,
                    )  # fmt: skip
                )
            else:  # a rerun's PDF replaces the version's; its approval stays with the old PDF
                connection.execute(
                    update(report_versions)
                    .where(
                        report_versions.c.quarter == plan.quarter,
                        report_versions.c.version == plan.version,
                    )
                    .values(**version_row)
                )
            connection.execute(delete(run_locks).where(run_locks.c.run_id == run_id))
            publish()

    # --- versions -------------------------------------------------------------------------------

    def plan_version(
        self, quarter: str, metrics_frame: pd.DataFrame, metrics_sha256: str, facts: RunFacts,
        threshold: int,
    ) -> VersionPlan:  # fmt: skip
        """Which version these figures are, and, for a revision, why and what changed."""
        latest = self.latest_version(quarter)
        history = self.revisions(quarter)
        if latest is None:
            return VersionPlan(quarter, 1, "new", ["first issue"], [], history)
        if latest["metrics_sha256"] == metrics_sha256:
            return VersionPlan(
                quarter, latest["version"], "same",
                json.loads(latest["reasons"]), json.loads(latest["changes"]), history,
            )  # fmt: skip
        circulated = self.last_circulated(quarter)
        action = "new" if circulated and circulated["version"] == latest["version"] else "replace"
        version = latest["version"] + 1 if action == "new" else latest["version"]
        if circulated is None:
            return VersionPlan(quarter, version, action, ["first issue"], [], history)
        earlier = self.run(circulated["run_id"])
        reasons = _reasons(earlier, facts)
        before = self.metrics_of(circulated["run_id"])
        changes = changed_headlines(before, metrics_frame, threshold)
        return VersionPlan(quarter, version, action, reasons, changes, history)

    def latest_version(self, quarter: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            found = connection.execute(
                select(report_versions)
                .where(report_versions.c.quarter == quarter)
                .order_by(report_versions.c.version.desc())
                .limit(1)
            ).first()
        return dict(found._mapping) if found else None

    def last_circulated(self, quarter: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            found = connection.execute(
                select(circulations)
                .where(circulations.c.quarter == quarter)
                .order_by(circulations.c.version.desc(), circulations.c.id.desc())
                .limit(1)
            ).first()
        return dict(found._mapping) if found else None

    def revisions(self, quarter: str) -> list[Revision]:
        with self.engine.connect() as connection:
            found = connection.execute(
                select(report_versions)
                .where(report_versions.c.quarter == quarter)
                .order_by(report_versions.c.version)
            ).all()
        return [
            Revision(
                row.version, row.created_at.date(), json.loads(row.reasons), json.loads(row.changes)
            )
            for row in found
        ]

    # --- reading --------------------------------------------------------------------------------

    def run(self, run_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            found = connection.execute(select(runs).where(runs.c.run_id == run_id)).first()
        return dict(found._mapping) if found else None

    def list_runs(self, quarter: str | None = None) -> list[dict[str, Any]]:
        query = select(runs).order_by(runs.c.started_at, runs.c.run_id)
        if quarter:
            query = query.where(runs.c.quarter == quarter)
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def metrics_of(self, run_id: str) -> pd.DataFrame:
        with self.engine.connect() as connection:
            found = connection.execute(
                select(*[metrics.c[c] for c in METRIC_COLUMNS]).where(metrics.c.run_id == run_id)
            ).all()
        return pd.DataFrame([tuple(row) for row in found], columns=METRIC_COLUMNS)

    def table(self, name: str, quarter: str | None = None) -> list[dict[str, Any]]:
        chosen = metadata.tables[name]
        query = select(chosen).order_by(*chosen.primary_key.columns)
        if quarter is not None:
            query = query.where(chosen.c.quarter == quarter)
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def count(self, name: str) -> int:
        with self.engine.connect() as connection:
            return connection.execute(
                select(func.count()).select_from(metadata.tables[name])
            ).scalar_one()

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self.engine.begin() as connection:
            yield connection


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record):  # noqa: ANN001 - SQLAlchemy's signature
            connection.execute("PRAGMA foreign_keys = ON")

        return engine
    return create_engine(url, pool_pre_ping=True)


def _reasons(earlier: dict[str, Any] | None, facts: RunFacts) -> list[str]:
    """Why these figures differ from the last circulated version's, in words."""
    if earlier is None:
        return ["figures changed"]
    reasons = []
    earlier_sources = json.loads(earlier["sources_sha256"] or "{}")
    if earlier["as_of"] != facts.as_of:
        reasons.append(
            f"later data: as of {long_date(facts.as_of)} (was {long_date(earlier['as_of'])})"
        )
    if earlier_sources != facts.sources_sha256:
        changed = sorted(
            {name.split(".")[0] for name in set(earlier_sources) | set(facts.sources_sha256)
             if earlier_sources.get(name) != facts.sources_sha256.get(name)}
        )  # fmt: skip
        reasons.append("late or corrected source data (" + ", ".join(changed) + ")")
    if earlier["config_sha256"] != facts.config_sha256:
        reasons.append("configuration change")
    if earlier["code_version"] != facts.code_version:
        reasons.append(f"code change ({earlier['code_version']} to {facts.code_version})")
    return reasons or ["figures changed with the same data, configuration and code"]


def changed_headlines(before: pd.DataFrame, after: pd.DataFrame, threshold: int) -> list[str]:
    """Each measure whose published headline figures changed, as published (suppressed cells
    stay suppressed): e.g. ``R6-UPDATE: eligible 812 to 830; rate 81.2% to 80.4%``."""

    def headline(frame: pd.DataFrame) -> dict[str, tuple[str, str]]:
        if frame.empty:
            return {}
        shown = published_tables(frame, threshold)
        rows = shown[shown["dimension"] == "all"]
        return {
            m: (e, _percent(r))
            for m, e, r in zip(rows["measure_id"], rows["eligible"], rows["rate"], strict=True)
        }

    old, new = headline(before), headline(after)
    changes = []
    for measure_id, (eligible, rate) in new.items():
        was_eligible, was_rate = old.get(measure_id, ("[x]", "[x]"))
        parts = []
        if eligible != was_eligible:
            parts.append(f"eligible {was_eligible} to {eligible}")
        if rate != was_rate:
            parts.append(f"rate {was_rate} to {rate}")
        if parts:
            changes.append(f"{measure_id}: " + "; ".join(parts))
    if not changes and not before.empty:
        changes.append("breakdowns changed; headline figures unchanged")
    return changes


def _percent(text: str) -> str:
    try:
        return f"{float(text):.1%}"
    except ValueError:
        return text  # [c], [z] or [x]


def open_warehouse(config: Any, output_root: Path | None = None) -> Warehouse:
    """The configured warehouse (``[warehouse] url_env``), else ``<out>/vcc-warehouse.sqlite``."""
    return Warehouse(config.warehouse.url(output_root or config.output_dir))
