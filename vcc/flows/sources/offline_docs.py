"""Make Great Expectations' Data Docs work offline, asking nothing of any outside host.

Great Expectations writes pages that load Bootstrap, jQuery, Vega and Font Awesome from public
CDNs and its logo from S3: offline they break, online they make requests from an analyst's
browser. ``make_offline(folder, suites)`` rewrites the site in place:

- every ``<script src>`` and ``<link href>`` to another host is removed, and so is every inline
  script (each one drives those libraries); a small stylesheet of our own is inlined instead, and
  draws the pass and fail icons as characters;
- an image from another host becomes the copy of the logo in the site's own ``static/images``;
  a ``url(...)`` to another host in a stylesheet becomes ``none``;
- a link to another host keeps its words and loses its address;
- ``index.html``, which Great Expectations fills from a script, is written again as plain HTML
  tables: each validation result (with whether it passed) and each expectation suite.

The validation and suite pages are written by Great Expectations as plain HTML, so they read the
same without their scripts; their sections are simply always open.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Mapping
from pathlib import Path

EXTERNAL = r"(?:https?:)?//"
_SCRIPT_FROM_ELSEWHERE = re.compile(
    rf"<script\b[^>]*\bsrc\s*=\s*[\"']{EXTERNAL}[^>]*>\s*</script>\s*", re.I
)
_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>.*?</script>\s*", re.I | re.S)
_LINK_TO_ELSEWHERE = re.compile(rf"<link\b[^>]*\bhref\s*=\s*[\"']{EXTERNAL}[^>]*>\s*", re.I)
_IMAGE_SRC_ELSEWHERE = re.compile(rf"(<img\b[^>]*\bsrc\s*=\s*)([\"']){EXTERNAL}[^\"']*\2", re.I)
_ANCHOR_TO_ELSEWHERE = re.compile(
    rf"<a\b[^>]*\bhref\s*=\s*[\"']{EXTERNAL}[^\"']*[\"'][^>]*>(.*?)</a>", re.I | re.S
)
_URL_ELSEWHERE = re.compile(rf"url\(\s*[\"']?{EXTERNAL}[^)]*\)", re.I)
_FORM_TO_ELSEWHERE = re.compile(
    rf"<form\b[^>]*\baction\s*=\s*[\"']{EXTERNAL}.*?</form>", re.I | re.S
)

LOGO = "images/logo-long.png"  # in the site's static folder
# A reference into the site's own static folder, however deep Great Expectations thought the page
# was: its validation pages sit five folders down but point four up (their favicon went missing).
_STATIC_REFERENCE = re.compile(r"(\b(?:href|src)\s*=\s*)([\"'])(?:\.\./)*static/([^\"']*)\2", re.I)

# In place of Bootstrap and Font Awesome: enough to read the pages, nothing fetched.
OFFLINE_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 0 auto; max-width: 75em;
  padding: 1em; color: #0b0c0c; line-height: 1.4; }
nav.navbar { border-bottom: 1px solid #b1b4b6; margin-bottom: 1em; height: auto !important; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border-bottom: 1px solid #b1b4b6; padding: 0.3em 0.6em; text-align: left;
  vertical-align: top; }
.alert { border-left: 4px solid #505a5f; background: #f3f2f1; padding: 0.5em 1em; }
.text-success, .ge-success-icon { color: #00703c; }
.text-danger, .ge-failed-icon { color: #d4351c; }
i.fas { font-style: normal; font-weight: bold; }
i.fa-check-circle::before, i.fa-check::before { content: "\\2714"; }
i.fa-times::before, i.fa-times-circle::before { content: "\\2716"; }
[data-toggle="buttons"], .btn-group-toggle, footer, #ge-cta-footer { display: none; }
.sticky { position: static; }
pre, code { white-space: pre-wrap; }
""".strip()


def _relative(target: Path, page: Path) -> str:
    return Path(os.path.relpath(target, page.parent)).as_posix()


def offline_page(text: str, static: str = "static") -> str:
    """One page of the site with nothing fetched from elsewhere; ``static`` is the address of the
    site's static folder relative to the page."""
    logo = f"{static}/{LOGO}"
    text = _SCRIPT_FROM_ELSEWHERE.sub("", text)
    text = _INLINE_SCRIPT.sub("", text)
    text = _LINK_TO_ELSEWHERE.sub("", text)
    text = _FORM_TO_ELSEWHERE.sub("", text)
    text = _IMAGE_SRC_ELSEWHERE.sub(lambda m: f"{m.group(1)}{m.group(2)}{logo}{m.group(2)}", text)
    text = _ANCHOR_TO_ELSEWHERE.sub(r"<span>\1</span>", text)
    text = _URL_ELSEWHERE.sub("none", text)
    text = _STATIC_REFERENCE.sub(
        lambda m: f"{m.group(1)}{m.group(2)}{static}/{m.group(3)}{m.group(2)}", text
    )
    if OFFLINE_CSS not in text:
        text = re.sub(r"</head>", f"<style>\n{OFFLINE_CSS}\n</style>\n</head>", text, count=1)
    return text


def offline_index(folder: Path, suites: Mapping[str, bool]) -> str:
    """The site's front page as plain HTML: every validation result and expectation suite."""
    validations = sorted(folder.glob("validations/**/*.html"))
    expectations = sorted(folder.glob("expectations/**/*.html"))

    def link(path: Path, words: str) -> str:
        return (
            f'<a href="{html.escape(path.relative_to(folder).as_posix())}">{html.escape(words)}</a>'
        )

    def status(name: str) -> str:
        if name not in suites:
            return "not known"
        return (
            '<i class="fas fa-check-circle text-success" aria-hidden="true"></i> Passed'
            if suites[name]
            else '<i class="fas fa-times text-danger" aria-hidden="true"></i> Failed'
        )

    result_rows = "\n".join(
        f'<tr><th scope="row">{link(page, page.stem)}</th><td>{status(page.stem)}</td>'
        f"<td>{html.escape(page.parent.parent.name)}</td></tr>"
        for page in validations
    )
    suite_rows = "\n".join(
        f'<tr><th scope="row">{link(page, f"{page.parent.name}.{page.stem}")}</th></tr>'
        for page in expectations
    )
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Data Docs: vcc</title>
<link rel="shortcut icon" href="static/images/favicon.ico" type="image/x-icon">
<style>
{OFFLINE_CSS}
</style>
</head>
<body>
<main>
<h1>Data Docs: vcc</h1>
<p>Great Expectations' account of this run's data checks: each source table's validation result
(counts only, no values) and the rules of its expectation suite.</p>
<h2 id="validations">Validation results</h2>
<table aria-labelledby="validations">
<thead>
<tr><th scope="col">Table</th><th scope="col">Result</th><th scope="col">Run</th></tr>
</thead>
<tbody>
{result_rows}
</tbody>
</table>
<h2 id="suites">Expectation suites</h2>
<table aria-labelledby="suites">
<thead><tr><th scope="col">Suite</th></tr></thead>
<tbody>
{suite_rows}
</tbody>
</table>
</main>
</body>
</html>
"""


def make_offline(folder: Path, suites: Mapping[str, bool]) -> None:
    """Rewrite the Data Docs site in ``folder`` so that it reads offline and asks nothing of any
    other host; ``suites`` says which suite (``source.table``) passed, for the front page."""
    for page in folder.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        page.write_text(offline_page(text, _relative(folder / "static", page)), encoding="utf-8")
    for stylesheet in folder.rglob("*.css"):
        text = stylesheet.read_text(encoding="utf-8")
        stylesheet.write_text(_URL_ELSEWHERE.sub("none", text), encoding="utf-8")
    (folder / "index.html").write_text(offline_index(folder, suites), encoding="utf-8")
