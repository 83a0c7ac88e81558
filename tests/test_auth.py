import sqlalchemy as sa

from app.db import db
from app.models import LoginAttempt, Role
from app.security import CONTENT_SECURITY_POLICY, hash_password, verify_password


def one_time_password(response) -> str:
    return response.get_data(as_text=True).split('id="one-time-password" class="token">')[1].split("<")[0]


def test_password_hash_is_argon2_and_verifies():
    hashed = hash_password("s3cret passphrase")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "s3cret passphrase")
    assert not verify_password(hashed, "wrong")
    assert not verify_password(None, "anything")


def test_login_and_logout(client, create_user, login):
    user = create_user(Role.DIRECTOR, name="Eliza")
    response = login(user)
    assert response.headers["Location"].endswith("/")
    home = client.get("/")
    assert home.status_code == 200 and b"Welcome, Eliza" in home.data
    assert client.get("/auth/logout").status_code == 405  # sign-out changes state: POST only
    assert client.post("/auth/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_unknown_user_and_wrong_password_get_the_same_message(client, create_user):
    user = create_user(Role.DIRECTOR)
    wrong_password = client.post("/auth/login", data={"email": user.email, "password": "nope"})
    unknown_user = client.post("/auth/login", data={"email": "nobody@example.org", "password": "nope"})
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert b"Email or password is not correct." in wrong_password.data
    assert b"Email or password is not correct." in unknown_user.data


def test_repeated_failures_wait_even_with_the_right_password(client, create_user, app):
    """After the free failures, the next try from the same address waits (progressive delay): the right password
    is refused too while it lasts, and the refused try is not counted."""
    user = create_user(Role.DIRECTOR)
    for _ in range(app.config["LOGIN_FREE_FAILURES"] + 1):
        assert client.post("/auth/login", data={"email": user.email, "password": "bad"}).status_code == 401
    blocked = client.post("/auth/login", data={"email": user.email, "password": "correct horse battery staple"})
    assert blocked.status_code == 429
    assert b"Too many failed attempts for this account from your address. Try again in 2 seconds." in blocked.data
    attempts = db.session.execute(sa.select(sa.func.count(LoginAttempt.id))).scalar()
    assert attempts == app.config["LOGIN_FREE_FAILURES"] + 1


def test_inactive_user_cannot_sign_in(client, create_user):
    user = create_user(Role.DIRECTOR, active=False)
    assert client.post("/auth/login", data={"email": user.email, "password": "correct horse battery staple"}).status_code == 401


def test_session_cookie_flags(client, create_user):
    user = create_user(Role.DIRECTOR)
    response = client.post("/auth/login", data={"email": user.email, "password": "correct horse battery staple"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_cookies_are_secure_over_https(app, create_user):
    user = create_user(Role.DIRECTOR)
    client = app.test_client()
    response = client.post("/auth/login", base_url="https://mio.test",
                           data={"email": user.email, "password": "correct horse battery staple", "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in c for c in cookies)


def test_security_headers(client):
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp and "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_open_redirect_is_refused(client, create_user):
    user = create_user(Role.DIRECTOR)
    response = client.post("/auth/login?next=//evil.example/x",
                           data={"email": user.email, "password": "correct horse battery staple"})
    assert response.headers["Location"] in ("/", "http://mio.test/")


def test_admin_reset_forces_a_new_password(client, create_user, login):
    admin = create_user(Role.ADMIN)
    staff = create_user(Role.AGENCY_STAFF)
    login(admin)
    response = client.post(f"/admin/users/{staff.id}/reset-password")
    assert response.status_code == 200  # shown in this response only, never through the flash cookie
    temporary = one_time_password(response)
    client.post("/auth/logout")
    assert client.post("/auth/login", data={"email": staff.email, "password": temporary}).headers["Location"].endswith(
        "/auth/password")
    assert client.get("/").headers["Location"].endswith("/auth/password")  # nothing else until changed
    short = client.post("/auth/password", data={"current_password": temporary, "new_password": "short", "confirm": "short"})
    assert short.status_code == 400 and b"at least 12 characters" in short.data
    kept = client.post("/auth/password", data={"current_password": temporary, "new_password": temporary,
                                               "confirm": temporary})
    assert kept.status_code == 400 and b"other than the one-time password" in kept.data
    done = client.post("/auth/password", data={"current_password": temporary, "new_password": "a much longer passphrase",
                                               "confirm": "a much longer passphrase"})
    assert done.status_code == 302
    assert client.get("/").status_code == 200


def test_api_tokens_are_shown_once_and_stored_hashed(client, create_user, login):
    from app.models import ApiToken
    from app.security import token_digest, user_for_api_token

    user = create_user(Role.DIRECTOR)
    login(user)
    page = client.post("/auth/tokens", data={"name": "R laptop"}).get_data(as_text=True)
    plain = page.split('id="new-token" class="token">')[1].split("<")[0]
    token = db.session.execute(sa.select(ApiToken)).scalar_one()
    assert token.token_hash == token_digest(plain) and plain not in token.token_hash
    assert user_for_api_token(plain).id == user.id
    client.post(f"/auth/tokens/{token.id}/revoke")
    assert user_for_api_token(plain) is None
