"""Sign-in, sign-out, password change and personal access tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import passwords, sessions
from app.auth.forms import ApiTokenForm, ChangePasswordForm, LoginForm
from app.db import db
from app.models import ApiToken, LoginAttempt, UserSession
from app.security import (
    authenticate,
    hash_password,
    issue_api_token,
    recent_password_changes,
    record_login_attempt,
    throttle_remaining_seconds,
    verify_password,
)

bp = Blueprint("auth", __name__, url_prefix="/auth")

LOGIN_FAILED = "Email or password is not correct."
#: the routes that end the caller's own session (route walks in the tests skip them, or they would sign out)
SIGN_OUT_ENDPOINTS = frozenset({"auth.logout", "auth.revoke_all_sessions", "auth.revoke_session"})


def _wait_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"about {round(seconds / 60)} minutes"


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        wait = throttle_remaining_seconds(email, request.remote_addr)
        if wait:
            flash(f"Too many failed attempts for this account from your address. Try again in {_wait_words(wait)}.",
                  "error")
            return render_template("auth/login.html", form=form), 429
        user = authenticate(email, form.password.data)
        record_login_attempt(email, success=user is not None)
        if user is None:
            db.session.commit()
            flash(LOGIN_FAILED, "error")
            status = 401
        else:
            user.last_login_at = datetime.now(UTC)
            session.clear()
            login_user(user, remember=form.remember.data)
            sessions.sign_in(user, remember=bool(form.remember.data))
            session.permanent = True
            db.session.commit()
            if user.must_change_password:
                flash("Your password was reset by an administrator: choose a new one.", "info")
                return redirect(url_for("auth.change_password"))
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Ends the session on the server too: a copy of the cookie opens nothing afterwards."""
    sessions.revoke_current("signed_out")
    db.session.commit()
    session.clear()
    logout_user()  # after clear(): it asks for the remember-me cookie to be deleted
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/sessions")
@login_required
def devices():
    """Your devices: every browser signed in as you, where and when it was last seen; sign any of them out."""
    return render_template("auth/sessions.html", rows=sessions.live_sessions(current_user),
                           current_id=sessions.current_session_id(),
                           idle_hours=current_app.permanent_session_lifetime.total_seconds() / 3600)


@bp.route("/sessions/<int:user_session_id>/revoke", methods=["POST"])
@login_required
def revoke_session(user_session_id: int):
    row = db.session.get(UserSession, user_session_id)
    if row is None or row.user_id != current_user.id:
        abort(404)
    is_current = row.id == sessions.current_session_id()
    sessions.revoke(row, "signed_out_here")
    db.session.commit()
    if is_current:
        return logout()
    flash("That device is signed out.", "success")
    return redirect(url_for("auth.devices"))


@bp.route("/sessions/revoke-all", methods=["POST"])
@login_required
def revoke_all_sessions():
    """Sign out everywhere, this browser included (a lost phone, a shared computer)."""
    count = sessions.revoke_all(current_user, "signed_out_everywhere")
    db.session.commit()
    session.clear()
    logout_user()
    flash(f"Signed out everywhere ({count} session{'s' if count != 1 else ''} ended).", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's password (ASVS 2.1): the current one is checked, with the sign-in's progressive delay on wrong
    guesses; the new one must pass ``app.auth.passwords.problems`` and differ from the current one (so a one-time
    password is never kept); at most ``PASSWORD_CHANGES_PER_HOUR`` changes an hour."""
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/change_password.html", form=form), 400 if form.errors else 200
    email = current_user.email
    refused = _password_change_refused(email)
    if refused:
        flash(refused, "error")
        return render_template("auth/change_password.html", form=form), 429
    if not verify_password(current_user.password_hash, form.current_password.data):
        record_login_attempt(email, success=False, kind=LoginAttempt.PASSWORD_CHANGE)
        db.session.commit()
        form.current_password.errors.append("This is not your current password.")
        return render_template("auth/change_password.html", form=form), 400
    new = form.new_password.data
    if verify_password(current_user.password_hash, new):
        form.new_password.errors.append(
            "Choose a password other than the one-time password you were given."
            if current_user.must_change_password
            else "This is your current password: choose a new one."
        )
    else:
        form.new_password.errors.extend(passwords.problems(new, (email, current_user.name)))
    if form.new_password.errors:
        return render_template("auth/change_password.html", form=form), 400
    current_user.password_hash = hash_password(new)
    current_user.must_change_password = False
    record_login_attempt(email, success=True, kind=LoginAttempt.PASSWORD_CHANGE)
    sessions.rotate(current_user, "password_changed")
    db.session.commit()
    flash("Password changed. Every other device signed in as you has been signed out.", "success")
    return redirect(url_for("main.home"))


def _password_change_refused(email: str) -> str | None:
    """Why a password change may not be tried now: wrong current passwords from this address (progressive
    delay), or too many changes this hour."""
    wait = throttle_remaining_seconds(email, request.remote_addr, LoginAttempt.PASSWORD_CHANGE)
    if wait:
        return f"Too many wrong current passwords. Try again in {_wait_words(wait)}."
    limit = current_app.config["PASSWORD_CHANGES_PER_HOUR"]
    changes = recent_password_changes(email, timedelta(hours=1))
    if len(changes) >= limit:
        free_at = changes[-limit] + timedelta(hours=1)
        return (f"Your password was changed {len(changes)} times in the last hour; the next change is possible "
                f"at {free_at:%H:%M} UTC.")
    return None


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """Personal access tokens for the read-only JSON API (``Authorization: Bearer <token>``)."""
    form = ApiTokenForm()
    plain = None
    if form.validate_on_submit():
        _token, plain = issue_api_token(current_user, form.name.data.strip())
        db.session.commit()
        flash("Token created. Copy it now: it is shown only once.", "success")
    rows = db.session.execute(
        sa.select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.created_at.desc())
    ).scalars()
    return render_template("auth/tokens.html", form=form, tokens=list(rows), plain=plain)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    token.revoked = True
    db.session.commit()
    flash(f"Token “{token.name}” revoked.", "success")
    return redirect(url_for("auth.tokens"))


@bp.before_app_request
def force_password_change():
    """A user whose password an admin reset must choose a new one before anything else."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in {"auth.change_password", "auth.logout", "auth.revoke_all_sessions", "static",
                                     "main.health"}
    ):
        return redirect(url_for("auth.change_password"))
    return None
