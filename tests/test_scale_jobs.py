"""Jobs survive a web restart (a queued row is picked up by a new app instance's first request) and a worker that
dies mid-job (SystemExit on the first attempt, as when the process is killed) is retried without duplicating
what the job writes. Uses the scale generator as the job."""

import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app import create_app
from app.db import db
from app.jobs import Job, JobStatus, job, run_job
from app.jobs.runner import requeue_stale
from app.models import Agency
from app.scale.cli import generate_job
from app.scale.generate import TINY

ATTEMPTS: list[int] = []


@job("tests.scale_dies_first")
def dies_on_first_attempt(ctx, scale: str):
    """The real generation, but the worker 'dies' (SystemExit) half-way through the first attempt."""
    ATTEMPTS.append(1)
    if len(ATTEMPTS) == 1:
        from app.scale.generate import generate, spec_for

        generate(spec_for(scale))  # written but never committed: the process dies here
        raise SystemExit("worker killed")
    return generate_job(ctx, scale=scale)


def _scale_agencies() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Agency)
                              .where(Agency.code.startswith("SCALE-"))).scalar_one()


def test_queued_job_survives_a_web_restart(app, app_ctx):
    record = Job(kind="scale.generate", title="Generate", payload={"scale": "tiny"}, status=JobStatus.QUEUED,
                 created_at=datetime.now(UTC) - timedelta(minutes=5))
    db.session.add(record)
    db.session.commit()
    # a new web process: same database, in-process worker (not eager), nothing running yet
    restarted = create_app({**{k: app.config[k] for k in ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI")},
                            "TESTING": True, "JOBS_EAGER": False})
    with restarted.app_context():
        restarted.test_client().get("/healthz")  # the first request requeues the interrupted job
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            db.session.expire_all()
            if db.session.get(Job, record.id).finished:
                break
            time.sleep(0.2)
        done = db.session.get(Job, record.id)
        assert done.status == JobStatus.DONE, done.error
        assert done.attempts == 1 and done.result["agency"] == TINY.agencies
        db.session.remove()
        db.engine.dispose()
    db.session.expire_all()
    assert _scale_agencies() == TINY.agencies


def test_worker_killed_mid_job_is_retried_without_duplicates(app, app_ctx):
    ATTEMPTS.clear()
    record = Job(kind="tests.scale_dies_first", title="Generate", payload={"scale": "tiny"})
    db.session.add(record)
    db.session.commit()
    job_id = record.id
    try:
        run_job(job_id)
    except SystemExit:
        db.session.rollback()  # the dead process's transaction never commits
    db.session.expire_all()
    stuck = db.session.get(Job, job_id)
    assert stuck.status == JobStatus.RUNNING and stuck.attempts == 1 and _scale_agencies() == 0
    stuck.heartbeat_at = datetime.now(UTC) - timedelta(minutes=10)  # no heartbeat since: the worker is gone
    db.session.commit()
    assert requeue_stale(app) == [job_id]  # eager in tests: runs the second attempt at once
    db.session.expire_all()
    done = db.session.get(Job, job_id)
    assert done.status == JobStatus.DONE and done.attempts == 2 and len(ATTEMPTS) == 2
    assert _scale_agencies() == TINY.agencies  # one dataset, not two
    assert done.result["mio_session"] == TINY.expected["sessions"]
