"""Versions of the Victims' Code (CONTRACT.md §6.4): a catalogue file per version, the one in force
on the quarter's first day unless the configuration pins one, and a new version added as a file
alone, with no change to Python, run end to end through the real flow."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from tests.conftest import FIXTURES
from vcc.flows.cli import main
from vcc.flows.config import load_config
from vcc.flows.errors import ConfigError
from vcc.flows.run.flow import run_quarter
from vcc.transforms.catalogue import (
    CatalogueError,
    load_catalogue,
    version_in_force,
)
from vcc.transforms.quarters import Quarter

GOLDEN_V2 = FIXTURES / "golden-v2"

# The next Code: the written acknowledgement within 2 working days, not 5, and a new measure made
# of a building block (a general update within 10 working days of the report).
NEXT_CODE = """
[code]
id = "2024-10"
title = "A later Code"
in_force_from = 2024-10-01
based_on = "2021-04"

[[measures]]
id = "R3-ACK"
deadline = { standard = 2, enhanced = 2 }

[[measures]]
id = "R6-FIRST-UPDATE"
right = 6
agency = "police"
paragraph = "Right 6"
title = "First update after the report"
population = "each victim of a crime reported in the quarter"
action = "a general update within the deadline"
description = "Victims hear how the investigation is going within 10 working days."
deadline = { standard = 10, enhanced = 10 }
block = "first_match"
[measures.params]
population = "victims"
actions = "police.victim_contacts"
action_date = "contacted_at"
actions_where = { contact_type = "general_update" }
"""


@pytest.fixture
def with_next_code(tmp_path: Path) -> Path:
    """The golden-v2 example's configuration with a folder holding the next Code's file."""
    (tmp_path / "codes").mkdir()
    (tmp_path / "codes" / "2024-10.toml").write_text(NEXT_CODE, encoding="utf-8")
    data = GOLDEN_V2 / "data"
    config = tmp_path / "vcc.toml"
    config.write_text(
        "".join(
            f'[sources.{source}]\nkind = "files"\npath = "{data / source}"\n\n'
            for source in ("police", "cps", "probation")
        )
        + '[code]\ncatalogue_dir = "codes"\n',
        encoding="utf-8",
    )
    return config


def test_the_version_in_force_on_a_day() -> None:
    assert version_in_force(dt.date(2024, 7, 1)) == "2021-04"
    assert version_in_force(dt.date(2021, 4, 1)) == "2021-04"
    # vcc holds no older Code: an earlier quarter is measured against the earliest it holds
    assert version_in_force(dt.date(2019, 1, 1)) == "2021-04"


def test_a_version_based_on_another_changes_only_what_it_says(tmp_path: Path) -> None:
    (tmp_path / "2024-10.toml").write_text(NEXT_CODE, encoding="utf-8")
    first, later = load_catalogue("2021-04"), load_catalogue("2024-10", tmp_path)
    assert later.by_id["R3-ACK"].deadline_standard == 2
    assert later.by_id["R3-ACK"].title == first.by_id["R3-ACK"].title
    assert later.ids == [*first.ids, "R6-FIRST-UPDATE"]
    assert version_in_force(dt.date(2024, 10, 1), tmp_path) == "2024-10"
    assert version_in_force(dt.date(2024, 9, 30), tmp_path) == "2021-04"


def test_an_unknown_version_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="no Victims' Code catalogue '1999'"):
        load_catalogue("1999")
    config = tmp_path / "vcc.toml"
    config.write_text('[code]\nversion = "1999"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="known: 2021-04"):
        load_config(config).catalogue(dt.date(2024, 1, 1))


def test_vcc_measures_prints_the_catalogue(with_next_code: Path) -> None:
    result = CliRunner().invoke(main, ["measures", "--config", str(with_next_code)])
    assert result.exit_code == 0
    assert result.output.startswith("Victims' Code 2024-10: A later Code\n")  # in force today
    assert "R3-ACK  Right 3, police: Written acknowledgement of the crime\n" in result.output
    assert "    deadline: 2 working days\n" in result.output
    first = CliRunner().invoke(main, ["measures", "--code", "2021-04"])
    assert "R6-UPDATE  Right 6, police" in first.output
    assert "    deadline: 5 working days (1 for victims owed enhanced rights)\n" in first.output
    assert "R6-FIRST-UPDATE" not in first.output


def test_vcc_measures_refuses_an_unknown_version_in_one_line() -> None:
    result = CliRunner().invoke(main, ["measures", "--code", "1999"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "vcc: error: no Victims' Code catalogue '1999' (known: 2021-04)"
    ]


def _metrics(out: Path, quarter: str) -> pd.DataFrame:
    return pd.read_csv(out / quarter / "metrics.csv", dtype=str, keep_default_na=False)


def _all_row(metrics: pd.DataFrame, measure_id: str) -> pd.Series:
    rows = metrics[(metrics["measure_id"] == measure_id) & (metrics["dimension"] == "all")]
    assert len(rows) == 1
    return rows.iloc[0]


@pytest.mark.flow
def test_a_new_code_file_runs_end_to_end_with_no_python_change(
    prefect_harness, tmp_path: Path, with_next_code: Path
) -> None:
    out = tmp_path / "out"
    manifest = run_quarter(Quarter.parse("2024Q4"), dt.date(2025, 1, 8), with_next_code, out)
    # in force on 1 October 2024
    assert manifest["victims_code"] == "2024-10"  # type: ignore[typeddict-item]
    metrics = _metrics(out, "2024Q4")
    expected = pd.read_csv(GOLDEN_V2 / "expected.csv", dtype=str, keep_default_na=False)
    expected = expected[(expected["quarter"] == "2024Q4") & (expected["dimension"] == "all")]
    golden = expected.set_index("measure_id")

    # the new measure: the same victims as R3-ACK, met by a general update
    update, ack = _all_row(metrics, "R6-FIRST-UPDATE"), _all_row(metrics, "R3-ACK")
    assert update["right"] == "6" and update["agency"] == "police"
    victims = int(golden.loc["R3-ACK", "eligible"]) + int(golden.loc["R3-ACK", "pending"])
    assert int(update["eligible"]) + int(update["pending"]) == victims
    assert {"offence_group", "domestic_abuse", "district"} <= set(
        metrics.loc[metrics["measure_id"] == "R6-FIRST-UPDATE", "dimension"]
    )
    # the shorter deadline: fewer met than under the Code of 2021, never more
    assert int(ack["eligible"]) + int(ack["pending"]) == victims
    assert int(ack["met"]) < int(golden.loc["R3-ACK", "met"])
    # a measure the file leaves alone keeps its figures
    vna = _all_row(metrics, "R4-VNA")
    assert (vna["eligible"], vna["met"]) == tuple(golden.loc["R4-VNA", ["eligible", "met"]])
    settings = manifest["configuration"]["settings"]  # type: ignore[typeddict-item]
    assert settings["measures"]["R3-ACK"]["deadline_standard"] == 2
    html = (out / "2024Q4" / "vcc-2024Q4-report.html").read_text(encoding="utf-8")
    assert "R6-FIRST-UPDATE" in html and "2024-10" in html


@pytest.mark.flow
def test_a_configured_deadline_equals_the_same_change_made_in_the_catalogue(
    prefect_harness, tmp_path: Path, with_next_code: Path
) -> None:
    # the Code of 2021 pinned, with R3-ACK's deadline overridden in configuration instead
    original = with_next_code.read_text(encoding="utf-8")
    pinned_config = with_next_code.parent / "pinned.toml"
    pinned_config.write_text(
        original.replace('catalogue_dir = "codes"', 'version = "2021-04"')
        + "\n[measures.R3-ACK]\ndeadline_standard = 2\ndeadline_enhanced = 2\n",
        encoding="utf-8",
    )
    pinned = run_quarter(
        Quarter.parse("2024Q4"), dt.date(2025, 1, 8), pinned_config, tmp_path / "pinned"
    )
    assert pinned["victims_code"] == "2021-04"  # type: ignore[typeddict-item]
    metrics = _metrics(tmp_path / "pinned", "2024Q4")
    assert "R6-FIRST-UPDATE" not in set(metrics["measure_id"])
    later = tmp_path / "codes-out"
    run_quarter(Quarter.parse("2024Q4"), dt.date(2025, 1, 8), with_next_code, later)
    r3 = [
        _metrics(folder, "2024Q4").query("measure_id == 'R3-ACK'").reset_index(drop=True)
        for folder in (tmp_path / "pinned", later)
    ]
    pd.testing.assert_frame_equal(r3[0], r3[1])
    assert json.loads((later / "2024Q4" / "manifest.json").read_text())["victims_code"] == (
        "2024-10"
    )


def test_configured_categories_must_be_offence_categories(tmp_path: Path) -> None:
    config = tmp_path / "vcc.toml"
    config.write_text(
        '[measures.R5-COMPENSATION]\ncategories = ["robbery", "burglary_dwelling"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="not offence categories: burglary_dwelling"):
        load_config(config)


def test_the_configuration_settles_the_catalogue_deadlines_and_keeps_overrides(
    tmp_path: Path,
) -> None:
    config = tmp_path / "vcc.toml"
    config.write_text(
        "[measures.R6-UPDATE]\ndeadline_standard = 3\n"
        '[measures.R5-COMPENSATION]\ncategories = ["robbery"]\n',
        encoding="utf-8",
    )
    loaded = load_config(config)
    settled = loaded.settled(loaded.catalogue(dt.date(2024, 7, 1)))
    assert settled.code.version == "2021-04"
    update = settled.measures["R6-UPDATE"]
    assert (update.deadline_standard, update.deadline_enhanced) == (3, 1)
    assert settled.measures["R10-EXPENSES"].deadline_standard == 10
    assert settled.measures["R4-VNA-CONTENT"].deadline_standard is None  # met at once
    assert settled.measures["R5-COMPENSATION"].categories == ["robbery"]
