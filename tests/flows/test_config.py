"""Where configured paths point: a user's file's against its own folder, the shipped defaults' (the
demo sources) against the working folder, so an installed vcc never reads or writes beside its
code."""

from __future__ import annotations

from pathlib import Path

import pytest

from vcc.flows.config import load_config


def test_the_shipped_demo_sources_are_read_from_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    sources = load_config().sources
    assert sources["police"].url == f"sqlite:///{tmp_path.resolve()}/demo-data/police.sqlite"
    assert sources["cps"].path == tmp_path.resolve() / "demo-data" / "cps"
    assert sources["probation"].path == tmp_path.resolve() / "demo-data" / "probation"


def test_a_users_relative_paths_are_read_against_the_folder_of_their_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "settings"
    folder.mkdir()
    config = folder / "vcc.toml"
    config.write_text(
        'output_dir = "reports"\n'
        '[sources.police]\nkind = "sql"\nurl = "sqlite:///data/police.sqlite"\n'
        '[sources.cps]\nkind = "files"\npath = "data/cps"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    settings = load_config(Path("settings/vcc.toml"))
    assert settings.sources["police"].url == f"sqlite:///{folder.resolve()}/data/police.sqlite"
    assert settings.sources["cps"].path == folder.resolve() / "data" / "cps"
    assert settings.output_dir == folder.resolve() / "reports"
