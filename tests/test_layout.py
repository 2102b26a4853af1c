"""One layout: the checkout, an editable install and the wheel all hold vcc's code in vcc/.
(The wheel's side is tests/packaging/test_wheel.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import vcc
from vcc.flows.version import CHECKOUT

REPO = Path(__file__).resolve().parents[1]


def test_the_package_is_the_vcc_folder_and_nothing_else() -> None:
    assert Path(vcc.__file__).resolve() == REPO / "vcc" / "__init__.py"
    assert list(vcc.__path__) == [str(REPO / "vcc")]
    assert CHECKOUT == REPO
    assert vcc.shipped("config", "default.toml") == REPO / "vcc" / "config" / "default.toml"


def test_tests_and_benchmarks_are_not_part_of_the_package() -> None:
    for name in ("vcc.tests", "vcc.benchmarks"):
        result = subprocess.run(
            [sys.executable, "-c", f"import {name}"], capture_output=True, text=True, cwd=REPO
        )
        assert result.returncode == 1
        assert f"No module named '{name}'" in result.stderr


def test_the_root_folders_are_links_into_the_package() -> None:
    for folder in ("flows", "transforms", "reports", "config", "expectations"):
        link = REPO / folder
        assert link.is_symlink() and link.resolve() == REPO / "vcc" / folder
