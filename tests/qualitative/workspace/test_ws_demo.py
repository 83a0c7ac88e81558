"""The demo seeder: the project, twelve transcripts through the real parsers and de-identification, participants
with CFIR roles, and overlapping codings by both analysts."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.db import db
from qualitative.models import Coding, Document, DocumentTurn, Participant, ProjectMember, RedactionProposal
from qualitative.workspace.demo import CODINGS, DOUBLE_CODED, TRANSCRIPTS, demo_codings_done, demo_project


def _seed(monkeypatch):
    import app.demo as demo
    from qualitative.workspace.demo import seed_workspace_demo

    monkeypatch.setattr(demo, "hash_password", lambda password: "not-a-real-hash")  # speed: no argon2 here
    ctx = demo._seed_organisation()
    db.session.commit()
    assert not demo_codings_done(ctx) and demo_project(ctx) is None
    seed_workspace_demo(ctx)
    db.session.commit()
    return ctx


def test_demo_project_is_complete_and_deterministic(app_ctx, monkeypatch):
    ctx = _seed(monkeypatch)
    assert demo_codings_done(ctx)
    project = demo_project(ctx)
    assert project.name == "MIO implementation interviews 2026"
    members = {m.user.email: m.privilege for m in db.session.execute(sa.select(ProjectMember)).scalars()}
    assert members == {"analyst@mio.example": "manage", "analyst2@mio.example": "code", "director@mio.example": "read"}
    documents = db.session.execute(sa.select(Document).order_by(Document.id)).scalars().all()
    assert len(documents) == len(TRANSCRIPTS) == 12
    assert {d.source_format for d in documents} == {"zoom_vtt", "otter_txt", "plain_txt"}
    assert {d.kind for d in documents} == {"interview", "focus-group"}
    assert all(d.deidentification == "applied" for d in documents)
    assert not db.session.execute(sa.select(RedactionProposal)).first()
    everything = " ".join(d.text for d in documents)
    for name in ("Dana", "Rosa", "Tamika", "Jordan", "Morgan", "Brianna", "Sam", "413-555-0142"):
        assert not re.search(rf"\b{name}\b", everything), name
    assert "[supervisor]" in everything and "[PHONE]" in everything and "MIO-trained" in everything

    # every participant turn is mapped; interviewers and facilitators are not participants
    turns = db.session.execute(sa.select(DocumentTurn)).scalars().all()
    for turn in turns:
        assert (turn.participant_id is None) == (turn.speaker in ("Interviewer", "Facilitator")), turn.speaker
    roles = dict(db.session.execute(sa.select(Participant.pseudonym, Participant.cfir_role)).all())
    assert roles["SPR-1 supervisor"] == "IV.ROLE.B" and roles["HFR-2 program director"] == "IV.ROLE.A"
    assert roles["HFR-1 counselor 2"] == "IV.ROLE.H" and len(roles) == 14

    # both analysts code; the double-coded transcripts overlap but do not agree perfectly
    analyst, analyst2 = ctx.users["analyst@mio.example"].id, ctx.users["analyst2@mio.example"].id
    codings = db.session.execute(sa.select(Coding)).scalars().all()
    by_coder = {analyst: [c for c in codings if c.coder_id == analyst], analyst2: [c for c in codings if c.coder_id == analyst2]}
    assert len(by_coder[analyst]) == sum(len(keys) for plan in CODINGS.values() for _, keys in plan)
    assert 0.6 * sum(len(k) for s in DOUBLE_CODED for _, k in CODINGS[s]) < len(by_coder[analyst2])
    double_ids = set(ctx.extras["qualitative.workspace"]["double_coded"])
    assert {c.document_id for c in by_coder[analyst2]} == double_ids
    first = {(c.document_id, c.code_id, c.start, c.end) for c in by_coder[analyst]}
    second = {(c.document_id, c.code_id, c.start, c.end) for c in by_coder[analyst2]}
    assert first & second and second - first  # some exact agreement, some differences
    overlapping = sum(1 for c in by_coder[analyst2] if any(
        a.document_id == c.document_id and a.code_id == c.code_id and a.start < c.end and c.start < a.end
        for a in by_coder[analyst]))
    assert overlapping >= 0.7 * len(by_coder[analyst2])
    for coding in codings:  # every coding lies inside one utterance
        assert any(t.document_id == coding.document_id and t.start <= coding.start and coding.end <= t.end for t in turns)

    # the clinics sound different: SPR-1 well resourced, HFR-2 strained
    text = {d.name: d.text for d in documents}
    assert "protected hours" in text["spr1_supervisor_interview"] and "stretched thin" in text["hfr2_supervisor_interview"]
