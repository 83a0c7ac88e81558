"""Agency isolation, walked over the whole URL map: a user of agency A, given the ids of agency B's objects, gets
403/404 on every route, and no page A can open shows B's data. A route added later joins automatically; an
agency-owned model joins through the generic factory (tests/factories.py)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.auth.views import SIGN_OUT_ENDPOINTS
from app.db import db
from app.models import AgencyScoped, Role
from app.security import issue_api_token
from tests.factories import Factories

MARKER = "ZZBSECRET"
#: endpoints that end the test user's session; walking them would sign the walker out
SKIP_ENDPOINTS = {*SIGN_OUT_ENDPOINTS, "static"}
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _agency_models() -> list[type]:
    return [m.class_ for m in db.Model.registry.mappers if issubclass(m.class_, AgencyScoped)]


@pytest.fixture
def world(app_ctx, factories: Factories):
    """Agency A with its users; agency B with one row of every agency-owned model, strings marked."""
    agency_a = factories.agency(name="Alpha Agency", code="AAA")
    clinic_a = factories.clinic(agency_a, code="AAA-1")
    agency_b = factories.agency(name=f"{MARKER} Agency", code="ZZB")
    clinic_b = factories.clinic(agency_b, code="ZZB-1", name=f"{MARKER} Clinic")
    cache: dict = {}
    objects_b = {model: factories.generic(model, agency_b, clinic_b, MARKER, cache) for model in _agency_models()}
    # and the same for agency A, so pages have rows of A to show next to the (absent) rows of B
    cache_a: dict = {}
    for model in _agency_models():
        factories.generic(model, agency_a, clinic_a, "alpha", cache_a)
    users = {role: factories.user(role, agency=agency_a) for role in sorted(Role.AGENCY_BOUND)}
    return {"B": objects_b, "users": users, "agency_b": agency_b}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method


def _fill(rule, objects_b) -> tuple[dict, bool]:
    by_arg = {_snake(model.__name__) + "_id": obj for model, obj in objects_b.items()}
    values, uses_b = {}, False
    for arg in rule.arguments:
        converter = rule._converters[arg].__class__.__name__
        if arg in by_arg:
            values[arg] = sa.inspect(by_arg[arg]).identity[0]
            uses_b = True
        elif converter in ("IntegerConverter", "FloatConverter"):
            values[arg] = 1
        else:
            values[arg] = "x"
    return values, uses_b


def test_every_agency_model_is_reachable_by_the_walk(app, world):
    """Each agency-owned model's id argument is named <snake_model>_id, so routes taking it are checked."""
    assert world["B"], "no agency-owned models found"
    for model, obj in world["B"].items():
        assert sa.inspect(obj).identity, f"{model.__name__} was not built"


@pytest.mark.parametrize("role", sorted(Role.AGENCY_BOUND))
def test_agency_user_cannot_reach_other_agency(app, world, login, client, role):
    user = world["users"][role]
    login(user)
    checked_b = checked_pages = 0
    failures = []
    for rule, method in _routes(app):
        values, uses_b = _fill(rule, world["B"])
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        headers = {}
        if url.startswith("/api/"):  # a fresh token each time: the walk itself may revoke tokens (auth.revoke_token)
            _token, bearer = issue_api_token(user, "walk")
            db.session.commit()
            headers = {"Authorization": f"Bearer {bearer}"}
        response = client.open(url, method=method, headers=headers, data={})
        if uses_b:
            checked_b += 1
            if response.status_code not in (403, 404):
                failures.append(f"{method} {url} ({rule.endpoint}) -> {response.status_code}, expected 403/404")
        elif method == "GET" and response.status_code == 200:
            checked_pages += 1
            if MARKER.encode() in response.data:
                failures.append(f"GET {url} ({rule.endpoint}) shows agency B's data")
    assert not failures, "\n".join(failures)
    assert checked_pages >= 3
    assert checked_b >= 4
