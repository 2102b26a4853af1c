"""Issue 27, not probed before: the disk fills while the report's PDF is written. The helper
process's failure reaches vcc as the machine's fault, one line naming the file (the run then
stops as every full disk stops it: tests/flows/run/test_faults.py), and no half-written PDF is
left to be taken for a report."""

from __future__ import annotations

import errno

import pytest

from tests.flows.run.test_faults import fill, mounted
from vcc.flows.errors import machine_fault
from vcc.flows.run.pdf import PdfProcess

# Enough pages that the PDF outgrows the room left on the disk.
HTML = "<html><body>" + "".join(f"<p>Paragraph {n} of the report.</p>" for n in range(3000))

pytestmark = pytest.mark.slow  # each test runs vcc, or lays out a PDF, in a process of its own


def test_a_disk_filling_while_the_pdf_is_written_is_one_line_and_leaves_no_pdf(tmp_path):
    with mounted("-t", "tmpfs", "-o", "size=4m", "tmpfs", at=tmp_path / "disk") as disk:
        fill(disk, leave=16 << 10)  # room for a few kilobytes of PDF, not for the report
        pdf = disk / "vcc-2024Q4-report.pdf"

        with pytest.raises(OSError) as raised, PdfProcess(tmp_path) as writer:
            writer.write(HTML, pdf)
            writer.finish()

        assert raised.value.errno == errno.ENOSPC
        assert machine_fault(raised.value) == f"{pdf}: no space left on the disk"
        assert not pdf.exists()
