"""Browsing, filtering and exporting the audit trail (admins and directors)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time

import sqlalchemy as sa
from flask import Blueprint, render_template, request

from app import audit_reads, paging
from app.db import db
from app.exports import csv_response
from app.models import AuditEvent, Role
from app.security import roles_required

ACTIONS = ("create", "update", "delete", *audit_reads.ACTIONS)
PER_PAGE = 100


def audit_query(args) -> tuple[sa.Select, dict]:
    """Filters: entity, action, actor (substring), entity id, from/to dates (inclusive, UTC); a bad action or date
    is a 400 naming the filter (``app.paging``)."""
    action = paging.choice(args, "action", {a: a for a in ACTIONS})
    start, stop = paging.date_range(args, "from", "to")
    filters = {"entity": paging.text_arg(args, "entity"), "action": action or "",
               "actor": paging.text_arg(args, "actor"), "entity_id": paging.text_arg(args, "entity_id", 40),
               "from": start.isoformat() if start else "", "to": stop.isoformat() if stop else ""}
    stmt = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if filters["entity"]:
        stmt = stmt.where(AuditEvent.entity == filters["entity"])
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if filters["actor"]:
        stmt = stmt.where(paging.contains(AuditEvent.actor, filters["actor"]))
    if filters["entity_id"]:
        stmt = stmt.where(AuditEvent.entity_id == filters["entity_id"])
    if start:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(start, time.min, tzinfo=UTC))
    if stop:
        stmt = stmt.where(AuditEvent.at <= datetime.combine(stop, time.max, tzinfo=UTC))
    return stmt, filters


def register_audit_routes(bp: Blueprint) -> None:
    @bp.route("/audit")
    @roles_required(Role.ADMIN, Role.DIRECTOR)
    def audit():
        stmt, filters = audit_query(request.args)
        events = paging.paginate(stmt, paging.page_number(request.args), PER_PAGE)
        entities = db.session.execute(sa.select(AuditEvent.entity).distinct().order_by(AuditEvent.entity)).scalars()
        return render_template("admin/audit.html", events=events, filters=filters, entities=list(entities), actions=ACTIONS,
                               args=paging.query_args(filters))

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
