"""``mio import-transcript``: import transcript files from the command line, reporting each file."""

from __future__ import annotations

import sys
from datetime import date

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from app.audit import acting_as
from app.db import db
from app.models import Clinic
from qualitative.models import Document, QualProject


@click.command("import-transcript")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--project", "project_name", required=True, help="Name of the qualitative project.")
@click.option("--clinic", "clinic_code", required=True, help="Clinic code, e.g. SPR-1.")
@click.option("--kind", type=click.Choice(list(Document.KINDS)), required=True)
@click.option("--date", "interview_date", default=None, help="Date of the interview, YYYY-MM-DD.")
@click.option("--interviewer", default=None, help="Interviewer (initials or role).")
@click.option("--name", "document_name", default=None,
              help="Name of the document (one file only); needed when the file name holds a name or other identifier.")
@with_appcontext
def import_transcript(paths: tuple[str, ...], project_name: str, clinic_code: str, kind: str,
                      interview_date: str | None, interviewer: str | None, document_name: str | None) -> None:
    """Import transcripts (.txt, .docx, .vtt, .srt, Otter .txt) into a project; each file all-or-nothing.

    A file whose name holds a person's name (a possible one, a speaker's or a staff member's), an e-mail, phone
    number, street address or birth date is refused: rename the file, or give the document a --name."""
    from qualitative.workspace.services.transcripts import ImportSettings, import_files, summary

    project = db.session.execute(
        sa.select(QualProject).where(sa.func.lower(QualProject.name) == project_name.strip().lower())
    ).scalar_one_or_none()
    if project is None:
        raise click.UsageError(f"--project: no qualitative project named {project_name!r}.")
    clinic = db.session.execute(sa.select(Clinic).where(Clinic.code == clinic_code.strip().upper())).scalar_one_or_none()
    if clinic is None:
        raise click.UsageError(f"--clinic: no clinic with code {clinic_code!r}.")
    when = None
    if interview_date:
        try:
            when = date.fromisoformat(interview_date)
        except ValueError:
            raise click.UsageError(f"--date: {interview_date!r} is not a date like 2026-03-15.") from None
    if document_name is not None and len(paths) != 1:
        raise click.UsageError("--name names one document: import one file with it.")
    settings = ImportSettings(project.id, clinic.id, kind, when, (interviewer or "").strip() or None)

    def reader(path: str):
        def read() -> bytes:
            with open(path, "rb") as handle:
                return handle.read()
        return read

    total = len(paths)
    with acting_as("cli:import-transcript"):
        outcomes = []
        for number, path in enumerate(paths, start=1):
            outcome = import_files(settings, [(path, reader(path), document_name)], 1)[0]
            outcomes.append(outcome)
            if outcome.ok:
                click.echo(f"[{number}/{total}] {outcome.filename}: imported as “{outcome.name}” "
                           f"({outcome.turns} turns, {outcome.speakers} speakers, {outcome.format})")
                for warning in outcome.warnings:
                    click.echo(f"      warning: {warning}")
            else:
                click.echo(f"[{number}/{total}] {outcome.filename}: FAILED: {outcome.error}", err=True)
        db.session.commit()
    click.echo(summary(outcomes))
    if any(not o.ok for o in outcomes):
        sys.exit(1)
