"""The one writer of every CSV a person may open in a spreadsheet: the run's tables
(``metrics.csv``, ``changes.csv``, the analyses, ``published-tables.csv``, ``data-quality.csv``),
the quarantine files and ``comparison.csv``. Every text cell and column name is neutralised
(``transforms.cell_text.csv_for_people``, which the open release's CSVs go through too: text
that would run as a formula gets a leading quote), so that no new file can forget to; a test
checks that nothing else in ``vcc`` writes a CSV. The workbooks neutralise in their own one
writer each (``reports.workbook``, ``flows.qaf.form``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from vcc.transforms.cell_text import csv_for_people


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text for people: neutralised, no index, ``\\n`` line ends."""
    return csv_for_people(frame)


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """``frame`` written to ``path`` as ``csv_text`` gives it (UTF-8); ``path``."""
    path.write_text(csv_text(frame), encoding="utf-8")
    return path
