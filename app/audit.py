"""The audit trail: every create, update and delete of an ``Audited`` model becomes an ``AuditEvent`` row.

Recorded inside the same flush and transaction as the change itself (so a rolled-back change leaves no event and a
committed change always has one), by inserting through the flush's own connection: ``after_flush`` may not add ORM
objects to the session, but it may execute Core statements.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import decimal
import enum

import sqlalchemy as sa
from flask import has_request_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.models import Audited, AuditEvent

_actor_override: contextvars.ContextVar[tuple[int | None, str] | None] = contextvars.ContextVar(
    "mio_audit_actor", default=None
)


@contextlib.contextmanager
def acting_as(actor: str, user_id: int | None = None):
    """Attribute changes made outside a request (CLI, jobs, a public survey link) to a named actor."""
    token = _actor_override.set((user_id, actor))
    try:
        yield
    finally:
        _actor_override.reset(token)


def current_actor() -> tuple[int | None, str]:
    override = _actor_override.get()
    if override is not None:
        return override
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return current_user.id, current_user.email
        return None, "anonymous"
    return None, "system"


def _jsonable(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _column_attrs(obj):
    mapper = inspect(obj).mapper
    excluded = getattr(type(obj), "__audit_exclude__", frozenset())
    return [a for a in mapper.column_attrs if a.key not in excluded]


def _changes(obj, action: str) -> dict:
    state = inspect(obj)
    changes: dict = {}
    for attr in _column_attrs(obj):
        hist = state.attrs[attr.key].history
        if action == "create":
            value = getattr(obj, attr.key)
            if value is not None:
                changes[attr.key] = {"old": None, "new": _jsonable(value)}
        elif action == "delete":
            value = hist.unchanged[0] if hist.unchanged else (hist.deleted[0] if hist.deleted else None)
            if value is not None:
                changes[attr.key] = {"old": _jsonable(value), "new": None}
        elif hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old != new:
                changes[attr.key] = {"old": _jsonable(old), "new": _jsonable(new)}
    return changes


def _entity_id(obj) -> str:
    """The row's primary key. A row created in this flush has its key assigned but no identity yet (it joins the
    identity map only after ``after_flush``), so the key is read from the instance, not ``identity``."""
    state = inspect(obj)
    key = state.identity or state.mapper.primary_key_from_instance(obj)
    return ",".join(str(v) for v in key) if key and all(v is not None for v in key) else "?"


@event.listens_for(Session, "after_flush")
def _record_audit_events(session: Session, flush_context) -> None:
    rows = []
    user_id, actor = current_actor()
    now = dt.datetime.now(dt.UTC)
    for action, objects in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            if not isinstance(obj, Audited):
                continue
            if action == "update" and not session.is_modified(obj, include_collections=False):
                continue
            changes = _changes(obj, action)
            if action == "update" and not changes:
                continue
            rows.append(
                {
                    "at": now,
                    "user_id": user_id,
                    "actor": actor,
                    "action": action,
                    "entity": obj.__tablename__,
                    "entity_id": _entity_id(obj),
                    "changes": changes,
                }
            )
    if rows:
        session.connection().execute(sa.insert(AuditEvent), rows)
