"""Configurations of many areas (CONTRACT.md §6.5): ``[areas.<name>]`` with their own sources,
districts and title, ``[cluster] address``, and one-line errors for what cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest

from vcc.flows.config import load_config
from vcc.flows.errors import ConfigError

TWO_AREAS = """
[report]
produced_by = "The regional team"

[areas.north]
area = "Northshire"
districts = ["Upper", "Lower"]
[areas.north.sources.police]
kind = "sql"
url = "sqlite:///north/police.sqlite"
[areas.north.sources.cps]
kind = "files"
path = "north/cps"

[areas.south-2]
area = "Southshire"
produced_by = "Southshire's office"
districts = ["Coast"]
[areas.south-2.sources.police]
kind = "files"
path = "south/police"
"""


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vcc.toml").write_text(text)
    return folder / "vcc.toml"


def test_each_area_has_its_own_sources_districts_and_title_read_against_the_file(
    tmp_path: Path,
) -> None:
    config = load_config(write(tmp_path / "conf", TWO_AREAS))
    assert list(config.areas) == ["north", "south-2"]
    assert config.sources == {}  # the shipped demo sources belong to no area
    north = config.for_area("north")
    assert north.report.area == "Northshire" and north.report.produced_by == "The regional team"
    assert north.districts == ["Upper", "Lower"]
    assert (
        north.sources["police"].url
        == f"sqlite:///{(tmp_path / 'conf').resolve()}/north/police.sqlite"
    )
    assert north.sources["cps"].path == (tmp_path / "conf" / "north" / "cps").resolve()
    assert north.areas == {}
    south = config.for_area("south-2")
    assert south.report.produced_by == "Southshire's office" and list(south.sources) == ["police"]
    # the areas share every other setting, so their figures are comparable
    assert north.disclosure == south.disclosure == config.disclosure
    assert config.cluster.address is None


def test_a_single_area_configuration_is_as_before(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[sources.police]\nkind = "files"\npath = "p"\n'))
    assert config.areas == {} and list(config.sources) == ["police"]
    with pytest.raises(ConfigError, match=r"no area 'north': this configuration has no \[areas\]"):
        config.for_area("north")


def test_a_cluster_address_is_a_tcp_scheduler(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, TWO_AREAS + '[cluster]\naddress = "tcp://10.0.0.5:8786"\n')
    )
    assert config.cluster.address == "tcp://10.0.0.5:8786"
    with pytest.raises(ConfigError, match=r"cluster.address: .*'http://x:1' is not a scheduler"):
        load_config(write(tmp_path, TWO_AREAS + '[cluster]\naddress = "http://x:1"\n'))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            TWO_AREAS.replace("areas.south-2", 'areas."South Shire"'),
            r"areas: .*'South Shire' cannot name an area",
        ),
        (
            TWO_AREAS.replace("areas.south-2", "areas.comparison"),
            r"'comparison' cannot name an area",
        ),
        ('[areas.x]\narea = "X"\ndistricts = ["A"]\n', r"areas.x.sources: Field required"),
        ('[areas.x]\narea = "X"\ndistricts = ["A"]\nsources = {}\n', r"an area needs its own"),
        (TWO_AREAS + '[areas.north.report]\narea = "N"\n', r"areas.north.report: Extra inputs"),
        (
            TWO_AREAS + '[sources.police]\nkind = "files"\npath = "p"\n',
            r"\[sources\] and \[areas\] together",
        ),
    ],
)
def test_bad_areas_are_one_line_errors(tmp_path: Path, text, message) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(write(tmp_path, text))
    assert "\n" not in str(caught.value)


# --- most similar groups and overdispersion (CONTRACT.md §7.2) ----------------------------------


def test_similar_areas_and_the_overdispersion_method_are_read(tmp_path: Path) -> None:
    text = TWO_AREAS.replace('area = "Northshire"', 'area = "Northshire"\nsimilar = ["south-2"]')
    config = load_config(write(tmp_path, text + '\n[comparison]\noverdispersion = "none"\n'))
    assert config.areas["north"].similar == ["south-2"] and config.areas["south-2"].similar == []
    assert config.comparison.overdispersion == "none"
    assert load_config(write(tmp_path / "d", TWO_AREAS)).comparison.overdispersion == "additive"


@pytest.mark.parametrize(
    ("addition", "message"),
    [
        ('similar = ["west"]', "north: similar names 'west', which is not an area"),
        ('similar = ["north"]', "north: similar names the area itself"),
    ],
)
def test_similar_naming_an_unknown_area_or_itself_is_refused_in_one_line(
    tmp_path: Path, addition, message
) -> None:
    text = TWO_AREAS.replace('area = "Northshire"', f'area = "Northshire"\n{addition}')
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(write(tmp_path, text))
    assert "\n" not in str(caught.value)


def test_an_unknown_overdispersion_method_is_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(
            write(tmp_path, TWO_AREAS + '\n[comparison]\noverdispersion = "multiplicative"\n')
        )
    assert "comparison.overdispersion" in str(caught.value)
    assert 'unknown overdispersion method \'multiplicative\': use "additive" or "none"' in str(
        caught.value
    )
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("text", ['similar = ["north"]\n', '[comparison]\nsimilar = ["north"]\n'])
def test_similar_without_areas_is_refused_in_one_line(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert "similar belongs in an [areas.<name>] section" in str(caught.value)
    assert "this configuration has no [areas]" in str(caught.value)
    assert "\n" not in str(caught.value)
