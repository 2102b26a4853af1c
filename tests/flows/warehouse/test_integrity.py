"""A damaged SQLite warehouse stops vcc in one line and is never written to (issue 14: random
damage went unnoticed, runs went on writing and older metrics became unreadable). Real pages of a
real warehouse file are overwritten, then real commands run on it; damage that appears while a
run is going is found before its figures are committed."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import insert

from tests.flows.cli.published import AS_OF, QUARTER, published_quarter
from vcc.flows.warehouse.store import WAREHOUSE_FILE, Warehouse, WarehouseDamaged, default_url
from vcc.flows.warehouse.tables import metrics
from vcc.flows.warehouse.versions import RunFacts
from vcc.transforms.metrics import METRIC_COLUMNS

PAGE = 4096  # SQLite's default page size
TABLE_LEAF = 0x0D  # the first byte of a table b-tree leaf page


def filled_warehouse(out: Path) -> tuple[Path, str]:
    """A published quarter whose warehouse holds a few hundred pages of metrics."""
    run_id = published_quarter(out)
    rows = [
        dict(run_id=run_id, quarter=QUARTER, measure_id=f"M{n}", right="R6", agency="police",
             dimension="district", group=f"district {n}", eligible=n, met=n // 2, not_met=n // 2,
             pending=0, rate=0.5, ci_low=0.4, ci_high=0.6, target=0.9, rag="red")
        for n in range(20_000)
    ]  # fmt: skip
    with Warehouse(default_url(out)).transaction() as connection:
        connection.execute(insert(metrics), rows)
    return out / WAREHOUSE_FILE, run_id


def damage_a_page(path: Path) -> int:
    """Overwrite a table page in the middle of the file with 0xFF bytes; its number."""
    data = bytearray(path.read_bytes())
    pages = len(data) // PAGE
    assert pages > 100
    middle = next(n for n in range(pages // 2, pages) if data[n * PAGE] == TABLE_LEAF)
    data[middle * PAGE : (middle + 1) * PAGE] = b"\xff" * PAGE
    path.write_bytes(bytes(data))
    return middle + 1


def damage_the_header(path: Path) -> int:
    data = bytearray(path.read_bytes())
    data[:16] = b"not a database!!"
    path.write_bytes(bytes(data))
    return 1


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
@pytest.mark.parametrize("damage", [damage_a_page, damage_the_header])
def test_every_command_on_a_damaged_warehouse_stops_in_one_line_and_writes_nothing(
    tmp_path: Path, damage
) -> None:
    out = tmp_path / "out"
    path, run_id = filled_warehouse(out)
    damage(path)
    damaged = sha(path)
    for args in (["history"], ["show", run_id], ["approve", "-q", QUARTER, "--by", "Head"],
                 ["circulate", "-q", QUARTER], ["sample", "-q", QUARTER]):  # fmt: skip
        command = subprocess.run(
            [sys.executable, "-m", "vcc.flows.cli", *args, "--out", str(out)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert (command.returncode, command.stdout if args[0] != "sample" else "") == (1, "")
        assert re.fullmatch(
            rf"vcc: error: the warehouse {re.escape(str(path))} is damaged \(SQLite: [^\n]+\); "
            r"vcc wrote nothing to it: restore it from your latest backup\n",
            command.stderr,
        ), (args, command.stderr)
        assert sha(path) == damaged, args


def test_damage_appearing_during_a_run_is_found_before_its_figures_are_committed(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    path, _ = filled_warehouse(out)
    warehouse = Warehouse(default_url(out))  # opened while the file was whole
    facts = RunFacts(AS_OF, "c" * 64, "0.1.0", {})
    warehouse.start_run("run-3", QUARTER, AS_OF, "manual", {}, facts)
    frame = pd.DataFrame(columns=METRIC_COLUMNS)
    plan = warehouse.plan_version(QUARTER, frame, "d" * 64, facts, 10)
    damage_a_page(path)
    damaged = sha(path)
    warehouse.engine.dispose()  # the next connection reads the file as it is now
    published: list[str] = []
    with pytest.raises(WarehouseDamaged, match=rf"^the warehouse {re.escape(str(path))} is dam"):
        warehouse.finish_run("run-3", plan, frame, "d" * 64, "e" * 64, facts, {},
                             publish=lambda: published.append("switched"))  # fmt: skip
    assert published == [] and sha(path) == damaged
