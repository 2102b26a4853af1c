"""Commands of the operating routine, on what runs recorded: ``vcc approve``, ``circulate``,
``history`` and ``show``. None of them loads pandas or Prefect (``approve``, ``history`` and
``show`` answer in well under a second); ``circulate`` loads only what sending needs."""

from __future__ import annotations

import getpass

import click

from vcc.flows.cli.app import AREA_OPTION, QUARTER, open_place, place_options
from vcc.transforms.quarters import Quarter


@click.command()
@click.option("--quarter", "-q", type=QUARTER, required=True, help="Quarter, YYYYQn.")
@click.option("--by", "by", required=True, help="Who signs the report off (name and role).")
@click.option("--note", help="A note kept with the approval.")
@place_options
@AREA_OPTION
def approve(quarter: Quarter, by: str, note: str | None, config, out, area) -> None:
    """Record sign-off of the quarter's current report (the exact PDF now published)."""
    # Inside: SQLAlchemy and the settings, 1,509 ms, which vcc --help never needs
    from vcc.flows.operations.circulation import approve as record_approval

    _, warehouse, output_root = open_place(config, out, area, one_area=True)
    approval, new = record_approval(warehouse, output_root, str(quarter), by.strip(), note)
    what = f"{quarter} version {approval['version']} (run {approval['run_id']})"
    if new:
        click.echo(f"vcc: approved {what} by {approval['approved_by']}")
        if approval.get("release_sha256"):
            click.echo(f"vcc: with its open release, checksum {approval['release_sha256']}")
    else:
        click.echo(
            f"vcc: {what} was already approved by {approval['approved_by']} on "
            f"{approval['approved_at']:%d %B %Y %H:%M}; nothing changed"
        )


@click.command()
@click.option("--quarter", "-q", type=QUARTER, required=True, help="Quarter, YYYYQn.")
@click.option("--by", "by", help="Who is sending it [the logged-in user].")
@click.option("--resend", is_flag=True, help="Send again to recipients who already have it.")
@place_options
@AREA_OPTION
def circulate(quarter: Quarter, by: str | None, resend: bool, config, out, area) -> None:
    """Email the approved report to the distribution list ([mail] in the configuration)."""
    # Inside: SQLAlchemy and the settings, 1,509 ms, which vcc --help never needs
    from vcc.flows.operations.circulation import circulate as send_report

    settings, warehouse, output_root = open_place(config, out, area, one_area=True)
    result = send_report(
        warehouse, settings, output_root, str(quarter), by or getpass.getuser(), resend,
        progress=lambda line: click.echo(f"vcc: {line}"),
    )  # fmt: skip
    edition = result.report.edition
    version = f"{quarter} version {result.report.version}" + (
        f", edition {edition}" if edition > 1 else ""
    )
    if not result.sent:
        when = f" (last on {result.last_sent:%d %B %Y %H:%M})" if result.last_sent else ""
        click.echo(
            f"vcc: nothing new to send: {version} was already sent to all "
            f"{len(result.already)} recipient(s){when}; --resend sends it again"
        )
        return
    click.echo(f"vcc: sent {version} to {len(result.sent)} recipient(s)")
    if result.already:
        click.echo(f"vcc: {len(result.already)} recipient(s) already had it and were skipped")


@click.command()
@click.option("--quarter", "-q", type=QUARTER, help="Only this quarter [every quarter].")
@place_options
@AREA_OPTION
def history(quarter: Quarter | None, config, out, area) -> None:
    """List runs and report versions, with their approvals and circulation."""
    # Inside: SQLAlchemy and the settings, 1,505 ms, which vcc --help never needs
    from vcc.flows.operations.history import history_text

    _, warehouse, output_root = open_place(config, out, area)
    click.echo(history_text(warehouse, str(quarter) if quarter else None, output_root), nl=False)


@click.command()
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print the run's manifest as JSON.")
@place_options
@AREA_OPTION
def show(run_id: str, as_json: bool, config, out, area) -> None:
    """Show one run in words: its quarter, status, report version, rows and timings (RUN_ID as
    `vcc history` lists it)."""
    # Inside: SQLAlchemy and the settings, 1,505 ms, which vcc --help never needs
    from vcc.flows.operations.history import show_json, show_text

    _, warehouse, output_root = open_place(config, out, area)
    if as_json:
        click.echo(show_json(warehouse, run_id), nl=False)
    else:
        click.echo(show_text(warehouse, run_id, output_root), nl=False)
