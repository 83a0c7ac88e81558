"""A transcript's recording: attach (code privilege), remove, and play it (read privilege; audited as a read of
participant data, ``app.audit_reads``) with HTTP Range so the player can start at any turn."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask import request as flask_request
from flask_login import current_user
from flask_wtf import FlaskForm

from app import media
from app.security import roles_required
from qualitative.access import QUAL_ROLES, allows, document_for
from qualitative.models import Privilege
from qualitative.workspace.blueprint import bp
from qualitative.workspace.services import recordings as service
from qualitative.workspace.services.deidentify import PENDING


@bp.route("/documents/<int:document_id>/recording", methods=["GET", "POST"])
@media.upload_view
@roles_required(*QUAL_ROLES)
def document_recording(document_id: int):
    """GET plays the recording; POST attaches one. One rule for both methods: with two rules on one path, an id
    too large for the database (2^63) answered POST with 405 instead of 404."""
    if flask_request.method == "POST":
        return _upload(document_id)
    document = document_for(current_user, document_id)
    if not document.has_recording:
        abort(404)
    if document.deidentification == PENDING and not allows(document.project.my_privilege, Privilege.CODE):
        abort(403)  # as the transcript: readers wait for the de-identification review
    return media.play(document.recording_key)


def _upload(document_id: int):
    document = document_for(current_user, document_id, Privilege.CODE)
    if not FlaskForm().validate_on_submit():
        abort(400)
    upload = flask_request.files.get("recording")
    if upload is None or not upload.filename:
        abort(400, description="recording: choose the interview's audio file.")
    try:
        service.attach(document, upload.stream, upload.filename, upload.mimetype)
    except service.RecordingError as exc:
        abort(exc.status, description=f"recording: {exc}")
    flash(f"Attached the recording {document.recording_filename or ''} ({media.human_size(document.recording_size)}); "
          f"{service.timed_turns(document)} turns can play from their start.", "success")
    return redirect(url_for("qualitative.workspace", document_id=document.id))


@bp.route("/documents/<int:document_id>/recording/delete", methods=["POST"])
@roles_required(*QUAL_ROLES)
def document_recording_delete(document_id: int):
    document = document_for(current_user, document_id, Privilege.CODE)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if document.has_recording:
        service.remove(document)
        flash("Removed the recording.", "success")
    return redirect(url_for("qualitative.workspace", document_id=document.id))
