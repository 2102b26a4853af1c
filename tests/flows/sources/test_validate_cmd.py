"""``vcc validate``: extraction and validation alone, run as a user runs it, on the golden example
(clean) and on a copy of it with three hand-made defects.

The golden sources read as the CSV files hold them: police.crimes 600 rows, of which 147 were
reported in 2024Q4, and so on; nothing is quarantined and every link joins. The copy adds a
second CR000001 and a crime in an unknown district to police.crimes, and a CPS decision for a
victim the police do not have, so 2 crimes and 1 decision are quarantined and the decisions'
victim link joins 38 of 39 rows (97.44%).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import GOLDEN
from vcc.flows.cli import main

AS_OF = "2025-01-08"

pytestmark = pytest.mark.slow  # each test runs vcc, or lays out a PDF, in a process of its own


@pytest.fixture(scope="module")
def great_expectations_loaded() -> None:
    import great_expectations  # noqa: F401 - seconds to import: paid once for the module


def vcc_validate(*args: str):
    return CliRunner().invoke(main, ["validate", *args], catch_exceptions=False)


def section(output: str, title: str) -> list[list[str]]:
    """The rows of one section of the summary (the lines after its title up to a blank line),
    split into cells, header first."""
    after = output.split("\n" + title, 1)[1].split("\n", 1)[1]
    return [line.split() for line in after.split("\n\n", 1)[0].splitlines()]


def table_line(output: str, table: str) -> list[str]:
    """The cells of one table's row in the summary's first section."""
    (row,) = [row for row in section(output, "Sources for") if row[0] == table]
    return row


def link_line(output: str, table: str, column: str) -> list[str]:
    (row,) = [row for row in section(output, "Linkage") if row[:2] == [table, column]]
    return row


@pytest.fixture(scope="module")
def golden_result(great_expectations_loaded: None):
    return vcc_validate(
        "--quarter", "2024Q4", "--as-of", AS_OF, "--config", str(GOLDEN / "data" / "vcc.toml")
    )


def test_golden_sources_are_usable_and_counted_exactly(golden_result) -> None:
    result = golden_result
    assert result.exit_code == 0, result.output
    out = result.output
    # one progress line per source as it is read, then the summary
    assert "vcc: police: 8 tables, 6,845 rows read in " in out
    assert "vcc: cps: 6 tables, 623 rows read in " in out
    assert "vcc: probation: 3 tables, 60 rows read in " in out
    # read, accepted, quarantined, in the quarter, newest record, days before the as-of date
    assert table_line(out, "police.crimes") == [
        "police.crimes", "600", "600", "0", "147", "2025-01-07", "1",
    ]  # fmt: skip
    assert table_line(out, "police.victims") == ["police.victims", "887", "887", "0"]
    assert table_line(out, "police.victim_contacts")[1:] == [
        "2,385", "2,385", "0", "583", "2025-01-08", "0",
    ]  # fmt: skip
    assert table_line(out, "probation.release_notifications")[1:] == [
        "4", "4", "0", "0", "2024-09-25", "105",
    ]  # fmt: skip
    assert "\nFailed expectations: none\n" in out
    assert section(out, "Linkage")[0] == ["table", "link", "rows", "not", "linked", "rate"]
    assert link_line(out, "cps.hearings", "urn") == [
        "cps.hearings", "urn", "->", "cps.cases.urn", "200", "0", "100.00%",
    ]  # fmt: skip
    links = section(out, "Linkage")[1:]
    assert len(links) == 19 and all(row[-1] == "100.00%" for row in links)


def test_golden_freshness_warns_of_the_three_stale_tables(golden_result) -> None:
    warnings = [line.strip() for line in golden_result.output.splitlines() if "warning:" in line]
    assert [line.split(": ")[1] for line in warnings] == [
        "CPS VCL letters",
        "CPS complaints",
        "Probation release notifications",
    ]
    assert warnings[0] == (
        "warning: CPS VCL letters: its newest record is dated 18 December 2024, 21 days before "
        "8 January 2025, so CPS letter on a decision not to charge, to stop or to alter a "
        "charge and Right to Review explained in the CPS letter may be incomplete: records "
        "made or sent late are "
        "missing from them."
    )
    verdict = golden_result.output.strip().splitlines()[-1]
    assert verdict.startswith("Verdict: usable; data quality Good. 0.0% of the 7,528 source rows")
    assert verdict.endswith(
        "3 source tables have no record dated within 14 days of 8 January 2025, so some figures "
        "may be incomplete."
    )


@pytest.fixture
def defective(tmp_path: Path) -> Path:
    """The golden sources with three defects; returns the configuration file."""
    data = tmp_path / "data"
    shutil.copytree(GOLDEN / "data", data)
    with (data / "police" / "crimes.csv").open("a", newline="") as crimes:
        crimes.write(
            "CR000001,2024-07-31T04:01:39,2024-07-31T11:26:17,theft,false,false,Eden\r\n"
            "CR999999,2024-11-01T09:00:00,2024-11-01T10:00:00,theft,false,false,Cumberland\r\n"
        )
    with (data / "cps" / "decisions.csv").open("a", newline="") as decisions:
        decisions.write("10CU0000006,V9999999,discontinued,2024-11-05T15:07:10\r\n")
    return data / "vcc.toml"


def test_defects_are_counted_with_their_expectation_and_severity(
    great_expectations_loaded: None, defective: Path
) -> None:
    result = vcc_validate("-q", "2024Q4", "--as-of", AS_OF, "--config", str(defective))

    assert result.exit_code == 0, result.output  # quarantined rows leave the data usable
    out = result.output
    assert table_line(out, "police.crimes")[1:5] == ["602", "600", "2", "147"]
    assert table_line(out, "cps.decisions")[1:5] == ["39", "38", "1", "8"]
    assert "Failed expectations: 3" in out
    failed = [" ".join(row) for row in section(out, "Failed expectations: 3")]
    assert failed == [
        "table rows severity expectation",
        "police.crimes 1 row: quarantined duplicate crime_ref",
        "police.crimes 1 row: quarantined district not a configured district",
        "cps.decisions 1 row: quarantined linkage: victim_id not a police victim",
    ]
    assert link_line(out, "cps.decisions", "victim_id")[-3:] == ["39", "1", "97.44%"]
    verdict = out.strip().splitlines()[-1]
    assert verdict.startswith("Verdict: usable; data quality Fair. 0.0% of the 7,531 source rows")
    assert "the weakest link, CPS decisions (victim to police victims), joined 97.4%" in verdict


def test_a_critical_failure_exits_1_with_one_line(
    great_expectations_loaded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vcc.flows.sources.suites

    read_suite = vcc.flows.sources.suites.suite_json

    def with_a_critical_rule(source: str, table: str) -> dict:
        suite = read_suite(source, table)
        if (source, table) == ("cps", "hearings"):
            suite["expectations"].append(
                {
                    "type": "expect_table_row_count_to_be_between",
                    "kwargs": {"min_value": 1000},
                    "meta": {"severity": "critical", "reason": "fewer than 1,000 hearings"},
                }
            )
        return suite

    monkeypatch.setattr(vcc.flows.sources.suites, "suite_json", with_a_critical_rule)
    result = CliRunner().invoke(
        main,
        [
            "validate",
            "-q",
            "2024Q4",
            "--as-of",
            AS_OF,
            "--config",
            str(GOLDEN / "data" / "vcc.toml"),
        ],
    )

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "vcc: error: validation failed: cps.hearings: fewer than 1,000 hearings"
    ]
    assert "Verdict" not in result.stdout


def test_an_unreadable_source_exits_1_with_one_line_and_no_traceback(defective: Path) -> None:
    (defective.parent / "cps" / "hearings.csv").unlink()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "vcc.flows.cli",
            "validate",
            "-q",
            "2024Q4",
            "--config",
            str(defective),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "vcc: error: source cps, table hearings: no file hearings.csv, hearings.xlsx or "
        f"hearings.parquet in {defective.parent / 'cps'}"
    ]
    assert "vcc: police: 8 tables, 6,847 rows read" in done.stdout  # police was read first


def test_it_needs_no_prefect_server(tmp_path: Path) -> None:
    """Validation alone never imports Prefect, so it cannot start a server."""
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from vcc.flows.cli import main\n"
        f"result = CliRunner().invoke(main, ['validate', '-q', '2024Q4', '--as-of', '{AS_OF}', "
        f"'--config', {str(GOLDEN / 'data' / 'vcc.toml')!r}])\n"
        "print(json.dumps([result.exit_code, 'prefect' in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", "import json\n" + script],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [0, False], done.stderr


def test_a_missing_configuration_is_one_line() -> None:
    result = CliRunner().invoke(main, ["validate", "-q", "2024Q4", "--config", "/nowhere/vcc.toml"])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "vcc: error: configuration file /nowhere/vcc.toml does not exist"
    )


def test_an_as_of_date_inside_the_quarter_is_warned_of(great_expectations_loaded: None) -> None:
    result = vcc_validate(
        "-q", "2024Q4", "--as-of", "2024-11-15", "--config", str(GOLDEN / "data" / "vcc.toml")
    )

    assert result.exit_code == 0, result.output
    assert (
        "  warning: the as-of date 2024-11-15 is before 2024Q4 ends (2024-12-31), so the "
        "quarter's figures would be incomplete\n"
    ) in result.output
    # rows dated after the as-of date are not in the quarter's count, nor the newest record
    assert table_line(result.output, "police.crimes")[4:] == ["82", "2024-11-15", "0"]


# A database that is locked for now is tried again, each wait announced, as the flow's extract
# task does; one still locked after the last wait fails with its one line.


def _locked_police(demo_config: Path):
    """The demo configuration with the police database waiting for no lock (timeout=0), and a
    connection that holds that database's write lock until it is released."""
    import sqlite3

    from vcc.flows.config import load_config

    config = load_config(demo_config)
    police = config.sources["police"]
    assert police.url is not None
    path = police.url.removeprefix("sqlite:///")
    unwaiting = police.model_copy(update={"url": police.url + "?timeout=0"})
    config = config.model_copy(update={"sources": {**config.sources, "police": unwaiting}})
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")  # another process is writing
    return config, holder


def test_a_locked_database_is_tried_again_until_it_is_free(
    great_expectations_loaded: None, demo_config: Path
) -> None:
    import threading

    from vcc.flows.sources.check import check_sources
    from vcc.transforms.quarters import Quarter

    config, holder = _locked_police(demo_config)
    release = threading.Timer(0.5, lambda: (holder.rollback(), holder.close()))
    release.start()
    lines: list[str] = []
    try:
        check = check_sources(
            config, Quarter.parse("2024Q4"), date(2025, 2, 14), lines.append, delays=(1.5, 1.5)
        )
    finally:
        release.join()
    retried = [line for line in lines if "trying again" in line]
    assert retried == [
        f"source police, table crimes: database {config.sources['police'].url} "
        "unavailable: database is locked; trying again in 1.5 s (attempt 2 of 3)"
    ]
    assert lines[1].startswith("police: 9 tables")  # the demo police hold property too
    assert check.outcome.table_counts()["rows_read"].sum() > 0


def test_a_database_still_locked_after_the_last_wait_fails(demo_config: Path) -> None:
    from vcc.flows.errors import SourceUnavailable
    from vcc.flows.sources.check import check_sources
    from vcc.transforms.quarters import Quarter

    config, holder = _locked_police(demo_config)
    lines: list[str] = []
    try:
        with pytest.raises(SourceUnavailable, match=r"unavailable: database is locked$"):
            check_sources(config, Quarter.parse("2024Q4"), date(2025, 2, 14), lines.append,
                          delays=(0.1, 0.2))  # fmt: skip
    finally:
        holder.rollback()
        holder.close()
    assert [line.rsplit("; ", 1)[1] for line in lines] == [
        "trying again in 0.1 s (attempt 2 of 3)",
        "trying again in 0.2 s (attempt 3 of 3)",
    ]


def two_areas(tmp_path: Path) -> Path:
    """A configuration of two areas: ``cumbria`` with the golden sources, and ``gone`` whose
    folders do not exist; returns the configuration file."""
    shutil.copytree(GOLDEN / "data", tmp_path / "cumbria")
    districts = (
        '["Allerdale", "Barrow-in-Furness", "Carlisle", "Copeland", "Eden", "South Lakeland"]'
    )
    text = ""
    for name in ("cumbria", "gone"):
        text += f'[areas.{name}]\narea = "{name.title()}"\ndistricts = {districts}\n'
        for source in ("police", "cps", "probation"):
            folder = tmp_path / name / source
            text += f'[areas.{name}.sources.{source}]\nkind = "files"\npath = "{folder}"\n'
    (tmp_path / "vcc.toml").write_text(text)
    return tmp_path / "vcc.toml"


def test_many_areas_are_validated_in_turn_and_a_failed_one_stops_no_other(
    tmp_path: Path, great_expectations_loaded: None
) -> None:
    config = two_areas(tmp_path)

    result = CliRunner().invoke(
        main, ["validate", "--quarter", "2024Q4", "--as-of", AS_OF, "--config", str(config)]
    )

    assert result.exit_code == 1
    assert "vcc: validating the sources of area cumbria (1/2) for 2024Q4" in result.stdout
    assert "vcc: validating the sources of area gone (2/2) for 2024Q4" in result.stdout
    # the first area's summary is the golden one, whatever became of the second
    assert table_line(result.stdout, "police.crimes") == [
        "police.crimes", "600", "600", "0", "147", "2025-01-07", "1",
    ]  # fmt: skip
    assert result.stderr.splitlines() == [
        f"vcc: area gone: source police: folder {tmp_path / 'gone' / 'police'} does not exist",
        "vcc: error: 1 of 2 areas failed validation: gone",
    ]


def test_one_area_is_validated_alone_with_area(
    tmp_path: Path, great_expectations_loaded: None
) -> None:
    config = two_areas(tmp_path)
    args = ["validate", "--quarter", "2024Q4", "--as-of", AS_OF, "--config", str(config)]

    alone = CliRunner().invoke(main, [*args, "--area", "cumbria"])
    unknown = CliRunner().invoke(main, [*args, "--area", "north"])

    assert alone.exit_code == 0, alone.output
    assert "vcc: validating the sources of area cumbria for 2024Q4" in alone.stdout
    assert "area gone" not in alone.output
    assert unknown.exit_code == 1
    assert unknown.stderr.splitlines() == [
        "vcc: error: no area 'north' in the configuration (areas: cumbria, gone)"
    ]
