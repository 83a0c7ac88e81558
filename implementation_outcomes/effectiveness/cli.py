"""``mio effectiveness``: the trial's estimates (JSON) or the long outcome data (CSV) on standard output.

Runs with the server's rights (every agency) unless ``--as-user EMAIL`` is given: then that account's agency scope
and blinding apply exactly as on the pages (a blinded outcome assessor gets the CSV without the arm column and no
estimates)."""

from __future__ import annotations

import json
import sys

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from app.exports import csv_text


class _Everyone:
    """The command line's own rights: every agency, not blinded."""

    role = "admin"
    is_authenticated = True
    agency_id = None
    id = None


@click.command("effectiveness")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True,
              help="json: Aim 1 and Aim 3b estimates and the CONSORT follow-up; csv: the long data.")
@click.option("--as-user", "email", help="Apply this account's agency scope and blinding.")
@click.option("--n-boot", default=2000, show_default=True, help="Bootstrap replicates of the mediation analyses.")
@with_appcontext
def effectiveness_command(fmt: str, email: str | None, n_boot: int):
    """Print the trial's effectiveness estimates (JSON) or the long outcome data (CSV).

    CSV columns: study ID, clinic, arm, time point, measure, value (no arm for a blinded account)."""
    from app.audit import acting_as
    from app.db import db
    from app.models import User
    from implementation_outcomes.effectiveness import analysis_services
    from implementation_outcomes.effectiveness.results import clean

    user = _Everyone()
    if email:
        user = db.session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()
        if user is None:
            raise click.BadParameter(f"no account {email!r}", param_hint="--as-user")
    with acting_as("cli:effectiveness"):
        if fmt == "csv":
            headers, rows = analysis_services.long_table(user)
            sys.stdout.write(csv_text(headers, rows))
            return
        try:
            results = analysis_services.estimates(user, n_boot=n_boot)
        except analysis_services.BlindedError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(clean(results), indent=2, default=str))
