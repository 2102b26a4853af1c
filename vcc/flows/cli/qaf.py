"""The Quality Assessment Framework's commands: ``vcc sample`` (draw a quarter's dip sample) and
``vcc review import`` (store a completed review form)."""

from __future__ import annotations

from pathlib import Path

import click

from vcc.flows.bounds import MAX_SAMPLE_SIZE
from vcc.flows.cli.app import AREA_OPTION, QUARTER, VccGroup, open_place, place_options
from vcc.transforms.quarters import Quarter


@click.command()
@click.option("--quarter", "-q", type=QUARTER, required=True, help="Quarter to sample, YYYYQn.")
@click.option(
    "--size",
    type=click.IntRange(min=1, max=MAX_SAMPLE_SIZE),
    help=f"Cases to sample, at most {MAX_SAMPLE_SIZE} [[qaf] sample_size: 40].",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    help="Random seed; the same quarter, data and seed give the same sample [a new one, printed].",
)
@place_options
@AREA_OPTION
def sample(quarter: Quarter, size: int | None, seed: int | None, config, out, area) -> None:
    """Draw the Quality Assessment Framework's dip sample of a run quarter: case review pack and
    review form."""
    # Inside: pandas, Arrow and the validation, 7,885 ms, which vcc --help never needs
    from vcc.flows.qaf.sample import draw_quarter_sample

    settings, warehouse, output_root = open_place(config, out, area, one_area=True)
    click.echo(f"vcc: sampling {quarter} from its published run in {output_root}")
    drawn = draw_quarter_sample(
        settings,
        output_root,
        quarter,
        size,
        seed,
        warehouse,
        progress=lambda line: click.echo(f"vcc: {line}"),
    )
    chosen = drawn.sample
    again = " (drawn before with the same run, seed and size)" if drawn.reused else ""
    click.echo(
        f"vcc: sample {chosen.sample_id}{again}: {chosen.size} of {chosen.frame_size:,} victims, "
        f"seed {chosen.seed}, run {chosen.run_id}"
    )
    for row in drawn.design.itertuples(index=False):
        weight = f"weight {row.weight:.2f}" if row.sample else "none sampled"
        click.echo(f"vcc:   {row.label}: {row.sample} of {row.frame} ({weight})")
    click.echo(f"vcc: case review pack ({settings.qaf.pack_marking}): {drawn.pack}")
    click.echo(f"vcc: review form: {drawn.form}")


@click.group(cls=VccGroup)
def review() -> None:
    """Quality Assessment Framework case reviews: import a completed review form."""


@review.command(name="import")
@click.argument("form", type=click.Path(path_type=Path, dir_okay=False))
@place_options
@AREA_OPTION
def import_form(form: Path, config, out, area) -> None:
    """Check a completed review form and store its ratings (the latest import counts)."""
    # Inside: pandas, openpyxl and the settings, 7,336 ms, which vcc --help never needs
    from vcc.flows.qaf.form import FormProblems
    from vcc.flows.qaf.imports import import_review_form

    settings, warehouse, output_root = open_place(config, out, area, one_area=True)
    try:
        imported = import_review_form(settings, output_root, form, warehouse)
    except FormProblems as problems:
        for line in problems.problems:
            click.echo(f"vcc: {form.name}: {line}", err=True)
        raise
    replaced = f", replacing import {imported.replaces}" if imported.replaces else ""
    click.echo(
        f"vcc: imported {imported.rows} rows ({imported.cases} cases) into sample "
        f"{imported.sample_id} as import {imported.import_id}{replaced}"
    )
