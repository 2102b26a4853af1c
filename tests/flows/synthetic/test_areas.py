"""``vcc generate --areas N``: fictitious areas of different sizes and compliance, and the
configuration that runs them all."""

from __future__ import annotations

import sqlite3
import statistics
import subprocess
import sys
from pathlib import Path

import pandas as pd

from vcc.flows.config import load_config
from vcc.flows.synthetic.areas import plan_areas


def test_sizes_are_heavy_tailed_around_the_mean_scale_and_the_plan_is_seeded() -> None:
    plans = plan_areas(43, 1.05, seed=3)
    scales = [plan.scale for plan in plans]
    # the mean is the scale asked for (43 x 1.05 = 45.15, up to rounding to 3 places)
    assert abs(sum(scales) - 45.15) < 0.05
    # a few large areas, many small: the largest is several times the median
    assert max(scales) > 3 * statistics.median(scales)
    assert sum(scale > 1.05 for scale in scales) < sum(scale < 1.05 for scale in scales)
    assert len({plan.name for plan in plans}) == 43
    assert len({plan.compliance_shift for plan in plans}) > 30  # profiles differ
    assert all(abs(plan.compliance_shift) <= 0.15 for plan in plans)
    assert plan_areas(43, 1.05, seed=3) == plans and plan_areas(43, 1.05, seed=4) != plans


def test_generate_areas_writes_each_area_and_a_configuration_that_reads_them(
    tmp_path: Path,
) -> None:
    vcc = [sys.executable, "-m", "vcc.flows.cli"]
    command = [*vcc, "generate", "--areas", "2", "--scale", "0.02", "--from", "2024Q3",
               "--to", "2024Q4", "--out", str(tmp_path / "areas")]  # fmt: skip
    done = subprocess.run(command, text=True, capture_output=True, check=True)
    assert done.stdout.splitlines()[-1].startswith("vcc: wrote 2 areas")
    config = load_config(tmp_path / "areas" / "vcc.toml")
    plans = plan_areas(2, 0.02, seed=1)
    assert list(config.areas) == [plan.name for plan in plans]
    sizes = []
    for plan in plans:
        area = config.for_area(plan.name)
        assert area.report.area == plan.title
        folder = tmp_path / "areas" / plan.name
        assert area.sources["cps"].path == folder / "cps"
        assert (folder / "cps" / "cases.csv").is_file()
        with sqlite3.connect(folder / "police.sqlite") as connection:
            sizes.append(pd.read_sql("select count(*) n from victims", connection)["n"][0])
    # the first area is drawn larger than the second: their volumes follow their scales
    assert (sizes[0] > sizes[1]) == (plans[0].scale > plans[1].scale)
