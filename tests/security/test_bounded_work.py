"""Bounded work per request (issue 14, item 5): an 8 MB transcript of 300,000 one-line turns imported in 40 s and
its page was 165 MB of HTML; a 100,000-row screening log imported in one 43 s request. One transcript is now bounded
in turns, speaker labels and characters, and one screening-log import in rows, each refusal naming the limit; the
limits are configuration values."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from app.db import db
from app.models import Role
from qualitative.parsers import TranscriptFormatError, TranscriptLimits, parse_transcript


def _plain(turns: int, speakers: int = 2) -> bytes:
    return "\n".join(f"Speaker{i % speakers}: line {i}" for i in range(turns)).encode()


def test_a_transcript_over_the_turn_limit_is_refused_naming_it():
    assert len(parse_transcript("a.txt", _plain(20), limits=TranscriptLimits(turns=20)).turns) == 20
    with pytest.raises(TranscriptFormatError, match="a.txt: 21 turns is over the 20-turn limit"):
        parse_transcript("a.txt", _plain(21), limits=TranscriptLimits(turns=20))


def test_a_transcript_over_the_speaker_limit_is_refused_naming_it():
    assert len(parse_transcript("a.txt", _plain(12, 6), limits=TranscriptLimits(speakers=6)).speakers) == 6
    with pytest.raises(TranscriptFormatError, match="7 different speaker labels is over the 6-speaker limit"):
        parse_transcript("a.txt", _plain(14, 7), limits=TranscriptLimits(speakers=6))


def test_a_transcript_over_the_character_limit_is_refused_naming_it():
    data = ("A: " + "word " * 400).encode()
    text = parse_transcript("a.txt", data).text
    with pytest.raises(TranscriptFormatError, match=f"{len(text):,} characters is over the 1,000-character limit"):
        parse_transcript("a.txt", data, limits=TranscriptLimits(chars=1000))


def test_the_importer_reads_the_limits_from_configuration(app, app_ctx, factories, monkeypatch):
    from qualitative.models import Document, QualProject
    from qualitative.workspace.services.transcripts import ImportSettings, import_one

    monkeypatch.setitem(app.config, "QUAL_MAX_TRANSCRIPT_TURNS", 10)
    clinic = factories.clinic()
    user = factories.user(Role.ANALYST)
    project = QualProject(name="Bounded")
    db.session.add(project)
    db.session.commit()
    settings = ImportSettings(project_id=project.id, clinic_id=clinic.id, kind="interview", user_id=user.id)
    refused = import_one(settings, "long.txt", _plain(11))
    assert not refused.ok and "11 turns is over the 10-turn limit" in refused.error
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0
    assert import_one(settings, "short.txt", _plain(10)).ok


def test_a_screening_log_over_the_row_limit_is_a_400_with_nothing_saved(app, populated, login, client, monkeypatch):
    from implementation_outcomes.delivery.models import TrialParticipant
    from implementation_outcomes.delivery.screening_log import COLUMNS

    monkeypatch.setitem(app.config, "SCREENING_IMPORT_MAX_ROWS", 3)
    clinic = populated["clinic"]

    def body(n: int) -> bytes:
        lines = [",".join(COLUMNS)]
        for i in range(n):
            row = {"study_id": f"WLK-{500 + i}", "screened_on": "2026-03-02", "status": "declined",
                   "reason": "Too busy / scheduling"}
            lines.append(",".join(row.get(c, "") for c in COLUMNS))
        return ("\r\n".join(lines) + "\r\n").encode()

    before = db.session.scalar(sa.select(sa.func.count()).select_from(TrialParticipant))
    login(populated["users"][Role.TRIAL_STAFF])
    url = f"/outcomes/clinics/{clinic.id}/screening-log/import"
    response = client.post(url, data={"file": (io.BytesIO(body(4)), "log.csv")}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "more than 3 data rows (row 5 is one too many)" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrialParticipant)) == before
    ok = client.post(url, data={"file": (io.BytesIO(body(3)), "log.csv")}, content_type="multipart/form-data")
    assert ok.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrialParticipant)) == before + 3
