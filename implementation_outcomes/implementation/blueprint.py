"""The blueprint and the small helpers its view modules share (roles, form errors, downloads)."""

from __future__ import annotations

from flask import Blueprint, abort
from markupsafe import Markup

from app.exports import csv_response, xlsx_response
from app.models import Role
from implementation_outcomes.implementation.tables import Table

bp = Blueprint("implementation", __name__, url_prefix="/implementation", template_folder="templates",
               static_folder="static", static_url_path="/static")

#: who sees these pages and records adoption steps, strategies and adaptations (admins pass every gate)
VIEW_ROLES = (Role.DIRECTOR, Role.AGENCY_STAFF)
#: who records implementation-activity completions (agency staff view them)
ACTIVITY_ENTRY_ROLES = (Role.DIRECTOR,)
FORMATS = ("csv", "xlsx")


def apply_errors(form, errors: dict[str, list[str]]) -> None:
    """Attach service ``FieldErrors`` to the form's fields (unknown names go to the form-level list)."""
    for name, messages in errors.items():
        if name in form:
            form[name].errors = [*form[name].errors, *messages]
        else:
            form.form_errors.extend(messages)


def download(table: Table, fmt: str, stem: str):
    """The table as CSV or Excel through ``app.exports`` (formula guard, BOM, bold frozen header)."""
    filename = f"{stem}-{table.name}"
    if fmt == "csv":
        return csv_response(f"{filename}.csv", table.headers, table.export_rows())
    if fmt == "xlsx":
        return xlsx_response(f"{filename}.xlsx", {table.caption: (table.headers, table.export_rows())})
    abort(404)


def svg(markup: str) -> Markup:
    """Chart markup from ``charts`` (which escapes every text it draws) marked safe for the template."""
    return Markup(markup)  # noqa: S704  (charts.py escapes all data it interpolates)
