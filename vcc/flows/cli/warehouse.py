"""``vcc warehouse backup``: a consistent copy of the warehouse of record, taken while vcc may be
running. SQLite: SQLite's online backup API, to a file beside it (or ``--to``), owner-only.
PostgreSQL: vcc does not hold the database's tools, so it says what to run (``pg_dump``)."""

from __future__ import annotations

from pathlib import Path

import click

from vcc.flows.cli.app import AREA_OPTION, open_place, place_options
from vcc.flows.errors import VccError


@click.group()
def warehouse() -> None:
    """Look after the warehouse of record (its backups)."""


@warehouse.command()
@click.option(
    "--to", "target", type=click.Path(path_type=Path, dir_okay=False),
    help="The copy's file [beside the warehouse, named .backup-<date and time>].",
)  # fmt: skip
@place_options
@AREA_OPTION
def backup(target: Path | None, config, out, area) -> None:
    """Copy the warehouse as it is now (SQLite's online backup; runs may go on meanwhile). For
    a PostgreSQL warehouse, print the pg_dump command to run instead."""
    from vcc.flows.urls import mask_url
    from vcc.flows.warehouse.schema_check import backup_sqlite, sqlite_path

    _, store, _ = open_place(config, out, area)  # checked whole before it is copied
    database = sqlite_path(store.url)
    if database is None:
        click.echo(
            "vcc: the warehouse is a PostgreSQL database: back it up with its own tool, e.g. "
            f"pg_dump --format=custom --file=vcc-warehouse.dump '{mask_url(store.url)}' "
            "(the password from ~/.pgpass or PGPASSWORD); restore with pg_restore"
        )
        return
    if target is not None and target.exists():
        raise VccError(f"{target} exists already: name a new file for the backup")
    copy = backup_sqlite(database, target)
    click.echo(f"vcc: the warehouse {database} is copied to {copy}")
