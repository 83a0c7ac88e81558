"""The application factory: ``create_app`` builds a Flask app; nothing touches the database here.

Kept out of ``app/__init__.py`` so that importing a light module of ``app`` (the ``mio`` entry point) does not load
SQLAlchemy, Alembic and every blueprint.
"""

from __future__ import annotations

import os
from datetime import timedelta

from flask import Flask

from app import config as config_module
from app.db import render_migration_item
from app.extensions import csrf, db, login_manager, migrate

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")

#: feature packages, each with ``init_app(app)`` registering its blueprint(s), commands and demo seeder
FEATURE_PACKAGES: tuple[str, ...] = ("readiness", "implementation_outcomes", "qualitative")


class InsecureConfigurationError(RuntimeError):
    pass


def create_app(config: dict | None = None) -> Flask:
    # the package's name: root and instance paths as before; MIO_INSTANCE_PATH gives each server its own folder
    app = Flask("app", instance_relative_config=True, instance_path=os.environ.get("MIO_INSTANCE_PATH") or None)
    from app import guards

    guards.install(app)  # before any blueprint adds a rule: <int:...> ids stay within 64 bits
    app.config.update(config_module.DEFAULTS)
    app.config.update(config_module.from_environment(app.instance_path))
    if config:
        app.config.update(config)
    app.config["SQLALCHEMY_DATABASE_URI"] = config_module.normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # pre-ping is for servers that restart; SQLite needs none
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            k: v for k, v in app.config["SQLALCHEMY_ENGINE_OPTIONS"].items() if k != "pool_pre_ping"
        }
    _refuse_default_secret(app)
    # the remember-me cookie lives exactly as long as its server-side session (app.auth.sessions)
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(days=app.config["REMEMBER_DAYS"])
    os.makedirs(app.instance_path, exist_ok=True)

    from app.logs import configure_logging

    configure_logging(app)
    from app.compression import compress_response

    app.after_request(compress_response)  # first registered, so it runs last and sees the final body
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    register_errors(app)
    register_template_helpers(app)
    return app


def _refuse_default_secret(app: Flask) -> None:
    if app.debug or app.testing or app.config.get("ALLOW_DEFAULT_SECRET"):
        return
    if app.config.get("SECRET_KEY") in (None, "", config_module.DEFAULT_SECRET_KEY):
        raise InsecureConfigurationError(
            "SECRET_KEY is the built-in development value. Set the SECRET_KEY environment variable "
            '(e.g. `export SECRET_KEY="$(python -c "import secrets; print(secrets.token_hex(32))")"`) '
            "or run with MIO_DEBUG=1 for local development."
        )


def register_extensions(app: Flask) -> None:
    from app import audit, sqlite, storage  # noqa: F401  (event listeners; the storage tables)

    db.init_app(app)
    migrate.init_app(
        app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True, render_item=render_migration_item
    )
    csrf.init_app(app)
    from app.security import HttpsAwareSessionInterface, mark_cookies_secure

    app.session_interface = HttpsAwareSessionInterface()
    app.after_request(mark_cookies_secure)  # before Flask-Login's hook, so it runs after it
    from app import audit_reads

    audit_reads.init_app(app)  # reads, downloads, API reads and sign-ins in the audit trail
    from app import media

    media.init_app(app)  # recording uploads may be as large as MIO_MEDIA_MAX_MB, not only MAX_CONTENT_LENGTH
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_token: str):
        """The session cookie names a server-side session (``app.auth.sessions``), never a bare user id."""
        from app.auth.sessions import user_for_token

        return user_for_token(session_token)


def register_blueprints(app: Flask) -> None:
    import importlib

    from app.admin.views import bp as admin_bp
    from app.api import bp as api_bp
    from app.auth.views import bp as auth_bp
    from app.jobs.views import bp as jobs_bp
    from app.main import bp as main_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(jobs_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # GET only (POST is refused with 405); tokens, not cookies, authenticate scripts
    app.extensions["mio.demo_seeders"] = []
    app.extensions["mio.nav"] = []
    app.extensions["mio.work"] = []
    from app.main import add_nav
    from app.models import Role

    add_nav(app, "Agencies", "admin.agencies", (Role.DIRECTOR,), order=80)
    add_nav(app, "Clinics", "admin.clinics", (Role.DIRECTOR,), order=81)
    add_nav(app, "People", "admin.people", (Role.DIRECTOR, Role.AGENCY_STAFF), order=82)
    add_nav(app, "Users", "admin.users", (Role.ADMIN,), order=83)
    add_nav(app, "Audit trail", "admin.audit", (Role.DIRECTOR,), order=84)
    for name in FEATURE_PACKAGES:
        module = importlib.import_module(name)
        if hasattr(module, "init_app"):
            module.init_app(app)


def register_commands(app: Flask) -> None:
    from app.commands import register

    register(app)


def register_errors(app: Flask) -> None:
    from app.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from app.main import template_helpers

    template_helpers(app)
