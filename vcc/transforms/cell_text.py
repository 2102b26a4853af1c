"""Text written into files people open in a spreadsheet, made inert (OWASP "CSV injection").

A cell whose text begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel and LibreOffice as a formula: ``=HYPERLINK(...)`` in a source's free text, a district name
or an area title would run when an analyst opens the file. ``neutralise`` puts a single quote
before such text, so it shows as text; a number (``-3``, ``+1.5``) is left as it is.

The original is recoverable: ``recover`` removes that one quote. It is exact because text that
already begins with quotes followed by one of those characters (``'=x``) gets one more quote
too, so ``recover(neutralise(text)) == text`` for every text. In a spreadsheet, the original of
a cell is ``=IF(AND(LEFT(A2)="'",OR(MID(A2,2,1)={"=","+","-","@"})),MID(A2,2,LEN(A2)),A2)``, or
in pandas ``frame[column].map(recover)``.
"""

from __future__ import annotations

import re

import pandas as pd

_ACTIVE = re.compile(r"'*[=+\-@\t\r]")  # (quotes, then) a character that starts a formula
_NEUTRALISED = re.compile(r"'+[=+\-@\t\r]")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet will show it and never run it (see the module docstring)."""
    if _ACTIVE.match(text) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def recover(text: str) -> str:
    """The original of a neutralised ``text``."""
    return text[1:] if _NEUTRALISED.match(text) else text


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell, and every column name, neutralised."""
    columns = {}
    for name, values in frame.items():
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            values = values.map(lambda v: neutralise(v) if isinstance(v, str) else v)
        columns[neutralise(str(name)) if isinstance(name, str) else name] = values
    return pd.DataFrame(columns, index=frame.index)


def csv_for_people(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text for a person's spreadsheet: every text cell and column name
    neutralised, no index, ``\n`` line ends. The one place vcc turns a table into CSV for
    people (the run's files through ``flows.run.people_files``, the open release's through
    ``reports.open_data``), so that no new file can forget to neutralise; a test checks that
    nothing else in ``vcc`` writes CSV."""
    return neutralise_frame(frame).to_csv(index=False, lineterminator="\n")
