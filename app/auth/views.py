"""Sign-in, sign-out, password change and personal access tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.auth.forms import ApiTokenForm, ChangePasswordForm, LoginForm
from app.db import db
from app.models import ApiToken
from app.security import (
    authenticate,
    hash_password,
    issue_api_token,
    record_login_attempt,
    throttle_remaining_seconds,
    verify_password,
)

bp = Blueprint("auth", __name__, url_prefix="/auth")

LOGIN_FAILED = "Email or password is not correct."


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
        wait = throttle_remaining_seconds(email)
        if wait:
            minutes = max(1, round(wait / 60))
            flash(f"Too many failed attempts. Try again in about {minutes} minute(s).", "error")
            return render_template("auth/login.html", form=form), 429
        user = authenticate(email, form.password.data)
        record_login_attempt(email, success=user is not None)
        if user is None:
            db.session.commit()
            flash(LOGIN_FAILED, "error")
            status = 401
        else:
            user.last_login_at = datetime.now(UTC)
            db.session.commit()
            session.clear()
            login_user(user, remember=form.remember.data)
            session.permanent = True
            if user.must_change_password:
                flash("Your password was reset by an administrator: choose a new one.", "info")
                return redirect(url_for("auth.change_password"))
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append("This is not your current password.")
        else:
            current_user.password_hash = hash_password(form.new_password.data)
            current_user.must_change_password = False
            db.session.commit()
            flash("Password changed.", "success")
            return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form), 400 if form.errors else 200


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
        and request.endpoint not in {"auth.change_password", "auth.logout", "static", "main.health"}
    ):
        return redirect(url_for("auth.change_password"))
    return None
