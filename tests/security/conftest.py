"""A populated world for the security walks: one agency with a row of every agency-owned model (the generic factory
of tests/factories.py), and a signed-in user of each role that sees it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.auth.views import SIGN_OUT_ENDPOINTS
from app.db import db
from app.models import AgencyScoped, Role

#: endpoints a walk must not call: signing out would end the walker's session
SKIP_ENDPOINTS = {*SIGN_OUT_ENDPOINTS, "static"}


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def agency_models() -> list[type]:
    return [m.class_ for m in db.Model.registry.mappers if issubclass(m.class_, AgencyScoped)]


def build_world(factories, marker: str) -> dict:
    """An agency, a clinic, a row of every agency-owned model (text columns starting with ``marker``), users."""
    agency = factories.agency(name="Walk Agency", code="WLK")
    clinic = factories.clinic(agency, code="WLK-1")
    cache: dict = {}
    objects = {model: factories.generic(model, agency, clinic, marker, cache) for model in agency_models()}
    # every row built, parents included (a qualitative project is not agency-owned, but its row is there)
    ids = {snake(model.__name__) + "_id": sa.inspect(obj).identity[0] for model, obj in {**cache, **objects}.items()
           if isinstance(model, type)}
    ids.setdefault("agency_id", agency.id)
    ids.setdefault("clinic_id", clinic.id)
    users = {role: factories.user(role, agency=agency if role in Role.AGENCY_BOUND else None) for role in Role.ALL}
    return {"agency": agency, "clinic": clinic, "objects": objects, "ids": ids, "users": users, "cache": cache}


@pytest.fixture
def populated(app_ctx, factories):
    return build_world(factories, "walk")


def fill(rule, ids: dict, default_int: int = 1) -> dict:
    """Values for a rule's arguments: the populated row's id where the argument names a model, else a filler."""
    values = {}
    for arg in rule.arguments:
        converter = rule._converters[arg].__class__.__name__
        if arg in ids:
            values[arg] = ids[arg]
        elif "Integer" in converter or "Float" in converter:
            values[arg] = default_int
        else:
            values[arg] = "x"
    return values
