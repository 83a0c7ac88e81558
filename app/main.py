"""Home page, health endpoint, navigation and template helpers shared by every blueprint."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, jsonify, render_template
from flask_login import current_user, login_required

from app.db import db
from app.models import Role

bp = Blueprint("main", __name__)


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: tuple[str, ...]  # empty = every signed-in user
    order: int = 50


def add_nav(app: Flask, label: str, endpoint: str, roles: tuple[str, ...] = (), order: int = 50) -> None:
    """Feature packages call this in ``init_app`` to appear in the role-aware navigation."""
    app.extensions["mio.nav"].append(NavItem(label, endpoint, roles, order))


def nav_for(user) -> list[NavItem]:
    if not user.is_authenticated:
        return []
    items = current_app.extensions.get("mio.nav", [])
    visible = [i for i in items if not i.roles or user.role == Role.ADMIN or user.role in i.roles]
    return sorted(visible, key=lambda i: (i.order, i.label))


@bp.route("/")
@login_required
def home():
    """Each role's work queues (``app.worklist``): counts and links straight to the work; the navigation stays in
    the layout."""
    from app.worklist import work_for

    queues = work_for(current_user)
    return render_template("home.html", queues=queues, pending=sum(q.count for q in queues))


@bp.route("/healthz")
def health():
    """Liveness and database reachability, for load balancers and the production profile."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        database = "ok"
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database=database)


def template_helpers(app: Flask) -> None:
    from app import formatting
    from app.security import set_security_headers

    app.after_request(set_security_headers)

    @app.context_processor
    def inject_nav():
        return {"navigation": nav_for(current_user), "Role": Role}

    @app.template_filter("datetime")
    def format_datetime(value, fmt: str = "%Y-%m-%d %H:%M"):
        return value.strftime(fmt) + (" UTC" if "H" in fmt else "") if value else ""

    @app.template_filter("num")
    def format_number(value, kind: str | int = "num"):
        """``app.formatting.number``; ``kind`` may be given as its decimals (0 count, 1 mean, 2 coefficient,
        3 p-value), the same conventions."""
        return formatting.number(value, formatting.KIND_OF_DIGITS.get(kind, kind) if isinstance(kind, int) else kind)

    @app.template_filter("pct")
    def format_pct(value):
        return formatting.pct(value)

    @app.template_filter("figure")
    def format_cell(value, kind: str = "text"):
        return formatting.cell(value, kind)

    from app.tablehtml import table_rows

    app.add_template_global(table_rows, "table_rows")
