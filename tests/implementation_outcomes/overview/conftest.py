"""A read-only demo for the overview tests: the demo's organisation (two agencies, four clinics, every account) with
the delivery and implementation demo data, seeded ONCE per session into its own database (its own schema on
PostgreSQL), so the tests compare figures on realistic data without reseeding. Tests that write use the ordinary
``app`` fixture instead."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask import current_app, g, has_app_context
from flask.testing import FlaskClient
from flask_login import login_user

from app import create_app
from app.audit import acting_as
from app.db import db
from app.demo import _seed_organisation, demo_password
from app.models import Clinic, Person, User
from tests.conftest import _database_url, _drop_schema


class _FreshUserClient(FlaskClient):
    def open(self, *args, **kwargs):
        if has_app_context():
            g.pop("_login_user", None)
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def demo_app():
    from flask_migrate import upgrade

    from implementation_outcomes.delivery.demo import seed_delivery
    from implementation_outcomes.implementation.demo import seed_demo as seed_implementation

    url, schema = _database_url()
    application = create_app({"TESTING": True, "SECRET_KEY": "overview-tests", "SQLALCHEMY_DATABASE_URI": url,
                              "WTF_CSRF_ENABLED": False, "SERVER_NAME": "mio.test"})
    application.test_client_class = _FreshUserClient
    with application.app_context():
        upgrade()
        with acting_as("tests:overview-demo"):
            ctx = _seed_organisation()
            db.session.commit()
            seed_delivery(ctx)
            db.session.commit()
            seed_implementation(ctx)
            db.session.commit()
        db.session.remove()
    yield application
    with application.app_context():
        db.engine.dispose()
    if schema:
        _drop_schema(schema)


@pytest.fixture
def demo(demo_app):
    """An app context on the demo database: ``demo.user(email)``, ``demo.clinic(code)``, ``demo.counselor(name)``."""
    with demo_app.app_context():
        yield SimpleNamespace(
            app=demo_app,
            user=lambda email: db.session.execute(sa.select(User).where(User.email == email)).scalar_one(),
            clinic=lambda code: db.session.execute(sa.select(Clinic).where(Clinic.code == code)).scalar_one(),
            counselor=lambda name: db.session.execute(sa.select(Person).where(Person.display_name == name)).scalar_one(),
        )
        db.session.remove()


@contextlib.contextmanager
def as_user(user):
    with current_app.test_request_context():
        login_user(user)
        yield


@pytest.fixture
def client_for(demo):
    def make(email: str):
        client = demo.app.test_client()
        response = client.post("/auth/login", data={"email": email, "password": demo_password(email)})
        assert response.status_code == 302, f"login failed for {email}"
        return client

    return make
