"""A trial world for the effectiveness pages: one agency and clinic (and a second agency), mothers in both arms,
one of them with a counselor and MIO sessions, and an account per role including the blinded outcome assessor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from app.db import db
from app.models import Clinic, Role, User
from implementation_outcomes.delivery.models import MioSession, TrialParticipant

COUNSELOR_MARKER = "ZZCOUNSELOR"


@dataclass
class EffWorld:
    clinic: Clinic
    clinic_b: Clinic
    mio: TrialParticipant
    tau: TrialParticipant
    consented: TrialParticipant
    other_agency: TrialParticipant
    trial: User
    trial_b: User
    director: User
    assessor: User


def participant(clinic, study_id, arm=None, status="randomized", counselor=None, randomized_on=date(2026, 1, 12),
                **kw) -> TrialParticipant:
    p = TrialParticipant(clinic=clinic, study_id=study_id, screened_on=date(2026, 1, 2),
                         consented_on=date(2026, 1, 5), status=status, arm=arm,
                         randomized_on=randomized_on if arm else None, allocation_source="external" if arm else None,
                         counselor=counselor, **kw)
    db.session.add(p)
    db.session.commit()
    return p


@pytest.fixture
def eff(app_ctx, factories) -> EffWorld:
    agency = factories.agency(name="Springfield Recovery", code="SPR")
    agency_b = factories.agency(name="Hampden Family Recovery", code="HFR")
    clinic = factories.clinic(agency, code="SPR-1", name="Main Street")
    clinic_b = factories.clinic(agency_b, code="HFR-1", name="Holyoke")
    counselor = factories.person(clinic, display_name=f"{COUNSELOR_MARKER} Counselor")
    mio = participant(clinic, "SPR1-001", "mio_tau", status="started", counselor=counselor)
    tau = participant(clinic, "SPR1-002", "tau")
    consented = participant(clinic, "SPR1-003", None, status="consented")
    other = participant(clinic_b, "HFR1-001", "tau")
    db.session.add(MioSession(clinic_id=clinic.id, participant=mio, counselor=counselor, session_number=1,
                              session_date=date(2026, 1, 20), duration_minutes=55, modality="in_person",
                              status="attended", audio_recorded=True))
    db.session.commit()
    return EffWorld(clinic=clinic, clinic_b=clinic_b, mio=mio, tau=tau, consented=consented, other_agency=other,
                    trial=factories.user(Role.TRIAL_STAFF, agency=agency),
                    trial_b=factories.user(Role.TRIAL_STAFF, agency=agency_b),
                    director=factories.user(Role.DIRECTOR), assessor=factories.user(Role.OUTCOME_ASSESSOR))


@pytest.fixture
def switch(client, login):
    """``switch(user)``: sign out whoever is signed in, then sign ``user`` in through the real form."""

    def do(user):
        client.post("/auth/logout")
        return login(user)

    return do
