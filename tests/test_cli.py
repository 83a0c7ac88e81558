import sqlalchemy as sa

from app.db import db
from app.demo import ACCOUNTS, demo_password
from app.models import Agency, Clinic, Person, User
from app.security import verify_password


def test_create_user_command(runner, app_ctx, create_agency):
    create_agency(code="SPR")
    result = runner.invoke(args=["create-user", "--email", "New@Example.org", "--role", "agency_staff", "--agency", "spr"])
    assert result.exit_code == 0, result.output
    assert "one-time password" in result.output
    user = db.session.execute(sa.select(User).where(User.email == "new@example.org")).scalar_one()
    assert user.agency.code == "SPR" and user.must_change_password
    again = runner.invoke(args=["create-user", "--email", "new@example.org", "--role", "director"])
    assert again.exit_code != 0 and "already exists" in again.output
    unbound = runner.invoke(args=["create-user", "--email", "t@example.org", "--role", "trial_staff"])
    assert unbound.exit_code != 0 and "--agency" in unbound.output


def test_seed_demo_builds_the_trial_organisation_and_credentials_work(runner, app_ctx, client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert db.session.execute(sa.select(sa.func.count(Agency.id))).scalar() == 2
    clinics = db.session.execute(sa.select(Clinic.code).order_by(Clinic.code)).scalars().all()
    assert clinics == ["HFR-1", "HFR-2", "SPR-1", "SPR-2"]
    counselors = db.session.execute(sa.select(sa.func.count(Person.id)).where(Person.kind == "counselor")).scalar()
    assert counselors == 16
    roles = set(db.session.execute(sa.select(User.role)).scalars())
    assert roles == {"admin", "director", "agency_staff", "analyst", "fidelity_coder", "trial_staff"}
    for email, *_ in ACCOUNTS:
        assert email in result.output and demo_password(email) in result.output
    director = db.session.execute(sa.select(User).where(User.email == "director@mio.example")).scalar_one()
    assert verify_password(director.password_hash, demo_password("director@mio.example"))
    response = client.post("/auth/login", data={"email": "director@mio.example",
                                                "password": demo_password("director@mio.example")})
    assert response.status_code == 302
    second = runner.invoke(args=["seed-demo"])  # idempotent
    assert second.exit_code == 0 and db.session.execute(sa.select(sa.func.count(Agency.id))).scalar() == 2


def test_mio_console_script_is_flask_cli(monkeypatch):
    from click.testing import CliRunner
    from flask.cli import FlaskGroup

    from app.cli import _create_cli_app

    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    group = FlaskGroup(create_app=_create_cli_app)
    result = CliRunner().invoke(group, ["routes"])
    assert result.exit_code == 0, result.output
    assert "auth.login" in result.output and "admin.audit" in result.output
