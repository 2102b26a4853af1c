"""vcc, the Victims' Code compliance pipeline: ``vcc.flows`` (orchestration, I/O, the command line),
``vcc.transforms`` (pure logic: every figure) and ``vcc.reports`` (formatting only), with the
files they read, ``vcc/config`` and ``vcc/expectations``.

The package has one layout wherever it runs: its code lives in this folder, in a checkout, an
editable install and the wheel alike. The repository's root folders ``flows``, ``transforms``,
``reports``, ``config`` and ``expectations`` are links into it, for readers who look there first.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def shipped(*parts: str) -> Path:
    """A file or folder that ships with vcc (``shipped("config", "default.toml")``). Read only:
    whatever vcc writes goes under the working folder, never beside its code."""
    return PACKAGE_DIR.joinpath(*parts)
