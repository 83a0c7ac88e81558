"""EXPLAIN of the platform's hot queries (the statements behind the clinic drill-down, the coding workspace,
agreement, the readiness profile, public survey links, the audit trail and the job queue), with parameters taken
from the scale dataset (``mio generate-scale``). Meant for PostgreSQL; on SQLite it prints EXPLAIN QUERY PLAN.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

from app.db import db
from app.scale.bulk import SCALE_AGENCY_PREFIX, SCALE_EMAIL_DOMAIN, SCALE_PROJECT_PREFIX

HOT_QUERIES: dict[str, str] = {
    "screening log of a clinic": (
        "SELECT * FROM trial_participant WHERE clinic_id = :clinic ORDER BY study_id"),
    "sessions list of a clinic": (
        "SELECT s.* FROM mio_session s JOIN trial_participant p ON p.id = s.participant_id "
        "WHERE s.clinic_id = :clinic AND p.clinic_id = :clinic ORDER BY p.study_id, s.session_number, s.session_date"),
    "sessions list of a clinic, without the implied participant filter (before)": (
        "SELECT s.* FROM mio_session s JOIN trial_participant p ON p.id = s.participant_id "
        "WHERE s.clinic_id = :clinic ORDER BY p.study_id, s.session_number, s.session_date"),
    "feasibility: sessions of one mother": (
        "SELECT count(*) FROM mio_session WHERE participant_id = :participant AND status = 'attended'"),
    "coding queue: recorded sessions of a clinic not yet assigned": (
        "SELECT s.id FROM mio_session s WHERE s.clinic_id = :clinic AND s.status = 'attended' "
        "AND s.audio_recorded AND NOT EXISTS (SELECT 1 FROM coding_assignment a WHERE a.mio_session_id = s.id)"),
    "fidelity ratings of a clinic": (
        "SELECT * FROM fidelity_rating WHERE clinic_id = :clinic AND source = 'coder' ORDER BY id"),
    "a session's ratings (rate page, duplicate check)": (
        "SELECT id FROM fidelity_rating WHERE mio_session_id = :session AND source = 'coder'"),
    "fidelity coder's own ratings": (
        "SELECT * FROM fidelity_rating WHERE coder_id = :coder AND source = 'coder'"),
    "public survey link by token": (
        "SELECT * FROM survey_link WHERE token_hash = :token_hash"),
    "readiness profile: submitted scores of a clinic's waves": (
        "SELECT sc.subscale, sc.score FROM score sc JOIN survey_response r ON r.id = sc.survey_response_id "
        "JOIN survey_link l ON l.id = r.survey_link_id JOIN survey_wave w ON w.id = l.survey_wave_id "
        "WHERE w.clinic_id = :clinic AND r.status = 'submitted'"),
    "coding workspace: one coder's codings of a document": (
        "SELECT * FROM qual_coding WHERE document_id = :document AND coder_id = :analyst ORDER BY start, \"end\""),
    "agreement: all codings of a project": (
        "SELECT c.document_id, c.code_id, c.coder_id, c.start, c.\"end\" FROM qual_coding c "
        "JOIN qual_document d ON d.id = c.document_id WHERE d.project_id = :project"),
    "project documents list": (
        "SELECT id, name, clinic_id, kind FROM qual_document WHERE project_id = :project ORDER BY name"),
    "audit history of one row": (
        "SELECT * FROM audit_event WHERE entity = 'TrialParticipant' AND entity_id = :participant_text "
        "ORDER BY at DESC"),
    "sign-in throttling: recent failures of an e-mail": (
        "SELECT at FROM login_attempt WHERE email = 'director@mio.example' AND NOT success "
        "AND at > now() - interval '15 minutes' ORDER BY at"),
    "job queue: interrupted jobs": (
        "SELECT * FROM job WHERE status IN ('queued', 'running')"),
}


def parameters() -> dict:
    """Ids from the scale dataset (the first scale clinic, its first mother, ...)."""
    q = db.session.execute
    clinic = q(sa.text("SELECT id FROM clinic WHERE code = :c"), {"c": f"{SCALE_AGENCY_PREFIX}001-1"}).scalar()
    if clinic is None:
        raise LookupError("No scale data: run `mio generate-scale` first.")
    participant = q(sa.text("SELECT min(id) FROM trial_participant WHERE clinic_id = :c AND arm = 'mio_tau'"),
                    {"c": clinic}).scalar()
    project = q(sa.text("SELECT id FROM qual_project WHERE name = :n"), {"n": f"{SCALE_PROJECT_PREFIX}001"}).scalar()
    return {
        "clinic": clinic, "participant": participant, "participant_text": str(participant), "project": project,
        "session": q(sa.text("SELECT min(mio_session_id) FROM fidelity_rating WHERE clinic_id = :c"),
                     {"c": clinic}).scalar(),
        "coder": q(sa.text("SELECT id FROM user_account WHERE email = :e"),
                   {"e": f"coder1{SCALE_EMAIL_DOMAIN}"}).scalar(),
        "analyst": q(sa.text("SELECT id FROM user_account WHERE email = :e"),
                     {"e": f"analyst1{SCALE_EMAIL_DOMAIN}"}).scalar(),
        "document": q(sa.text("SELECT min(id) FROM qual_document WHERE project_id = :p"), {"p": project}).scalar(),
        "token_hash": q(sa.text("SELECT token_hash FROM survey_link ORDER BY id DESC LIMIT 1")).scalar(),
    }


def explain_all(analyze: bool = False) -> Iterator[tuple[str, str]]:
    postgresql = db.engine.dialect.name == "postgresql"
    params = parameters()
    prefix = ("EXPLAIN (ANALYZE, BUFFERS OFF) " if analyze else "EXPLAIN ") if postgresql else "EXPLAIN QUERY PLAN "
    for name, sql in HOT_QUERIES.items():
        statement = sa.text(prefix + sql)
        used = {k: v for k, v in params.items() if f":{k}" in sql}
        rows = db.session.execute(statement, used).all()
        plan = "\n".join(str(r[0]) if postgresql else f"{r[-1]}" for r in rows)
        yield name, plan
    db.session.rollback()
