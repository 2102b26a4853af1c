"""Runs written into a warehouse as the flow writes them, from small hand-made metrics tables."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import insert

from vcc.flows.warehouse.store import Warehouse
from vcc.flows.warehouse.tables import circulations
from vcc.flows.warehouse.versions import RunFacts
from vcc.transforms.metrics import METRIC_COLUMNS

QUARTER = "2025Q1"
FACTS = RunFacts(dt.date(2025, 5, 1), "c" * 64, "0.1.0+abc", {"police.crimes.parquet": "1" * 64})


def metrics_frame(*rows: tuple[str, int, int]) -> pd.DataFrame:
    """`all` rows of measures: (measure_id, eligible, met)."""
    records = [
        {
            "quarter": QUARTER,
            "measure_id": m,
            "right": "Right 6",
            "agency": "police",
            "dimension": "all",
            "group": "all",
            "eligible": eligible,
            "met": met,
            "not_met": eligible - met,
            "pending": 0,
            "rate": met / eligible if eligible else None,
            "ci_low": None,
            "ci_high": None,
            "target": 0.9,
            "rag": "red",
        }  # fmt: skip
        for m, eligible, met in rows
    ]
    return pd.DataFrame(records, columns=METRIC_COLUMNS)


def start(warehouse: Warehouse, run_id: str, facts: RunFacts = FACTS) -> None:
    warehouse.start_run(run_id, QUARTER, facts.as_of, "manual", {"quarter": QUARTER}, facts)


def finish(
    warehouse: Warehouse,
    run_id: str,
    frame: pd.DataFrame,
    sha: str,
    facts=FACTS,
    content=None,
    checksums: dict[str, str] | None = None,
):
    """Record the run as the flow does; ``content`` stands for the report's fingerprint,
    ``checksums`` for its outputs' (the manifest's ``outputs``)."""
    plan = warehouse.plan_version(QUARTER, frame, sha, facts, threshold=5, content=content)
    manifest = {
        "run_id": run_id,
        "timings_seconds": {"extract": 1.5},
        "rows": [  # as flows.run.outputs writes them: rows read per source table
            {"source": name.split(".")[0], "table": name.split(".")[1], "rows_read": rows}
            for name, rows in facts.source_rows.items()
        ],
        "configuration": {"settings": facts.settings},
        **({"outputs": {"report": "", "checksums": checksums}} if checksums else {}),
    }
    warehouse.finish_run(run_id, plan, frame, sha, "p" + sha[1:], facts, manifest, lambda: None)
    return plan


def circulate(warehouse: Warehouse, run_id: str, version: int, edition: int = 1) -> None:
    with warehouse.transaction() as connection:
        connection.execute(
            insert(circulations).values(
                quarter=QUARTER,
                version=version,
                edition=edition,
                run_id=run_id,
                recipient="board@example.org",
                pdf_sha256="p" * 64,
                message_id="<1@example.org>",
                sent_at=dt.datetime(2025, 5, 2, 9),
                sent_by="analyst",
            )  # fmt: skip
        )
