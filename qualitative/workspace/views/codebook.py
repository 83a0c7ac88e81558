"""The codebook: tree with definitions, custom codes, versions (publish, list, download), CSV and .qdc exchange."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.db import db
from app.exports import csv_response
from app.security import roles_required
from qualitative.access import QUAL_ROLES, allows, code_for, project_for
from qualitative.codebook_io import CODEBOOK_COLUMNS, CodebookImportError
from qualitative.models import Privilege
from qualitative.workspace.blueprint import bp
from qualitative.workspace.forms import CodebookImportForm, CodeForm, ConfirmForm, PublishForm
from qualitative.workspace.services import codebook as service


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name).strip("-").lower()[:60] or "project"


def _csv_download(filename: str, rows: list[dict]) -> Response:
    """Through app.exports (formula guard, BOM), with the codebook CSV columns of ``qualitative.codebook_io``."""
    body = [[r["key"], r["name"], r["parent_key"] or "", r["kind"], "true" if r["codable"] else "false",
             r["colour"] or "", r["definition"], r["inclusion"], r["exclusion"], "; ".join(r["lexicon"] or [])]
            for r in rows]
    return csv_response(filename, CODEBOOK_COLUMNS, body)


@bp.route("/projects/<int:qual_project_id>/codebook")
@roles_required(*QUAL_ROLES)
def codebook(qual_project_id: int):
    project = project_for(current_user, qual_project_id)
    codes = service.codes(project)
    usage = service.usage(project, current_user)
    return render_template(
        "qualitative/codebook.html", project=project, tree=service.tree(codes), usage=usage,
        versions=service.versions(project)[:3], can_manage=allows(project.my_privilege, Privilege.MANAGE),
        publish_form=PublishForm(), confirm=ConfirmForm(), groups=service.groups(project),
    )


def _parent_choices(project, exclude=None):
    return [(0, "— top level —")] + [
        (c.id, ("  " * depth) + str(c)) for c, depth in service.tree(service.codes(project))
        if exclude is None or c.id != exclude.id]


def _code_data(form) -> dict:
    return {"key": form.key.data, "name": form.name.data, "parent_id": form.parent_id.data or None,
            "colour": form.colour.data, "codable": form.codable.data, "active": form.active.data,
            "definition": form.definition.data, "inclusion": form.inclusion.data,
            "exclusion": form.exclusion.data, "lexicon": form.lexicon.data}


@bp.route("/projects/<int:qual_project_id>/codes/new", methods=["GET", "POST"])
@roles_required(*QUAL_ROLES)
def code_new(qual_project_id: int):
    project = project_for(current_user, qual_project_id, Privilege.MANAGE)
    form = CodeForm()
    form.parent_id.choices = _parent_choices(project)
    if request.method == "GET":
        form.colour.data = service.next_colour(project)
        form.parent_id.data = request.args.get("parent", 0, type=int)
    if form.validate_on_submit():
        if service.key_taken(project, form.key.data):
            form.key.errors.append(f"The key {form.key.data.strip()} is already used in this codebook.")
        else:
            try:
                code = service.save_code(project, None, _code_data(form))
            except service.CodebookChangeError as exc:
                db.session.rollback()
                form.parent_id.errors.append(str(exc))
            else:
                flash(f"Added {code}. Publish a new version when the codebook is ready.", "success")
                return redirect(url_for("qualitative.codebook", qual_project_id=project.id) + f"#code-{code.id}")
    status = 400 if request.method == "POST" else 200
    return render_template("qualitative/code_form.html", project=project, form=form, code=None), status


@bp.route("/codes/<int:code_id>/edit", methods=["GET", "POST"])
@roles_required(*QUAL_ROLES)
def code_edit(code_id: int):
    code = code_for(current_user, code_id, Privilege.MANAGE)
    project = code.project
    form = CodeForm(obj=code)
    form.parent_id.choices = _parent_choices(project, exclude=code)
    if request.method == "GET":
        form.parent_id.data = code.parent_id or 0
        form.lexicon.data = "; ".join(code.lexicon or [])
        form.colour.data = code.colour or "#999999"
    if form.validate_on_submit():
        if service.key_taken(project, form.key.data, code.id):
            form.key.errors.append(f"The key {form.key.data.strip()} is already used in this codebook.")
        else:
            try:
                service.save_code(project, code, _code_data(form))
            except service.CodebookChangeError as exc:
                db.session.rollback()
                form.parent_id.errors.append(str(exc))
            else:
                flash(f"Saved {code}.", "success")
                return redirect(url_for("qualitative.codebook", qual_project_id=project.id) + f"#code-{code.id}")
    status = 400 if request.method == "POST" else 200
    return render_template("qualitative/code_form.html", project=project, form=form, code=code,
                           confirm=ConfirmForm()), status


@bp.route("/codes/<int:code_id>/delete", methods=["POST"])
@roles_required(*QUAL_ROLES)
def code_delete(code_id: int):
    code = code_for(current_user, code_id, Privilege.MANAGE)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    project_id, label = code.project_id, str(code)
    try:
        service.delete_code(code)
        flash(f"Deleted {label}.", "success")
    except service.CodebookChangeError as exc:
        flash(str(exc), "error")
    return redirect(url_for("qualitative.codebook", qual_project_id=project_id))


@bp.route("/projects/<int:qual_project_id>/codebook/publish", methods=["POST"])
@roles_required(*QUAL_ROLES)
def codebook_publish(qual_project_id: int):
    project = project_for(current_user, qual_project_id, Privilege.MANAGE)
    form = PublishForm()
    if not form.validate_on_submit():
        abort(400)
    version = service.publish_version(project, current_user, form.note.data)
    db.session.commit()
    flash(f"Published codebook version {version.version}.", "success")
    return redirect(url_for("qualitative.codebook_versions", qual_project_id=project.id))


@bp.route("/projects/<int:qual_project_id>/codebook/versions")
@roles_required(*QUAL_ROLES)
def codebook_versions(qual_project_id: int):
    project = project_for(current_user, qual_project_id)
    return render_template("qualitative/codebook_versions.html", project=project, versions=service.versions(project),
                           authors=service.version_authors(project))


@bp.route("/projects/<int:qual_project_id>/codebook/versions/<int:version>.csv")
@roles_required(*QUAL_ROLES)
def codebook_version_csv(qual_project_id: int, version: int):
    project = project_for(current_user, qual_project_id)
    snapshot = service.version_of(project, version) or abort(404)
    return _csv_download(f"{_slug(project.name)}-codebook-v{version}.csv", snapshot.snapshot)


@bp.route("/projects/<int:qual_project_id>/codebook.csv")
@roles_required(*QUAL_ROLES)
def codebook_csv(qual_project_id: int):
    project = project_for(current_user, qual_project_id)
    return _csv_download(f"{_slug(project.name)}-codebook.csv", service.rows(project))


@bp.route("/projects/<int:qual_project_id>/codebook.qdc")
@roles_required(*QUAL_ROLES)
def codebook_qdc(qual_project_id: int):
    project = project_for(current_user, qual_project_id)
    return Response(service.qdc_bytes(service.rows(project), service.groups(project)), mimetype="application/xml",
                    headers={"Content-Disposition": f"attachment; filename={_slug(project.name)}-codebook.qdc"})


@bp.route("/projects/<int:qual_project_id>/codebook/import", methods=["GET", "POST"])
@roles_required(*QUAL_ROLES)
def codebook_import(qual_project_id: int):
    project = project_for(current_user, qual_project_id, Privilege.MANAGE)
    form = CodebookImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        filename = upload.filename or ""
        data = upload.read()
        try:
            dotted = bool(form.dotted.data)
            groups: list[dict] = []
            if filename.lower().endswith(".qdc"):
                rows, groups = service.read_qdc_upload(project, data, dotted=dotted)
            elif filename.lower().endswith(".csv"):
                rows = service.read_csv_upload(data, dotted=dotted, project=project)
            else:
                raise CodebookImportError("use a .csv or a REFI-QDA .qdc file")
            added, updated = service.import_rows(project, rows)
            grouped = service.import_groups(project, groups)
        except CodebookImportError as exc:
            db.session.rollback()
            form.file.errors.append(f"{filename}: {exc}. Nothing was imported.")
        else:
            db.session.commit()
            flash(f"Imported {filename}: {added} code{'s' if added != 1 else ''} added, {updated} updated"
                  + (f", {grouped} code group{'s' if grouped != 1 else ''} (sets of the file)" if grouped else "")
                  + ". Publish a new version to freeze it.", "success")
            return redirect(url_for("qualitative.codebook", qual_project_id=project.id))
    status = 400 if request.method == "POST" else 200
    return render_template("qualitative/codebook_import.html", project=project, form=form), status
