"""The warehouse of record: runs, metrics history, report versions, approvals, the circulation log
and the instance tables of circulated versions (their tables: ``tables.py``; which version a run's
figures are: ``versions.py``).

Any SQLAlchemy 2 database: an SQLite file beside the outputs by default, PostgreSQL when
``[warehouse] url_env`` names one. The schema belongs to the Alembic migrations in
``flows/warehouse/migrations/``; opening a warehouse upgrades it to the newest revision when it is
not there already (the quick commands read a current warehouse without loading Alembic). An
SQLite file is checked for damage when opened and before a run commits (``WarehouseDamaged``).
Run, approve, circulate, sample and review import of a quarter share its one lock
(``run_locks``, ``Warehouse.holding``; the locking itself: ``locks.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Engine,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from vcc.flows.config.settings import WAREHOUSE_FILE as WAREHOUSE_FILE
from vcc.flows.config.settings import default_url as default_url
from vcc.flows.private import private_file, private_folder
from vcc.flows.urls import mask_secrets, mask_url
from vcc.flows.warehouse.locks import QuarterLocked as QuarterLocked
from vcc.flows.warehouse.locks import QuarterLocks, now
from vcc.flows.warehouse.reachable import WarehouseError as WarehouseError
from vcc.flows.warehouse.reachable import WarehouseUnreachable as WarehouseUnreachable
from vcc.flows.warehouse.reachable import report_unreachable
from vcc.flows.warehouse.schema_check import (
    backup_sqlite,
    create_sqlite,
    empty_file_problem,
    known_revisions,
    schema_problem,
    sqlite_path,
)
from vcc.flows.warehouse.tables import (
    circulations,
    metadata,
    metrics,
    report_versions,
    run_locks,
    runs,
)
from vcc.flows.warehouse.versions import plan_version

if TYPE_CHECKING:
    # Inside: pandas, 1,642 ms; the quick commands (history, show, approve) never load it
    import pandas as pd

    from vcc.flows.warehouse.versions import RunFacts, VersionPlan

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SCHEMA_REVISION = "0005"  # the newest migration's revision id (a test checks it is the head)


class WarehouseDamaged(WarehouseError):
    """The SQLite warehouse file fails its integrity check: restore it from a backup."""


def _damage(cause: BaseException) -> bool:
    """Whether SQLite says its file is damaged or is not a database at all."""
    return str(getattr(cause, "sqlite_errorname", "")).startswith(
        ("SQLITE_CORRUPT", "SQLITE_NOTADB")
    )


class Warehouse:
    """One warehouse database; every method is one short transaction."""

    def __init__(
        self, url: str, lock_wait: float = 0.0, notice: Callable[[str], None] | None = None
    ):
        """``lock_wait``: seconds to wait for a quarter's lock before refusing ([warehouse]
        lock_wait_seconds); ``notice`` hears, once, that an operation is waiting for it."""
        self.url = url
        self.shown_url = mask_url(url)
        self.notice = notice
        try:
            database = sqlite_path(url)
            if database is not None:
                if problem := empty_file_problem(database):
                    raise self._damaged(problem, by=None)
                if not database.exists():  # only a missing file is a new warehouse
                    private_folder(database.parent)
                    create_sqlite(database, self._make_schema)
            self.engine = _engine(url)
            self.locks = QuarterLocks(self.engine, lock_wait, notice)
            self._check_integrity()
            with self._stopping_on_damage():
                self._upgrade()
        except SQLAlchemyError as error:
            cause = getattr(error, "orig", None) or error  # the driver's own error, if any
            raise WarehouseError(
                f"warehouse {self.shown_url}: {type(cause).__name__}: "
                + mask_secrets(str(cause).splitlines()[0], url)
            ) from None

    def _check_integrity(self, connection: Any = None) -> None:
        """An SQLite warehouse is checked (``PRAGMA quick_check``) when opened and before a run's
        figures are committed: damage stops vcc in one line before it writes anything more."""
        if self.engine.dialect.name != "sqlite":
            return
        with self._stopping_on_damage():
            if connection is None:
                with self.engine.connect() as connection:
                    found = [row[0] for row in connection.exec_driver_sql("PRAGMA quick_check")]
            else:
                found = [row[0] for row in connection.exec_driver_sql("PRAGMA quick_check")]
        if found != ["ok"]:
            raise self._damaged(found[0] if found else "no answer")

    @contextmanager
    def _stopping_on_damage(self) -> Iterator[None]:
        """SQLite's own word that the file is damaged becomes the one line of ``_damaged``."""
        try:
            yield
        except SQLAlchemyError as error:
            cause = getattr(error, "orig", None) or error
            if _damage(cause):
                raise self._damaged(str(cause)) from None
            raise

    def _damaged(self, detail: str, by: str | None = "SQLite") -> WarehouseDamaged:
        said = f"{by}: {' '.join(detail.split())[:120]}" if by else detail
        return WarehouseDamaged(
            f"the warehouse {self.shown_url.split('///', 1)[-1]} is damaged ({said}); vcc wrote "
            "nothing to it: restore it from your latest backup"
        )

    def _make_schema(self, draft: Path) -> None:
        """The newest schema in the new SQLite file ``draft`` (``schema_check.create_sqlite``)."""
        engine = _engine(f"sqlite:///{draft}")
        try:
            _migrate(engine)
        finally:
            engine.dispose()

    def _upgrade(self) -> None:
        """Check the schema, and bring an older vcc's to the newest migration after a backup;
        Alembic is loaded only then (or for a new PostgreSQL warehouse), since loading it costs
        more than the quick commands' own work."""
        revision = self._schema_revision()
        new = revision is None and self.engine.dialect.name != "sqlite"
        with self.engine.connect() as connection:
            problem = None if new else schema_problem(connection, revision, SCHEMA_REVISION)
            if new and (taken := set(inspect(connection).get_table_names()) & set(metadata.tables)):
                problem = f"it holds vcc's tables ({', '.join(sorted(taken))}) but no revision"
        if problem and revision is not None and revision not in known_revisions():
            raise WarehouseError(f"the warehouse {self.shown_url.split('///', 1)[-1]}: {problem}")
        if problem:
            raise self._damaged(problem, by=None)
        if revision == SCHEMA_REVISION:
            return
        database = sqlite_path(self.url)
        if database is not None:
            copy = backup_sqlite(database)
            if self.notice:
                self.notice(f"vcc: the warehouse is migrated; its copy as it was: {copy}")
        _migrate(self.engine)

    def _schema_revision(self) -> str | None:
        """The migration the database is at (Alembic's own record), None for a new database."""
        with self.engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()

    # --- runs -----------------------------------------------------------------------------------

    def start_run(self, run_id: str, quarter: str, as_of: dt.date, triggered_by: str,
                  parameters: dict[str, Any], facts: RunFacts) -> None:  # fmt: skip
        """Take the quarter's lock and record the run as running (refuses if another operation
        on the quarter holds the lock past the wait); ``fail_run`` or ``finish_run`` release it."""
        self.locks.take(quarter, "run", run_id)
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
                    started_at=now(),
                    host=socket.gethostname(),
                    pid=os.getpid(),
                )
            )

    @contextmanager
    def holding(self, quarter: str, operation: str) -> Iterator[None]:
        """Hold the quarter's lock for ``operation`` while the block runs (``locks.py``)."""
        with self.locks.holding(quarter, operation):
            yield

    def fail_run(self, run_id: str, quarter: str, reason: str) -> None:
        """Record a failed run and release its lock; nothing it computed is kept."""
        with self.engine.begin() as connection:
            connection.execute(
                update(runs)
                .where(runs.c.run_id == run_id)
                .values(status="failed", finished_at=now(), error=reason[:2000])
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
        manifest: Mapping[str, object],
        publish: Callable[[], None],
    ) -> None:
        """Record a successful run in one transaction: its metrics, its version, its status.
        An SQLite warehouse is checked for damage before anything is committed. ``publish``
        (the switch of the outputs, ``flows.run.publish.publish_folder``) runs inside the
        transaction, so that if it fails nothing is recorded, and if the recording fails the
        transaction is rolled back and the outputs are switched back."""
        # Inside: pandas, 1,642 ms; the quick commands (history, show, approve) never load it
        from vcc.transforms.metrics import METRIC_COLUMNS

        rows = metrics_frame[METRIC_COLUMNS].astype(object).where(metrics_frame.notna(), None)
        with self._stopping_on_damage(), self.engine.begin() as connection:
            connection.execute(
                update(runs)
                .where(runs.c.run_id == run_id)
                .values(
                    status="succeeded",
                    finished_at=now(),
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
                content_sha256=json.dumps(plan.content, sort_keys=True) if plan.content else None,
                reasons=json.dumps(plan.reasons),
                changes=json.dumps(plan.changes),
            )
            if plan.action in ("new", "edition"):
                connection.execute(
                    insert(report_versions).values(
                        quarter=plan.quarter,
                        version=plan.version,
                        edition=plan.edition,
                        created_at=now(),
                        **version_row,
                    )  # fmt: skip
                )
            else:  # a rerun's PDF replaces the edition's; its approval stays with the old PDF
                connection.execute(
                    update(report_versions)
                    .where(
                        report_versions.c.quarter == plan.quarter,
                        report_versions.c.version == plan.version,
                        report_versions.c.edition == plan.edition,
                    )
                    .values(**version_row)
                )
            connection.execute(delete(run_locks).where(run_locks.c.run_id == run_id))
            self._check_integrity(connection)  # damage found now: nothing is committed
            publish()

    # --- versions -------------------------------------------------------------------------------

    def plan_version(
        self, quarter: str, metrics_frame: pd.DataFrame, metrics_sha256: str, facts: RunFacts,
        threshold: int, content: dict[str, str] | None = None,
    ) -> VersionPlan:  # fmt: skip
        """Which version these figures are (the policy: ``versions.plan_version``)."""
        return plan_version(self, quarter, metrics_frame, metrics_sha256, facts, threshold, content)

    def latest_version(self, quarter: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            found = connection.execute(
                select(report_versions)
                .where(report_versions.c.quarter == quarter)
                .order_by(report_versions.c.version.desc(), report_versions.c.edition.desc())
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

    # --- reading --------------------------------------------------------------------------------

    def run(self, run_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            found = connection.execute(select(runs).where(runs.c.run_id == run_id)).first()
        return dict(found._mapping) if found else None

    def unfinished(self, run_id: str) -> bool:
        """Whether the warehouse knows the run and it did not succeed (running, failed or
        abandoned): its outputs were never published (``flows.run.publish.recover``)."""
        found = self.run(run_id)
        return found is not None and found["status"] != "succeeded"

    def list_runs(self, quarter: str | None = None) -> list[dict[str, Any]]:
        query = select(runs).order_by(runs.c.started_at, runs.c.run_id)
        if quarter:
            query = query.where(runs.c.quarter == quarter)
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def metrics_of(self, run_id: str) -> pd.DataFrame:
        # Inside: pandas, 1,642 ms; the quick commands (history, show, approve) never load it
        import pandas as pd

        from vcc.transforms.metrics import METRIC_COLUMNS

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


def _migrate(engine: Engine) -> None:
    """Alembic's upgrade to the newest revision, retried when two processes race to it."""
    # Inside: Alembic, 669 ms; only a new or older warehouse needs it, not the quick commands
    from alembic import command
    from alembic.config import Config as AlembicConfig

    settings = AlembicConfig()
    settings.set_main_option("script_location", str(MIGRATIONS))
    for attempt in range(3):
        try:
            with engine.begin() as connection:
                settings.attributes["connection"] = connection
                command.upgrade(settings, "head")
            return
        except (IntegrityError, OperationalError):
            if attempt == 2:  # two processes migrating one warehouse at once
                raise


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            # case data: owner-only, whatever the umask (flows.private)
            private_file(private_folder(Path(database).parent) / Path(database).name)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record):
            connection.execute("PRAGMA foreign_keys = ON")

        return engine
    engine = create_engine(url, pool_pre_ping=True)
    report_unreachable(engine, url)  # a lost server is one line naming it (reachable.py)
    return engine


def open_warehouse(
    config: Any, output_root: Path | None = None, notice: Callable[[str], None] | None = None
) -> Warehouse:
    """The configured warehouse (``[warehouse] url_env``), else ``<out>/vcc-warehouse.sqlite``;
    its quarter locks wait ``[warehouse] lock_wait_seconds``, telling ``notice`` so."""
    settings = config.warehouse
    return Warehouse(settings.url(output_root or config.output_dir), settings.lock_wait_seconds,
                     notice)  # fmt: skip
