"""Commands about the sources: ``vcc validate`` (extract and validate only) and ``vcc generate``
(the synthetic demo sources)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from vcc.flows.cli.app import AS_OF_HELP, CONFIG_OPTION, DATE, QUARTER, check_dates
from vcc.flows.errors import AreasFailed, VccError
from vcc.transforms.quarters import Quarter

if TYPE_CHECKING:
    # Inside: the settings load pydantic (625 ms), which vcc --help never needs
    from vcc.flows.config import Config

# The demo's sources, in the working folder (where config/default.toml's demo sources are read),
# never beside the installed code.
DEMO_DATA = Path("demo-data")


@click.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEMO_DATA,
    show_default=True,
    help="Folder to write the sources into (the shipped defaults read ./demo-data).",
)
@click.option(
    "--from",
    "first",
    type=QUARTER,
    help="First quarter [7 before the last complete quarter: 8 quarters].",
)
@click.option(
    "--to",
    "last",
    type=QUARTER,
    help="Last quarter [the quarter in progress, up to today, as an agency's system holds it].",
)
@click.option(
    "--scale",
    type=click.FloatRange(min=0.01),
    default=1.0,
    show_default=True,
    help="Volume multiplier; 1 is Cumbria (about 9,000 crimes a quarter).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
@click.option(
    "--areas",
    type=click.IntRange(min=1, max=500),
    help="Write this many synthetic areas of different sizes and compliance, each in "
    "OUT/<name>/, and OUT/vcc.toml with their [areas.<name>] sections; --scale is then the "
    "mean area's.",
)
def generate(
    out: Path,
    first: Quarter | None,
    last: Quarter | None,
    scale: float,
    seed: int,
    areas: int | None,
) -> None:
    """Write synthetic police (SQLite), CPS and probation (file drop) sources."""
    if areas:
        written = generate_areas(out, first, last, scale, seed, areas)
        click.echo(f"vcc: wrote {areas} areas ({len(written)} files) and {out / 'vcc.toml'}")
        return
    written = generate_sources(out, first, last, scale, seed)
    click.echo(f"vcc: wrote {len(written)} files to {out}")


def _quarters(first: Quarter | None, last: Quarter | None) -> tuple[Quarter, Quarter]:
    """The quarters to generate: by default 8 complete ones and the quarter in progress, up to
    today, as a live system holds them on the as-of day (a source whose newest record is the
    last quarter's end would look weeks late)."""
    today = dt.date.today()
    first = first or (last or Quarter.last_complete(today)).shift(-7)
    last = last or Quarter.last_complete(today).next()
    if last < first:
        raise click.BadParameter(f"--to {last} is before --from {first}")
    return first, last


def generate_areas(
    out: Path, first: Quarter | None, last: Quarter | None, scale: float, seed: int, count: int
) -> list[Path]:
    # Inside: numpy, pandas and the settings, 2,965 ms, which vcc --help never needs
    from vcc.flows.synthetic.areas import plan_areas, write_areas

    first, last = _quarters(first, last)
    plans = plan_areas(count, scale, seed)
    total = sum(plan.scale for plan in plans)
    click.echo(f"vcc: generating {count} areas, {first} to {last}, total scale {total:.1f}")
    return write_areas(plans, out, first, last, dt.date.today(), click.echo)


def generate_sources(
    out: Path,
    first: Quarter | None,
    last: Quarter | None,
    scale: float,
    seed: int,
    echo=click.echo,
):
    # Inside: numpy and pandas, 2,811 ms, which vcc --help never needs
    from vcc.flows.synthetic import generate_sources, write_demo_sources

    today = dt.date.today()
    first, last = _quarters(first, last)
    echo(f"vcc: generating {first} to {last} up to {today} at scale {scale:g} (seed {seed})")
    sources = generate_sources(first, last, scale=scale, seed=seed, until=today)
    for source, tables in sources.items():
        rows = sum(len(frame) for frame in tables.values())
        echo(f"vcc:   {source}: {len(tables)} tables, {rows:,} rows")
    return write_demo_sources(sources, out, load_config_defaults())


def load_config_defaults():
    # Inside: the settings load pydantic (625 ms), which vcc --help never needs
    from vcc.flows.config import DEFAULT_CONFIG, load_config

    return load_config(DEFAULT_CONFIG)


@click.command()
@click.option("--quarter", "-q", type=QUARTER, required=True, help="Quarter the data is for.")
@click.option("--as-of", type=DATE, metavar="YYYY-MM-DD", help=f"{AS_OF_HELP}].")
@CONFIG_OPTION
@click.option(
    "--area", metavar="NAME",
    help="With [areas] configured: validate this area's sources only [every area's, in turn].",
)  # fmt: skip
def validate(quarter: Quarter, as_of, config: Path | None, area: str | None) -> None:
    """Extract and validate the sources only, and summarise what was found (writes nothing).

    On a configuration of many areas, each area's sources in turn (or --area NAME's alone); one
    area that fails stops no other. Exit status 0 when the data is usable, 1 when a source
    cannot be read or a critical expectation fails. No Prefect server is started unless a
    source's URL is in a Secret block.
    """
    # Inside: the settings load pydantic (625 ms), which vcc --help never needs
    from vcc.flows.config import load_config

    settings = load_config(config)
    day = check_dates(quarter, as_of)
    if area is not None or not settings.areas:
        one = settings.for_area(area) if area is not None else settings
        _validate_one(one, quarter, day, f" of area {area}" if area else "")
        return
    failed = []
    for number, name in enumerate(settings.areas, start=1):
        try:
            _validate_one(settings.for_area(name), quarter, day,
                          f" of area {name} ({number}/{len(settings.areas)})")  # fmt: skip
        except VccError as error:
            click.echo(f"vcc: area {name}: {error}", err=True)
            failed.append(name)
    if failed:
        raise AreasFailed(
            f"{len(failed)} of {len(settings.areas)} areas failed validation: {', '.join(failed)}"
        )


def _validate_one(settings: Config, quarter: Quarter, day: dt.date, which: str) -> None:
    # Inside: pandas and the validation, 4,242 ms, which vcc --help never needs
    from vcc.flows.sources.check import check_sources, summary_lines

    click.echo(f"vcc: validating the sources{which} for {quarter} (nothing is written)")
    check = check_sources(settings, quarter, day, progress=lambda line: click.echo(f"vcc: {line}"))
    for line in summary_lines(check):
        click.echo(line)
