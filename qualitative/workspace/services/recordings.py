"""An interview's recording attached to its transcript: checked and stored by ``app.media`` (the same storage and
checks as the fidelity session recordings), played from any speaker turn that carries its start time (.vtt and
.srt cues keep ``timestamp_ms``/``end_ms`` per turn). The views authorise (``document_for``) and audit the reads."""

from __future__ import annotations

from typing import BinaryIO

import sqlalchemy as sa

from app import media
from app.db import db
from app.storage import storage
from qualitative.models import Document, DocumentTurn


class RecordingError(ValueError):
    """An upload refused; the message names the file and the rule."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def attach(document: Document, stream: BinaryIO, filename: str | None, declared_type: str | None) -> Document:
    """Check and store the upload as the document's recording (replacing an earlier one), all or nothing."""
    try:
        info = media.store_upload(document.recording_key, stream, filename=filename, declared_type=declared_type)
    except media.MediaRefused as exc:
        db.session.rollback()
        raise RecordingError(str(exc), getattr(exc, "status", 400)) from exc
    document.recording_content_type, document.recording_size = info.content_type, info.size
    document.recording_filename = (filename or "")[:255] or None
    db.session.commit()
    return document


def remove(document: Document) -> None:
    storage().delete(document.recording_key)
    document.recording_content_type = document.recording_size = document.recording_filename = None
    db.session.commit()


def timed_turns(document: Document) -> int:
    """How many of the document's turns carry a start time in the recording (one COUNT)."""
    return db.session.scalar(sa.select(sa.func.count(DocumentTurn.id)).where(
        DocumentTurn.document_id == document.id, DocumentTurn.timestamp_ms.is_not(None)))
