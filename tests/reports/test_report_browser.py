"""The HTML report in a real browser: Debian's chromium, headless, with axe-core on WCAG 2.2 AA.

tests/browser/check_report.mjs opens a freshly rendered report at 1280 px and at 320 px, runs
axe-core (tags wcag2a, wcag2aa, wcag21a, wcag21aa, wcag22aa) and checks that at 320 px the page
never scrolls sideways, every table scrolling in its own labelled, focusable region, and that the
file asks for nothing beyond itself. Its packages are pinned in tests/browser/package-lock.json
(``npm ci`` there; .ci/run does it, and installs chromium when it is missing).

In CI (``CI=true``) a missing chromium, node or ``npm ci`` fails the test; elsewhere it is skipped
with the command that sets it up.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.reports.test_report_file import a_full_quarter
from vcc.reports.render import render_report

pytestmark = pytest.mark.browser

BROWSER_TESTS = Path(__file__).parents[1] / "browser"
CHROMIUM = os.environ.get("VCC_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")


def missing(what: str) -> None:
    message = (
        f"{what}: run .ci/run, or apt-get install chromium nodejs npm && npm ci in {BROWSER_TESTS}"
    )
    if IN_CI:
        pytest.fail(message)  # CI must run the browser check, never pass over it
    pytest.skip(message)


@pytest.fixture(scope="module")
def html_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report-html")
    render_report(a_full_quarter(), folder / "report.pdf", folder / "report.html")
    return folder / "report.html"


def axe(page: Path) -> dict:
    """tests/browser/check_report.mjs on ``page``: axe-core in Chromium at 1280 and 320 px, its
    account (each width's violations and scroll, and any request to another host); its exit
    status, 0 or 1, is only whether that account reports anything."""
    node = shutil.which("node")
    if node is None:
        missing("node is not installed")
    if not Path(CHROMIUM).is_file():
        missing(f"chromium is not installed at {CHROMIUM}")
    if not (BROWSER_TESTS / "node_modules" / "axe-core").is_dir():
        missing("the browser test's packages are not installed")
    run = subprocess.run(
        [node, "check_report.mjs", str(page), CHROMIUM],  # type: ignore[list-item]
        cwd=BROWSER_TESTS, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert run.returncode in (0, 1), run.stderr
    return json.loads(run.stdout)


def test_html_report_passes_axe_and_reflows_at_320_px(html_report: Path) -> None:
    account = axe(html_report)
    assert account["requests"] == []
    assert set(account["widths"]) == {"320", "1280"}
    for width, result in account["widths"].items():
        assert result["violations"] == [], (width, result["violations"])
        scroll = result["scroll"]
        assert scroll["tables"] > 20 and scroll["tablesInRegions"] == scroll["tables"], width
        assert scroll["page"] <= scroll["viewport"], f"the page scrolls sideways at {width} px"


def test_html_report_has_a_viewport_and_a_linked_contents_list(html_report: Path) -> None:
    html = html_report.read_text(encoding="utf-8")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    contents = html[html.index('<nav class="contents"') : html.index("</nav>")]
    targets = re.findall(r'href="#([^"]+)"', contents)
    assert len(targets) >= 10  # revisions, summary, four agencies and six more sections
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    assert set(targets) <= ids


def test_the_marking_banner_is_in_the_header_and_footer_landmarks(html_report: Path) -> None:
    html = html_report.read_text(encoding="utf-8")
    body = html[html.index("<body>") :]
    assert re.search(r"<header[^>]*>\s*<p class=\"marking-banner\">OFFICIAL</p>\s*</header>", body)
    assert re.search(r"<footer[^>]*>\s*<p class=\"marking-banner\">OFFICIAL</p>\s*</footer>", body)
