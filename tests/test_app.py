import pytest

from app import create_app
from app.config import normalise_database_url
from app.factory import InsecureConfigurationError


def test_refuses_default_secret_outside_debug_and_testing(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("MIO_DEBUG", raising=False)
    with pytest.raises(InsecureConfigurationError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})
    assert create_app({"SECRET_KEY": "a-real-secret", "SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"]


def test_default_database_is_sqlite_in_instance_folder(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{app.instance_path}/mio.sqlite"


def test_database_url_switches_to_postgresql(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example:5432/mio")
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example:5432/mio"
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    assert normalise_database_url("postgresql://a@b/c") == "postgresql+psycopg://a@b/c"


def test_friendly_404_and_403(client, create_user, login):
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and b"Not found" in missing.data and b"<main" in missing.data
    login(create_user("agency_staff"))
    forbidden = client.get("/admin/users")
    assert forbidden.status_code == 403 and b"Not allowed" in forbidden.data


def test_500_hides_the_stack_trace(app):
    application = create_app({"TESTING": True, "RENDER_500_IN_TESTS": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})

    @application.route("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    response = application.test_client().get("/boom")
    assert response.status_code == 500
    assert b"Something went wrong" in response.data
    assert b"secret internal detail" not in response.data and b"Traceback" not in response.data


def test_health_endpoint(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok", "database": "ok"}


def test_navigation_is_role_aware(client, create_user, login):
    login(create_user("agency_staff"))
    page = client.get("/").get_data(as_text=True)
    assert "People" in page and ">Users<" not in page and "Audit trail" not in page
