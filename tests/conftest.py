"""Test fixtures (flaskr style): ``app``, ``client``, ``runner``, ``login`` and ``create_*`` factories.

The database is built once per run by running the Alembic migrations (never ``create_all``), on SQLite by default
or on PostgreSQL when ``TEST_DATABASE_URL`` is set; each PostgreSQL run works in its own schema, so concurrent runs
on the same database do not collide. After every test all rows are deleted.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import g, has_app_context
from flask.testing import FlaskClient

from app import create_app
from app.db import db
from tests.factories import Factories

TEST_PASSWORD = "correct horse battery staple"


def _database_url() -> tuple[str, str | None]:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        path = os.path.join(tempfile.mkdtemp(prefix="mio-test-"), "test.sqlite")
        return f"sqlite:///{path}", None
    from app.config import normalise_database_url

    schema = f"mio_test_{os.getpid()}_{secrets.token_hex(3)}"
    url = normalise_database_url(url)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:  # fail loudly: a PostgreSQL run must not silently become SQLite
        raise pytest.UsageError(f"TEST_DATABASE_URL={url} is unreachable: {exc}") from exc
    finally:
        engine.dispose()
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}", schema


def _drop_schema(schema: str) -> None:
    from app.config import normalise_database_url

    engine = sa.create_engine(normalise_database_url(os.environ["TEST_DATABASE_URL"]))
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@contextmanager
def own_database_app(config: dict, seed=None, actor: str = "tests:seed"):
    """An app on a database of its own (a fresh SQLite file, or a fresh PostgreSQL schema under TEST_DATABASE_URL),
    migrated to head and, if ``seed`` is given, seeded with ``seed(app)`` inside an app context as ``actor``. Used by
    the browser tests' live server and the page benchmarks; the schema is dropped afterwards."""
    from flask_migrate import upgrade

    from app.audit import acting_as

    url, schema = _database_url()
    application = create_app({**config, "SQLALCHEMY_DATABASE_URI": url})
    try:
        with application.app_context():
            upgrade()
            if seed is not None:
                with acting_as(actor):
                    seed(application)
            db.session.remove()
        yield application
    finally:
        with application.app_context():
            db.engine.dispose()
        if schema:
            _drop_schema(schema)


@pytest.fixture(scope="session")
def database_url():
    url, schema = _database_url()
    yield url
    if schema:
        _drop_schema(schema)


class FreshUserClient(FlaskClient):
    """Requests made inside a test's app context share ``g``; forget the user Flask-Login cached there, so each
    request authenticates on its own (as it does in production, where every request has a fresh context)."""

    def open(self, *args, **kwargs):
        if has_app_context():
            g.pop("_login_user", None)
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url):
    from flask_migrate import upgrade

    application = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": "mio.test",
            "JOBS_EAGER": True,
        }
    )
    application.test_client_class = FreshUserClient
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(request):
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    with application.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app, app_ctx):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def factories(app_ctx) -> Factories:
    return Factories(TEST_PASSWORD)


@pytest.fixture
def create_agency(factories):
    return factories.agency


@pytest.fixture
def create_clinic(factories):
    return factories.clinic


@pytest.fixture
def create_user(factories):
    return factories.user


@pytest.fixture
def create_person(factories):
    return factories.person


@pytest.fixture
def login(client):
    """``login(user)`` signs ``user`` in through the real form; returns the response."""

    def do_login(user, password: str = TEST_PASSWORD):
        response = client.post("/auth/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, f"login failed for {user.email}: {response.status_code}"
        return response

    return do_login
