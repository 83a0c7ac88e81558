"""The overview page's number of SQL queries does not grow with the number of clinics (set-based services: one
grouped query per figure for all clinics, no per-clinic loop), counted with SQLAlchemy's before_cursor_execute."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app.db import db
from app.models import Role
from implementation_outcomes.delivery.models import FidelityRating, MioSession, TrialParticipant
from implementation_outcomes.fidelity import load_fidelity_scheme
from implementation_outcomes.implementation.models import ActivityCompletion, AdoptionStep
from implementation_outcomes.stages import load_activity_catalogue


def _clinic_with_data(factories, agency, n: int):
    clinic = factories.clinic(agency, code=f"Q-{n}")
    counselor = factories.person(clinic, display_name=f"Counselor {n}")
    mother = TrialParticipant(clinic_id=clinic.id, study_id=f"Q{n}-001", screened_on=date(2026, 3, 2),
                              status="randomized", consented_on=date(2026, 3, 3), randomized_on=date(2026, 3, 4),
                              arm="mio_tau", allocation_source="external", counselor_id=counselor.id)
    db.session.add(mother)
    db.session.flush()
    session = MioSession(clinic_id=clinic.id, participant_id=mother.id, counselor_id=counselor.id, session_number=1,
                         session_date=date(2026, 3, 10), duration_minutes=55, modality="in_person", status="attended",
                         audio_recorded=True)
    db.session.add(session)
    db.session.add(AdoptionStep(person_id=counselor.id, step="invited", reached_on=date(2026, 1, 5)))
    first_activity = load_activity_catalogue()["stages"][0]["activities"][0]["key"]
    db.session.add(ActivityCompletion(clinic_id=clinic.id, activity_key=first_activity,
                                      completed_on=date(2026, 1, 5)))
    db.session.flush()
    return session


def _queries_for_overview(client) -> int:
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    db.session.expire_all()  # both measurements start from an empty identity map (the user is loaded each time)
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get("/outcomes/overview/")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return statements


def test_overview_queries_do_not_grow_with_clinics(app_ctx, factories, client, login):
    scores = {s["key"]: 4 for s in load_fidelity_scheme()["scales"]}
    agency = factories.agency(code="QA")
    coder = factories.user(Role.FIDELITY_CODER)
    director = factories.user(Role.DIRECTOR)

    def add(n: int) -> None:
        session = _clinic_with_data(factories, agency, n)
        db.session.add(FidelityRating(clinic_id=session.clinic_id, source="coder", coder_id=coder.id, scheme_version=0,
                                      scores=scores, rated_on=date(2026, 3, 11), mio_session_id=session.id))
        db.session.commit()

    for n in range(2):
        add(n)
    login(director)
    with_two = _queries_for_overview(client)
    for n in range(2, 6):
        add(n)
    with_six = _queries_for_overview(client)
    assert len(with_two) == len(with_six), [s[:150] for s in with_six]
