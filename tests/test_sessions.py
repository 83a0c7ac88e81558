"""Sessions that end (issue 14, item 1): each reproduces a finding of the outside probe.

A copied session cookie opened every page after sign-out; the remember-me cookie had the same value at every
sign-in, lasted a year and was never revoked; sessions begun before a password change stayed valid. Every test
copies a cookie into a fresh client (another browser) and replays it.
"""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
import sqlalchemy as sa

from app.db import db, utcnow
from app.models import ApiToken, Role, User, UserSession
from app.security import issue_api_token, user_for_api_token
from tests.conftest import TEST_PASSWORD

HOST = "mio.test"


def sign_in(app, user, remember: bool = False, user_agent: str = "browser-one"):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    data = {"email": user.email, "password": TEST_PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/auth/login", data=data)
    assert response.status_code == 302 and not response.headers["Location"].endswith("/auth/login")
    return client


def replay(app, cookies: dict[str, str], user_agent: str = "browser-one"):
    """A fresh client (another browser) holding only copies of ``cookies``."""
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    for name, value in cookies.items():
        client.set_cookie(name, value, domain=HOST)
    return client


def cookie(client, name: str) -> str:
    found = client.get_cookie(name, domain=HOST)
    assert found is not None, f"no {name} cookie"
    return found.value


def is_signed_in(client) -> bool:
    response = client.get("/")
    if response.status_code == 302:
        assert "/auth/login" in response.headers["Location"]
        return False
    assert response.status_code == 200
    return True


def test_a_copied_session_cookie_fails_after_sign_out(app, create_user):
    user = create_user(Role.DIRECTOR)
    client = sign_in(app, user)
    copied = {"session": cookie(client, "session")}
    assert is_signed_in(replay(app, copied))  # the copy works while the session lives (it is the session)
    client.post("/auth/logout")
    assert not is_signed_in(client)
    thief = replay(app, copied)
    assert thief.get("/admin/audit").status_code == 302
    assert not is_signed_in(thief)
    row = db.session.execute(sa.select(UserSession)).scalar_one()
    assert row.revoked_reason == "signed_out" and row.revoked_at is not None


def test_remember_me_is_random_per_sign_in_stored_hashed_and_revoked_by_sign_out(app, create_user):
    user = create_user(Role.DIRECTOR)
    first = sign_in(app, user, remember=True)
    second = sign_in(app, user, remember=True)
    token_1, token_2 = cookie(first, "remember_token"), cookie(second, "remember_token")
    assert token_1 != token_2  # the probe saw the same value at every sign-in
    secrets_in_cookies = [t.split("|")[0].split(".", 1)[1] for t in (token_1, token_2)]
    stored = " ".join(row.secret_hash for row in db.session.execute(sa.select(UserSession)).scalars())
    assert all(secret not in stored for secret in secrets_in_cookies)
    # the remember-me cookie alone (the session cookie gone: browser closed) signs back in ...
    assert is_signed_in(replay(app, {"remember_token": token_1}))
    # ... until that session is signed out; the other device's stays
    first.post("/auth/logout")
    assert not is_signed_in(replay(app, {"remember_token": token_1}))
    assert is_signed_in(replay(app, {"remember_token": token_2}))


def test_remember_me_lasts_the_lifetime_the_admin_set(app, create_user):
    user = create_user(Role.DIRECTOR)
    days = app.config["REMEMBER_DAYS"]
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=days)  # the cookie and the server agree
    client = app.test_client()
    response = client.post(
        "/auth/login", data={"email": user.email, "password": TEST_PASSWORD, "remember": "y"}
    )
    remember = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    expires = parsedate_to_datetime(remember.split("Expires=")[1].split(";")[0])
    assert abs(expires - (utcnow() + timedelta(days=days))) < timedelta(
        minutes=1
    )  # 14 days, not Flask-Login's 365
    row = db.session.execute(sa.select(UserSession)).scalar_one()
    assert row.remember and abs((row.expires_at - row.created_at) - timedelta(days=days)) < timedelta(
        seconds=1
    )
    token = cookie(client, "remember_token")
    row.expires_at = utcnow() - timedelta(seconds=1)  # the lifetime has passed on the server
    db.session.commit()
    assert not is_signed_in(replay(app, {"remember_token": token}))


def test_idle_sessions_end_on_the_server(app, create_user):
    user = create_user(Role.DIRECTOR)
    client = sign_in(app, user)
    copied = {"session": cookie(client, "session")}
    row = db.session.execute(sa.select(UserSession)).scalar_one()
    row.last_seen_at = utcnow() - app.permanent_session_lifetime - timedelta(seconds=1)
    db.session.commit()
    assert not is_signed_in(replay(app, copied))


def test_sign_out_everywhere(app, create_user):
    user = create_user(Role.DIRECTOR)
    laptop, phone = sign_in(app, user), sign_in(app, user, remember=True)
    phone_remember = cookie(phone, "remember_token")
    response = laptop.post("/auth/sessions/revoke-all")
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/login")
    assert not is_signed_in(laptop) and not is_signed_in(phone)
    assert not is_signed_in(replay(app, {"remember_token": phone_remember}))


def test_a_password_change_ends_every_other_session(app, create_user):
    user = create_user(Role.DIRECTOR)
    here, elsewhere = sign_in(app, user), sign_in(app, user, remember=True)
    copied_before = {"session": cookie(here, "session")}
    new = "violet submarine under quiet hills"
    response = here.post(
        "/auth/password", data={"current_password": TEST_PASSWORD, "new_password": new, "confirm": new}
    )
    assert response.status_code == 302
    assert is_signed_in(here)  # this browser goes on, in a new session
    assert not is_signed_in(elsewhere)
    assert not is_signed_in(replay(app, copied_before))
    reasons = (
        db.session.execute(sa.select(UserSession.revoked_reason).order_by(UserSession.id)).scalars().all()
    )
    assert reasons == ["password_changed", "password_changed", None]


def test_an_admin_reset_ends_sessions_and_revokes_api_tokens_by_default(app, create_user, client, login):
    admin, staff = create_user(Role.ADMIN), create_user(Role.DIRECTOR)
    _token, plain = issue_api_token(staff, "R laptop")
    db.session.commit()
    theirs = sign_in(app, staff)
    login(admin)
    form = client.get(f"/admin/users/{staff.id}/reset-password").get_data(as_text=True)
    assert "API tokens: 1 active" in form and "Keep their API tokens working" in form
    response = client.post(f"/admin/users/{staff.id}/reset-password")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Sessions signed out: 1." in text and "API tokens revoked: 1." in text
    assert not is_signed_in(theirs)
    assert user_for_api_token(plain) is None
    api = app.test_client().get("/api/v1/clinics", headers={"Authorization": f"Bearer {plain}"})
    assert api.status_code == 401


def test_an_admin_may_keep_the_api_tokens_and_is_told_so(app, create_user, client, login):
    admin, staff = create_user(Role.ADMIN), create_user(Role.DIRECTOR)
    _token, plain = issue_api_token(staff, "R laptop")
    db.session.commit()
    login(admin)
    response = client.post(f"/admin/users/{staff.id}/reset-password", data={"keep_api_tokens": "y"})
    assert "API tokens kept working, as you chose." in response.get_data(as_text=True)
    assert user_for_api_token(plain).id == staff.id


def test_deactivation_ends_the_sessions(app, create_user, client, login):
    admin, staff = create_user(Role.ADMIN), create_user(Role.DIRECTOR, name="Dee")
    theirs = sign_in(app, staff)
    login(admin)
    response = client.post(
        f"/admin/users/{staff.id}/edit",
        data={"email": staff.email, "name": "Dee", "role": Role.DIRECTOR, "agency_id": 0},
    )
    assert response.status_code == 302
    assert not db.session.get(User, staff.id).active
    assert not is_signed_in(theirs)
    row = db.session.execute(sa.select(UserSession).where(UserSession.user_id == staff.id)).scalar_one()
    assert row.revoked_reason == "deactivated"


def test_your_devices_lists_sessions_and_signs_one_out(app, create_user):
    user = create_user(Role.DIRECTOR)
    other = sign_in(app, user, user_agent="Phone browser")
    here = sign_in(app, user, user_agent="Laptop browser")
    page = here.get("/auth/sessions").get_data(as_text=True)
    assert "Phone browser" in page and "Laptop browser" in page and "(this browser)" in page
    assert "Signed-in sessions (2)" in page
    phone_row = db.session.execute(
        sa.select(UserSession).where(UserSession.user_agent == "Phone browser")
    ).scalar_one()
    assert here.post(f"/auth/sessions/{phone_row.id}/revoke").status_code == 302
    assert not is_signed_in(other) and is_signed_in(here)
    assert "Signed-in sessions (1)" in here.get("/auth/sessions").get_data(as_text=True)


def test_nobody_signs_out_another_users_session(app, create_user):
    mine, theirs = create_user(Role.DIRECTOR), create_user(Role.DIRECTOR)
    me, them = sign_in(app, mine), sign_in(app, theirs)
    their_row = db.session.execute(
        sa.select(UserSession).where(UserSession.user_id == theirs.id)
    ).scalar_one()
    assert me.post(f"/auth/sessions/{their_row.id}/revoke").status_code == 404
    assert is_signed_in(them)


def test_a_cookie_from_another_browser_is_refused(app, create_user):
    """The same cookie sent by another browser opens nothing (Flask-Login's "strong" protection let a permanent
    session through, only marking it not fresh)."""
    user = create_user(Role.DIRECTOR)
    client = sign_in(app, user, user_agent="Firefox on the ward PC")
    assert not is_signed_in(replay(app, {"session": cookie(client, "session")}, user_agent="curl/8.0"))


@pytest.mark.parametrize("value", ["1", "abc", "1.", "99999999999999999999.x", ".x"])
def test_a_forged_or_old_style_session_value_signs_nobody_in(app, create_user, value):
    """Before this change the cookie carried the bare user id; such cookies (and forgeries) open nothing."""
    create_user(Role.DIRECTOR)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = value
    assert not is_signed_in(client)


def test_pages_and_downloads_are_never_stored_by_the_browser(app, create_user, client, login):
    """ASVS 8.2.1: ``Cache-Control: no-store`` on every page, download and API answer; static files may be cached."""
    user = create_user(Role.DIRECTOR)
    _token, plain = issue_api_token(user, "R")
    db.session.commit()
    login(user)
    for path in ("/", "/admin/audit", "/auth/tokens", "/auth/sessions"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    download = client.get("/admin/audit.csv")
    assert download.status_code == 200 and download.headers["Cache-Control"] == "no-store"
    api = app.test_client().get("/api/v1/clinics", headers={"Authorization": f"Bearer {plain}"})
    assert api.status_code == 200 and api.headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")


def test_the_one_time_password_never_travels_in_a_cookie(app, create_user, client, login):
    admin, staff = create_user(Role.ADMIN), create_user(Role.DIRECTOR)
    login(admin)
    reset = client.post(f"/admin/users/{staff.id}/reset-password")
    temporary = reset.get_data(as_text=True).split('id="one-time-password" class="token">')[1].split("<")[0]
    assert len(temporary) >= 20 and reset.headers["Cache-Control"] == "no-store"
    set_cookies = " ".join(reset.headers.getlist("Set-Cookie"))
    assert temporary not in set_cookies
    with client.session_transaction() as session:
        assert temporary not in repr(dict(session))  # not waiting in the flash store either
    assert temporary not in client.get("/admin/users").get_data(as_text=True)  # shown once
    created = client.post(
        "/admin/users/new",
        data={"email": "new@example.org", "name": "New", "role": "director", "agency_id": 0, "active": "y"},
    )
    assert created.status_code == 200 and 'id="one-time-password"' in created.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "One-time password" not in repr(dict(session))


def test_the_token_page_shows_each_tokens_last_use(app, create_user, client, login):
    user = create_user(Role.DIRECTOR)
    _token, plain = issue_api_token(user, "R laptop")
    db.session.commit()
    api = app.test_client()
    api.get(
        "/api/v1/clinics",
        headers={"Authorization": f"Bearer {plain}"},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    token = db.session.execute(sa.select(ApiToken)).scalar_one()
    db.session.refresh(token)
    assert token.last_used_addr == "203.0.113.7" and token.last_used_at is not None
    login(user)
    page = client.get("/auth/tokens").get_data(as_text=True)
    assert "203.0.113.7" in page and token.last_used_at.strftime("%Y-%m-%d %H:%M") in page


def test_a_sign_in_forgets_sessions_that_ended_a_month_ago(app, create_user):
    user = create_user(Role.DIRECTOR)
    old, recent = sign_in(app, user), sign_in(app, user)
    old.post("/auth/logout")
    recent.post("/auth/logout")
    rows = db.session.execute(sa.select(UserSession).order_by(UserSession.id)).scalars().all()
    rows[0].revoked_at = utcnow() - timedelta(days=31)
    db.session.commit()
    sign_in(app, user)
    remaining = db.session.execute(sa.select(UserSession.id).order_by(UserSession.id)).scalars().all()
    assert remaining[0] == rows[1].id and len(remaining) == 2


def test_the_remember_me_lifetime_comes_from_the_environment_within_30_days(monkeypatch, tmp_path):
    from app import create_app
    from app.config import remember_days

    monkeypatch.setenv("MIO_REMEMBER_DAYS", "7")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})
    assert app.config["REMEMBER_DAYS"] == 7 and app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=7)
    for bad in ("0", "31", "two weeks", "-3"):
        with pytest.raises(ValueError, match="MIO_REMEMBER_DAYS=.*from 1 to 30"):
            remember_days(bad)


def test_an_admin_signs_a_user_out_everywhere_without_a_reset(app, create_user, client, login):
    admin, staff = create_user(Role.ADMIN), create_user(Role.DIRECTOR, email="lost.laptop@example.org")
    _token, plain = issue_api_token(staff, "R")
    db.session.commit()
    laptop, phone = sign_in(app, staff), sign_in(app, staff, user_agent="phone")
    idle = sign_in(app, staff, user_agent="old tablet")
    row = db.session.execute(
        sa.select(UserSession).where(UserSession.user_agent == "old tablet")
    ).scalar_one()
    row.last_seen_at = utcnow() - app.permanent_session_lifetime - timedelta(minutes=1)  # ended by idleness
    db.session.commit()
    login(admin)
    page = client.get("/admin/users").get_data(as_text=True)
    row_html = page.split("<td>lost.laptop@example.org</td>")[1].split("</tr>")[0]
    assert '<td class="num">2</td>' in row_html and "Sign out everywhere" in row_html
    response = client.post(f"/admin/users/{staff.id}/end-sessions", follow_redirects=True)
    assert "Signed lost.laptop@example.org out everywhere (2 sessions ended)." in response.get_data(
        as_text=True
    )
    assert not is_signed_in(laptop) and not is_signed_in(phone) and not is_signed_in(idle)
    assert user_for_api_token(plain).id == staff.id  # tokens and password untouched


def test_a_page_is_served_while_sqlite_is_busy_with_a_long_write(app, create_user):
    """Found by the probe of a running server (issue 14, item 5): while a background import of a 100,000-row
    screening log held SQLite's only write lock (about 25 s), every signed-in page answered 500, because the
    session's last-seen time could not be written. The touch is bookkeeping: the page is served without it."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite's single writer; PostgreSQL locks rows")
    import sqlite3

    user = create_user(Role.DIRECTOR)
    client = sign_in(app, user)
    row = db.session.execute(sa.select(UserSession)).scalar_one()
    seen = utcnow() - timedelta(minutes=5)  # due for a touch
    row.last_seen_at = seen
    db.session.commit()
    writer = sqlite3.connect(db.engine.url.database, timeout=1)
    writer.execute("BEGIN IMMEDIATE")  # another connection holds the write lock, as the import's transaction does
    try:
        writer.execute("UPDATE agency SET name = name")
        response = client.get("/auth/sessions")
        assert response.status_code == 200, response.status_code
    finally:
        writer.rollback()
        writer.close()
    db.session.expire_all()
    assert db.session.get(UserSession, row.id).last_seen_at.replace(tzinfo=None) == seen.replace(tzinfo=None)
    client.get("/auth/sessions")  # the lock is gone: the next request writes the touch
    db.session.expire_all()
    assert db.session.get(UserSession, row.id).last_seen_at.replace(tzinfo=None) > seen.replace(tzinfo=None)


def test_a_write_refused_by_a_busy_sqlite_is_a_503_saying_nothing_was_saved():
    """A request that must write while another holds SQLite's lock past busy_timeout gets 503 + Retry-After (as
    for a lost connection), not a 500; a faulty statement stays a bug."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from app import create_app
    from app.errors import BUSY_MESSAGE, RETRY_AFTER_SECONDS, database_busy

    locked = OperationalError("UPDATE user_session", {}, sqlite3.OperationalError("database is locked"))
    missing = OperationalError("SELECT * FROM nowhere", {}, sqlite3.OperationalError("no such table: nowhere"))
    assert database_busy(locked) and not database_busy(missing)
    application = create_app({"TESTING": True, "RENDER_500_IN_TESTS": True,
                              "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 32})
    with application.test_request_context("/auth/login", method="POST"):
        response = application.make_response(application.handle_user_exception(locked))
    assert response.status_code == 503 and response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "was not saved" in response.get_data(as_text=True) and "busy" in BUSY_MESSAGE


def test_a_read_whose_audit_row_cannot_be_written_is_withheld_with_a_503(app, create_user):
    """Every read of participant data and every download is audited (issue 14, item 6). While SQLite's one writer
    was busy with a background 100,000-row import, the probe saw downloads answer 500 (the audit row's write failed
    in the after-request hook): now 503 + Retry-After, the data withheld, and nothing half-written."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite's single writer; PostgreSQL locks rows")
    import sqlite3

    from app.models import AuditEvent

    user = create_user(Role.ADMIN)
    client = sign_in(app, user)
    assert client.get("/admin/audit.csv").status_code == 200  # touch written, an export row recorded
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    writer = sqlite3.connect(db.engine.url.database, timeout=1)
    writer.execute("BEGIN IMMEDIATE")
    try:
        writer.execute("UPDATE agency SET name = name")
        response = client.get("/admin/audit.csv")
    finally:
        writer.rollback()
        writer.close()
    assert response.status_code == 503, response.status_code
    assert response.headers["Retry-After"] and "text/html" in response.content_type
    assert "was not saved" in response.get_data(as_text=True) and user.email not in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == before
    assert client.get("/admin/audit.csv").status_code == 200  # the lock gone, the download works and is audited
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == before + 1
