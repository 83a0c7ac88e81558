"""``/api/v1/outcomes...``: the overview's figures as JSON, on the platform API blueprint (``app.api.bp``: token or
session authentication, GET only, scoped like the pages).

``app.api.bp`` is registered before the feature packages' ``init_app`` runs, and a registered blueprint takes no
new routes; so the endpoints are added to the app under the blueprint's prefix and endpoint namespace
(``api.<name>``), which makes Flask run the blueprint's authentication hook for them like for its own routes.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Flask, Response, abort, request
from flask_login import current_user

from app.api import bp
from implementation_outcomes.overview import services
from implementation_outcomes.overview.views import COUNSELOR_ROLES, VIEW_ROLES
from implementation_outcomes.reach import REACH_DEFINITIONS


def _json_default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, services.Filters):
        return value.query_args()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _json(payload: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(payload, default=_json_default), status=status, mimetype="application/json")


def _allowed(roles: tuple[str, ...]) -> None:
    if current_user.role != "admin" and current_user.role not in roles:
        abort(_json({"error": "Forbidden", "detail": f"the {current_user.role} role cannot read these figures",
                     "status": 403}, 403))


def _filters() -> services.Filters:
    try:
        return services.Filters.parse(request.args)
    except services.FilterError as exc:
        abort(_json({"error": "Bad request", "field": exc.field, "detail": str(exc), "status": 400}, 400))


def outcomes():
    """The overview rows (same filters as the page: agency, clinic, from, to)."""
    _allowed(VIEW_ROLES)
    filters = _filters()
    try:
        rows = services.overview_rows(filters)
    except services.FilterError as exc:
        abort(_json({"error": "Bad request", "field": exc.field, "detail": str(exc), "status": 400}, 400))
    return _json({"filters": filters.query_args(), "definitions": REACH_DEFINITIONS, "clinics": rows})


def outcomes_clinic(clinic_id: int):
    """A clinic's drill-down figures (headline figures, adoption funnel, stages, counselors)."""
    _allowed(VIEW_ROLES)
    return _json(services.clinic_overview(clinic_id, _filters()))


def outcomes_counselor(person_id: int):
    """A counselor's drill-down (steps, sessions, fidelity and run chart, self vs coder, training cases)."""
    _allowed(COUNSELOR_ROLES)
    return _json(services.counselor_overview(person_id, _filters()))


def register(app: Flask) -> None:
    prefix = bp.url_prefix
    app.add_url_rule(f"{prefix}/outcomes", "api.outcomes", outcomes)
    app.add_url_rule(f"{prefix}/outcomes/clinics/<int:clinic_id>", "api.outcomes_clinic", outcomes_clinic)
    app.add_url_rule(f"{prefix}/outcomes/counselors/<int:person_id>", "api.outcomes_counselor", outcomes_counselor)
