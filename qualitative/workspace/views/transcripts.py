"""Transcripts: upload (a background job per batch), import reports, document attributes, speaker mapping and
participants."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.db import db
from app.jobs import enqueue
from app.models import Clinic
from app.paging import page_number
from app.security import roles_required
from app.storage import storage
from qualitative.access import (
    QUAL_ROLES,
    document_for,
    participant_for,
    project_for,
    scope,
)
from qualitative.models import Privilege
from qualitative.workspace.blueprint import bp
from qualitative.workspace.forms import ConfirmForm, DocumentForm, ParticipantForm, UploadForm
from qualitative.workspace.services import participants as people
from qualitative.workspace.services import transcripts as service
from qualitative.workspace.services.codebook import cfir_role_label, cfir_roles
from qualitative.workspace.services.naming import IdentifyingName


def clinic_choices() -> list[tuple[int, str]]:
    clinics = db.session.execute(scope(sa.select(Clinic).order_by(Clinic.code), Clinic)).scalars()
    return [(c.id, f"{c.code} {c.name}") for c in clinics]


def role_choices() -> list[tuple[str, str]]:
    return [("", "— not set —"), *cfir_roles()]


@bp.route("/projects/<int:qual_project_id>/upload", methods=["GET", "POST"])
@roles_required(*QUAL_ROLES)
def upload(qual_project_id: int):
    project = project_for(current_user, qual_project_id, Privilege.CODE)
    form = UploadForm()
    form.clinic_id.choices = [(0, "— choose —"), *clinic_choices()]
    if form.validate_on_submit():
        files = [f for f in form.files.data if f and f.filename]
        if not files:
            form.files.errors.append("Choose one or more files.")
        else:
            payload = {
                "project_id": project.id, "clinic_id": form.clinic_id.data, "kind": form.kind.data,
                "interview_date": form.interview_date.data.isoformat() if form.interview_date.data else None,
                "interviewer": (form.interviewer.data or "").strip() or None, "user_id": current_user.id,
            }
            problems = service.name_problems(files, form.clinic_id.data)
            if problems:  # ask for names first: the original file names are stored nowhere
                token, pending = service.stage_for_naming(current_user.id, files, problems, payload)
                db.session.commit()
                return render_template("qualitative/upload_names.html", project=project, token=token,
                                       files=pending["files"], problems={p["number"]: p for p in problems},
                                       errors={}, values={}, form=ConfirmForm())
            batch, saved = service.save_uploads(files)
            return _start_import(project, {**payload, "files": saved, "batch": batch})
    status = 400 if request.method == "POST" else 200
    return render_template("qualitative/upload.html", project=project, form=form), status


def _start_import(project, payload: dict):
    names = ", ".join(f["filename"] for f in payload["files"])
    job = enqueue(service.IMPORT_JOB, payload, title=f"Import {len(payload['files'])} transcript(s) into {project.name}"[:255],
                  user_id=current_user.id, result_url=url_for("qualitative.imports", qual_project_id=project.id))
    flash(f"Importing {names}.", "info")
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/projects/<int:qual_project_id>/upload/names", methods=["POST"])
@roles_required(*QUAL_ROLES)
def upload_names(qual_project_id: int):
    """The uploader's names for files whose names held identifiers (the proposal redacts them); then the import
    starts. "Cancel" deletes the staged files."""
    project = project_for(current_user, qual_project_id, Privilege.CODE)
    if not ConfirmForm().validate_on_submit():
        abort(400, description="The form has expired; upload the files again.")
    token = request.form.get("token", "")
    pending = service.pending_upload(current_user.id, token)
    if pending is None or pending.get("project_id") != project.id:
        abort(400, description="The upload has expired or is unknown; upload the files again.")
    if request.form.get("action") == "cancel":
        storage().delete_prefix(pending["batch"])
        service.discard_pending(current_user.id, token)
        db.session.commit()
        flash("Cancelled: the uploaded files were deleted.", "info")
        return redirect(url_for("qualitative.upload", qual_project_id=project.id))
    chosen = {}
    for key, value in request.form.items():
        if key.startswith("name-") and key[5:].isdigit():
            chosen[int(key[5:])] = value
    errors = service.confirm_names(pending, chosen)
    if errors:
        return render_template("qualitative/upload_names.html", project=project, token=token, files=pending["files"],
                               problems={}, errors=errors, values=chosen, form=ConfirmForm()), 400
    service.discard_pending(current_user.id, token)
    return _start_import(project, {k: pending[k] for k in ("project_id", "clinic_id", "kind", "interview_date",
                                                             "interviewer", "user_id", "files", "batch")})


@bp.route("/projects/<int:qual_project_id>/imports")
@roles_required(*QUAL_ROLES)
def imports(qual_project_id: int):
    project = project_for(current_user, qual_project_id)
    return render_template("qualitative/imports.html", project=project, jobs=service.import_jobs(project))


@bp.route("/documents/<int:document_id>/edit", methods=["GET", "POST"])
@roles_required(*QUAL_ROLES)
def document_edit(document_id: int):
    document = document_for(current_user, document_id, Privilege.CODE)
    form = DocumentForm(obj=document)
    form.clinic_id.choices = clinic_choices()
    proposal = None
    if form.validate_on_submit():
        try:
            service.update_attributes(document, {
                "name": form.name.data, "kind": form.kind.data, "clinic_id": form.clinic_id.data,
                "interview_date": form.interview_date.data, "interviewer": form.interviewer.data,
                # the same name sent again after its proposal was shown: the user has looked at it
                "confirmed": request.form.get("checked_name") == form.name.data})
        except IdentifyingName as exc:
            form.name.errors.append(str(exc))
            proposal = exc.proposal if any(not f.certain for f in exc.findings) else None
        except ValueError as exc:
            form.name.errors.append(str(exc))
        else:
            flash(f"Saved {document.name}.", "success")
            return redirect(url_for("qualitative.project", qual_project_id=document.project_id))
    status = 400 if request.method == "POST" else 200
    return render_template("qualitative/document_form.html", document=document, project=document.project,
                           form=form, confirm=ConfirmForm(), checked_name=form.name.data if proposal else None), status


@bp.route("/documents/<int:document_id>/delete", methods=["POST"])
@roles_required(*QUAL_ROLES)
def document_delete(document_id: int):
    document = document_for(current_user, document_id, Privilege.MANAGE)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    project_id, name = document.project_id, document.name
    service.delete_document(document)
    flash(f"Deleted {name} with its codings.", "success")
    return redirect(url_for("qualitative.project", qual_project_id=project_id))


# --- speakers and participants --------------------------------------------------------------------------------
@bp.route("/documents/<int:document_id>/speakers", methods=["GET", "POST"])
@roles_required(*QUAL_ROLES)
def speakers(document_id: int):
    """Map each speaker label to a participant: an existing one, a new one (pseudonym, CFIR role), or none."""
    document = document_for(current_user, document_id, Privilege.CODE)
    project = document.project
    page = people.speaker_page(document, page_number(request.args))
    rows = page.items
    existing = people.participants(project)
    errors: list[str] = []
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        choices: dict[str, dict] = {}
        for i, row in enumerate(rows):
            choice = request.form.get(f"choice-{i}", "")
            if choice == "new":
                try:
                    clinic_id = int(request.form.get(f"clinic-{i}") or document.clinic_id)
                except ValueError:
                    clinic_id = document.clinic_id
                choices[row.label] = {"new": {"pseudonym": request.form.get(f"pseudonym-{i}", ""),
                                              "cfir_role": request.form.get(f"role-{i}") or None,
                                              "clinic_id": clinic_id}}
            elif choice.isdigit():
                choices[row.label] = {"participant_id": int(choice)}
            else:
                choices[row.label] = {}
        try:
            changed = people.map_speakers(project, document, choices)
        except people.ParticipantError as exc:
            db.session.rollback()
            errors.append(str(exc))
        else:
            flash(f"Saved the speaker mapping ({changed} turn{'s' if changed != 1 else ''} changed).", "success")
            if page.has_next:
                return redirect(url_for("qualitative.speakers", document_id=document.id, page=page.next_num))
            return redirect(url_for("qualitative.workspace", document_id=document.id))
    taken: set[str] = set()
    suggestions = []
    pseudonyms = people.pseudonyms_taken(project)
    for row in rows:
        suggestion = people.suggested_pseudonym(project, document, row.label, taken, pseudonyms)
        taken.add(suggestion.lower())
        suggestions.append(suggestion)
    return render_template(
        "qualitative/speakers.html", document=document, project=project, rows=rows, page=page, participants=existing,
        suggestions=suggestions, roles=role_choices(), role_label=cfir_role_label, clinics=clinic_choices(),
        is_interviewer=people.is_interviewer, suggested_role=people.suggested_role,
        errors=errors, form=ConfirmForm(), values=request.form,
    ), (400 if errors else 200)


@bp.route("/projects/<int:qual_project_id>/participants", methods=["GET", "POST"])
@roles_required(*QUAL_ROLES)
def participants(qual_project_id: int):
    project = project_for(current_user, qual_project_id)
    form = ParticipantForm()
    form.clinic_id.choices = [(0, "— choose —"), *clinic_choices()]
    form.cfir_role.choices = role_choices()
    if request.method == "POST":
        project_for(current_user, qual_project_id, Privilege.CODE)
        if form.validate_on_submit():
            try:
                participant = people.create_participant(project, form.pseudonym.data, form.clinic_id.data,
                                                        form.cfir_role.data, form.description.data)
                db.session.commit()
            except people.ParticipantError as exc:
                db.session.rollback()
                form.pseudonym.errors.append(str(exc))
            else:
                flash(f"Added participant {participant.pseudonym}.", "success")
                return redirect(url_for("qualitative.participants", qual_project_id=project.id))
    status = 400 if request.method == "POST" else 200
    return render_template("qualitative/participants.html", project=project, form=form,
                           participants=people.participants(project), counts=people.turn_counts(project),
                           role_label=cfir_role_label), status


@bp.route("/participants/<int:participant_id>/edit", methods=["GET", "POST"])
@roles_required(*QUAL_ROLES)
def participant_edit(participant_id: int):
    participant = participant_for(current_user, participant_id, Privilege.CODE)
    project = project_for(current_user, participant.project_id, Privilege.CODE)
    form = ParticipantForm(obj=participant)
    form.clinic_id.choices = clinic_choices()
    form.cfir_role.choices = role_choices()
    if form.validate_on_submit():
        try:
            people.update_participant(participant, project, {
                "pseudonym": form.pseudonym.data, "clinic_id": form.clinic_id.data,
                "cfir_role": form.cfir_role.data, "description": form.description.data})
        except people.ParticipantError as exc:
            db.session.rollback()
            form.pseudonym.errors.append(str(exc))
        else:
            flash(f"Saved {participant.pseudonym}.", "success")
            return redirect(url_for("qualitative.participants", qual_project_id=project.id))
    status = 400 if request.method == "POST" else 200
    return render_template("qualitative/participant_form.html", project=project, participant=participant,
                           form=form), status
