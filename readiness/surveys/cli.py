"""``mio import-redcap-dictionary`` and ``mio readiness-profile``."""

from __future__ import annotations

import json
from types import SimpleNamespace

import click
from flask import Flask
from flask.cli import with_appcontext

from app.audit import acting_as
from app.exports import csv_text
from app.models import Role
from readiness.redcap import RedcapDictionaryError

#: the CLI runs on the server as its operator: it sees every agency, as an administrator does
CLI_OPERATOR = SimpleNamespace(is_authenticated=True, role=Role.ADMIN, agency_id=None, id=None)


@click.command("import-redcap-dictionary")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--key", default=None, help="Instrument key (default: the REDCap form name).")
@click.option("--title", default=None, help="Instrument title (default: from the form name).")
@click.option("--form", "form_name", default=None, help="The REDCap form to import when the file holds several.")
@with_appcontext
def import_redcap_dictionary(path: str, key: str | None, title: str | None, form_name: str | None) -> None:
    """Import a REDCap data dictionary CSV as a new instrument (all or nothing)."""
    from readiness.surveys import library

    with open(path, "rb") as handle:
        data = handle.read()
    try:
        text = library.decode_upload(data)
        with acting_as("cli:import-redcap-dictionary"):
            instrument = library.import_dictionary(text, key=key, title=title, form=form_name,
                                                   filename=path.rsplit("/", 1)[-1])
    except RedcapDictionaryError as exc:
        listed = "\n".join(f"  {problem}" for problem in exc.problems)
        raise click.ClickException(f"{path}: {len(exc.problems)} problem(s); nothing was imported.\n{listed}") from None
    except library.InstrumentImportError as exc:
        option = {"key": "--key", "title": "--title", "form": "--form"}.get(exc.field)
        if option:
            raise click.UsageError(f"{option}: {exc}") from None
        raise click.ClickException(f"{path}: {exc}") from None
    definition = instrument.definition
    click.echo(f"Imported {instrument.title!r} as {instrument.key} version {instrument.version}: "
               f"{len(definition['items'])} fields, "
               f"{sum(1 for i in definition['items'] if i.get('branching'))} with branching logic.")
    for warning in definition.get("import_warnings", []):
        click.echo(f"Warning: {warning}")


@click.command("readiness-profile")
@click.option("--clinic", "clinic_code", default=None, help="One clinic's code (default: every clinic).")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), required=True)
@click.option("--icc1-group-size", "icc1", type=click.Choice(["k0", "mean"]), default="k0", show_default=True,
              help="ICC(1)'s group size: k0 (adjusted for unequal groups) or mean (N / G, as R multilevel::ICC1).")
@with_appcontext
def readiness_profile(clinic_code: str | None, fmt: str, icc1: str) -> None:
    """Print the site readiness profile: JSON (everything, with ICCs) or CSV (one row per group and subscale)."""
    from readiness.surveys.profile_service import PROFILE_HEADERS, build_profiles, profile_rows

    try:
        profiles = build_profiles(clinic_code.upper() if clinic_code else None, user=CLI_OPERATOR,
                                  icc_group_size=icc1)
    except LookupError as exc:
        raise click.UsageError(f"--clinic: {exc}") from None
    if fmt == "json":
        click.echo(json.dumps(profiles, indent=2))
    else:
        click.echo(csv_text(PROFILE_HEADERS, profile_rows(profiles)), nl=False)


def register(app: Flask) -> None:
    app.cli.add_command(import_redcap_dictionary)
    app.cli.add_command(readiness_profile)
