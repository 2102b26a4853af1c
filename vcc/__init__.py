"""vcc, the Victims' Code compliance pipeline: ``vcc.flows`` (orchestration, I/O, the command line),
``vcc.transforms`` (pure logic: every figure) and ``vcc.reports`` (formatting only).

The repository keeps the three folders at its root, beside ``config/`` and ``expectations/``; the
wheel installs them, with those two folders, inside this package, so that the generic names
``flows``, ``transforms`` and ``reports`` never meet another project's. In the repository this
``__init__`` makes the root part of the package's path, so the same ``vcc.…`` imports work in both.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent
# The repository's root when vcc runs from a checkout (the packages sit beside this folder, an
# editable install included), None when it runs from an installed wheel.
CHECKOUT: Path | None = None if (_HERE / "flows").is_dir() else _HERE.parent
if CHECKOUT is not None:
    __path__.append(str(CHECKOUT))


def shipped(*parts: str) -> Path:
    """A file or folder that ships with vcc (``shipped("config", "default.toml")``): inside the
    installed package, or at the repository's root in a checkout. Read only: whatever vcc writes
    goes under the working folder, never beside its code."""
    for folder in __path__:
        candidate = Path(folder).resolve().joinpath(*parts)
        if candidate.exists():
            return candidate
    return Path(__path__[-1]).resolve().joinpath(*parts)
