"""Two agencies with one clinic each, counselors, and an account per role; ``client_for(user)`` signs a fresh test
client in through the real login form, so a test can act as several people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from flask import g
from flask.testing import FlaskClient

from app.db import db
from app.models import Agency, Clinic, Person, Role, User
from implementation_outcomes.delivery.models import TrialParticipant
from tests.conftest import TEST_PASSWORD


@dataclass
class World:
    agency_a: Agency
    agency_b: Agency
    clinic_a: Clinic
    clinic_b: Clinic
    counselors_a: list[Person]
    counselors_b: list[Person]
    trial_a: User
    trial_b: User
    staff_a: User
    director: User
    coder1: User
    coder2: User


@pytest.fixture
def world(app_ctx, factories) -> World:
    agency_a = factories.agency(name="Springfield Recovery", code="SPR")
    agency_b = factories.agency(name="Hampden Family Recovery", code="HFR")
    clinic_a = factories.clinic(agency_a, code="SPR-1", name="Main Street")
    clinic_b = factories.clinic(agency_b, code="HFR-1", name="Holyoke")
    counselors_a = [factories.person(clinic_a, display_name=f"Counselor A{i}") for i in range(1, 3)]
    counselors_b = [factories.person(clinic_b, display_name=f"Counselor B{i}") for i in range(1, 3)]
    return World(
        agency_a, agency_b, clinic_a, clinic_b, counselors_a, counselors_b,
        trial_a=factories.user(Role.TRIAL_STAFF, agency=agency_a),
        trial_b=factories.user(Role.TRIAL_STAFF, agency=agency_b),
        staff_a=factories.user(Role.AGENCY_STAFF, agency=agency_a),
        director=factories.user(Role.DIRECTOR),
        coder1=factories.user(Role.FIDELITY_CODER, name="Coder One"),
        coder2=factories.user(Role.FIDELITY_CODER, name="Coder Two"),
    )


class _OwnUserClient(FlaskClient):
    """The tests run inside one app context whose ``g`` outlives requests, and Flask-Login caches the signed-in user
    in ``g``; forgetting it before each request makes every client load its own user from its session cookie."""

    def open(self, *args, **kwargs):
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


@pytest.fixture
def client_for(app, app_ctx):
    def make(user: User):
        client = _OwnUserClient(app, app.response_class, use_cookies=True)
        response = client.post("/auth/login", data={"email": user.email, "password": TEST_PASSWORD})
        assert response.status_code == 302, f"login failed for {user.email}"
        return client

    return make


@pytest.fixture
def add_participant(app_ctx):
    """Write a screening-log row directly (for tests whose subject is not the entry form)."""

    def make(clinic: Clinic, study_id: str, status: str = "consented", **values) -> TrialParticipant:
        defaults = {"screened_on": date(2026, 3, 2)}
        if status in ("consented", "randomized", "started"):
            defaults["consented_on"] = date(2026, 3, 3)
        p = TrialParticipant(clinic_id=clinic.id, study_id=study_id, status=status, **{**defaults, **values})
        if p.arm and not p.allocation_source:
            p.allocation_source = "external"
        db.session.add(p)
        db.session.commit()
        return p

    return make


def error_text(response) -> str:
    return response.get_data(as_text=True)
