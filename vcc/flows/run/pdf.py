"""The report's PDF, written by a helper process while the run writes its other files.

WeasyPrint's layout is most of a run's outputs stage (8.6 s of 18 at scale 1) and holds the
interpreter throughout, so a thread would not help. ``PdfProcess`` starts
``python -m vcc.flows.run.pdf`` at once: it imports WeasyPrint (about 0.8 s) while the run writes
its tables and snapshots and builds the report. ``write`` gives it its one job, the rendered
report and where its PDF goes; the run then writes the workbook, the HTML file, the quarantine and
the Data Docs on the other core, and ``finish`` waits for the PDF. The helper ends with vcc,
however vcc ends (``PR_SET_PDEATHSIG``), and its failure is raised in vcc: an ``OSError`` with
its errno, so that a full disk reads as one line (``flows.errors.machine_fault``).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType

from vcc.flows.errors import VccError
from vcc.flows.run.server import end_with_parent

HTML_NAME = ".report-for-pdf.html"  # in the staging folder, removed once the PDF is written


# WeasyPrint warns once per font when HarfBuzz's subsetter is missing (a machine without
# libharfbuzz-subset0): the PDF is the same, only slower to write, so it is a note for --verbose,
# said once, not three warnings on a fresh machine's terminal.
_NO_HARFBUZZ_SUBSET = "instead of HarfBuzz-Subset"
NO_HARFBUZZ_SUBSET_NOTE = (
    "fonts were subset with fontTools, not HarfBuzz-Subset: the PDF is the same; installing "
    "libharfbuzz-subset0 (README, set-up) makes it faster to write"
)


def helper_log(stderr: str) -> list[tuple[int, str]]:
    """What the helper wrote on its standard error, as (level, line) for vcc's log: warnings stay
    warnings, the subsetter's fallback becomes one INFO note."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    said = [(logging.WARNING, line) for line in lines if _NO_HARFBUZZ_SUBSET not in line]
    if len(said) < len(lines):
        said.append((logging.INFO, NO_HARFBUZZ_SUBSET_NOTE))
    return said


class PdfFailed(VccError):
    """The helper process could not write the PDF, for a reason other than the machine's."""


class PdfProcess:
    """A helper process that writes one report's PDF; use it as a context manager, so that it is
    stopped and its files removed however the run goes."""

    def __init__(self, folder: Path) -> None:
        self._html = folder / HTML_NAME
        # WeasyPrint's warnings, logged when done; closed in __exit__
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        # No preexec_fn (unsafe in a process with threads, as a run's is): the helper asks for
        # its end with vcc itself, given vcc's pid.
        self._process = subprocess.Popen(
            [sys.executable, "-m", "vcc.flows.run.pdf", str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )

    def write(self, html: str, pdf_path: Path) -> None:
        """Give the helper its job: lay out ``html`` and write it to ``pdf_path``."""
        self._html.write_text(html, encoding="utf-8")
        job = json.dumps({"html": str(self._html), "pdf": str(pdf_path)}) + "\n"
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(job.encode("utf-8"))
            self._process.stdin.close()
        except BrokenPipeError:
            pass  # it has already ended: finish() says why

    def finish(self) -> None:
        """Wait for the PDF; raise the helper's failure here."""
        assert self._process.stdout is not None
        said = self._process.stdout.read().decode("utf-8", "replace").strip()
        code = self._process.wait()
        self._html.unlink(missing_ok=True)
        self._stderr.seek(0)
        for level, line in helper_log(self._stderr.read().decode("utf-8", "replace")):
            logging.getLogger("weasyprint").log(level, "%s", line)
        try:
            outcome = json.loads(said.splitlines()[-1]) if said else {}
        except ValueError:
            outcome = {}
        if code == 0 and outcome.get("written"):
            return
        if "errno" in outcome:
            raise OSError(outcome["errno"], outcome["strerror"], outcome.get("filename"))
        reason = outcome.get("error") or f"it ended with exit code {code}"
        raise PdfFailed(f"the report's PDF could not be written: {reason}")

    def __enter__(self) -> PdfProcess:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        for pipe in (self._process.stdin, self._process.stdout):
            if pipe is not None:
                pipe.close()
        self._stderr.close()
        self._html.unlink(missing_ok=True)


def main() -> None:
    """The helper: import WeasyPrint, then write the one PDF its job names. It prints one JSON
    line: ``{"written": true}``, or the failure (an OS error's errno and text, or the type of
    any other error, whose text may quote the report)."""
    end_with_parent(int(sys.argv[1]) if len(sys.argv) > 1 else None)
    # Inside, after end_with_parent: WeasyPrint, 2,668 ms, while vcc writes other files
    from vcc.reports.pdf import write_pdf

    warnings = logging.StreamHandler(sys.stderr)  # a line each, which vcc logs as its own
    warnings.setLevel(logging.WARNING)
    logging.getLogger("weasyprint").addHandler(warnings)
    job = json.loads(sys.stdin.readline() or "{}")
    if not job:
        return  # vcc stopped before giving a job
    try:
        write_pdf(Path(job["html"]).read_text(encoding="utf-8"), Path(job["pdf"]))
    except OSError as error:
        # A disk that fills while the PDF is written: no half-written PDF is left behind, and
        # the error names the file (a write's error carries no name of its own).
        Path(job["pdf"]).unlink(missing_ok=True)
        print(json.dumps({"errno": error.errno, "strerror": error.strerror,
                          "filename": error.filename or job["pdf"]}))  # fmt: skip
        sys.exit(1)
    except Exception as error:
        print(json.dumps({"error": f"WeasyPrint raised {type(error).__name__}"}))
        sys.exit(1)
    print(json.dumps({"written": True}))


if __name__ == "__main__":
    main()
