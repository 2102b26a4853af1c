"""Issue 14: settings that cannot be right are refused when the configuration is read, in one
line naming the key, not after a minute of work; and quarters that have no calendar are refused
in one line, never a traceback."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from vcc.flows.cli.app import main
from vcc.flows.config import load_config
from vcc.flows.errors import ConfigError


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[disclosure]\nthreshold = -1", "disclosure.threshold"),
        ("[report]\ntrend_quarters = 0", "report.trend_quarters"),
        ("[measures.R2-RECORD]\ndeadline_standard = -2", "measures.R2-RECORD.deadline_standard"),
        ("[measures.R3-ACK]\ntarget = 1.5", "measures.R3-ACK.target"),
        ("[measures.R3-ACK]\ntarget = -0.1", "measures.R3-ACK.target"),
        ("[measures.R3-ACK]\nrag_tolerance = 2", "measures.R3-ACK.rag_tolerance"),
        (
            "[measures.R3-ACK]\nmin_eligible_for_rating = -1",
            "measures.R3-ACK.min_eligible_for_rating",
        ),
        ("[measures.R4-VNA-CONTENT]\ndeadline_standard = 3", "measures.R4-VNA-CONTENT"),
        ("[schedule]\nworking_days_after_quarter = -1", "schedule.working_days_after_quarter"),
        ('[schedule]\ntimezone = "Mars/Olympus"', "schedule"),
        ("[validation]\nmax_linkage_failure = 1.5", "validation.max_linkage_failure"),
        ('[validation]\nearliest_date = "soon"', "validation.earliest_date"),
        ("[validation]\nearliest_date = 2999-01-01", "validation.earliest_date"),
        ("districts = []", "districts"),
        ('[mail]\nhost = "smtp.example.org\\r\\nRCPT TO:<x@evil.example>"', "mail.host"),
        ('[mail]\nhost = "smtp.example.org\\nDATA"', "mail.host"),
        (
            '[sources.police]\nkind = "files"\npath = "p"\ndate_format = "%m/%Y"',
            "sources.police.date_format",
        ),
        (
            '[sources.police]\nkind = "files"\npath = "p"\n[sources.police.tables.crimes]\n'
            'date_format = "%Y"',
            "sources.police.tables.crimes.date_format",
        ),
    ],
)
def test_an_impossible_setting_is_refused_on_reading_naming_its_key(
    tmp_path: Path, toml, key
) -> None:
    path = tmp_path / "vcc.toml"
    path.write_text(toml + "\n")

    with pytest.raises(ConfigError) as raised:
        load_config(path)

    message = str(raised.value)
    assert message.startswith(f"configuration {path}: {key}: ")
    assert "\n" not in message


@pytest.mark.parametrize("quarter", ["0000Q1", "0001Q1", "-0001Q1", "99999Q1", "2024Q5"])
def test_a_quarter_without_a_calendar_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quarter: str
) -> None:
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(main, ["run", "-q", quarter])

    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"Invalid value for '--quarter' / '-q': '{quarter}' is not a quarter" in result.output


def test_an_earliest_date_after_the_as_of_date_refuses_the_run():
    from vcc.flows.errors import RunDatesError
    from vcc.flows.run.flow import reportable_quarter

    with pytest.raises(RunDatesError) as raised:
        reportable_quarter("2024Q1", dt.date(2024, 5, 1), earliest=dt.date(2024, 6, 1))

    assert str(raised.value) == (
        "[validation] earliest_date 2024-06-01 is after the as-of date 2024-05-01: every date "
        "up to the as-of date would be quarantined as implausible"
    )
    assert str(reportable_quarter("2024Q1", dt.date(2024, 5, 1), dt.date(2024, 5, 1))) == "2024Q1"
