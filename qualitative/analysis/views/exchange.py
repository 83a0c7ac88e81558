"""REFI-QDA exchange: export a project (.qdpx; large ones through a job) and its codebook (.qdc); import a .qdpx
in two steps (upload and check, then map the file's users to platform accounts and, when the file does not say how
it counts positions, choose the reading after comparing quotes under both)."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.db import db
from app.jobs import Job, enqueue
from app.models import Clinic, Role, User
from app.security import roles_required, scoped
from app.storage import StoredFileNotFound, send_stored, storage
from qualitative.access import QUAL_ROLES, allows, project_for, visible_projects
from qualitative.analysis.forms import ExportForm, ImportUploadForm
from qualitative.analysis.jobs import QDPX_MIME, export_key
from qualitative.analysis.services import refi_export, refi_import
from qualitative.analysis.services.blind import blinded_document_ids
from qualitative.analysis.services.common import AnalysisInputError
from qualitative.analysis.views.blueprint import bp
from qualitative.models import Privilege, QualProject
from qualitative.refiqda import CODEPOINTS, READINGS, UTF16, PositionsUndecided

STAGING_KEEP = timedelta(days=1)  # an upload waits a day for its user mapping
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@bp.route("/projects/<int:qual_project_id>/exchange")
@roles_required(*QUAL_ROLES)
def exchange(qual_project_id: int):
    project = project_for(current_user, qual_project_id, Privilege.READ)
    return render_template("analysis/exchange.html", project=project, form=ExportForm(),
                           codings=refi_export.coding_count(project),
                           unreviewed=refi_export.unreviewed_documents(project),
                           limit=current_app.config.get("QDPX_SYNC_CODINGS", 20000),
                           blinded=len(blinded_document_ids(current_user, project.id)),
                           can_export=allows(project.my_privilege, Privilege.MANAGE))


@bp.route("/projects/<int:qual_project_id>/exchange/qdpx", methods=["POST"])
@roles_required(*QUAL_ROLES)
def export_qdpx(qual_project_id: int):
    """Small projects download at once; large ones are written by a job with a progress bar."""
    project = project_for(current_user, qual_project_id, Privilege.MANAGE)
    form = ExportForm()
    if not form.validate_on_submit():
        abort(400)
    # a manager coding a blind sample exports only their own codings and memos until the sample is revealed (the
    # exchange page says so before the button); the whole project would show them the other coders' work
    blinded = bool(blinded_document_ids(current_user, project.id))
    crlf = bool(form.crlf.data)
    positions = form.positions.data if form.positions.data in READINGS else CODEPOINTS
    include = bool(form.include_unreviewed.data)
    if include:
        unreviewed = refi_export.unreviewed_documents(project)
        if unreviewed:
            refi_export.audit_unreviewed_export(project, unreviewed, current_user.id, current_user.email)
    options = {"crlf": crlf, "positions": positions, "include_unreviewed": include,
               "only_coder_id": current_user.id if blinded else None}
    if refi_export.coding_count(project) > current_app.config.get("QDPX_SYNC_CODINGS", 20000):
        record = enqueue("qual.export_qdpx", {"qual_project_id": project.id, **options},
                         f"Export {project.name} as REFI-QDA", user_id=current_user.id)
        record.result_url = url_for("analysis.export_download", job_id=record.id)
        db.session.commit()
        return redirect(url_for("jobs.show", job_id=record.id))
    data = refi_export.qdpx_bytes(project, **options)
    name = project.name + (f" - {current_user.name} only" if blinded else "")
    return Response(data, mimetype=QDPX_MIME, headers={
        "Content-Disposition": f"attachment; filename={refi_export.safe_filename(name, 'qdpx')}"})


@bp.route("/exports/<string:job_id>.qdpx")
@roles_required(*QUAL_ROLES)
def export_download(job_id: str):
    record = db.session.get(Job, job_id)
    if record is None or record.kind != "qual.export_qdpx" or record.status != "done":
        abort(404)
    if record.created_by_id != current_user.id and current_user.role != Role.ADMIN:
        abort(404)
    project_for(current_user, record.payload["qual_project_id"], Privilege.MANAGE)
    return send_stored(export_key(record.id), download_name=(record.result or {}).get("filename", "project.qdpx"))


@bp.route("/projects/<int:qual_project_id>/exchange/codebook.qdc")
@roles_required(*QUAL_ROLES)
def export_qdc(qual_project_id: int):
    project = project_for(current_user, qual_project_id, Privilege.READ)
    try:
        data = refi_export.qdc_bytes(project)
    except ValueError as exc:
        abort(400, description=str(exc))
    return Response(data, mimetype="application/xml", headers={
        "Content-Disposition": f"attachment; filename={refi_export.safe_filename(project.name, 'qdc')}"})


# --- import ----------------------------------------------------------------------------------------------------


def _staging_key(token: str) -> str:
    """The staged upload of the signed-in user (in the shared storage: the confirmation may reach another web
    server); a token of another user names nothing."""
    if not _TOKEN.match(token or ""):
        abort(400, description="The upload has expired or is unknown; upload the file again.")
    return f"qdpx-import/{current_user.id}-{token}"


def _empty_projects() -> list[QualProject]:
    return refi_import.empty_projects([p for p, privilege in visible_projects(current_user)
                           if allows(privilege, Privilege.MANAGE)])


def _clinics() -> list[Clinic]:
    return list(db.session.execute(scoped(db.select(Clinic).order_by(Clinic.code), Clinic)).scalars())


def _upload_form() -> ImportUploadForm:
    form = ImportUploadForm()
    form.project_id.choices = [(0, "— choose —")] + [(p.id, p.name) for p in _empty_projects()]
    form.clinic_id.choices = [(0, "— from the file —")] + [(c.id, f"{c.code} {c.name}") for c in _clinics()]
    return form


@bp.route("/import-qdpx", methods=["GET", "POST"])
@roles_required(Role.ANALYST)
def import_qdpx():
    form = _upload_form()
    if request.method == "GET":
        return render_template("analysis/import.html", form=form)
    if form.validate_on_submit():
        data = form.file.data.read()
        try:
            qda, undecided = _read(data, None)
        except AnalysisInputError as exc:
            form.file.errors.append(str(exc))
        else:
            _check_target(form)
            if not form.errors:
                token = secrets.token_urlsafe(24)
                storage().purge_expired()
                storage().put(_staging_key(token), data, content_type=QDPX_MIME,
                              filename=form.file.data.filename, expires_in=STAGING_KEEP)
                db.session.commit()
                return _mapping_page(qda, token, form.target.data, form.project_name.data, form.project_id.data,
                                     form.clinic_id.data, undecided=undecided)
    return render_template("analysis/import.html", form=form), 400


def _check_target(form: ImportUploadForm) -> None:
    if form.target.data == "existing":
        if not form.project_id.data or form.project_id.data not in {p.id for p in _empty_projects()}:
            form.project_id.errors.append("Choose an empty project you manage.")
    elif not (form.project_name.data or "").strip():
        form.project_name.errors.append("Name the new project.")


def _candidates() -> list[User]:
    return list(db.session.execute(db.select(User).where(User.active.is_(True), User.imported.is_(False), User.role.in_(
        (Role.ANALYST, Role.ADMIN, Role.DIRECTOR))).order_by(User.name)).scalars())


def _read(data: bytes, positions: str | None):
    """The parsed file and, when the file does not settle how positions count, the undecided sources (then the
    file is parsed as code points only to show its users and counts; nothing is imported before a choice)."""
    try:
        return refi_import.read_qdpx(data, positions), []
    except PositionsUndecided as exc:
        try:
            return refi_import.read_qdpx(data, CODEPOINTS), exc.sources
        except PositionsUndecided:  # pragma: no cover - a given reading is never undecided
            raise AnalysisInputError(str(exc), "file") from None
        except AnalysisInputError:
            return refi_import.read_qdpx(data, UTF16), exc.sources


def _mapping_page(qda, token, target, project_name, project_id, clinic_id, errors=None, status=200, undecided=None,
                  positions=None, deidentified=False, source_names=None):
    candidates = _candidates()
    default_clinic = next((c for c in _clinics() if c.id == clinic_id), None) if clinic_id else None
    return render_template(
        "analysis/import_map.html", name_problems=refi_import.source_name_problems(qda, _clinics(), default_clinic),
        source_names=source_names or {}, **_mapping_context(
            qda, token, target, project_name, project_id, clinic_id, errors, undecided, positions, deidentified,
            candidates)), status


def _mapping_context(qda, token, target, project_name, project_id, clinic_id, errors, undecided, positions,
                     deidentified, candidates) -> dict:
    return dict(
        qda=qda, token=token, target=target, project_name=project_name,
        project_id=project_id, clinic_id=clinic_id, users=refi_import.user_summary(qda), undecided=undecided or [],
        positions=positions, deidentified=deidentified, readings=refi_import.reading_summary(qda.position_readings) if not undecided else [],
        suggested=refi_import.suggest_user_mapping(qda, candidates), candidates=candidates, errors=errors or [],
        counts={"sources": len(qda.sources), "codes": refi_import.count_codes(qda),
                "selections": sum(len(s.selections) for s in qda.sources), "notes": len(qda.notes),
                "variables": len(qda.variables), "cases": len(qda.cases), "sets": len(qda.sets)})


@bp.route("/import-qdpx/confirm", methods=["POST"])
@roles_required(Role.ANALYST)
def import_qdpx_confirm():
    token = request.form.get("token", "")
    key = _staging_key(token)
    info = storage().info(key)
    if info is None or info.expires_at is not None and info.expires_at < datetime.now(UTC):
        abort(400, description="The upload has expired or is unknown; upload the file again.")
    try:
        data = storage().get(key)
    except StoredFileNotFound:
        abort(400, description="The upload has expired or is unknown; upload the file again.")
    positions = request.form.get("positions") or None
    if positions is not None and positions not in READINGS:
        abort(400, description="positions must be codepoints or utf16")
    try:
        qda, undecided = _read(data, positions)
    except AnalysisInputError as exc:
        abort(400, description=str(exc))
    target = request.form.get("target", "new")
    deidentified = request.form.get("deidentified") == "1"
    project_name = request.form.get("project_name", "")
    project_id = request.form.get("project_id", type=int) or 0
    clinic_id = request.form.get("clinic_id", type=int) or 0
    errors: list[str] = []
    if undecided:
        errors.append("Choose how the file counts positions: compare the quotes under each reading below.")
    user_map: dict[str, int | None] = {}
    valid_users = {u.id for u in _candidates()}
    for item in refi_import.user_summary(qda):
        if item["guid"] is None:
            continue
        raw = request.form.get(f"user-{item['guid']}", "")
        if raw and (not raw.isdigit() or int(raw) not in valid_users):
            errors.append(f"File user “{item['name']}”: choose a listed account or keep it as an imported coder.")
        user_map[item["guid"]] = int(raw) if raw.isdigit() and int(raw) in valid_users else None
    project = None
    if target == "existing":
        project = next((p for p in _empty_projects() if p.id == project_id), None)
        if project is None:
            errors.append("The chosen project is no longer an empty project you manage.")
    default_clinic = None
    if clinic_id:
        default_clinic = next((c for c in _clinics() if c.id == clinic_id), None)
        if default_clinic is None:
            errors.append("The chosen clinic is not one you can see.")
    source_names = {key.removeprefix("source-name-"): value for key, value in request.form.items()
                    if key.startswith("source-name-")}
    if not errors:
        storage().delete(key)  # committed with the import; restored by its rollback if the import fails
        try:
            result = refi_import.import_project(qda, current_user, user_map, _clinics(), default_clinic, project,
                                                project_name if target == "new" else None, deidentified=deidentified,
                                                source_names=source_names)
        except AnalysisInputError as exc:
            db.session.rollback()  # keeps the staged file for another try
            errors.append(str(exc))
        else:
            flash(f"Imported {result.documents} documents, {result.codes} codes and {result.codings} codings into "
                  f"“{result.project.name}”." + (f" {len(result.imported_coders)} file user(s) without an account "
                                                 "became imported coders." if result.imported_coders else "")
                  + " " + " ".join(result.reading_lines()), "success")
            return redirect(url_for("analysis.hub", qual_project_id=result.project.id))
    return _mapping_page(qda, token, target, project_name, project_id, clinic_id, errors, 400, undecided, positions,
                         deidentified, source_names)
