"""Database work behind the admin pages: scoped lists, saves with uniqueness checks, guarded deletes."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.auth import sessions
from app.db import db
from app.models import Agency, ApiToken, Clinic, Person, User, UserSession
from app.paging import contains
from app.security import hash_password, scoped


class DeleteRefused(Exception):
    pass


def agencies() -> list[Agency]:
    return list(db.session.execute(scoped(sa.select(Agency).order_by(Agency.name), Agency)).scalars())


def clinics() -> list[Clinic]:
    stmt = sa.select(Clinic).join(Clinic.agency).options(sa.orm.contains_eager(Clinic.agency)).order_by(Clinic.code)
    return list(db.session.execute(scoped(stmt, Clinic)).scalars())


def people_query(agency: Agency | None = None, clinic: Clinic | None = None, kind: str | None = None,
                 active: bool | None = None, name: str = "") -> sa.Select:
    """The person records the current user may see, by clinic, kind and name (ties broken by id so pages are
    stable); each filter applies when given, ``name`` as a case-insensitive substring of the display name."""
    stmt = (
        sa.select(Person)
        .join(Person.clinic)
        .options(sa.orm.contains_eager(Person.clinic))
        .order_by(Clinic.code, Person.kind, Person.display_name, Person.id)
    )
    if agency is not None:
        stmt = stmt.where(Clinic.agency_id == agency.id)
    if clinic is not None:
        stmt = stmt.where(Person.clinic_id == clinic.id)
    if kind:
        stmt = stmt.where(Person.kind == kind)
    if active is not None:
        stmt = stmt.where(Person.active.is_(active))
    if name:
        stmt = stmt.where(contains(Person.display_name, name))
    return scoped(stmt, Person)


def users() -> list[User]:
    stmt = sa.select(User).options(sa.orm.selectinload(User.agency)).order_by(User.role, User.email)
    return list(db.session.execute(stmt).scalars())


def unique_conflict(model, column: str, value, exclude_id: int | None) -> bool:
    col = getattr(model, column)
    stmt = sa.select(model.id).where(sa.func.lower(col) == str(value).lower())
    if exclude_id:
        stmt = stmt.where(model.id != exclude_id)
    return db.session.execute(stmt).first() is not None


def save(obj, data: dict) -> None:
    """Copy ``data`` onto ``obj`` and commit; the audit trail records what changed."""
    for key, value in data.items():
        setattr(obj, key, value)
    db.session.add(obj)
    db.session.commit()


def delete(obj) -> None:
    """Delete, or refuse with a reason when other records still point at ``obj``."""
    db.session.delete(obj)
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise DeleteRefused(
            f"{obj} still has records that depend on it (clinics, people, data). Mark it inactive instead."
        ) from exc


def temporary_password() -> str:
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))


def active_api_tokens(user: User) -> int:
    return db.session.execute(
        sa.select(sa.func.count(ApiToken.id)).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
    ).scalar_one()


def reset_password(user: User, keep_api_tokens: bool = False) -> tuple[str, int, int]:
    """Admin-driven reset without a mail server: a one-time password shown to the admin, changed at next sign-in.

    A reset means the account may be in the wrong hands: every session of the user ends and, unless the admin
    chooses to keep them, every API token is revoked. Returns (one-time password, sessions ended, tokens
    revoked)."""
    temporary = temporary_password()
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    ended = sessions.revoke_all(user, "admin_reset")
    revoked = 0 if keep_api_tokens else revoke_api_tokens(user)
    db.session.commit()
    return temporary, ended, revoked


def revoke_api_tokens(user: User) -> int:
    tokens = db.session.execute(
        sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
    ).scalars().all()
    for token in tokens:
        token.revoked = True
    return len(tokens)


def end_sessions(user: User) -> int:
    """An admin signs ``user`` out everywhere (a lost laptop, a shared computer); returns how many sessions ended."""
    ended = sessions.revoke_all(user, "ended_by_admin")
    db.session.commit()
    return ended


def live_session_counts() -> dict[int, int]:
    """User id -> number of live sessions, in one grouped query (the accounts page)."""
    rows = db.session.execute(
        sa.select(UserSession.user_id, sa.func.count(UserSession.id))
        .where(sessions.live_clause())
        .group_by(UserSession.user_id)
    )
    return dict(rows.all())


def save_user(user: User, data: dict) -> None:
    """Save an account; deactivating it ends its sessions at once (the user loader refuses inactive accounts as
    well, so this only makes the devices list say why)."""
    if user.id is not None and user.active and data.get("active") is False:
        sessions.revoke_all(user, "deactivated")
    save(user, data)
