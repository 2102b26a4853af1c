"""Which code produced a run: recorded in its manifest and the warehouse, and in a crash report."""

from __future__ import annotations

import functools
import subprocess

from vcc.flows.config import REPO_ROOT


@functools.cache  # the code a process runs is the code it loaded: asked once
def code_version() -> str:
    """The package version and, in a git checkout, the commit (marked when files differ)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        package = version("vcc")
    except PackageNotFoundError:
        package = "unknown"
    try:
        described = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return package
    return f"{package}+{described}"
