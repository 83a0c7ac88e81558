"""Blinding, walked over the whole URL map like the agency-isolation test: a blinded outcome assessor, given the ids
of a mother in MIO + TAU (with a counselor, sessions and a fidelity rating) and of one row of every agency-owned
model, never receives a page, export or API answer that reveals allocation. A route added later joins
automatically. Unblinding one mother (an explicit, audited act) is the only way the arm appears."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.auth.views import SIGN_OUT_ENDPOINTS
from app.db import db
from app.models import AgencyScoped
from app.security import issue_api_token
from tests.implementation_outcomes.effectiveness.conftest import COUNSELOR_MARKER

SKIP_ENDPOINTS = {*SIGN_OUT_ENDPOINTS, "static"}
#: what would reveal the arm: its codes and labels, the MIO-only screening status, the counselor's name
REVEALING = [re.compile(p) for p in (rb"mio_tau", rb"MIO \+ TAU", rb"MIO\+TAU", rb"\bTAU\b", rb"started MIO",
                                     COUNSELOR_MARKER.encode())]
#: values for route arguments that are not ids
NAMED_ARGS = {"time_point": "end_of_treatment", "measure_key": "bdi_ii"}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _objects(factories, eff) -> dict[str, int]:
    agency, clinic = eff.clinic.agency, eff.clinic
    cache: dict = {}
    ids = {}
    for mapper in db.Model.registry.mappers:
        model = mapper.class_
        if issubclass(model, AgencyScoped):
            obj = factories.generic(model, agency, clinic, "walk", cache)
            ids[_snake(model.__name__) + "_id"] = sa.inspect(obj).identity[0]
    ids["trial_participant_id"] = eff.mio.id  # the MIO + TAU mother with counselor and sessions
    ids["clinic_id"] = eff.clinic.id
    return ids


def _revealed(body: bytes) -> list[str]:
    return [p.pattern.decode() for p in REVEALING if p.search(body)]


def test_outcome_assessor_never_sees_allocation(app, client, login, eff, factories):
    ids = _objects(factories, eff)
    login(eff.assessor)
    failures, pages, effectiveness_pages = [], 0, 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        values = {}
        for arg in rule.arguments:
            converter = rule._converters[arg].__class__.__name__
            values[arg] = ids.get(arg, NAMED_ARGS.get(arg, 1 if converter in ("IntegerConverter",
                                                                            "FloatConverter") else "x"))
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            headers = {}
            if url.startswith("/api/"):
                _token, bearer = issue_api_token(eff.assessor, "walk")
                db.session.commit()
                headers = {"Authorization": f"Bearer {bearer}"}
            response = client.open(url, method=method, headers=headers, data={})
            if response.status_code >= 500:
                failures.append(f"{method} {url} -> {response.status_code}")
                continue
            found = _revealed(response.data)
            if found:
                failures.append(f"{method} {url} ({rule.endpoint}) -> {response.status_code} reveals {found}")
            if method == "GET" and response.status_code == 200:
                pages += 1
                effectiveness_pages += rule.endpoint.startswith("effectiveness.")
    assert not failures, "\n".join(failures)
    assert effectiveness_pages >= 5 and pages >= 8


def test_trial_staff_do_see_the_arm_on_the_same_pages(client, login, eff):
    """The walk is not vacuous: the same pages reveal the arm to unblinded staff."""
    login(eff.trial)
    for url in (f"/effectiveness/participants/{eff.mio.id}", f"/effectiveness/clinics/{eff.clinic.id}/schedule",
                f"/effectiveness/clinics/{eff.clinic.id}/schedule.csv"):
        response = client.get(url)
        assert response.status_code == 200 and _revealed(response.data), url
