"""The open release of a quarter (CONTRACT.md §7.4), made from the report tests' hand-made
figures: its Data Package passes ``frictionless validate``, its page says in words what the
figures say (and hides what the published tables hide), it holds the SPC and feedback parts only
when the run wrote them, and it passes axe-core (WCAG 2.2 AA) in headless Chromium at 320 and
1280 px. SHA256SUMS makes any change to the release detectable."""

from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape
from pathlib import Path

import pandas as pd
import pytest
from frictionless import validate

from tests.reports.test_report import THRESHOLD, a_quarter
from tests.reports.test_report_browser import axe
from vcc.flows.checksums import ReleaseAltered, release_checksum, sha256
from vcc.flows.run.release import ReleaseFacts, quarter_tables, write_release
from vcc.transforms.catalogue import load_catalogue
from vcc.transforms.quarters import Quarter
from vcc.transforms.settings import ReleaseSettings

SETTINGS = ReleaseSettings(
    next_steps="The board will ask the CPS to explain its late letters at its March meeting.",
    contact="Victims' Services Team",
    contact_email="victims@opfcc.example.org",
)

SPC_CSV = """measure_id,agency,month,eligible,met,rate,centre,lower,upper,signals,assurance
R3-ACK,police,2024-07,40,33,0.8250,0.7000,0.5000,0.9000,outside;shift,hit_and_miss
R3-ACK,police,2024-08,40,32,0.8000,0.7000,0.5000,0.9000,shift,hit_and_miss
R3-ACK,police,2024-09,40,34,0.8500,0.7000,0.5000,0.9000,shift,hit_and_miss
"""
FEEDBACK_CSV = (
    (
        "question_id,right,measure_id,answered,yes,rate,ci_low,ci_high,records_rate,gap,gap_low,"
        "gap_high,significant\n"
    )
    + """q_ack,3,R3-ACK,50,20,0.4000,0.2760,0.5380,0.8250,-0.4250,-0.5600,-0.2700,True
q_hearing,8,R8-HEARING,40,34,0.8500,0.7440,0.9650,1.0000,-0.1000,-0.2500,0.0200,False
"""
)


def release_of(folder: Path, with_spc_and_feedback: bool = False) -> Path:
    """The release of the report tests' quarter (2024Q3), written into ``folder/release``."""
    data = a_quarter()
    figures = data.figures
    if with_spc_and_feedback:
        (folder / "spc.csv").write_text(SPC_CSV)
        (folder / "feedback.csv").write_text(FEEDBACK_CSV)
    facts = ReleaseFacts(
        area="Cumbria", producer="Office of the PFCC for Cumbria", quarter=Quarter(2024, 3),
        period="1 July to 30 September 2024", as_of=dt.date(2024, 10, 15),
        published_on=dt.date(2024, 10, 16), next_update=dt.date(2025, 1, 15),
        threshold=THRESHOLD, settings=SETTINGS, report_version="First issue (version 1)",
        code_version="0.1.0",
    )  # fmt: skip
    catalogue = load_catalogue()
    tables = quarter_tables(figures.published, figures.changes, catalogue, {}, facts, folder)
    write_release(folder / "release", tables, catalogue, facts, "2024/25 Q2")
    return folder / "release"


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return release_of(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def full_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return release_of(tmp_path_factory.mktemp("run-with-spc"), with_spc_and_feedback=True)


def page_text(release: Path) -> str:
    html = (release / "index.html").read_text(encoding="utf-8")
    body = re.sub(r"<(style|title)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_the_data_package_passes_frictionless_validate(release: Path, full_release: Path) -> None:
    for folder in (release, full_release):
        report = validate(folder / "datapackage.json")
        assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    package = json.loads((full_release / "datapackage.json").read_text())
    assert [r["path"] for r in package["resources"]] == [
        "victims-code-compliance.csv", "change-on-earlier-quarters.csv", "measures.csv",
        "monthly-process-control.csv", "victims-feedback.csv",
    ]  # fmt: skip
    assert package["licenses"][0]["name"] == "OGL-UK-3.0"
    assert package["producer"] == "Office of the PFCC for Cumbria"
    assert package["period"] == {"quarter": "2024Q3", "start": "2024-07-01",
                                 "end": "2024-09-30", "as_of": "2024-10-15"}  # fmt: skip
    assert package["victimsCode"]["version"] == "2021-04"
    compliance = package["resources"][0]["schema"]
    # the hand-made breakdown rows have no interval (blank); a run's always have one
    assert compliance["missingValues"] == ["[c]", "[z]", ""]
    fields = {f["name"]: f for f in compliance["fields"]}
    assert (fields["eligible"]["type"], fields["eligible"]["unit"]) == ("integer", "duties")
    assert fields["rate"]["type"] == "number" and "0 to 1" in fields["rate"]["unit"]
    assert "[c]: confidential" in package["resources"][0]["description"]


def test_the_open_data_are_the_published_tables(release: Path) -> None:
    compliance = pd.read_csv(release / "victims-code-compliance.csv", dtype=str,
                             keep_default_na=False)  # fmt: skip
    published = a_quarter().figures.published.astype(str)
    assert (compliance["area"] == "Cumbria").all()
    pd.testing.assert_frame_equal(
        compliance.drop(columns="area").reset_index(drop=True), published.reset_index(drop=True)
    )
    changes = pd.read_csv(
        release / "change-on-earlier-quarters.csv", dtype=str, keep_default_na=False
    ).set_index(["measure_id", "agency", "comparison"])
    ack = changes.loc[("R3-ACK", "police", "previous quarter")]
    assert (ack["rate"], ack["compared_rate"], ack["change"], ack["significant"]) == (
        "0.8250", "0.6000", "0.2250", "true",
    )  # fmt: skip
    # 37 of 40: 3 not met would be given back by the change
    assert changes.loc[("R6-VCL", "cps", "previous quarter"), "change"] == "[c]"
    assert changes.loc[("R11-RELEASE", "probation", "previous quarter"), "change"] == "[z]"
    # no 2023Q3 in the figures: transforms.changes counts it as none eligible
    assert changes.loc[("R3-ACK", "police", "a year before"), "compared_rate"] == "[z]"


def test_the_page_says_in_words_what_the_published_tables_say(release: Path) -> None:
    text = page_text(release)
    assert "Victims' rights in Cumbria: how well were they met?" in text
    assert "Close to the target. Police: written acknowledgement of the crime. 99 of 120 " \
           "duties were met on time (82.5%). Allowing for chance, the true rate is likely " \
           "between 74.7% and 88.3%." in text  # fmt: skip
    # 3 hearings: fewer than the threshold, nothing of them shown, no chart drawn
    assert "Witness Care Unit: victim told of hearing date, time and place. Fewer than 5 " \
           "duties fell due" in text  # fmt: skip
    assert "Withheld. CPS: CPS letter on a decision not to charge, to stop or to alter a " \
           "charge. 40 duties fell due. How many were met is withheld" in text  # fmt: skip
    assert "Nothing due. Probation: victim told before the offender's release. No duty of " \
           "this kind fell due this quarter." in text  # fmt: skip
    assert "Real changes Written acknowledgement of the crime (Police) rose from 60.0% to 82.5% " \
           "(22.5 percentage points) since 2024Q2." in text  # fmt: skip
    assert "Changes that could be chance Complaint acknowledged (Police)" in text
    assert "This right could not be measured from the agencies' records this quarter." in text
    assert SETTINGS.next_steps in text
    assert "The next figures will be published on 15 January 2025" in text
    assert "Victims' Services Team: victims@opfcc.example.org" in text
    html = (release / "index.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 4  # R3-ACK and three R12-ACK rows; no chart of a hidden rate
    assert 'role="img" aria-labelledby="chart-r3-ack-police-t"' in html
    for path in ("victims-code-compliance.csv", "datapackage.json", "measures.csv"):
        assert f'href="{path}"' in html
    # only the parts this run made
    assert "Month by month" not in text and "What victims told us" not in text


def test_the_page_is_self_contained(release: Path) -> None:
    html = (release / "index.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<link" not in html
    assert not re.search(r'(src|href)="(https?:)?//[^"]*\.(css|js|woff2?|png|svg)', html)


def test_month_by_month_signals_and_victims_answers_appear_when_the_run_made_them(
    full_release: Path,
) -> None:
    text = page_text(full_release)
    assert "Written acknowledgement of the crime (Police): a sign of improvement in the last " \
           "three months. All 0 measures" not in text  # fmt: skip
    assert "Written acknowledgement of the crime (Police): a sign of improvement in the last " \
           "three months. The other 0 measures showed no unusual change" in text  # fmt: skip
    assert "Sometimes meet their target and sometimes miss it Written acknowledgement of the " \
           "crime (Police)" in text  # fmt: skip
    assert "Consistently meet their target" not in text  # no measure in that group
    assert (
        "Written acknowledgement of the crime: 20 of 50 victims who answered said yes "
        "(40.0%); the agencies' records say 82.5%, a difference larger than chance" in text
    )
    # R8-HEARING's records are hidden (3 hearings), so the records' rate and gap are too
    assert "hearing date, time and place: 34 of 40 victims who answered said yes (85.0%)." in text
    spc = pd.read_csv(full_release / "monthly-process-control.csv", dtype=str)
    assert "eligible" not in spc.columns and list(spc["rate"]) == ["0.8250", "0.8000", "0.8500"]
    feedback = pd.read_csv(full_release / "victims-feedback.csv", dtype=str,
                           keep_default_na=False).set_index("question_id")  # fmt: skip
    assert feedback.loc["q_hearing", "records_rate"] == "[c]"


def test_sha256sums_lists_every_file_and_the_checksum_finds_any_change(tmp_path: Path) -> None:
    folder = release_of(tmp_path)
    sums = (folder / "SHA256SUMS").read_text().splitlines()
    assert sorted(line.split("  ")[1] for line in sums) == sorted(
        p.name for p in folder.iterdir() if p.name != "SHA256SUMS"
    )
    assert release_checksum(folder) == sha256(folder / "SHA256SUMS")
    assert release_checksum(tmp_path) is None  # no release here: an older vcc's run
    (folder / "notes.txt").write_text("added")
    with pytest.raises(ReleaseAltered, match="does not list: notes.txt"):
        release_checksum(folder)
    (folder / "notes.txt").unlink()
    page = folder / "index.html"
    page.write_text(page.read_text().replace("Cumbria", "Elsewhere"))
    with pytest.raises(ReleaseAltered, match="index.html is missing or is not the file"):
        release_checksum(folder)


def test_the_page_passes_axe_at_320_and_1280_px(full_release: Path) -> None:
    account = axe(full_release / "index.html")
    assert account["requests"] == []
    assert set(account["widths"]) == {"320", "1280"}
    for width, result in account["widths"].items():
        assert result["violations"] == [], (width, result["violations"])
        scroll = result["scroll"]
        assert scroll["page"] <= scroll["viewport"], f"the page scrolls sideways at {width} px"
        assert scroll["tables"] == scroll["tablesInRegions"] == 1


def spc_months(rates: list[str], signals: list[str], centre="0.7000", upper="0.9000"):
    months = [f"2024-{m:02d}" for m in range(1, len(rates) + 1)]
    return pd.DataFrame({
        "measure_id": "R3-ACK", "agency": "police", "month": months, "rate": rates,
        "centre": centre, "lower": "0.5000", "upper": upper, "signals": signals,
        "assurance": "pass",
    })  # fmt: skip


@pytest.mark.parametrize(
    ("rates", "signals", "words"),
    [
        # above the upper limit: an improvement
        (["0.70", "0.72", "0.95"], ["", "", "outside"], "a sign of improvement"),
        # below the lower limit (not above the upper): a concern
        (["0.70", "0.72", "0.45"], ["", "", "outside"], "a sign of concern"),
        # falling above the centre: a trend is judged by its direction, not its side
        (["0.85", "0.80", "0.75"], ["trend", "trend", "trend"], "a sign of concern"),
        # a run below the centre
        (["0.60", "0.65", "0.62"], ["shift", "shift", "shift"], "a sign of concern"),
        # a signal on a hidden month: said, without a direction
        (["0.70", "0.72", "[c]"], ["", "", "shift"], "an unusual pattern"),
        (["0.70", "0.72", "0.71"], ["", "", ""], "no unusual change"),
    ],
)
def test_a_monthly_signal_is_read_as_improvement_or_concern(rates, signals, words) -> None:
    from vcc.reports.release import _spc_sentences

    (sentence,) = _spc_sentences(spc_months(rates, signals), load_catalogue())
    assert sentence == (
        f"Written acknowledgement of the crime (Police): {words}"
        + (" in the last three months" if "unusual change" not in words else
           " in the last three months (common cause variation)")
        + "; on present form it consistently meets its target."
    )  # fmt: skip
