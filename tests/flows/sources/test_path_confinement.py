"""Issue 14: a table is read from its source's folder and nowhere else. A ``file`` with an
absolute path or ``..`` is refused when the configuration is read; a symbolic link leading out
of the folder is refused when the table is extracted, in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.flows.sources.test_bad_inputs import CRIMES, CRIMES_HEADER, lines, police_folder
from vcc.flows.config import SourceConfig, TableSource, load_config
from vcc.flows.errors import ConfigError, SourceError
from vcc.flows.sources.extract import extract_source


@pytest.mark.parametrize(
    "file", ["../cps/cases.csv", "/etc/passwd", "sub/../../x.csv", "..\\\\x.csv", "C:\\\\x.csv"]
)
def test_a_file_outside_the_folder_is_refused_when_the_configuration_is_read(
    tmp_path: Path, file: str
) -> None:
    path = tmp_path / "vcc.toml"
    path.write_text(
        f'[sources.police]\nkind = "files"\npath = "police"\n'
        f'[sources.police.tables.crimes]\nfile = "{file}"\n'
    )

    with pytest.raises(ConfigError) as raised:
        load_config(path)

    written = file.replace("\\\\", "\\")
    assert str(raised.value) == (
        f"configuration {path}: sources.police.tables.crimes.file: Value error, {written!r} is "
        "not inside the source's folder: name a file or glob there, without an absolute path "
        "or .."
    )


def test_a_file_in_a_subfolder_may_be_named(tmp_path: Path) -> None:
    spec = TableSource(file="drops/crimes_*.csv")
    assert spec.file == "drops/crimes_*.csv"


def test_a_symbolic_link_leading_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    folder = police_folder(tmp_path, crimes=lines(CRIMES_HEADER, *CRIMES))
    outside = tmp_path / "elsewhere.csv"
    (folder / "crimes.csv").rename(outside)
    (folder / "crimes.csv").symlink_to(outside)

    with pytest.raises(SourceError) as raised:
        extract_source("police", SourceConfig(kind="files", path=folder))

    assert str(raised.value) == (
        f"source police, table crimes: {folder / 'crimes.csv'} leads outside the source's "
        f"folder {folder}"
    )


def test_a_symbolic_link_inside_the_folder_is_read(tmp_path: Path) -> None:
    folder = police_folder(tmp_path, crimes=lines(CRIMES_HEADER, *CRIMES))
    (folder / "crimes.csv").rename(folder / "crimes-2024-03-31.txt")
    (folder / "crimes.csv").symlink_to(folder / "crimes-2024-03-31.txt")

    tables = extract_source("police", SourceConfig(kind="files", path=folder))

    assert len(tables["crimes"].frame) == 3
