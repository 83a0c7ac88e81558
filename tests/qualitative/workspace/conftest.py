"""Fixtures for the workspace tests: a project with the CFIR codebook, members, and transcripts imported through
the real service (parsers), optionally de-identified."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.db import db
from app.models import Role
from qualitative.models import Code, Document, Privilege
from qualitative.workspace.services import deidentify, projects
from qualitative.workspace.services.transcripts import ImportSettings, import_files

EMOJI_TRANSCRIPT = (
    "Interviewer: How did the first session go?\n\n"
    "Counselor: She said the baby 👶 smiled at her 😊 and then we talked about it.\n\n"
    "Interviewer: And supervision?\n\n"
    "Counselor: The supervisor, Zoë (with e\u0301 combining), helps a lot; café talk 🙂 is better than nothing.\n"
).encode()


@pytest.fixture
def org(factories):
    agency = factories.agency(name="Springfield Recovery Partners", code="SPR")
    clinic = factories.clinic(agency, code="SPR-1", name="Main Street Outpatient")
    return {"agency": agency, "clinic": clinic}


_FAST_HASHES: dict[str, str] = {}


def _fast_hash(password: str) -> str:
    """An Argon2 hash with the lowest cost parameters: the login form verifies it in milliseconds instead of most of
    a second (these tests sign in about seventy times); verification itself is unchanged."""
    if password not in _FAST_HASHES:
        from argon2 import PasswordHasher

        _FAST_HASHES[password] = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(password)
    return _FAST_HASHES[password]


@pytest.fixture
def people(factories, org):
    users = {
        "manager": factories.user(Role.ANALYST, name="Quinn Analyst"),
        "coder": factories.user(Role.ANALYST, name="Robin Second-Coder"),
        "reader": factories.user(Role.ANALYST, name="Rae Reader"),
        "outsider": factories.user(Role.ANALYST, name="Olly Outsider"),
        "director": factories.user(Role.DIRECTOR, name="Dee Director"),
        "admin": factories.user(Role.ADMIN, name="Ada Admin"),
        "agency_staff": factories.user(Role.AGENCY_STAFF, agency=org["agency"]),
        "trial_staff": factories.user(Role.TRIAL_STAFF, agency=org["agency"]),
        "fidelity_coder": factories.user(Role.FIDELITY_CODER),
    }
    for user in users.values():
        user.password_hash = _fast_hash(factories.password)
    db.session.commit()
    return users


@pytest.fixture
def project(app_ctx, people):
    project = projects.create_project("MIO interviews", "Test project", people["manager"])
    projects.add_member(project, people["coder"].id, Privilege.CODE)
    projects.add_member(project, people["reader"].id, Privilege.READ)
    return project


@pytest.fixture
def import_text(project, org, people):
    """``import_text(filename, bytes, deidentified=True)`` -> Document (through the parsers)."""

    def do(filename: str, data: bytes, deidentified: bool = True, kind: str = "interview") -> Document:
        settings = ImportSettings(project.id, org["clinic"].id, kind, None, "QA", people["manager"].id)
        outcome = import_files(settings, [(filename, lambda: data)], 1)[0]
        assert outcome.ok, outcome.error
        db.session.commit()
        document = db.session.get(Document, outcome.document_id)
        if deidentified:
            deidentify.skip(document)
            db.session.commit()
        return document

    return do


@pytest.fixture
def code_id(project):
    def get(key: str) -> int:
        return db.session.execute(sa.select(Code.id).where(Code.project_id == project.id, Code.key == key)).scalar_one()

    return get


def csrf_from(html: bytes) -> str:
    match = re.search(rb'name="csrf-token" content="([^"]+)"', html)
    assert match, "no csrf meta tag"
    return match.group(1).decode()
