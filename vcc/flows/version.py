"""Which code produced a run: recorded in its manifest and the warehouse, in a crash report and by
``vcc --version``."""

from __future__ import annotations

import functools
import subprocess
from importlib.metadata import PackageNotFoundError, version

from vcc import PACKAGE_DIR

# The repository's root when vcc runs from its own git checkout (an editable install included), None
# when it runs from an installed wheel.
CHECKOUT = PACKAGE_DIR.parent if (PACKAGE_DIR.parent / ".git").exists() else None


@functools.cache  # the code a process runs is the code it loaded: asked once
def code_version() -> str:
    """The package version from its metadata and, run from a git checkout, the commit (marked
    when files differ). An installed wheel has no git: its version is the metadata's alone."""
    try:
        package = version("vcc")
    except PackageNotFoundError:
        package = "unknown"
    # Only vcc's own checkout is asked: an installed package may sit in another project's git tree.
    if CHECKOUT is None:
        return package
    try:
        described = subprocess.run(
            ["git", "-C", str(CHECKOUT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return package
    return f"{package}+{described}"
