"""``mio outcomes``: the overview table on standard output (JSON or CSV), with the page's filters.

``outcomes`` is also the group of the delivery commands (``mio outcomes import-screening-log``, ``assign-coding``):
``with_delivery_commands`` makes this command that group (run without a subcommand it prints the overview)."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import with_appcontext

from app.exports import csv_text


@click.group("outcomes", invoke_without_command=True)
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--clinic", "clinic", help="Clinic code, e.g. SPR-1.")
@click.option("--agency", "agency", help="Agency code, e.g. SPR.")
@click.option("--from", "date_from", help="First day of the period (YYYY-MM-DD).")
@click.option("--to", "date_to", help="Last day of the period (YYYY-MM-DD).")
@click.pass_context
@with_appcontext
def outcomes_command(ctx: click.Context, fmt: str, clinic: str | None, agency: str | None, date_from: str | None, date_to: str | None):
    """Print the implementation outcomes of every clinic (the director's overview table).

    JSON: the overview rows as the service returns them (shares as proportions 0..1); CSV: the table exactly as the
    page's "Download CSV" writes it. The subcommands are the delivery commands."""
    if ctx.invoked_subcommand is not None:
        return
    from app.audit import acting_as
    from implementation_outcomes.overview import services, tables

    try:
        filters = services.Filters.parse({"clinic": clinic, "agency": agency, "from": date_from, "to": date_to})
        with acting_as("cli:outcomes"):
            rows = services.overview_rows(filters, user=_all_agencies())
    except services.FilterError as exc:
        raise click.BadParameter(str(exc).split(": ", 1)[1], param_hint=f"--{exc.field}") from None
    if fmt == "json":
        click.echo(json.dumps({"filters": filters.query_args(), "clinics": rows}, indent=2))
    else:
        table = tables.overview_table(rows)
        sys.stdout.write(csv_text(table.export_headers(), table.export_rows()))


def with_delivery_commands(existing: click.Command | None) -> click.Group:
    """This group carrying the subcommands of the delivery package's ``outcomes`` group (registered before)."""
    if isinstance(existing, click.Group):
        for name, command in existing.commands.items():
            outcomes_command.add_command(command, name)
    return outcomes_command


class _Everyone:
    """The command line runs with the server's own rights: every agency (like the director)."""

    role = "admin"
    is_authenticated = True
    agency_id = None
    id = None


def _all_agencies():
    return _Everyone()
