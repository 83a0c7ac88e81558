"""The platform's own ``mio`` commands of ``app`` (registered on ``app.cli`` by the factory; the entry point is ``app.cli``)."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.audit import acting_as
from app.db import db
from app.models import Agency, Role, User


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(Role.ALL))
@click.option("--agency", "agency_code", help="Agency code; required for agency_staff and trial_staff.")
@click.option("--name", default=None, help="Display name (defaults to the e-mail's local part).")
@click.option("--password", default=None, help="Omit to generate a one-time password that must be changed.")
@with_appcontext
def create_user(email: str, role: str, agency_code: str | None, name: str | None, password: str | None) -> None:
    """Create a user account."""
    from app.security import hash_password

    email = email.strip().lower()
    if db.session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none():
        raise click.UsageError(f"--email: an account for {email} already exists.")
    agency = None
    if role in Role.AGENCY_BOUND:
        if not agency_code:
            raise click.UsageError(f"--agency: role {role} must belong to an agency; give its code.")
        agency = db.session.execute(sa.select(Agency).where(Agency.code == agency_code.upper())).scalar_one_or_none()
        if agency is None:
            raise click.UsageError(f"--agency: no agency with code {agency_code}.")
    elif agency_code:
        raise click.UsageError(f"--agency: role {role} is not bound to an agency.")
    generated = password is None
    if not generated:
        from app.auth.passwords import problems

        if refused := problems(password, (email, name or "")):
            raise click.UsageError(f"--password: {' '.join(refused)}")
    if generated:
        from app.admin.services import temporary_password

        password = temporary_password()
    with acting_as("cli:create-user"):
        user = User(email=email, name=name or email.split("@")[0], role=role, agency=agency,
                    password_hash=hash_password(password), must_change_password=generated)
        db.session.add(user)
        db.session.commit()
    click.echo(f"Created {role} {email}" + (f" with one-time password: {password}" if generated else "."))


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load the demo: two agencies, four clinics as in the hybrid trial, one account per role (credentials printed)."""
    from app.demo import seed

    with acting_as("cli:seed-demo"):
        credentials = seed(current_app)
    click.echo("Demo accounts (change these passwords outside a demo):")
    for email, role, password in credentials:
        click.echo(f"  {role:<24} {email:<32} {password}")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then exit.")
@with_appcontext
def worker(burst: bool) -> None:
    """Run background jobs from Redis (needs REDIS_URL); without Redis, jobs run inside the web process."""
    from redis import Redis
    from rq import Queue, Worker

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.UsageError("REDIS_URL is not set: jobs run in-process on the embedded default; no worker needed.")
    connection = Redis.from_url(url)
    queue = Queue(current_app.config.get("RQ_QUEUE", "mio"), connection=connection)
    Worker([queue], connection=connection).work(burst=burst)


@click.command("jobs-requeue")
@with_appcontext
def jobs_requeue() -> None:
    """Queue again the jobs a stopped worker or web process left unfinished."""
    from app.jobs.runner import requeue_stale

    requeued = requeue_stale(current_app._get_current_object())
    click.echo(f"Requeued {len(requeued)} job(s).")


def register(app: Flask) -> None:
    app.cli.add_command(create_user)
    app.cli.add_command(seed_demo)
    app.cli.add_command(worker)
    app.cli.add_command(jobs_requeue)
    from app.scale.cli import register as register_scale

    register_scale(app)
