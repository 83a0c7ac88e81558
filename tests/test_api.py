import sqlalchemy as sa

from app.db import db
from app.models import ApiToken, Role
from app.security import issue_api_token


def _token(user):
    _t, plain = issue_api_token(user, "test")
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_api_requires_a_token(client):
    response = client.get("/api/v1/clinics")
    assert response.status_code == 401 and response.json["error"] == "Unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/clinics", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_token_is_scoped_like_the_pages(client, create_user, create_clinic):
    mine = create_clinic(code="AAA-1")
    create_clinic(code="ZZZ-1")
    staff = create_user(Role.AGENCY_STAFF, agency=mine.agency)
    director = create_user(Role.DIRECTOR)
    codes = [c["code"] for c in client.get("/api/v1/clinics", headers=_token(staff)).json["clinics"]]
    assert codes == ["AAA-1"]
    codes = [c["code"] for c in client.get("/api/v1/clinics", headers=_token(director)).json["clinics"]]
    assert codes == ["AAA-1", "ZZZ-1"]
    token = db.session.execute(sa.select(ApiToken).where(ApiToken.user_id == staff.id)).scalar_one()
    assert token.last_used_at is not None


def test_token_does_not_open_web_pages_and_api_is_read_only(client, create_user):
    headers = _token(create_user(Role.DIRECTOR))
    assert client.get("/", headers=headers).status_code == 302  # still asks to sign in
    assert client.post("/api/v1/clinics", headers=headers).status_code == 405
    response = client.get("/api/v1/", headers=headers)
    index = response.json
    assert "/api/v1/clinics" in index["endpoints"]
