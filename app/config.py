"""Configuration: defaults here, environment variables override, tests pass a dict.

The embedded default database is SQLite in the instance folder; ``DATABASE_URL`` switches to PostgreSQL
(``postgresql+psycopg://user@host:5432/db``). Outside debug/testing the app refuses the default SECRET_KEY.
"""

from __future__ import annotations

import os

DEFAULT_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - the refusal below is what protects production


def normalise_database_url(url: str) -> str:
    """Accept the common ``postgres://`` and ``postgresql://`` spellings and use the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


#: "keep me signed in" may last 1 to 30 days (ASVS 3.3.2 asks for re-authentication within 30 days)
MAX_REMEMBER_DAYS = 30


def remember_days(value: str) -> int:
    """``MIO_REMEMBER_DAYS``, checked: a whole number of days from 1 to ``MAX_REMEMBER_DAYS``."""
    try:
        days = int(value.strip())
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_REMEMBER_DAYS:
        raise ValueError(f"MIO_REMEMBER_DAYS={value!r}: give a whole number of days from 1 to {MAX_REMEMBER_DAYS}.")
    return days


def from_environment(instance_path: str) -> dict:
    """Settings read from the process environment (the production profile keeps secrets there)."""
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{os.path.join(instance_path, 'mio.sqlite')}"
    settings = {
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "REDIS_URL": os.environ.get("REDIS_URL"),
        "SESSION_COOKIE_SECURE": os.environ.get("MIO_SECURE_COOKIES", "").lower() in {"1", "true", "yes"},
    }
    if os.environ.get("MIO_QUEUE"):  # RQ queue name; lets several deployments (or test runs) share one Redis
        settings["RQ_QUEUE"] = os.environ["MIO_QUEUE"]
    if os.environ.get("MIO_QDPX_SYNC_CODINGS"):  # above this many codings a .qdpx export runs as a background job
        settings["QDPX_SYNC_CODINGS"] = int(os.environ["MIO_QDPX_SYNC_CODINGS"])
    if os.environ.get("MIO_REMEMBER_DAYS"):
        settings["REMEMBER_DAYS"] = remember_days(os.environ["MIO_REMEMBER_DAYS"])
    if os.environ.get("MIO_MEDIA_MAX_MB"):  # largest session recording accepted (app.media, default 100 MB)
        settings["MEDIA_MAX_BYTES"] = int(float(os.environ["MIO_MEDIA_MAX_MB"]) * 1024 * 1024)
    if os.environ.get("MIO_LOG_FORMAT"):
        settings["LOG_FORMAT"] = os.environ["MIO_LOG_FORMAT"]
    if os.environ.get("MIO_DEBUG"):
        settings["DEBUG"] = True
    return settings


DEFAULTS: dict = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 60 * 60 * 8,  # a session not used for this long ends (app.auth.sessions)
    "SESSION_ABSOLUTE_HOURS": 12,  # ... and one without "keep me signed in" ends this long after sign-in
    "REMEMBER_DAYS": 14,  # "keep me signed in" lasts this long (MIO_REMEMBER_DAYS); the cookie and the server agree
    "WTF_CSRF_TIME_LIMIT": None,  # drafts must survive long sittings; the session itself bounds the token
    "MAX_CONTENT_LENGTH": 25 * 1024 * 1024,
    "MEDIA_MAX_BYTES": 24 * 1024 * 1024,  # a session recording (app.media); the request around it must fit above
    # sign-in and password-change failures: per account and address, free tries then doubling waits
    # (app.auth.passwords.progressive_delay); failures are forgotten after a success or a day
    "LOGIN_FREE_FAILURES": 3,
    "LOGIN_MAX_DELAY_SECONDS": 15 * 60,
    "LOGIN_FAILURE_MEMORY_SECONDS": 24 * 60 * 60,
    "PASSWORD_CHANGES_PER_HOUR": 3,
    "PAGE_SIZE": 50,
    "RQ_QUEUE": "mio",
}
