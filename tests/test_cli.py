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
    assert roles == {"admin", "director", "agency_staff", "analyst", "fidelity_coder", "trial_staff", "outcome_assessor"}
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


def test_help_lists_exactly_the_commands_the_app_registers(monkeypatch):
    """``mio --help`` reads ``app.cli.COMMANDS`` instead of building the app: it must name every command the app
    really registers, with the same first help line. A new command needs its line in ``COMMANDS``."""
    from click import Context
    from flask.cli import FlaskGroup, ScriptInfo

    from app.cli import COMMANDS, _create_cli_app

    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    group = FlaskGroup(create_app=_create_cli_app)
    ctx = Context(group, obj=ScriptInfo(create_app=_create_cli_app))
    real = {name: group.get_command(ctx, name).get_short_help_str(limit=10_000) for name in group.list_commands(ctx)}
    assert set(real) == set(COMMANDS), f"add to / remove from app.cli.COMMANDS: {set(real) ^ set(COMMANDS)}"
    for name, line in real.items():
        assert COMMANDS[name] == line, f"app.cli.COMMANDS[{name!r}] should be {line!r}"


def test_help_starts_without_the_application_or_heavy_libraries():
    """Start-up cost (issue 15): ``mio --help`` must not import SQLAlchemy, the models or any heavy library; the
    timing ratio to ``import flask`` is in tests/benchmarks/test_cli_startup_bench.py."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from app.cli import main\n"
        "sys.argv = ['mio', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ('sqlalchemy', 'app.models', 'numpy', 'scipy', 'pandas', 'statsmodels', 'spacy', 'openpyxl', 'alembic')\n"
        "print('LOADED', sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "Commands:" in out and "import-qdpx" in out and "seed-demo" in out
    assert out.strip().splitlines()[-1] == "LOADED []"


def test_importing_the_app_leaves_heavy_libraries_for_later():
    """Building the app (every web worker, every command) must not import scipy, pandas, statsmodels, spaCy or
    openpyxl: they are imported where they are used (GUIDE: heavy libraries)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from app import create_app\n"
        "create_app({'ALLOW_DEFAULT_SECRET': True, 'SQLALCHEMY_DATABASE_URI': 'sqlite://'})\n"
        "heavy = ('scipy', 'pandas', 'statsmodels', 'spacy', 'openpyxl', 'sklearn', 'pingouin')\n"
        "print('LOADED', sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "LOADED []"
