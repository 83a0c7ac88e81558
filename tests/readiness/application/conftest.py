"""Fixtures for the application tests: two agencies, their users, a cohort, and a builder of applications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from argon2 import PasswordHasher

from app.db import db
from app.models import Agency, Clinic, Role, User
from readiness.application.models import TrainingCohort
from tests.conftest import TEST_PASSWORD
from tests.readiness.application.application_support import build_application


@dataclass
class Org:
    agency: Agency
    clinics: list[Clinic]
    staff: User
    staff2: User
    director: User
    admin: User
    other_agency: Agency
    other_clinic: Clinic
    other_staff: User
    cohort: TrainingCohort


#: the test password hashed with argon2 parameters cheap enough for many sign-ins per test (verification reads
#: the parameters from the hash; the platform's own hashes keep the library defaults)
CHEAP_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(TEST_PASSWORD)


@pytest.fixture
def fast_user(factories):
    def make(role, agency=None, **kw):
        user = factories.user(role, agency=agency, **kw)
        user.password_hash = CHEAP_HASH
        db.session.commit()
        return user

    return make


@pytest.fixture
def org(factories, fast_user) -> Org:
    agency = factories.agency(name="Springfield Recovery Partners", code="SPR")
    clinics = [factories.clinic(agency, code="SPR-1", name="Main Street"),
               factories.clinic(agency, code="SPR-2", name="Chicopee")]
    other = factories.agency(name="Hampden Family Recovery", code="HFR")
    other_clinic = factories.clinic(other, code="HFR-1", name="Holyoke")
    director = fast_user(Role.DIRECTOR, email="director@x.org", name="Dr. Eliza Chambers")
    cohort = TrainingCohort(name="2026 spring cohort", starts_on=date(2026, 2, 2), ends_on=date(2026, 8, 14),
                            created_by_id=director.id)
    db.session.add(cohort)
    db.session.commit()
    return Org(agency, clinics, fast_user(Role.AGENCY_STAFF, agency=agency, email="sandra@spr.example",
                                               name="Sandra Pike"),
               fast_user(Role.AGENCY_STAFF, agency=agency, email="second@spr.example", name="Sam Second"),
               director, fast_user(Role.ADMIN, email="admin@x.org", name="Ada Admin"),
               other, other_clinic, fast_user(Role.AGENCY_STAFF, agency=other, email="henry@hfr.example"),
               cohort)


@pytest.fixture
def make_application(org):
    def make(**kw):
        agency = kw.pop("agency", org.agency)
        clinics = kw.pop("clinics", org.clinics if agency is org.agency else [org.other_clinic])
        kw.setdefault("entered_by", org.admin)
        return build_application(agency, kw.pop("cohort", org.cohort), clinics, **kw)

    return make
