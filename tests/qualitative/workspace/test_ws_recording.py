"""Media (issue 17.7): a .vtt transcript keeps each turn's start and end time; the interview's recording attached
to the transcript (app.media: checked by signature, stored by app.storage) plays from any timed turn, with HTTP
Range, for readers of the project, audited as a read of participant data."""

from __future__ import annotations

import io

import sqlalchemy as sa

from app.db import db
from app.models import AuditEvent
from qualitative.models import DocumentTurn

SIZE = 4096
WAV = b"RIFF" + (SIZE - 8).to_bytes(4, "little") + b"WAVE" + bytes((i * 7) % 256 for i in range(SIZE - 12))


def test_vtt_turns_keep_start_and_end_times(import_text, sample_bytes):
    document = import_text("zoom.vtt", sample_bytes("focus_group_zoom.vtt"))
    first, second = db.session.execute(sa.select(DocumentTurn).where(DocumentTurn.document_id == document.id)
                                       .order_by(DocumentTurn.index).limit(2)).scalars().all()
    # cue 1 00:00:01.200 --> 00:00:05.800; cues 2 and 3 (the same speaker, one turn) 00:00:06.100 --> 00:00:12.450
    # and 00:00:12.450 --> 00:00:16.000: the turn runs from the first cue's start to the last one's end
    assert (first.timestamp_ms, first.end_ms) == (1200, 5800)
    assert (second.timestamp_ms, second.end_ms) == (6100, 16000)


def _upload(client, document, data: bytes, name: str = "interview.wav", mimetype: str = "audio/wav"):
    return client.post(f"/qualitative/documents/{document.id}/recording",
                       data={"recording": (io.BytesIO(data), name, mimetype)}, content_type="multipart/form-data")


def test_attach_play_from_a_turn_and_remove(import_text, sample_bytes, people, client, login):
    document = import_text("zoom.vtt", sample_bytes("focus_group_zoom.vtt"))
    login(people["coder"])
    page = client.get(f"/qualitative/documents/{document.id}").get_data(as_text=True)
    assert "Attach the interview&#39;s recording" in page or "Attach the interview's recording" in page
    refused = _upload(client, document, b"just some text, not audio", "notes.wav")
    assert refused.status_code == 400 and "recording: notes.wav is not a recording" in refused.get_data(as_text=True)
    db.session.refresh(document)
    assert not document.has_recording  # nothing half-saved
    assert _upload(client, document, WAV).status_code == 302
    db.session.refresh(document)
    assert (document.recording_content_type, document.recording_size, document.recording_filename) == (
        "audio/wav", SIZE, "interview.wav")
    page = client.get(f"/qualitative/documents/{document.id}").get_data(as_text=True)
    assert f'<audio id="ws-audio" controls preload="metadata" src="/qualitative/documents/{document.id}/recording"' in page
    assert 'data-play-ms="1200" data-end-ms="5800"' in page and 'data-play-ms="6100" data-end-ms="16000"' in page
    client.post("/auth/logout")
    login(people["reader"])  # read privilege: may listen
    played = client.get(f"/qualitative/documents/{document.id}/recording")
    assert played.status_code == 200 and played.data == WAV and played.mimetype == "audio/wav"
    assert played.headers["Cache-Control"] == "no-store"
    part = client.get(f"/qualitative/documents/{document.id}/recording", headers={"Range": "bytes=0-3"})
    assert part.status_code == 206 and part.data == b"RIFF"
    read = db.session.execute(sa.select(AuditEvent).where(AuditEvent.entity == "qualitative.document_recording")
                              .order_by(AuditEvent.id.desc())).scalars().first()
    assert read is not None and read.user_id == people["reader"].id
    assert _upload(client, document, WAV).status_code == 403  # readers cannot attach
    client.post("/auth/logout")
    login(people["outsider"])  # not a member
    assert client.get(f"/qualitative/documents/{document.id}/recording").status_code in (403, 404)
    client.post("/auth/logout")
    login(people["coder"])
    assert client.post(f"/qualitative/documents/{document.id}/recording/delete").status_code == 302
    db.session.refresh(document)
    assert not document.has_recording
    assert client.get(f"/qualitative/documents/{document.id}/recording").status_code == 404
