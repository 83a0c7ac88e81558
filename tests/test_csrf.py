"""Every state-changing route refuses a request without a CSRF token (400, nothing changed), walked over the URL map."""

import re

import sqlalchemy as sa
from flask import url_for

from app.db import db
from app.models import AuditEvent, Role


def _csrf_token(html: bytes) -> str:
    match = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        rb'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1).decode()


def test_post_routes_require_csrf_token(app, app_ctx, create_user):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        admin = create_user(Role.ADMIN)
        client = app.test_client()
        page = client.get("/auth/login")
        token = _csrf_token(page.data)
        # without the token the login itself is refused
        assert client.post("/auth/login", data={"email": admin.email, "password": "x"}).status_code == 400
        response = client.post("/auth/login", data={"email": admin.email, "password": "correct horse battery staple",
                                                    "csrf_token": token})
        assert response.status_code == 302
        events_before = db.session.execute(sa.select(sa.func.count(AuditEvent.id))).scalar()
        checked = 0
        for rule in app.url_map.iter_rules():
            if not rule.methods & {"POST", "PUT", "PATCH", "DELETE"} or rule.endpoint == "static":
                continue
            if getattr(app.view_functions[rule.endpoint], "csrf_exempt_reason", None):
                continue  # documented exemptions (none in the foundation)
            values = {a: 1 if rule._converters[a].__class__.__name__ == "IntegerConverter" else "x" for a in rule.arguments}
            with app.test_request_context():
                url = url_for(rule.endpoint, **values)
            method = sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"})[0]
            response = client.open(url, method=method, data={"name": "changed"})
            assert response.status_code == 400, f"{method} {url} accepted a request without a CSRF token"
            assert b"security token" in response.data
            checked += 1
        assert checked >= 8
        assert db.session.execute(sa.select(sa.func.count(AuditEvent.id))).scalar() == events_before
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
