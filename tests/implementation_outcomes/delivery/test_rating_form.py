"""The fidelity rating form built for listening (issue 16.2): the session's recording stored by the platform and
played with HTTP Range requests (scoped, audited, never cached), each scale as choices with the scheme's anchors,
a note per scale and per session, labelled errors, "save and next", and the coder's queue paged 50 a row-page."""

from __future__ import annotations

import datetime as dt
import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app import audit_reads, media
from app.db import db
from app.models import AuditEvent
from app.storage import DatabaseStorage, StoredFile
from implementation_outcomes.delivery.models import (
    CodingAssignment,
    FidelityRating,
    MioSession,
    SessionRecording,
)
from implementation_outcomes.fidelity import load_fidelity_scheme
from tests.implementation_outcomes.delivery.test_fidelity_views import _recorded_sessions, _scores

# RFC 7233 §2.1 and §4.2 reason about a representation of 10,000 bytes; ours starts as a WAV file does
SIZE = 10_000
WAV = b"RIFF" + (SIZE - 8).to_bytes(4, "little") + b"WAVE" + bytes((i * 7) % 256 for i in range(SIZE - 12))
assert len(WAV) == SIZE


@pytest.fixture
def small_chunks(app):
    """Store in 1,000-byte chunks, so the range cases below cross chunk boundaries."""
    app.extensions["mio.storage"] = DatabaseStorage(chunk_size=1000)
    yield
    del app.extensions["mio.storage"]


def _assigned(world, add_participant, n_mothers=1, per_mother=3):
    sessions = [s for s in _recorded_sessions(world, add_participant, n_mothers=n_mothers, per_mother=per_mother)
                if s.audio_recorded]
    for s in sessions:
        db.session.add(CodingAssignment(clinic_id=s.clinic_id, coder_id=world.coder1.id, role="primary", batch=1,
                                        mio_session_id=s.id))
    db.session.commit()
    return sessions


def _upload(client, session_id, data=WAV, name="session.wav", mimetype="audio/wav"):
    return client.post(f"/outcomes/mio-sessions/{session_id}/recording",
                       data={"recording": (io.BytesIO(data), name, mimetype)}, content_type="multipart/form-data")


def test_range_requests_follow_rfc_7233(world, client_for, add_participant, small_chunks):
    target = _assigned(world, add_participant)[0]
    trial = client_for(world.trial_a)
    assert _upload(trial, target.id).status_code == 302
    url = f"/outcomes/mio-sessions/{target.id}/recording"
    coder = client_for(world.coder1)
    whole = coder.get(url)
    assert whole.status_code == 200 and whole.data == WAV
    assert (whole.headers["Accept-Ranges"], whole.headers["Content-Type"], whole.headers["Cache-Control"]) == (
        "bytes", "audio/wav", "no-store")
    assert "Content-Disposition" not in whole.headers  # played inline, not downloaded
    # (Range header, Content-Range, bytes): RFC 7233 §2.1's examples on 10,000 bytes, plus bytes=0-99
    cases = [("bytes=0-99", "bytes 0-99/10000", WAV[:100]),
             ("bytes=0-499", "bytes 0-499/10000", WAV[:500]),  # "The first 500 bytes"
             ("bytes=500-999", "bytes 500-999/10000", WAV[500:1000]),  # "The second 500 bytes"
             ("bytes=-500", "bytes 9500-9999/10000", WAV[9500:]),  # "The final 500 bytes" (suffix)
             ("bytes=9500-", "bytes 9500-9999/10000", WAV[9500:]),  # ... (open-ended)
             ("bytes=9990-20000", "bytes 9990-9999/10000", WAV[9990:])]  # a last-byte-pos past the end is cut
    for header, content_range, body in cases:
        part = coder.get(url, headers={"Range": header})
        assert part.status_code == 206, header
        assert part.headers["Content-Range"] == content_range, header
        assert int(part.headers["Content-Length"]) == len(body) and part.data == body, header
        assert part.headers["Cache-Control"] == "no-store"
    # RFC 7233 §4.4: a first-byte-pos at or past the end is unsatisfiable: 416 with "bytes */<length>"
    for header in ("bytes=10000-", "bytes=20000-20100"):
        refused = coder.get(url, headers={"Range": header})
        assert refused.status_code == 416 and refused.headers["Content-Range"] == "bytes */10000", header
        assert refused.data == b""


def test_recording_is_scoped_and_every_listen_is_audited(world, client_for, add_participant):
    first, second = _assigned(world, add_participant)[:2]
    assert _upload(client_for(world.trial_a), first.id).status_code == 302
    url = f"/outcomes/mio-sessions/{first.id}/recording"
    assert client_for(world.trial_b).get(url).status_code == 404  # another agency's session does not exist for them
    assert _upload(client_for(world.trial_b), first.id).status_code == 404
    assert client_for(world.coder2).get(url).status_code == 403  # a coder not assigned to it
    assert client_for(world.staff_a).get(url).status_code == 403  # agency staff do not see trial mothers' sessions
    assert client_for(world.trial_a).get(f"/outcomes/mio-sessions/{second.id}/recording").status_code == 404  # none
    before = db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)
                                .where(AuditEvent.action == "read")).scalar_one()
    coder = client_for(world.coder1)
    assert coder.get(url, headers={"Range": "bytes=0-99"}).status_code == 206
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "read")
                               .order_by(AuditEvent.id.desc())).scalars().first()
    assert (event.entity, event.entity_id, event.user_id) == ("delivery.recording_mio", f"mio_session_id={first.id}",
                                                              world.coder1.id)
    assert event.changes["what"]["new"] == "the audio recording of a MIO session"
    assert event.changes["range"]["new"] == "bytes=0-99"

    def reads() -> int:
        return db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.action == "read")).scalar_one()

    assert reads() == before + 1
    # the player seeks: more range requests of the same listen are covered by that row (one listen, one access) ...
    assert coder.get(url, headers={"Range": "bytes=5000-"}).status_code == 206
    assert coder.get(url).status_code == 200
    assert reads() == before + 1
    # ... another user's listen is theirs to record ...
    assert client_for(world.trial_a).get(url, headers={"Range": "bytes=0-"}).status_code == 206
    assert reads() == before + 2
    # ... and a listen after the window is a new access
    event.at = event.at - dt.timedelta(minutes=audit_reads.COALESCE_MINUTES + 1)
    db.session.commit()
    assert coder.get(url, headers={"Range": "bytes=100-199"}).status_code == 206
    assert reads() == before + 3


def test_upload_limits_name_the_rule_and_save_nothing(app, world, client_for, add_participant):
    target = _assigned(world, add_participant)[0]
    coder = client_for(world.coder1)  # the assigned coder may upload too; the refusal returns to the rating form
    cases = [(b"", "empty.wav", "audio/wav", "empty.wav is empty"),
             (b"hello world, not audio", "notes.txt", "text/plain", "notes.txt is text/plain; accepted: MP3"),
             (b"hello world, not audio", "fake.mp3", "audio/mpeg", "fake.mp3 is not a recording in an accepted format"),
             (WAV, "mislabelled.ogg", "audio/ogg", "mislabelled.ogg is not a recording in an accepted format")]
    for data, name, mimetype, message in cases:
        response = _upload(coder, target.id, data, name, mimetype)
        assert response.status_code == 302 and response.headers["Location"].endswith(
            f"/outcomes/fidelity/rate/mio/{target.id}")
        page = coder.get(response.headers["Location"]).get_data(as_text=True)
        assert "Recording: " + message in page, message
    app.config["MEDIA_MAX_BYTES"] = 5000
    try:
        response = _upload(coder, target.id)
        page = coder.get(response.headers["Location"]).get_data(as_text=True)
        assert "the largest recording accepted is 0.00476837 MB (MIO_MEDIA_MAX_MB)" in page
    finally:
        app.config["MEDIA_MAX_BYTES"] = media.DEFAULT_MAX_BYTES
    assert db.session.execute(sa.select(StoredFile)).first() is None
    assert db.session.execute(sa.select(SessionRecording)).first() is None
    # accepted formats by their first bytes (each format's signature, see app.media), whatever the declared type
    for head, kind in ((b"ID3\x04\x00", "audio/mpeg"), (b"\xff\xfb\x90\x00", "audio/mpeg"),
                       (b"\x00\x00\x00\x20ftypM4A ", "audio/mp4"), (b"OggS\x00\x02", "audio/ogg"),
                       (b"\x1a\x45\xdf\xa3\x01", "audio/webm"), (WAV[:16], "audio/wav")):
        assert media.check_upload(io.BytesIO(head + b"\x00" * 32), filename="x", declared_type="", limit=100) == kind
    # a new upload replaces the earlier one; the session is marked recorded
    assert _upload(client_for(world.trial_a), target.id).status_code == 302
    assert _upload(client_for(world.trial_a), target.id, b"OggS" + b"\x00" * 60, "second.ogg", "audio/ogg"
                   ).status_code == 302
    recording = db.session.execute(sa.select(SessionRecording)).scalar_one()
    assert (recording.filename, recording.content_type, recording.size) == ("second.ogg", "audio/ogg", 64)
    assert db.session.execute(sa.select(sa.func.count()).select_from(StoredFile)).scalar_one() == 1


def test_rating_form_plays_the_recording_offers_anchors_and_saves_notes(world, client_for, add_participant):
    first, second, third, fourth = _assigned(world, add_participant, n_mothers=1, per_mother=5)
    assert _upload(client_for(world.trial_a), first.id).status_code == 302
    coder = client_for(world.coder1)
    url = f"/outcomes/fidelity/rate/mio/{first.id}"
    page = coder.get(url).get_data(as_text=True)
    assert f'<audio controls preload="metadata" src="/outcomes/mio-sessions/{first.id}/recording"' in page
    scheme = load_fidelity_scheme()
    # every scale: five radio choices 1..5 with the scheme's anchor text
    for s in scheme["scales"]:
        assert len(re.findall(rf'type="radio" name="{s["key"]}" value="[1-5]"', page)) == 5, s["key"]
    for text in scheme["anchors"].values():
        assert f'<span class="anchor-text">{text}</span>' in page
    # a note too long: labelled error, nothing saved
    long_note = coder.post(url, data={**_scores(), "session_note": "x" * 2001})
    assert long_note.status_code == 400
    assert "Note on the session: the note is 2,001 characters; at most 2,000" in long_note.get_data(as_text=True)
    assert db.session.execute(sa.select(FidelityRating)).first() is None
    # notes saved with the rating; save and next goes to the next unrated session of the queue
    saved = coder.post(url, data={**_scores(), "note_ab_collaboration": "  Set the agenda together at 04:10. ",
                                  "note_ab_warmth": "   ", "session_note": "Audio faint after 30 min.",
                                  "then": "next"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/outcomes/fidelity/rate/mio/{second.id}")
    rating = db.session.execute(sa.select(FidelityRating)).scalar_one()
    assert rating.scale_notes == {"ab_collaboration": "Set the agenda together at 04:10."}
    assert rating.session_note == "Audio faint after 30 min."
    again = coder.get(url).get_data(as_text=True)
    assert "Set the agenda together at 04:10.</textarea>" in again
    assert 'name="ab_warmth" value="4" checked' in again
    # from the last session, "next" wraps to the oldest one still unrated; with none left, back to the queue
    wrapped = coder.post(f"/outcomes/fidelity/rate/mio/{fourth.id}", data={**_scores(), "then": "next"})
    assert wrapped.headers["Location"].endswith(f"/outcomes/fidelity/rate/mio/{second.id}")
    for s in (second, third):
        coder.post(f"/outcomes/fidelity/rate/mio/{s.id}", data={**_scores(), "then": "next"})
    done = coder.post(url, data={**_scores(), "then": "next"})
    assert done.headers["Location"].endswith("/outcomes/fidelity/queue")


def test_queue_lists_page_fifty_rows(world, client_for, add_participant):
    mother = add_participant(world.clinic_a, "SPR1-900", "started", arm="mio_tau", randomized_on=date(2026, 3, 2))
    sessions = [MioSession(clinic_id=world.clinic_a.id, participant_id=mother.id,
                           counselor_id=world.counselors_a[0].id, session_number=1 + k % 12,
                           session_date=date(2026, 3, 9) + timedelta(days=k), modality="in_person",
                           status="attended", audio_recorded=True) for k in range(120)]
    db.session.add_all(sessions)
    db.session.flush()
    db.session.add_all([CodingAssignment(clinic_id=world.clinic_a.id, coder_id=world.coder1.id, role="primary",
                                         batch=1, mio_session_id=s.id) for s in sessions])
    db.session.commit()
    coder = client_for(world.coder1)
    first = coder.get("/outcomes/fidelity/queue").get_data(as_text=True)
    assert "Rows 1–50 of 120, page 1 of 3" in first and "To rate (120)" in first
    assert first.count('<tr><th scope="row">SPR1-900</th>') == 50
    last = coder.get("/outcomes/fidelity/queue?list=to_rate&page=3").get_data(as_text=True)
    assert "Rows 101–120 of 120" in last and last.count('<tr><th scope="row">SPR1-900</th>') == 20
    rated = coder.get("/outcomes/fidelity/queue?list=rated").get_data(as_text=True)
    assert "Rated by you (0)" in rated and "No rows" in rated
    bad = coder.get("/outcomes/fidelity/queue?list=everything")
    assert bad.status_code == 400 and "list" in bad.get_data(as_text=True)


def test_trial_staff_upload_and_play_from_the_session_page(world, client_for, add_participant):
    target = _assigned(world, add_participant)[0]
    trial = client_for(world.trial_a)
    edit = f"/outcomes/mio-sessions/{target.id}/edit"
    assert "No recording of this session is stored on the platform yet." in trial.get(edit).get_data(as_text=True)
    stored = _upload(trial, target.id)
    assert stored.status_code == 302 and stored.headers["Location"].endswith(edit)
    page = trial.get(edit).get_data(as_text=True)
    assert "Stored the recording session.wav" in page
    assert f'src="/outcomes/mio-sessions/{target.id}/recording"' in page
    # deleting a session (refused once rated) takes its stored audio with it
    assert trial.post(f"/outcomes/mio-sessions/{target.id}/delete").status_code == 302
    assert db.session.execute(sa.select(SessionRecording)).first() is None
    assert db.session.execute(sa.select(StoredFile)).first() is None


def test_queue_says_which_sessions_have_their_recording(world, client_for, add_participant):
    first, second = _assigned(world, add_participant)[:2]
    _upload(client_for(world.trial_a), first.id)
    page = client_for(world.coder1).get("/outcomes/fidelity/queue").get_data(as_text=True)
    rows = re.findall(r"<tr><th scope=\"row\">.*?</tr>", page, re.S)
    assert len(rows) == 2
    assert "<td>stored</td>" in rows[0] and "<td>not yet uploaded</td>" in rows[1]


def test_training_case_recordings_are_kept_by_agency_staff_and_played_to_the_assigned_coder(world, client_for):
    from implementation_outcomes.delivery.models import TrainingCaseSession

    session = TrainingCaseSession(clinic_id=world.clinic_a.id, counselor_id=world.counselors_a[0].id, training_case=1,
                                  case_label="Case A", session_number=1, session_date=date(2026, 3, 2),
                                  modality="in_person", status="attended", audio_recorded=False)
    db.session.add(session)
    db.session.commit()
    url = f"/outcomes/training-case-sessions/{session.id}/recording"
    staff = client_for(world.staff_a)
    stored = staff.post(url, data={"recording": (io.BytesIO(WAV), "case-a.wav", "audio/wav")},
                        content_type="multipart/form-data")
    assert stored.headers["Location"].endswith(f"/outcomes/training-case-sessions/{session.id}/edit")
    assert db.session.get(TrainingCaseSession, session.id).audio_recorded  # storing it marks the session recorded
    assert staff.get(url).data == WAV
    assert f'src="{url}"' in staff.get(stored.headers["Location"]).get_data(as_text=True)  # the edit page plays it
    coder = client_for(world.coder1)
    assert coder.get(url).status_code == 403  # not assigned yet
    db.session.add(CodingAssignment(clinic_id=world.clinic_a.id, coder_id=world.coder1.id, role="primary", batch=1,
                                    training_case_session_id=session.id))
    db.session.commit()
    assert coder.get(url, headers={"Range": "bytes=-12"}).data == WAV[-12:]
    page = coder.get(f"/outcomes/fidelity/rate/training/{session.id}").get_data(as_text=True)
    assert f'src="{url}"' in page
    assert client_for(world.trial_b).get(url).status_code == 404


def test_a_recording_larger_than_the_site_wide_request_limit_is_accepted_up_to_the_media_limit(
        app, world, client_for, add_participant):
    """A 55-minute session at 64 kbit/s is about 26 MB: more than the site-wide MAX_CONTENT_LENGTH (25 MB) that every
    other form keeps. The recording routes accept up to MIO_MEDIA_MAX_MB; above it the 413 names the limit."""
    target = _assigned(world, add_participant)[0]
    trial = client_for(world.trial_a)
    site_limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 20_000  # scaled down: the recording (10,000 B) + a 15,000 B note > 20,000
    app.config["MEDIA_MAX_BYTES"] = 30_000
    try:
        big = WAV + bytes(12_000)
        response = _upload(trial, target.id, big)
        assert response.status_code == 302, response.status_code
        stored = db.session.execute(sa.select(SessionRecording)).scalar_one()
        assert stored.size == len(big) > app.config["MAX_CONTENT_LENGTH"]
        # other forms keep the site-wide limit, and the page says which limit was hit
        other = app.test_client().post("/auth/login", data={"email": "x@example.org", "password": "p" * 30_000})
        assert other.status_code == 413
        assert "at most 20 KB in one request" in other.get_data(as_text=True)
        app.config["MEDIA_MAX_BYTES"] = 1024 * 1024
        app.config["MAX_CONTENT_LENGTH"] = 1024
        huge = _upload(trial, target.id, WAV + bytes(3 * 1024 * 1024))
        assert huge.status_code == 413
        assert "at most 2 MB in one request. Nothing was saved." in huge.get_data(as_text=True)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = site_limit
        app.config["MEDIA_MAX_BYTES"] = media.DEFAULT_MAX_BYTES
