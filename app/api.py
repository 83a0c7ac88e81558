"""The read-only JSON API under ``/api/v1/``: analysts pull the platform's numbers into R or pandas.

Authentication: ``Authorization: Bearer <personal access token>`` (made on the "API tokens" page), or the browser
session. A token signs the request in as its owner for that request only, so every endpoint is scoped exactly as
the pages are (``app.security.scoped``). Only GET is offered. Feature packages add endpoints to ``bp``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, request, url_for
from flask_login import current_user

from app.db import db
from app.extensions import login_manager
from app.models import Agency, ApiToken, Clinic
from app.security import scoped, token_digest, user_for_api_token

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _bearer_user():
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    plain = header[len("Bearer "):].strip()
    user = user_for_api_token(plain)
    if user is not None:
        db.session.execute(
            sa.update(ApiToken).where(ApiToken.token_hash == token_digest(plain))
            .values(last_used_at=datetime.now(UTC), last_used_addr=(request.remote_addr or "")[:120] or None)
        )
        db.session.commit()
    return user


@bp.before_request
def authenticate():
    """A bearer token signs the request in as its owner for this request only (nothing is stored in the session);
    without one, the browser session is used. A token never works outside /api/."""
    if request.method != "GET":
        abort(405)
    if "Authorization" in request.headers:
        user = _bearer_user()
        if user is not None:
            login_manager._update_request_context_with_user(user)  # per-request identity, no session cookie
            return None
    elif current_user.is_authenticated:
        return None
    response = jsonify(error="Unauthorized", detail="Send 'Authorization: Bearer <token>'; make one on the API tokens page.",
                       status=401)
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="mio"'
    abort(response)


@bp.route("/")
def index():
    """What the API offers, for discovery from R or Python."""
    from flask import current_app

    endpoints = sorted(
        rule.rule for rule in current_app.url_map.iter_rules() if rule.endpoint.startswith("api.") and "<" not in rule.rule
    )
    return jsonify(version="v1", user=current_user.email, role=current_user.role, endpoints=endpoints)


@bp.route("/clinics")
def clinics():
    stmt = sa.select(Clinic).join(Clinic.agency).order_by(Clinic.code)
    rows = db.session.execute(scoped(stmt, Clinic)).scalars()
    return jsonify(clinics=[
        {"id": c.id, "code": c.code, "name": c.name, "agency": c.agency.code, "taking_part": c.taking_part,
         "url": url_for("api.clinics", _external=False)}
        for c in rows
    ])


@bp.route("/agencies")
def agencies():
    rows = db.session.execute(scoped(sa.select(Agency).order_by(Agency.code), Agency)).scalars()
    return jsonify(agencies=[{"id": a.id, "code": a.code, "name": a.name, "clinics": [c.code for c in a.clinics]} for a in rows])
