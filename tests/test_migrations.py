"""The migrations are the schema: they build an empty database to head, agree with the models, and downgrade."""

import os
import secrets

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app import create_app
from app.db import db, render_migration_item  # noqa: F401


def test_models_and_migrations_agree(app_ctx):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations disagree; run `mio db migrate`: {diff}"


def _fresh_app(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/fresh.sqlite"}), None
    from app.config import normalise_database_url

    url = normalise_database_url(url)
    schema = f"mio_mig_{secrets.token_hex(4)}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in url else "?"
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"{url}{sep}options=-csearch_path%3D{schema}"}), (url, schema)


def test_upgrade_downgrade_upgrade_on_an_empty_database(tmp_path):
    from flask_migrate import downgrade, upgrade

    application, pg = _fresh_app(tmp_path)
    try:
        with application.app_context():
            upgrade()
            tables = set(sa.inspect(db.engine).get_table_names())
            assert {"agency", "clinic", "user_account", "person", "audit_event"} <= tables
            downgrade(revision="base")
            assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            assert set(sa.inspect(db.engine).get_table_names()) == tables
            db.engine.dispose()
    finally:
        if pg:
            engine = sa.create_engine(pg[0])
            with engine.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{pg[1]}" CASCADE'))
            engine.dispose()
