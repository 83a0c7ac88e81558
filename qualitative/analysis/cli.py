"""``mio agreement``, ``mio export-qdpx`` and ``mio import-qdpx``."""

from __future__ import annotations

import json
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import with_appcontext

from app.audit import acting_as
from app.db import db
from app.exports import csv_text
from app.models import Clinic, Role, User
from qualitative.analysis.services import agreement as agreement_service
from qualitative.analysis.services import refi_export, refi_import
from qualitative.analysis.services.common import AnalysisInputError
from qualitative.models import Privilege, ProjectMember, QualProject


def _project(name: str) -> QualProject:
    project = db.session.execute(sa.select(QualProject).where(QualProject.name == name)).scalar_one_or_none()
    if project is None:
        raise click.UsageError(f"--project: no project named {name!r}.")
    return project


def _user(email: str, option: str) -> User:
    user = db.session.execute(sa.select(User).where(User.email == email.strip().lower())).scalar_one_or_none()
    if user is None:
        raise click.UsageError(f"{option}: no account with e-mail {email}.")
    return user


@click.command("agreement")
@click.option("--project", "project_name", required=True, help="Project name.")
@click.option("--coder", "coders", multiple=True, required=True, help="Coder e-mail; give two or more.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@with_appcontext
def agreement(project_name: str, coders: tuple[str, ...], fmt: str) -> None:
    """Inter-coder agreement (character-level kappa as NVivo, turn-level kappa, Krippendorff's alpha)."""
    project = _project(project_name)
    users = [_user(email, "--coder") for email in coders]
    if len({u.id for u in users}) < 2:
        raise click.UsageError("--coder: give two or more different coders.")
    try:
        report = agreement_service.agreement_report(project, [u.id for u in users], with_disagreements=False)
    except AnalysisInputError as exc:
        raise click.UsageError(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(agreement_service.report_json(report), indent=2))
    else:
        headers, rows = agreement_service.report_rows(report)
        click.echo(csv_text(headers, rows), nl=False)


@click.command("export-qdpx")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--project", "project_name", required=True, help="Project name.")
@click.option("--crlf", is_flag=True, help="Write CRLF line ends in the sources (MAXQDA).")
@with_appcontext
def export_qdpx(path: Path, project_name: str, crlf: bool) -> None:
    """Export a project as a REFI-QDA .qdpx file."""
    project = _project(project_name)

    def progress(done: int, total: int, _message: str) -> None:
        if done == total or done % 50 == 0:
            click.echo(f"  {done}/{total} documents", err=True)

    data = refi_export.qdpx_bytes(project, crlf=crlf, progress=progress)
    path.write_bytes(data)
    click.echo(f"Wrote {path} ({len(data):,} bytes, {refi_export.coding_count(project):,} codings).")


def _importer(project: QualProject | None, email: str | None) -> User:
    if email:
        return _user(email, "--user")
    if project is not None:
        manager = db.session.execute(
            sa.select(User).join(ProjectMember, ProjectMember.user_id == User.id)
            .where(ProjectMember.project_id == project.id, ProjectMember.privilege == Privilege.MANAGE)
            .order_by(ProjectMember.id)).scalars().first()
        if manager is not None:
            return manager
    admin = db.session.execute(sa.select(User).where(User.role == Role.ADMIN, User.active.is_(True))
                               .order_by(User.id)).scalars().first()
    if admin is None:
        raise click.UsageError("--user: give the importing analyst's e-mail (no project manager or admin found).")
    return admin


@click.command("import-qdpx")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--project", "project_name", required=True, help="New project name, or an existing empty project.")
@click.option("--clinic", "clinic_code", default=None,
              help="Clinic code for sources whose clinic the file does not name.")
@click.option("--user", "email", default=None,
              help="Importing analyst (gets selections of unknown users); default: the project's manager or the "
                   "first admin.")
@with_appcontext
def import_qdpx(path: Path, project_name: str, clinic_code: str | None, email: str | None) -> None:
    """Import a REFI-QDA .qdpx file (users matched to accounts by name or e-mail)."""
    project = db.session.execute(sa.select(QualProject).where(QualProject.name == project_name)).scalar_one_or_none()
    clinic = None
    if clinic_code:
        clinic = db.session.execute(sa.select(Clinic).where(Clinic.code == clinic_code.strip().upper())
                                    ).scalar_one_or_none()
        if clinic is None:
            raise click.UsageError(f"--clinic: no clinic with code {clinic_code}.")
    importer = _importer(project, email)
    try:
        qda = refi_import.read_qdpx(path.read_bytes())
        candidates = list(db.session.execute(sa.select(User).where(User.active.is_(True))).scalars())
        user_map = refi_import.suggest_user_mapping(qda, candidates)
        clinics = list(db.session.execute(sa.select(Clinic).order_by(Clinic.code)).scalars())
        with acting_as("cli:import-qdpx", importer.id):
            result = refi_import.import_project(qda, importer, user_map, clinics, clinic, project,
                                                None if project else project_name)
    except AnalysisInputError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Imported into {result.project.name!r}: {result.documents} documents, {result.codes} codes, "
               f"{result.codings} codings, {result.memos} notes, {result.participants} participants.")
    if result.to_importer:
        click.echo(f"Selections of {', '.join(result.to_importer)} were given to {importer.email}.")


def register(app: Flask) -> None:
    app.cli.add_command(agreement)
    app.cli.add_command(export_qdpx)
    app.cli.add_command(import_qdpx)
