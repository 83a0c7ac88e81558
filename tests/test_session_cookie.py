"""The session cookie and concurrent requests: static files do not re-send it (a late static response overwrote
the cookie a page had just changed, losing a flash message or undoing a sign-out)."""

from app.models import Role


def _sets_session_cookie(response) -> bool:
    return any(c.startswith("session=") for c in response.headers.getlist("Set-Cookie"))


def test_static_files_leave_the_session_cookie_alone(client, login, create_user):
    login(create_user(Role.DIRECTOR))
    assert _sets_session_cookie(client.get("/"))  # pages refresh the permanent session
    for path in ("/static/css/app.css", "/static/favicon.svg", "/readiness/applications/static/application.js"):
        response = client.get(path)
        assert response.status_code == 200 and not _sets_session_cookie(response), path
