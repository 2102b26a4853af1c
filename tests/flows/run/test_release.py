"""The open release of a real run (CONTRACT.md §7.4): ``<out>/<quarter>/release/`` is published
with the run's other outputs, its Data Package passes ``frictionless validate``, no value in it
is a count from 1 to the threshold less one or an identifier from the sources, and ``vcc
approve`` records its checksum beside the PDF's, which circulation names and checks."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from frictionless import validate

from tests.conftest import FLOW_QUARTER, copy_demo_run
from tests.reports.test_report_browser import axe
from tests.smtp_server import running_smtp_server
from vcc.flows.checksums import release_checksum, sha256
from vcc.flows.config import load_config
from vcc.flows.operations.circulation import CirculationError, approve, circulate
from vcc.flows.warehouse.store import Warehouse, default_url

pytestmark = pytest.mark.flow
Q = FLOW_QUARTER
IDENTIFIER_COLUMNS = {
    "crime_ref", "victim_id", "urn", "hearing_id", "referral_id", "complaint_id", "item_id",
    "claim_id", "response_id",
}  # fmt: skip
COUNT_COLUMNS = {"eligible", "met", "answered", "yes"}


@pytest.fixture(scope="module")
def run(
    demo_run: tuple[Path, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict]:
    """The demo run (``run_quarter(FLOW_QUARTER, FLOW_AS_OF, demo_config, out)``), copied: these
    tests approve and alter it."""
    out = tmp_path_factory.mktemp("out") / "out"
    return out, copy_demo_run(demo_run, out)


def source_identifiers(run_folder: Path) -> set[str]:
    """Every identifier of every source table the run read (its snapshots)."""
    found: set[str] = set()
    for snapshot in (run_folder / "snapshots").glob("*.parquet"):
        frame = pd.read_parquet(snapshot)
        for column in IDENTIFIER_COLUMNS & set(frame.columns):
            found |= set(frame[column].dropna().astype(str))
    return found


def small_counts_in(release: Path, threshold: int) -> list[str]:
    """Every count from 1 to ``threshold - 1`` in the release's CSVs and on its page."""
    small = []
    for path in release.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in COUNT_COLUMNS & set(frame.columns):
            for value in frame[column]:
                if value.isdigit() and 0 < int(value) < threshold:
                    small.append(f"{path.name} {column} {value}")
    text = unescape(re.sub(r"<[^>]+>", " ", (release / "index.html").read_text()))
    counts = re.findall(r"(\d[\d,]*) of (\d[\d,]*) (?:duties|victims)", text)
    counts += [(n,) for n in re.findall(r"(\d[\d,]*) duties fell due", text)]
    cells = re.findall(r'<td class="num">(\d[\d,]*)</td>', (release / "index.html").read_text())
    for number in [n for pair in counts for n in pair] + cells:
        if 0 < int(number.replace(",", "")) < threshold:
            small.append(f"index.html {number}")
    return small


def test_the_release_is_published_with_the_run_and_listed_in_its_manifest(
    run: tuple[Path, dict],
) -> None:
    out, manifest = run
    release = out / Q / "release"
    names = {p.name for p in release.iterdir()}
    always = {"SHA256SUMS", "change-on-earlier-quarters.csv", "datapackage.json", "index.html",
              "measures.csv", "victims-code-compliance.csv"}  # fmt: skip
    # the SPC and feedback tables exactly when the run wrote spc.csv and feedback.csv
    made = {
        "monthly-process-control.csv": (out / Q / "spc.csv").exists(),
        "victims-feedback.csv": (out / Q / "feedback.csv").exists(),
    }
    assert names == always | {name for name, present in made.items() if present}
    page = (release / "index.html").read_text()
    assert ('id="monthly"' in page) == made["monthly-process-control.csv"]
    assert ('id="victims"' in page) == made["victims-feedback.csv"]
    checksums = manifest["outputs"]["checksums"]
    for path in release.iterdir():
        assert checksums[f"release/{path.name}"] == sha256(path)
    assert "release" in manifest["timings_seconds"]
    # the published tables as they are, with the area named
    published = pd.read_csv(out / Q / "published-tables.csv", dtype=str, keep_default_na=False)
    compliance = pd.read_csv(release / "victims-code-compliance.csv", dtype=str,
                             keep_default_na=False)  # fmt: skip
    pd.testing.assert_frame_equal(compliance.drop(columns="area"), published)
    assert set(compliance["area"]) == {"Cumbria"}


def test_the_data_package_passes_frictionless_validate(run: tuple[Path, dict]) -> None:
    out, _ = run
    report = validate(out / Q / "release" / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    package = json.loads((out / Q / "release" / "datapackage.json").read_text())
    assert package["resources"][0]["schema"]["missingValues"] == ["[c]", "[z]"]
    assert package["victimsCode"]["version"] == "2021-04"
    assert (
        package["period"]["quarter"] == Q and package["nextUpdate"] == "2025-04-14"
    )  # 2025Q1 report: 10th working day of April


def test_no_value_in_the_release_is_a_small_count_or_an_identifier(run: tuple[Path, dict]) -> None:
    out, _ = run
    release, threshold = out / Q / "release", 5
    assert small_counts_in(release, threshold) == []
    identifiers = source_identifiers(out / Q)
    assert len(identifiers) > 1000
    for path in release.iterdir():
        tokens = set(re.findall(r"[A-Za-z0-9][A-Za-z0-9_\-/]*", path.read_text()))
        assert not tokens & identifiers, path.name
    # the checks can fail: the analysts' files beside the release hold both
    instances = pd.read_parquet(out / Q / "instances.parquet")
    assert set(instances["victim_id"].dropna().astype(str)) & identifiers
    metrics = pd.read_csv(out / Q / "metrics.csv")
    assert ((metrics["met"] > 0) & (metrics["met"] < threshold)).any()


def test_approval_records_the_release_and_circulation_names_and_checks_it(
    run: tuple[Path, dict], demo_config: Path
) -> None:
    out, manifest = run
    release = out / Q / "release"
    warehouse = Warehouse(default_url(out))
    approval, new = approve(warehouse, out, Q, "Head of Victims Services", None)
    assert new
    assert approval["release_sha256"] == release_checksum(release) == sha256(release / "SHA256SUMS")
    (row,) = warehouse.table("approvals", Q)
    assert row["release_sha256"] == approval["release_sha256"]
    with running_smtp_server() as smtp:
        config_path = demo_config.parent / "with-mail-release.toml"
        config_path.write_text(
            demo_config.read_text() + f'\n[mail]\nhost = "127.0.0.1"\nport = {smtp.port}\n'
            'distribution = ["chair@partnership.example.org"]\n'
        )
        config = load_config(config_path)
        circulate(warehouse, config, out, Q, "analyst")
        plain = smtp.messages[0].get_body(preferencelist=("plain",))
        assert plain is not None
        body = plain.get_content()
        assert f"has the checksum {approval['release_sha256']}" in body
        # a page changed after approval: refused, nothing sent
        page = release / "index.html"
        page.write_text(page.read_text().replace("Cumbria", "Elsewhere"))
        with pytest.raises(CirculationError, match="index.html is missing or is not the file"):
            circulate(warehouse, config, out, Q, "analyst", resend=True)
        assert len(smtp.messages) == 1


def test_the_run_s_page_passes_axe_at_320_and_1280_px(run: tuple[Path, dict]) -> None:
    out, _ = run
    account = axe(out / Q / "release" / "index.html")
    assert account["requests"] == []
    for width, result in account["widths"].items():
        assert result["violations"] == [], (width, result["violations"])
        assert result["scroll"]["page"] <= result["scroll"]["viewport"], width
