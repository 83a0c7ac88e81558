"""Session recordings: the audio of a MIO or training-case session, kept by the platform (``app.storage``) and
checked and played by ``app.media``. Who may listen or upload is decided here (``may_listen``), the scope by the
session lookup (``get_scoped_or_404``); the views audit the read (``app.audit_reads``)."""

from __future__ import annotations

from typing import BinaryIO

import sqlalchemy as sa

from app import media
from app.db import db
from app.models import Role, User
from app.security import get_scoped_or_404
from app.storage import storage
from implementation_outcomes.delivery.models import CodingAssignment, SessionRecording
from implementation_outcomes.delivery.services.common import DeliveryError
from implementation_outcomes.delivery.services.fidelity import SESSION_MODELS

#: roles that may listen to and upload a session's recording besides its assigned coders (scoped to their agency)
STAFF_ROLES = {"mio": (Role.TRIAL_STAFF, Role.DIRECTOR),
               "training": (Role.AGENCY_STAFF, Role.TRIAL_STAFF, Role.DIRECTOR)}


def _column(model, kind: str):
    return model.mio_session_id if kind == "mio" else model.training_case_session_id


def storage_key(session) -> str:
    return f"session-audio/{session.kind}/{session.id}"


def session_for(kind: str, session_id: int, user: User):
    """The session in ``user``'s scope (404 outside it) if ``user`` may hear its recording: staff of the session's
    agency in ``STAFF_ROLES``, or a fidelity coder assigned to it; else ``None`` (the view answers 403)."""
    session = get_scoped_or_404(SESSION_MODELS[kind], session_id, user)
    if user.role in STAFF_ROLES[kind]:
        return session
    if user.role == Role.FIDELITY_CODER and db.session.execute(sa.select(CodingAssignment.id).where(
            _column(CodingAssignment, kind) == session.id, CodingAssignment.coder_id == user.id)).first():
        return session
    return None


def recording_of(session) -> SessionRecording | None:
    return db.session.execute(sa.select(SessionRecording).where(
        _column(SessionRecording, session.kind) == session.id)).scalar_one_or_none()


def save_recording(session, stream: BinaryIO, filename: str | None, declared_type: str | None,
                   user: User) -> SessionRecording:
    """Check and store the upload as the session's recording (replacing an earlier one), all or nothing. Only an
    attended session has a recording; storing one marks the session audio-recorded."""
    if not session.attended:
        raise DeliveryError({"recording": "only an attended session has a recording"})
    try:
        info = media.store_upload(storage_key(session), stream, filename=filename, declared_type=declared_type)
    except media.MediaRefused as exc:
        db.session.rollback()
        raise DeliveryError({"recording": str(exc)}) from exc
    recording = recording_of(session)
    if recording is None:
        recording = SessionRecording(clinic_id=session.clinic_id, storage_key=info.key,
                                     **{"mio_session_id" if session.kind == "mio" else "training_case_session_id":
                                        session.id})
        db.session.add(recording)
    recording.content_type, recording.size, recording.filename = info.content_type, info.size, (filename or "")[:255]
    recording.uploaded_by_id = user.id
    session.audio_recorded = True
    db.session.commit()
    return recording


def delete_recording(session) -> None:
    """Part of deleting a session (the caller commits): its recording row and stored audio."""
    recording = recording_of(session)
    if recording is not None:
        storage().delete(recording.storage_key)
        db.session.delete(recording)
