"""``vcc measures``: the measure catalogue of a Victims' Code version, as text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from vcc.transforms.catalogue_text import catalogue_text


@click.command()
@click.option("--code", "version", metavar="VERSION", help="A Victims' Code version, e.g. 2021-04.")
@click.option(
    "--config",
    "config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Configuration TOML [./vcc.toml, else the shipped defaults].",
)
def measures(version: str | None, config: Path | None) -> None:
    """Print the measure catalogue: each measure's id, right, agency, deadlines, description and
    the survey question that speaks to it (default: the Code pinned in the configuration, else
    the one in force today)."""
    # Inside: the settings load pydantic (584 ms), which vcc --help never needs
    from vcc.flows.config import load_config

    settings = load_config(config)
    if version is not None:
        settings = settings.model_copy(
            update={"code": settings.code.model_copy(update={"version": version})}
        )
    catalogue = settings.catalogue(dt.date.today())
    click.echo(catalogue_text(catalogue, settings.feedback_mapping(catalogue)), nl=False)
