"""A quarter as a run leaves it, without running the flow: two succeeded runs of one quarter
recorded in a real SQLite warehouse through the API the flow writes with, and the second run's
published folder (manifest, report, instances) under ``<out>/<quarter>/``."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pandas as pd

from vcc.flows.warehouse.store import Warehouse, default_url
from vcc.flows.warehouse.versions import RunFacts
from vcc.transforms.metrics import METRIC_COLUMNS

QUARTER = "2024Q4"
AS_OF = dt.date(2025, 2, 14)


def published_quarter(out: Path) -> str:
    """Record and publish ``QUARTER`` twice in ``out``; the published run's id."""
    warehouse = Warehouse(default_url(out))
    folder = out / QUARTER
    folder.mkdir(parents=True)
    pdf, instances = folder / f"vcc-{QUARTER}-report.pdf", folder / "instances.parquet"
    figures = pd.DataFrame(columns=METRIC_COLUMNS)
    run_id = ""
    for number in (1, 2):
        run_id = f"{QUARTER}-run-{number}"
        pdf.write_bytes(b"%PDF-1.7 a report " + bytes([number]))
        instances.write_bytes(b"PAR1 its instances " + bytes([number]))
        facts = RunFacts(AS_OF, "c" * 64, "0.1.0", {"police.crimes.parquet": "s" * 64})
        warehouse.start_run(run_id, QUARTER, AS_OF, "manual", {"quarter": QUARTER}, facts)
        metrics_sha256 = hashlib.sha256(bytes([number])).hexdigest()
        plan = warehouse.plan_version(QUARTER, figures, metrics_sha256, facts, 10)
        checksums = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (pdf, instances)}
        manifest = {
            "run_id": run_id,
            "quarter": QUARTER,
            "as_of": AS_OF.isoformat(),
            "timings_seconds": {"extract": 1.0},
            "outputs": {"report": str(pdf), "checksums": checksums},
        }
        (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        warehouse.finish_run(run_id, plan, figures, metrics_sha256, checksums[pdf.name], facts,
                             manifest, lambda: None)  # fmt: skip
    return run_id
