"""Sessions that end on the server (ASVS 3.3): every signed-in browser is a ``UserSession`` row checked on every
request, so signing out, a password change, an admin reset or deactivation ends a session even where its cookie
was copied. A session is bound to the browser that signed in (its User-Agent): the same cookie sent by another
browser opens nothing.

The Flask session cookie carries ``"<id>.<secret>"`` as Flask-Login's user id (``session["_user_id"]``), and so
does the remember-me cookie, which Flask-Login derives from it: the remember-me value is random at every sign-in,
only the SHA-256 of the secret is stored, and revoking the row ends both cookies. A session lasts:

- without "keep me signed in": until ``PERMANENT_SESSION_LIFETIME`` passes without a request (idle timeout), and
  at most ``SESSION_ABSOLUTE_HOURS`` after sign-in;
- with it: ``REMEMBER_DAYS`` after sign-in (the administrator sets this in the environment, ``MIO_REMEMBER_DAYS``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, request, session

from app.db import db, utcnow
from app.models import User, UserSession

#: the last-seen time and address are written at most this often per session (one UPDATE a minute, not a request)
TOUCH_EVERY = timedelta(seconds=60)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def remember_lifetime() -> timedelta:
    return timedelta(days=current_app.config["REMEMBER_DAYS"])


def start(user: User, remember: bool) -> str:
    """Open a session row for ``user`` and return the value the cookies carry (the plain secret is never stored)."""
    now = utcnow()
    lifetime = (
        remember_lifetime() if remember else timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"])
    )
    secret = secrets.token_urlsafe(32)
    row = UserSession(
        user_id=user.id,
        secret_hash=_digest(secret),
        remember=remember,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
    )
    if has_request_context():
        row.remote_addr = (request.remote_addr or "")[:120] or None
        row.user_agent = _user_agent()
    db.session.add(row)
    _forget_ended(user.id, now)
    db.session.flush()
    return f"{row.id}.{secret}"


#: ended sessions stay listed in the database this long (for an inquiry), then a sign-in of their user deletes them
KEEP_ENDED = timedelta(days=30)


def _forget_ended(user_id: int, now) -> None:
    """Delete ``user_id``'s sessions that ended more than ``KEEP_ENDED`` ago, so the table stays bounded by the
    sessions of the last month (one indexed DELETE per sign-in)."""
    cutoff = now - KEEP_ENDED
    db.session.execute(
        sa.delete(UserSession).where(
            UserSession.user_id == user_id,
            sa.or_(UserSession.revoked_at < cutoff, UserSession.expires_at < cutoff),
        )
    )


def sign_in(user: User, remember: bool) -> None:
    """Put a new session into the (already cleared) Flask session; ``flask_login.login_user`` has run."""
    session["_user_id"] = start(user, remember)


def _row_for(token: str | None) -> UserSession | None:
    """The live row ``token`` names, or None (malformed, unknown, wrong secret, revoked, expired)."""
    if not token or not isinstance(token, str):
        return None
    session_id, _, secret = token.partition(".")
    if not session_id.isdigit() or len(session_id) > 18 or not secret:
        return None
    row = db.session.get(UserSession, int(session_id))
    if row is None or not hmac.compare_digest(row.secret_hash, _digest(secret)):
        return None
    now = utcnow()
    if row.revoked_at is not None or row.expires_at <= now:
        return None
    if not row.remember and row.last_seen_at + current_app.permanent_session_lifetime <= now:
        return None
    if has_request_context() and row.user_agent != _user_agent():
        # the cookie copied into another browser. Flask-Login's "strong" protection does not catch this for a
        # permanent session (it only marks it not fresh), so the session is bound to its browser here.
        return None
    return row


def _user_agent() -> str | None:
    return (request.user_agent.string or "")[:255] or None


def user_for_token(token: str) -> User | None:
    """Flask-Login's user loader: the session's user while the session lives and the account is active.

    The last-seen time and address are written on their own connection, so a page that only reads never commits
    its request's session, and a view's unfinished changes are never committed by the loader."""
    row = _row_for(token)
    if row is None:
        return None
    user = db.session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    now = utcnow()
    addr = ((request.remote_addr or "")[:120] or None) if has_request_context() else row.remote_addr
    if now - row.last_seen_at >= TOUCH_EVERY or addr != row.remote_addr:
        try:
            with db.engine.begin() as conn:
                conn.execute(
                    sa.update(UserSession)
                    .where(UserSession.id == row.id)
                    .values(last_seen_at=now, remote_addr=addr)
                )
        except sa.exc.OperationalError as error:
            from app.errors import database_busy

            if not database_busy(error):
                raise
            # SQLite's one writer is busy (a background import of a large file): the touch is bookkeeping, so the
            # page is served and the next request writes it (the idle limit counts from the last touch written)
            current_app.logger.info("session %s: last-seen time not written, the database is busy", row.id)
    return user


def current_session_id() -> int | None:
    token = session.get("_user_id") if has_request_context() else None
    row = _row_for(token)
    return row.id if row is not None else None


def revoke(row: UserSession, reason: str) -> None:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        row.revoked_reason = reason


def revoke_current(reason: str = "signed_out") -> None:
    """End the browser's own session (the caller commits)."""
    session_id = current_session_id()
    if session_id is not None:
        revoke(db.session.get(UserSession, session_id), reason)


def revoke_all(user: User, reason: str, keep_id: int | None = None) -> int:
    """End every live session of ``user`` except ``keep_id``; returns how many ended (the caller commits). Rows
    already dead by idleness or age are left as they are: they open nothing."""
    stmt = sa.select(UserSession).where(UserSession.user_id == user.id, live_clause())
    if keep_id is not None:
        stmt = stmt.where(UserSession.id != keep_id)
    rows = db.session.execute(stmt).scalars().all()
    for row in rows:
        revoke(row, reason)
    return len(rows)


def live_clause():
    """SQL: the session rows that still open pages (not revoked, not expired, not idle too long)."""
    now = utcnow()
    return sa.and_(
        UserSession.revoked_at.is_(None),
        UserSession.expires_at > now,
        sa.or_(
            UserSession.remember.is_(True),
            UserSession.last_seen_at > now - current_app.permanent_session_lifetime,
        ),
    )


def live_sessions(user: User) -> list[UserSession]:
    """``user``'s sessions that still open pages, newest activity first (the "Your devices" page)."""
    return list(
        db.session.execute(
            sa.select(UserSession)
            .where(UserSession.user_id == user.id, live_clause())
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        ).scalars()
    )


def rotate(user: User, reason: str) -> None:
    """After a password change: every session of ``user`` ends, and this browser continues in a new one (so a
    cookie copied before the change opens nothing after it). The caller commits."""
    current = current_session_id()
    remember = bool(current and db.session.get(UserSession, current).remember)
    revoke_all(user, reason)
    session["_user_id"] = start(user, remember)
    if remember:
        session["_remember"] = "set"  # the remember-me cookie follows the new session
