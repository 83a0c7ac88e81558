"""Browsing, filtering and exporting the audit trail (admins and directors)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time

import sqlalchemy as sa
from flask import Blueprint, render_template, request

from app.db import db
from app.exports import csv_response
from app.models import AuditEvent, Role
from app.security import roles_required


def _parse_date(value: str | None, end: bool = False):
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


def audit_query(args) -> tuple[sa.Select, dict]:
    """Filters: entity, action, actor (substring), entity id, from/to dates (inclusive, UTC)."""
    filters = {k: (args.get(k) or "").strip() for k in ("entity", "action", "actor", "entity_id", "from", "to")}
    stmt = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if filters["entity"]:
        stmt = stmt.where(AuditEvent.entity == filters["entity"])
    if filters["action"]:
        stmt = stmt.where(AuditEvent.action == filters["action"])
    if filters["actor"]:
        stmt = stmt.where(AuditEvent.actor.ilike(f"%{filters['actor']}%"))
    if filters["entity_id"]:
        stmt = stmt.where(AuditEvent.entity_id == filters["entity_id"])
    if start := _parse_date(filters["from"]):
        stmt = stmt.where(AuditEvent.at >= start)
    if stop := _parse_date(filters["to"], end=True):
        stmt = stmt.where(AuditEvent.at <= stop)
    return stmt, filters


def register_audit_routes(bp: Blueprint) -> None:
    @bp.route("/audit")
    @roles_required(Role.ADMIN, Role.DIRECTOR)
    def audit():
        stmt, filters = audit_query(request.args)
        page = max(1, request.args.get("page", 1, type=int))
        pagination = db.paginate(stmt, page=page, per_page=100, error_out=False)
        entities = db.session.execute(sa.select(AuditEvent.entity).distinct().order_by(AuditEvent.entity)).scalars()
        return render_template(
            "admin/audit.html", events=pagination.items, pagination=pagination, filters=filters, entities=list(entities)
        )

    @bp.route("/audit.csv")
    @roles_required(Role.ADMIN, Role.DIRECTOR)
    def audit_csv():
        stmt, _filters = audit_query(request.args)
        headers = ["at_utc", "actor", "user_id", "action", "entity", "entity_id", "field", "old", "new"]

        def rows():
            for event in db.session.execute(stmt.execution_options(yield_per=1000)).scalars():
                for field, change in sorted(event.changes.items()) or [("", {})]:
                    yield [
                        event.at.isoformat(), event.actor, event.user_id, event.action, event.entity, event.entity_id,
                        field, json.dumps(change.get("old")), json.dumps(change.get("new")),
                    ]

        return csv_response("mio-audit-trail.csv", headers, rows())
