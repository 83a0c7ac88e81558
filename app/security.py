"""The one place that decides what the current user may see and do.

- ``visible_agency_ids(user)``: ``None`` means every agency (admins, directors and the central research roles);
  agency staff and trial staff see their own agency only.
- ``scoped(stmt, Model)`` adds that restriction to any ``select()`` of an ``AgencyScoped`` model.
- ``get_scoped_or_404(Model, id)`` fetches one row within scope (Redash's ``get_by_id_and_org``): a row of another
  agency is indistinguishable from a missing one.
- ``roles_required(...)`` guards views by role (403 otherwise).
"""

from __future__ import annotations

import functools
import hashlib
import math
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, current_app, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, login_required

from app.db import db
from app.models import AgencyScoped, ApiToken, LoginAttempt, Role, User

_hasher = PasswordHasher()
#: verified against when the e-mail is unknown, so both failures cost the same time
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(4))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def visible_agency_ids(user) -> list[int] | None:
    """``None`` = all agencies. Agency-bound roles without an agency see nothing."""
    if user is None or not user.is_authenticated:
        return []
    if user.role in Role.AGENCY_BOUND:
        return [user.agency_id] if user.agency_id else []
    return None


def scoped(stmt: sa.Select, model: type[AgencyScoped], user=None) -> sa.Select:
    """Restrict ``stmt`` (a select involving ``model``) to the agencies ``user`` (default: current user) may see."""
    ids = visible_agency_ids(current_user if user is None else user)
    if ids is None:
        return stmt
    return stmt.where(model.agency_clause(ids))


def get_scoped_or_404(model: type[AgencyScoped], object_id, user=None):
    pk = sa.inspect(model).primary_key[0]
    row = db.session.execute(scoped(sa.select(model).where(pk == object_id), model, user)).scalar_one_or_none()
    if row is None:
        abort(404)
    return row


def can_see_agency(agency_id: int | None, user=None) -> bool:
    ids = visible_agency_ids(current_user if user is None else user)
    return ids is None or agency_id in ids


def roles_required(*roles: str):
    """View decorator: log in first, then 403 unless the user holds one of ``roles`` (admins pass every gate)."""

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role != Role.ADMIN and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles
        return wrapped

    return decorator


# --- sign-in throttling -----------------------------------------------------------------------------------------


def throttle_remaining_seconds(email: str, remote_addr: str | None, kind: str = LoginAttempt.SIGN_IN) -> int:
    """Seconds until ``email`` may try ``kind`` again from ``remote_addr``; 0 when it may now.

    Progressive delay per account *and* address (``app.auth.passwords.progressive_delay``): the failures of this
    pair since its last success (remembered ``LOGIN_FAILURE_MEMORY_SECONDS``) decide the wait after the latest
    one. Another address has its own count, so nobody locks the director out from elsewhere. Kept in the
    database so all workers agree."""
    from app.auth.passwords import progressive_delay

    cfg = current_app.config
    now = datetime.now(UTC)
    since = now - timedelta(seconds=cfg["LOGIN_FAILURE_MEMORY_SECONDS"])
    pair = (LoginAttempt.email == email, LoginAttempt.remote_addr == remote_addr, LoginAttempt.kind == kind)
    last_success = db.session.execute(
        sa.select(sa.func.max(LoginAttempt.at)).where(*pair, LoginAttempt.success.is_(True))
    ).scalar()
    if last_success is not None and last_success > since:
        since = last_success
    failures, latest = db.session.execute(
        sa.select(sa.func.count(LoginAttempt.id), sa.func.max(LoginAttempt.at)).where(
            *pair, LoginAttempt.success.is_(False), LoginAttempt.at > since
        )
    ).one()
    delay = progressive_delay(failures, cfg["LOGIN_FREE_FAILURES"], cfg["LOGIN_MAX_DELAY_SECONDS"])
    if not delay:
        return 0
    remaining = (latest + timedelta(seconds=delay) - now).total_seconds()
    return max(0, math.ceil(remaining))


def record_login_attempt(email: str, success: bool, kind: str = LoginAttempt.SIGN_IN) -> None:
    db.session.add(LoginAttempt(email=email, remote_addr=request.remote_addr, success=success, kind=kind))


def recent_password_changes(email: str, within: timedelta) -> list[datetime]:
    """When ``email`` changed its password within ``within`` (oldest first), for the change throttle."""
    return list(
        db.session.execute(
            sa.select(LoginAttempt.at)
            .where(
                LoginAttempt.email == email,
                LoginAttempt.kind == LoginAttempt.PASSWORD_CHANGE,
                LoginAttempt.success.is_(True),
                LoginAttempt.at > datetime.now(UTC) - within,
            )
            .order_by(LoginAttempt.at)
        ).scalars()
    )


def authenticate(email: str, password: str) -> User | None:
    user = db.session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:  # imported coder identities never sign in
        return None
    return user


# --- personal access tokens for the read-only API ---------------------------------------------------------------


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; the plain value is returned once and never stored."""
    plain = "mio_" + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=token_digest(plain))
    db.session.add(token)
    return token, plain


def user_for_api_token(plain: str) -> User | None:
    token = db.session.execute(
        sa.select(ApiToken).where(ApiToken.token_hash == token_digest(plain), ApiToken.revoked.is_(False))
    ).scalar_one_or_none()
    if token is None or not token.user.is_active:
        return None
    return token.user


# --- response headers ------------------------------------------------------------------------------------------

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def _is_static() -> bool:
    endpoint = request.endpoint or ""
    return endpoint == "static" or endpoint.endswith(".static")


def set_security_headers(response):
    """Every page, download and API answer may carry participant data or a secret (a one-time password, a new
    token, a survey link): none is stored by the browser or a proxy (``no-store``; ASVS 8.2.1). Static files are
    the only responses caches may keep."""
    if not _is_static():
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Pragma", "no-cache")  # HTTP/1.0 proxies
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over https (or the config demands it)."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or (has_request_context() and request.is_secure))

    def should_set_cookie(self, app, session) -> bool:
        """A static file never re-sends an unchanged session cookie. Every response refreshed it (permanent
        session), so a static file answered late (a favicon re-fetched on a URL change, a slow stylesheet)
        overwrote the cookie a concurrent request had just changed: the flash of a save was lost, and a sign-out
        could be undone. The next page refreshes the cookie's expiry anyway."""
        endpoint = request.endpoint if has_request_context() else None
        if not session.modified and endpoint and (endpoint == "static" or endpoint.endswith(".static")):
            return False
        return super().should_set_cookie(app, session)


def mark_cookies_secure(response):
    """Registered before Flask-Login so it runs after it: the remember-me cookie gets Secure over https too."""
    if request.is_secure:
        _mark_cookies_secure(response)
    return response


def _mark_cookies_secure(response) -> None:
    """Served over https, every cookie (session and remember-me) gets the Secure flag, whatever the config says."""
    cookies = response.headers.getlist("Set-Cookie")
    if not cookies:
        return
    response.headers.remove("Set-Cookie")
    for cookie in cookies:
        response.headers.add("Set-Cookie", cookie if "; Secure" in cookie else cookie + "; Secure")
