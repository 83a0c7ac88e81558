"""Friendly error pages (HTML) and JSON errors for the API; a 500 never shows a stack trace outside debug."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.db import db

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Not allowed", "Your account does not have access to this page."),
    404: ("Not found", "There is nothing here, or it is not yours to see."),
    405: ("Method not allowed", "This page cannot be used that way."),
    413: ("Too large", "The upload is larger than the platform accepts."),
    429: ("Too many attempts", "Please wait before trying again."),
    500: ("Something went wrong", "The error has been logged. Please try again, or tell the platform team."),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, ("Error", ""))
    if _wants_json():
        return jsonify(error=title, detail=detail or message, status=code), code
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


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
            if error.code == 400 and detail and detail.startswith("The browser (or proxy) sent a request"):
                detail = None
            return render_error(error.code, detail)
        return error

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        if app.debug or (app.testing and not app.config.get("RENDER_500_IN_TESTS")):
            raise error
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(500)
