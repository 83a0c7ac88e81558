"""Two agencies: A with clinics A-1 (taking part) and A-2 (not taking part), four counselors and a supervisor at A-1;
B with clinic B-1 and one counselor. Users: a director, staff of A, staff of B."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from app.models import Agency, Clinic, Person, Role, User


@dataclass
class Org:
    agency_a: Agency
    agency_b: Agency
    a1: Clinic
    a2: Clinic
    b1: Clinic
    counselors: list[Person]  # at A-1
    supervisor: Person  # at A-1
    counselor_b: Person
    director: User
    staff_a: User
    staff_b: User


@pytest.fixture
def org(factories) -> Org:
    agency_a = factories.agency(name="Agency A", code="AGA", approached_on=datetime(2025, 9, 1, 12, tzinfo=UTC))
    agency_b = factories.agency(name="Agency B", code="AGB")
    a1 = factories.clinic(agency_a, code="AGA-1", name="A one")
    a2 = factories.clinic(agency_a, code="AGA-2", name="A two", taking_part=False)
    b1 = factories.clinic(agency_b, code="AGB-1", name="B one")
    counselors = [factories.person(a1, display_name=name) for name in ("Ann Able", "Bea Brook", "Cy Cole", "Di Dunn")]
    return Org(agency_a, agency_b, a1, a2, b1, counselors, factories.person(a1, kind="supervisor", display_name="Sue Super"),
               factories.person(b1, display_name="Bo Bee"), factories.user(Role.DIRECTOR),
               factories.user(Role.AGENCY_STAFF, agency=agency_a), factories.user(Role.AGENCY_STAFF, agency=agency_b))


@pytest.fixture
def read_csv():
    return _read_csv


@pytest.fixture
def read_xlsx():
    return _read_xlsx


def _read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.data[:500]
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def _read_xlsx(response) -> list[list]:
    from openpyxl import load_workbook

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def sign_in(app, client):
    """``sign_in(user)``: put ``user`` in the test client's session without the password check.

    The real sign-in form is covered by tests/test_auth.py; Argon2 verification costs about a second per login on
    a loaded two-core machine, so these feature tests set the Flask-Login session keys directly (with the session
    identifier "strong" protection expects for this client).
    """
    from flask_login.utils import _create_identifier

    with app.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()

    def do_sign_in(user):
        from flask import g

        from app.auth.sessions import start
        from app.db import db

        g.pop("_login_user", None)  # the app_ctx fixture keeps one app context (and g) across requests
        with app.test_request_context(environ_base=client.environ_base):  # bound to this client's browser
            token = start(user, remember=False)  # the server-side session the cookie names (app.auth.sessions)
        db.session.commit()
        with client.session_transaction() as session:
            session.clear()
            session.update({"_user_id": token, "_fresh": True, "_id": identifier})

    return do_sign_in
