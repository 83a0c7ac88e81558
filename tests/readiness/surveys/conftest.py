"""Fixtures for the readiness survey views: a director, a clinic, waves made through the service, and a helper
that answers a link through the public pages like a respondent."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.models import Role
from readiness.surveys import profile_service, services
from tests.readiness.surveys.support import AIM_REF, ORIC_REF


@pytest.fixture(autouse=True)
def no_application_gates(monkeypatch):
    """Profiles here are built without the application package's gates: importing it would register another
    package's tables in this run (in a worktree the editable install can resolve it from the main checkout).
    Its gate facts are covered by ``normalise_gates`` tests with the same shape."""
    monkeypatch.setattr(profile_service, "default_gates_provider", lambda clinic_ids: {})


@pytest.fixture
def director(create_user):
    return create_user(Role.DIRECTOR)


@pytest.fixture
def clinic(create_agency, create_clinic):
    return create_clinic(create_agency(code="SPR", name="Springfield"), code="SPR-1", name="Main Street")


@pytest.fixture
def make_wave(app_ctx, clinic, director):
    def make(refs=(ORIC_REF, AIM_REF), n_links=5, opens_in=-1, closes_in=10, for_clinic=None, title="Spring wave"):
        today = services.survey_today()
        return services.create_wave(clinic=for_clinic or clinic, title=title, instrument_refs=list(refs),
                                    opens_on=today + timedelta(days=opens_in),
                                    closes_on=today + timedelta(days=closes_in), n_links=n_links, user=director)
    return make


@pytest.fixture
def respond(client):
    """``respond(token, [page answers...], role)`` walks the public pages and submits; returns the last response."""

    def walk(token: str, pages: list[dict], role: str = "clinician", submit: bool = True):
        response = client.post(f"/s/{token}", data={"role": role})
        assert response.status_code == 302, response.data
        for number, answers in enumerate(pages, start=1):
            response = client.post(f"/s/{token}/{number}", data={**answers, "action": "next"})
            assert response.status_code == 302, response.data.decode()[:2000]
        if submit:
            response = client.post(f"/s/{token}/submit")
        return response

    return walk
