"""The Quality Assessment Framework's commands: ``vcc sample`` (draw a quarter's dip sample) and
``vcc review import`` (store a completed review form)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from vcc.flows.bounds import MAX_SAMPLE_SIZE
from vcc.flows.cli.app import AREA_OPTION, QUARTER, VccGroup, open_place, place_options
from vcc.transforms.quarters import Quarter

if TYPE_CHECKING:  # pandas and openpyxl: loaded by the import command alone (see below)
    from vcc.flows.qaf.imports import ImportOutcome


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


EXIT_PROBLEMS = 3  # the rows rated in full were imported, but some rows were not
TERMINAL_LINES = 10  # the most lines the problems take on the terminal; the file has them all


@review.command(name="import")
@click.argument("form", type=click.Path(path_type=Path, dir_okay=False))
@place_options
@AREA_OPTION
def import_form(form: Path, config, out, area) -> None:
    """Check a completed review form and store the rows it rates in full.

    A row left blank, or marked "not reviewed", is counted as not reviewed. A row partly filled
    or with another answer is not imported: the first problems are printed and all of them
    written to a file beside the form, named as the form but ending in -problems.csv. Import
    the form again once corrected: rows imported before are kept (a row rated again takes the
    new ratings), none is counted twice, and a form with nothing new adds no import. The report
    uses the newest import.

    \b
    Exit status:
      0  no problem (the form's complete rows are stored, or were already)
      1  the form was refused whole (not a review form, an unknown sample, headings changed)
      3  some rows have problems and were not imported; the complete ones were stored
    """
    # Inside: pandas, openpyxl and the settings, 7,336 ms, which vcc --help never needs
    from vcc.flows.qaf.form import FormProblems
    from vcc.flows.qaf.imports import import_review_form
    from vcc.flows.qaf.reading import RATING_ALLOWED

    settings, warehouse, output_root = open_place(config, out, area, one_area=True)
    try:
        imported = import_review_form(settings, output_root, form, warehouse)
    except FormProblems as problems:
        for line in problems.problems:
            click.echo(f"vcc: {form.name}: {line}", err=True)
        raise
    for line in import_lines(form, imported):
        click.echo(line)
    if imported.with_problems:
        for line in problem_lines(imported, RATING_ALLOWED):
            click.echo(line, err=True)
        raise click.exceptions.Exit(EXIT_PROBLEMS)


def import_lines(form: Path, imported: ImportOutcome) -> list[str]:
    """What an import did: the form's rows counted, then what was stored."""
    since = imported.replaces
    unchanged = f", {imported.unchanged} unchanged since import {since}" if since else ""
    counts = (
        f"vcc: {form.name} (sample {imported.sample_id}, {imported.form_rows} rows): "
        f"{_rows(imported.new + imported.changed)} imported{unchanged}, "
        f"{imported.not_reviewed} not reviewed, {imported.with_problems} with problems "
        "(not imported)"
    )
    if imported.import_id is None:
        stored = "nothing new to store" + (f"; import {since} stands" if since else "")
    else:
        replacing = f", replacing import {since}" if since else ""
        kept = f"; {_rows(imported.kept)} kept from import {since}" if imported.kept else ""
        stored = f"stored as import {imported.import_id}{replacing}{kept}"
    return [
        counts,
        f"vcc: {stored}: {imported.cases} of the sample's {imported.sample_size} cases have "
        "reviews",
    ]


def problem_lines(imported: ImportOutcome, rating_allowed: str) -> list[str]:
    """The problems in at most TERMINAL_LINES lines: the first of them, then where all are; the
    ratings allowed (``rating_allowed``) said once, not on each line."""
    problems = imported.problems
    ratings = any(p.allowed == rating_allowed for p in problems)
    room = TERMINAL_LINES - 2 - ratings  # the heading, the file's line and the ratings allowed
    shown = [f"vcc:   {p.line(with_allowed=p.allowed != rating_allowed)}" for p in problems[:room]]
    more = len(problems) - len(shown)
    return [
        f"vcc: {len(problems)} problem{'s' if len(problems) != 1 else ''} in "
        f"{_rows(imported.with_problems)}, which were not imported:",
        *shown,
        *([f"vcc:   ratings allowed: {rating_allowed}"] if ratings else []),
        f"vcc:   … and {more} more problem{'s' if more != 1 else ''}: see {imported.problems_file}"
        if more
        else f"vcc:   the list: {imported.problems_file}",
    ]


def _rows(count: int) -> str:
    return f"{count} row{'s' if count != 1 else ''}"
