"""Issue 14: every file holding personal data is its owner's alone, 0600 in a 0700 folder,
whatever the umask: quarantine, snapshots, instances.parquet, the SQLite warehouse, archived
runs, and the QAF case review pack and form."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest

from tests.conftest import GOLDEN
from vcc.flows.private import make_private, private_file, private_folder
from vcc.transforms.quarters import Quarter


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_the_helpers_make_owner_only_files_and_folders(tmp_path: Path, umask_022) -> None:
    folder = private_folder(tmp_path / "a" / "b")
    (folder / "inner").mkdir()
    (folder / "inner" / "rows.csv").write_text("x\n")

    make_private(folder)

    assert mode(folder) == 0o700
    assert mode(folder / "inner") == 0o700
    assert mode(folder / "inner" / "rows.csv") == 0o600
    assert mode(private_file(folder / "new.sqlite")) == 0o600


@pytest.mark.flow
def test_every_personal_data_file_of_a_run_and_a_sample_is_owner_only(
    prefect_harness, tmp_path: Path, umask_022
) -> None:
    from vcc.flows.config import load_config
    from vcc.flows.qaf.sample import draw_quarter_sample
    from vcc.flows.run.flow import run_quarter

    config_path = GOLDEN / "data" / "vcc.toml"
    out = tmp_path / "out"
    run_quarter(Quarter.parse("2024Q2"), dt.date(2024, 7, 12), config_path, out)
    run_quarter(
        Quarter.parse("2024Q2"), dt.date(2024, 7, 13), config_path, out
    )  # archives the first run
    sample = draw_quarter_sample(load_config(config_path), out, Quarter(2024, 2), size=5, seed=1)

    quarter = out / "2024Q2"
    folders = [out, quarter, quarter / "quarantine", quarter / "snapshots", sample.folder]
    archived = [path for path in (out / "archive").rglob("*")]
    folders += [out / "archive", *(path for path in archived if path.is_dir())]
    files = [
        out / "vcc-warehouse.sqlite",
        quarter / "instances.parquet",
        *(quarter / "snapshots").rglob("*.parquet"),
        *(quarter / "quarantine").glob("*"),
        *(path for path in archived if path.is_file()),
        sample.pack,
        sample.form,
    ]
    assert len([path for path in archived if path.is_file()]) >= 2  # manifest and snapshots
    assert {str(path): oct(mode(path)) for path in folders if mode(path) != 0o700} == {}
    assert {str(path): oct(mode(path)) for path in files if mode(path) != 0o600} == {}


def test_a_folder_vcc_did_not_create_keeps_its_mode(tmp_path, umask_022):
    # Issue 27: vcc history pointed at a shared mode-1777 folder changed it to 0700.
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)

    inner = private_folder(shared / "2024Q2" / "quarantine")

    assert mode(shared) == 0o1777
    assert (mode(shared / "2024Q2"), mode(inner)) == (0o700, 0o700)  # what vcc made is private
    assert private_folder(shared) == shared and mode(shared) == 0o1777


def test_vcc_history_on_a_shared_folder_leaves_its_mode(tmp_path, umask_022):
    from click.testing import CliRunner

    from vcc.flows.cli import main

    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)

    result = CliRunner().invoke(main, ["history", "--out", str(shared)])

    assert result.exit_code == 0, result.output
    assert mode(shared) == 0o1777
    assert mode(shared / "vcc-warehouse.sqlite") == 0o600
