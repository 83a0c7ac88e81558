"""``mio outcomes ...``: import a screening log and assign fidelity coding from the command line."""

from __future__ import annotations

import os
from dataclasses import dataclass

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from app.audit import acting_as
from app.db import db
from app.models import Clinic, Role
from implementation_outcomes.errors import ScreeningLogError


@dataclass(frozen=True)
class _Operator:
    """The command-line operator: sees every agency, like an administrator (``app.security.visible_agency_ids``)."""

    role: str = Role.ADMIN
    agency_id: int | None = None
    is_authenticated: bool = True


@click.group("outcomes")
def outcomes() -> None:
    """Implementation outcomes: screening logs and fidelity coding."""


@outcomes.command("import-screening-log")
@click.argument("clinic_code")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_screening_log(clinic_code: str, path: str) -> None:
    """Add the rows of a screening-log CSV to CLINIC_CODE's log (all rows or none)."""
    from implementation_outcomes.delivery.services.screening import import_csv

    clinic = db.session.execute(sa.select(Clinic).where(Clinic.code == clinic_code.upper())).scalar_one_or_none()
    if clinic is None:
        raise click.UsageError(f"CLINIC_CODE: no clinic with code {clinic_code}.")
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        with acting_as("cli:import-screening-log"):
            added = import_csv(clinic, data, _Operator(), filename=os.path.basename(path))
    except ScreeningLogError as exc:
        for message in exc.errors:
            click.echo(message, err=True)
        raise click.ClickException(f"nothing imported: {len(exc.errors)} problem(s) in {path}") from exc
    click.echo(f"Imported {added} rows into {clinic.code}.")


@outcomes.command("assign-coding")
@with_appcontext
def assign_coding_command() -> None:
    """Give every recorded session without a coder to one, and the double-coding share to a second coder."""
    from implementation_outcomes.delivery.services.common import DeliveryError
    from implementation_outcomes.delivery.services.fidelity import assign_coding

    try:
        with acting_as("cli:assign-coding"):
            result = assign_coding(_Operator())
    except DeliveryError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Assigned {result['assigned']} sessions; {result['double_coded']} double-coded (batch {result['batch']}).")


@outcomes.command("refresh-fidelity-summaries")
@with_appcontext
def refresh_fidelity_summaries_command() -> None:
    """Recompute the stored fidelity figures of every clinic and the statewide reliability (after a bulk load)."""
    import time

    from implementation_outcomes.delivery.services.summaries import refresh_all

    started = time.perf_counter()
    with acting_as("cli:refresh-fidelity-summaries"):
        result = refresh_all()
        db.session.commit()
    click.echo(f"Stored the fidelity figures of {result['clinics']} clinics and the statewide reliability "
               f"in {time.perf_counter() - started:.1f} s.")
