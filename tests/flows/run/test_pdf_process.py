"""Issue 18: the report's PDF is written by a helper process while the run writes its other
files (``flows/run/pdf.py``). It must write the PDF the run would have written itself, and its
failures must reach the run as the run's own: an OS error with its errno, anything else as one
line, and never a PDF half-written or the helper left running."""

from __future__ import annotations

import errno
import logging
import os
import signal
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.reports.test_report import a_quarter
from vcc.flows.run.pdf import (
    HTML_NAME,
    NO_HARFBUZZ_SUBSET_NOTE,
    PdfFailed,
    PdfProcess,
    helper_log,
)
from vcc.reports.pdf import write_pdf
from vcc.reports.render import report_html

pytestmark = pytest.mark.slow  # each test runs vcc, or lays out a PDF, in a process of its own


def page_texts(path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def test_the_helper_writes_the_pdf_the_run_would_write_itself(tmp_path: Path) -> None:
    html = report_html(a_quarter())
    write_pdf(html, tmp_path / "in-process.pdf")

    with PdfProcess(tmp_path) as helper:
        helper.write(html, tmp_path / "helper.pdf")
        helper.finish()

    assert page_texts(tmp_path / "helper.pdf") == page_texts(tmp_path / "in-process.pdf")
    assert len(page_texts(tmp_path / "helper.pdf")) > 5
    assert not (tmp_path / HTML_NAME).exists()  # its job file is gone


def test_an_os_error_in_the_helper_is_raised_in_the_run_with_its_errno(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "report.pdf"

    with PdfProcess(tmp_path) as helper:
        helper.write("<p>x</p>", missing)
        with pytest.raises(OSError) as raised:
            helper.finish()

    assert raised.value.errno == errno.ENOENT
    assert raised.value.filename == str(missing)
    assert not missing.parent.exists()


def test_a_helper_that_dies_is_one_line_and_its_job_file_is_removed(tmp_path: Path) -> None:
    with PdfProcess(tmp_path) as helper:
        os.kill(helper._process.pid, signal.SIGKILL)
        helper._process.wait()
        helper.write("<p>x</p>", tmp_path / "report.pdf")
        with pytest.raises(PdfFailed, match=r"^the report's PDF could not be written: it ended "
                           r"with exit code -9$"):  # fmt: skip
            helper.finish()

    assert sorted(path.name for path in tmp_path.iterdir()) == []


def test_leaving_before_the_pdf_stops_the_helper(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), PdfProcess(tmp_path) as helper:
        helper.write(report_html(a_quarter()), tmp_path / "report.pdf")
        raise RuntimeError("the run failed meanwhile")

    assert helper._process.returncode is not None  # stopped, not left running
    assert not (tmp_path / HTML_NAME).exists()


def test_weasyprint_warnings_in_the_helper_reach_the_run_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    refused = "<p>x</p><img src='https://example.invalid/logo.png' alt='logo'>"

    with caplog.at_level(logging.WARNING, logger="weasyprint"), PdfProcess(tmp_path) as helper:
        helper.write(refused, tmp_path / "report.pdf")
        helper.finish()

    said = [record.getMessage() for record in caplog.records if record.name == "weasyprint"]
    assert any("https://example.invalid/logo.png" in line for line in said)
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF-")


def test_the_subsetters_fallback_is_one_note_not_a_warning_per_font() -> None:
    # as WeasyPrint writes it on a machine without libharfbuzz-subset0, once per font
    fallback = (
        'Using fontTools instead of HarfBuzz-Subset for font "{}". This will be unsupported in '
        "future versions of WeasyPrint. Please install HarfBuzz-Subset >= 4.1.0 with your "
        "package manager."
    )
    stderr = "\n".join(
        [fallback.format("DejaVu Sans"), "Ignored `foo: bar` at 3:1, unknown property.", "",
         fallback.format("DejaVu Sans Bold"), fallback.format("DejaVu Sans Mono")]
    )  # fmt: skip
    assert helper_log(stderr) == [
        (logging.WARNING, "Ignored `foo: bar` at 3:1, unknown property."),
        (logging.INFO, NO_HARFBUZZ_SUBSET_NOTE),
    ]
    assert helper_log("") == []
    assert helper_log("one warning\n") == [(logging.WARNING, "one warning")]


def test_the_helper_ends_when_vcc_is_killed_while_it_lays_out_the_pages(tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    # a table long enough to keep WeasyPrint busy for many seconds
    script = (
        "import sys, time; from pathlib import Path; from vcc.flows.run.pdf import PdfProcess;"
        "helper = PdfProcess(Path(sys.argv[1])); print(helper._process.pid, flush=True);"
        "rows = ''.join(f'<tr><td>{n}</td><td>row {n}</td></tr>' for n in range(20000));"
        "helper.write(f'<table>{rows}</table>', Path(sys.argv[1]) / 'report.pdf');"
        "time.sleep(120)"
    )
    vcc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)],
                           stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert vcc.stdout is not None
    helper = int(vcc.stdout.readline())
    time.sleep(4)  # it has its job, and is laying the table out

    vcc.kill()
    vcc.wait()

    def running() -> bool:
        try:
            with open(f"/proc/{helper}/status") as status:
                return "State:\tZ" not in status.read()  # a zombie has ended
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + 10
    while running() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not running()
    assert not (tmp_path / "report.pdf").exists()  # ended before writing it
