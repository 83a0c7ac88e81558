"""Friendly error pages (HTML) and JSON errors for the API; a 500 never shows a stack trace outside debug."""

from __future__ import annotations

import sqlite3

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, InterfaceError, OperationalError, StatementError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from app import guards
from app.db import db

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Not allowed", "Your account does not have access to this page."),
    404: ("Not found", "There is nothing here, or it is not yours to see."),
    405: ("Method not allowed", "This page cannot be used that way."),
    413: ("Too large", "The upload is larger than the platform accepts."),
    429: ("Too many attempts", "Please wait before trying again."),
    500: ("Something went wrong", "The error has been logged. Please try again, or tell the platform team."),
    503: ("Briefly unavailable", "The database cannot be reached just now (a restart or a network blip). What you "
                                 "just did was not saved. Please try again in a few seconds."),
}
#: the 503 text while SQLite's single writer is held by a long write (a background import of 100,000 rows, say)
BUSY_MESSAGE = ("The database is busy with a long write (a large import, say). What you just did was not saved. "
                "Please try again in a few seconds.")
RETRY_AFTER_SECONDS = 5


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, ("Error", ""))
    if _wants_json():
        return jsonify(error=title, detail=detail or message, status=code), code
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


def _too_large() -> str:
    """Werkzeug's 413 says only "exceeds the capacity limit": name the limit this request had (a form that takes a
    recording accepts more than the rest, app.media)."""
    limit = request.max_content_length
    if not limit:
        return MESSAGES[413][1]
    size = f"{limit / 1024:.0f} KB" if limit < 1024 * 1024 else f"{limit / (1024 * 1024):.0f} MB"
    return f"The upload is larger than this form accepts: at most {size} in one request. Nothing was saved."


def connection_lost(error: Exception) -> bool:
    """Whether a database error means the server is unreachable (restart, network), not a faulty statement:
    SQLAlchemy saw a disconnect, or the driver's SQLSTATE is a connection exception (class 08) or an operator
    intervention such as a shutdown in progress (57P01-57P03), or there is no SQLSTATE at all (refused)."""
    if getattr(error, "connection_invalidated", False):
        return True
    orig = getattr(error, "orig", None)
    if orig is None or type(orig).__module__.split(".")[0] not in ("psycopg", "psycopg2"):
        return False
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return state is None or state.startswith("08") or state in ("57P01", "57P02", "57P03")


def database_busy(error: Exception) -> bool:
    """Whether a database error is SQLite's "database is locked" (another connection held the only write lock past
    ``busy_timeout``, see ``app.sqlite``): a passing condition like a lost connection, not a faulty statement."""
    orig = getattr(error, "orig", None)
    return isinstance(orig, sqlite3.OperationalError) and str(orig).startswith(("database is locked", "database is busy"))


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        db.session.rollback()
        return render_error(
            400, f"The form's security token is missing or out of date ({error.description}). "
            "Nothing was changed: go back, reload the page and submit again."
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code and error.code >= 400:
            detail = error.description if error.code in (400, 413, 429) and error.description else None
            if error.code == 413 and detail == RequestEntityTooLarge.description:
                detail = _too_large()
            if error.code == 400 and detail and detail.startswith("The browser (or proxy) sent a request"):
                detail = None
            return render_error(error.code, detail)
        return error

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    @app.errorhandler(StatementError)
    def out_of_range(error: Exception):
        """A number too large for its column (a query-string or form id of 2^63 or more): 400, nothing saved."""
        if not guards.is_out_of_range(error):
            return unexpected(error)
        db.session.rollback()
        return render_error(400, guards.OUT_OF_RANGE_MESSAGE)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(error: Exception):
        """A lost or refused database connection: 503 with Retry-After, the transaction rolled back (nothing of the
        request was saved); the pool's pre-ping replaces the dead connections on the next request. Any other
        database error (a missing table, say) is a bug and goes to the 500 handler."""
        busy = database_busy(error)
        if not busy and not connection_lost(error):
            return unexpected(error)
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the connection is gone; the session is discarded at teardown
            app.logger.debug("rollback after a lost connection failed", exc_info=True)
        app.logger.warning("Database unavailable on %s %s: %s", request.method, request.path,
                           str(error).splitlines()[0] if str(error) else type(error).__name__)
        response = app.make_response(render_error(503, BUSY_MESSAGE if busy else None))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        if app.debug or (app.testing and not app.config.get("RENDER_500_IN_TESTS")):
            raise error
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(500)
