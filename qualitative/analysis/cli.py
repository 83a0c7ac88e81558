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
from qualitative.analysis.services import suggestions as suggestions_service
from qualitative.analysis.services.common import AnalysisInputError, coders
from qualitative.models import Privilege, ProjectMember, QualProject
from qualitative.refiqda import CODEPOINTS, READINGS, PositionsUndecided


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


def _coder(project: QualProject, given: str) -> User:
    """A coder named by account e-mail or by name (imported coders have only a name). A name shared by several of
    the project's coders is refused with the candidates listed."""
    text = given.strip()
    by_email = db.session.execute(sa.select(User).where(User.email == text.lower())).scalar_one_or_none()
    if by_email is not None:
        return by_email
    candidates = [u for u in coders(project.id) if u.name.strip().lower() == text.lower()]
    if not candidates:
        names = ", ".join(sorted(u.display_name for u in coders(project.id))) or "none"
        raise click.UsageError(f"--coder {given!r}: no account with that e-mail and no coder of {project.name!r} "
                               f"with that name (its coders: {names}).")
    if len(candidates) > 1:
        listed = "; ".join(f"{u.display_name} <{u.email}>" for u in candidates)
        raise click.UsageError(f"--coder {given!r}: {len(candidates)} coders have that name ({listed}); give the "
                               "e-mail instead.")
    return candidates[0]


@click.command("agreement")
@click.option("--project", "project_name", required=True, help="Project name.")
@click.option("--coder", "coder_names", multiple=True, required=True,
              help="Coder e-mail or name (imported coders have a name only); give two or more.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@with_appcontext
def agreement(project_name: str, coder_names: tuple[str, ...], fmt: str) -> None:
    """Inter-coder agreement (character-level kappa as NVivo, turn-level kappa, Krippendorff's alpha)."""
    project = _project(project_name)
    users = [_coder(project, given) for given in coder_names]
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


@click.command("suggestion-quality")
@click.option("--project", "project_name", required=True, help="Project name.")
@click.option("--min-score", type=click.FloatRange(0, 1), default=None,
              help="Count only suggestions scoring at least this (the top of the ranked list).")
@click.option("--format", "fmt", type=click.Choice(["text", "csv"]), default="text", show_default=True)
@with_appcontext
def suggestion_quality(project_name: str, min_score: float | None, fmt: str) -> None:
    """Precision and recall of auto-coding suggestions per construct against the analysts' own codings."""
    project = _project(project_name)
    report = suggestions_service.quality(project, min_score=min_score)
    headers = ["construct", "tp", "fp", "fn", "precision", "recall"]

    def fig(value):
        return "" if value is None else f"{value:.2f}"

    rows = [[r["path"], r["tp"], r["fp"], r["fn"], fig(r["precision"]), fig(r["recall"])] for r in report["rows"]]
    if report["overall"] is not None:
        o = report["overall"]
        rows.append(["All constructs (pooled)", o["tp"], o["fp"], o["fn"], fig(o["precision"]), fig(o["recall"])])
    if fmt == "csv":
        click.echo(csv_text(headers, rows), nl=False)
        return
    floor = f"; suggestions scoring >= {min_score:g}" if min_score is not None else ""
    click.echo(f"Rule {report['rule_version']}; {report['documents']} documents coded by hand; unit = speaker turn"
               f"{floor}.")
    width = max([len(headers[0])] + [len(str(r[0])) for r in rows])
    click.echo(f"{headers[0]:<{width}}  {'tp':>4} {'fp':>4} {'fn':>4} {'prec':>5} {'recall':>6}")
    for r in rows:
        click.echo(f"{r[0]:<{width}}  {r[1]:>4} {r[2]:>4} {r[3]:>4} {r[4]:>5} {r[5]:>6}")


@click.command("export-qdpx")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--project", "project_name", required=True, help="Project name.")
@click.option("--crlf", is_flag=True, help="Write CRLF line ends in the sources (MAXQDA).")
@click.option("--positions", type=click.Choice(READINGS), default=CODEPOINTS, show_default=True,
              help="Count positions in Unicode code points (the standard) or UTF-16 code units (NVivo).")
@click.option("--include-unreviewed", is_flag=True,
              help="Also export transcripts whose de-identification has not been applied (recorded in the audit "
                   "trail); they are left out otherwise.")
@with_appcontext
def export_qdpx(path: Path, project_name: str, crlf: bool, positions: str, include_unreviewed: bool) -> None:
    """Export a project as a REFI-QDA .qdpx file."""
    project = _project(project_name)
    unreviewed = refi_export.unreviewed_documents(project)
    if unreviewed and include_unreviewed:
        refi_export.audit_unreviewed_export(project, unreviewed, None, "cli:export-qdpx")
        click.echo(f"Including {len(unreviewed)} transcript(s) whose de-identification has not been applied "
                   "(recorded in the audit trail).", err=True)
    elif unreviewed:
        click.echo(f"Left out {len(unreviewed)} transcript(s) whose de-identification has not been applied: "
                   f"{', '.join(d.name for d in unreviewed[:10])}{' ...' if len(unreviewed) > 10 else ''} "
                   "(--include-unreviewed to include them).", err=True)

    def progress(done: int, total: int, _message: str) -> None:
        if done == total or done % 50 == 0:
            click.echo(f"  {done}/{total} documents", err=True)

    data = refi_export.qdpx_bytes(project, crlf=crlf, progress=progress, positions=positions,
                                  include_unreviewed=include_unreviewed)
    path.write_bytes(data)
    written = refi_export.coding_count(project, include_unreviewed)
    click.echo(f"Wrote {path} ({len(data):,} bytes, {written:,} codings).")


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
              help="Importing analyst (author of the import memo); default: the project's manager or the first "
                   "admin.")
@click.option("--map-user", "map_user", multiple=True, metavar="NAME=EMAIL",
              help="Give the file user NAME (or its GUID) to the account EMAIL; repeatable. Other file users are "
                   "matched by name or e-mail, else become imported coders.")
@click.option("--positions", type=click.Choice(READINGS), default=None,
              help="How the file counts positions, for sources where the file does not say and the readings differ.")
@click.option("--deidentified", is_flag=True,
              help="State that the file's transcripts were de-identified before import (recorded in the audit "
                   "trail): they are marked de-identified, so exports include them without --include-unreviewed.")
@click.option("--redact-names", is_flag=True,
              help="Name each source whose name holds a person's name or another identifier with it redacted "
                   "(e.g. Interview_[NAME]_2026-03-01); without it such a file is refused.")
@with_appcontext
def import_qdpx(path: Path, project_name: str, clinic_code: str | None, email: str | None,
                map_user: tuple[str, ...], positions: str | None, deidentified: bool, redact_names: bool) -> None:
    """Import a REFI-QDA .qdpx file (users matched to accounts by name or e-mail, or --map-user)."""
    project = db.session.execute(sa.select(QualProject).where(QualProject.name == project_name)).scalar_one_or_none()
    clinic = None
    if clinic_code:
        clinic = db.session.execute(sa.select(Clinic).where(Clinic.code == clinic_code.strip().upper())
                                    ).scalar_one_or_none()
        if clinic is None:
            raise click.UsageError(f"--clinic: no clinic with code {clinic_code}.")
    importer = _importer(project, email)
    try:
        try:
            qda = refi_import.read_qdpx(path.read_bytes(), positions)
        except PositionsUndecided as exc:
            raise click.ClickException(_undecided_message(exc)) from None
        candidates = list(db.session.execute(sa.select(User).where(User.active.is_(True),
                                                                   User.imported.is_(False))).scalars())
        user_map = refi_import.suggest_user_mapping(qda, candidates)
        explicit = refi_import.map_users_by_option(qda, list(map_user), candidates)
        user_map.update(explicit)
        for guid, account in list(user_map.items()):  # an explicit choice takes its account from a suggestion
            if guid not in explicit and account in explicit.values():
                user_map[guid] = None
        clinics = list(db.session.execute(sa.select(Clinic).order_by(Clinic.code)).scalars())
        with acting_as("cli:import-qdpx", importer.id):
            result = refi_import.import_project(qda, importer, user_map, clinics, clinic, project,
                                                None if project else project_name, deidentified=deidentified,
                                                redact_names=redact_names)
    except AnalysisInputError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Imported into {result.project.name!r}: {result.documents} documents, {result.codes} codes, "
               f"{result.codings} codings, {result.memos} notes, {result.participants} participants, "
               f"{result.variables} variables ({result.values} values), {result.cases} cases.")
    click.echo("Transcripts marked de-identified, as stated (audited)." if deidentified else
               "Transcripts marked 'de-identification skipped': exports leave them out unless a manager includes "
               "them (or import with --deidentified if they were de-identified before).")
    if result.imported_coders:
        click.echo(f"Imported coders (no account; they cannot sign in): {'; '.join(result.imported_coders)}.")
    for line in result.reading_lines():
        click.echo(line)


def _undecided_message(exc: PositionsUndecided) -> str:
    lines = [f"Not imported: {exc}.", "Run again with --positions codepoints or --positions utf16. Quotes under each "
             "reading:"]
    for source in exc.sources:
        lines.append(f"  source {source.source_name!r}:")
        for sample in source.samples:
            lines.append(f"    selection {sample['guid']} ({sample['start']}-{sample['end']}):")
            lines.append(f"      as code points:     {sample['codepoints']!r}")
            lines.append(f"      as UTF-16 units:    {sample['utf16']!r}")
    return "\n".join(lines)


def register(app: Flask) -> None:
    app.cli.add_command(agreement)
    app.cli.add_command(export_qdpx)
    app.cli.add_command(import_qdpx)
    app.cli.add_command(suggestion_quality)
