"""Background jobs: progress, failure messages, retry of interrupted jobs without duplicates, the in-process worker
and RQ on Redis."""

import signal
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.db import db
from app.jobs import Job, JobStatus, enqueue, job, run_job
from app.jobs.runner import requeue_stale
from app.models import Agency, Role

CALLS: list[str] = []


@job("tests.count_agencies")
def count_agencies(ctx, n: int, code: str):
    """Idempotent: writes one agency keyed by code, replacing an earlier attempt's row."""
    CALLS.append(ctx.job_id)
    for i in range(n):
        ctx.progress(i + 1, n, f"step {i + 1}")
    existing = db.session.execute(sa.select(Agency).where(Agency.code == code)).scalar_one_or_none()
    if existing is None:
        db.session.add(Agency(name=f"Job agency {code}", code=code))
    return {"steps": n}


@job("tests.fails")
def fails(ctx):
    raise ValueError("row 3, field 'date': not a date")


def test_eager_job_reports_progress_and_result(app_ctx, create_user):
    user = create_user(Role.DIRECTOR)
    record = enqueue("tests.count_agencies", {"n": 4, "code": "JOB1"}, "Count", user_id=user.id, result_url="/")
    db.session.refresh(record)
    assert record.status == JobStatus.DONE and record.progress == 4 and record.total == 4
    assert record.result == {"steps": 4} and record.message == "step 4"
    assert db.session.execute(sa.select(sa.func.count(Agency.id)).where(Agency.code == "JOB1")).scalar() == 1


def test_failure_is_stored_with_a_readable_message(app_ctx):
    record = enqueue("tests.fails", {}, "Fails")
    db.session.refresh(record)
    assert record.status == JobStatus.FAILED and record.error == "row 3, field 'date': not a date"


def test_interrupted_job_is_retried_without_duplicating_results(app, app_ctx):
    record = Job(kind="tests.count_agencies", title="t", payload={"n": 2, "code": "JOB2"}, status=JobStatus.RUNNING,
                 attempts=1, heartbeat_at=datetime.now(UTC) - timedelta(minutes=10))
    db.session.add(record)
    db.session.add(Agency(name="Job agency JOB2", code="JOB2"))  # what the killed attempt had already written
    db.session.commit()
    assert requeue_stale(app) == [record.id]
    db.session.refresh(record)
    assert record.status == JobStatus.DONE and record.attempts == 2
    assert db.session.execute(sa.select(sa.func.count(Agency.id)).where(Agency.code == "JOB2")).scalar() == 1


def test_job_that_keeps_dying_is_given_up(app, app_ctx):
    record = Job(kind="tests.count_agencies", title="t", payload={"n": 1, "code": "JOB3"}, status=JobStatus.RUNNING,
                 attempts=3, heartbeat_at=datetime.now(UTC) - timedelta(minutes=10))
    db.session.add(record)
    db.session.commit()
    assert requeue_stale(app) == []
    db.session.refresh(record)
    assert record.status == JobStatus.FAILED and "Gave up after 3 attempts" in record.error


def test_progress_page_and_json_are_for_the_owner(client, create_user, login):
    owner = create_user(Role.ANALYST)
    other = create_user(Role.ANALYST)
    record = enqueue("tests.count_agencies", {"n": 1, "code": "JOB4"}, "Auto-code project", user_id=owner.id)
    login(owner)
    page = client.get(f"/jobs/{record.id}")
    assert page.status_code == 200 and b"<progress" in page.data and b"Auto-code project" in page.data
    assert client.get(f"/jobs/{record.id}.json").json["status"] == "done"
    client.post("/auth/logout")
    login(other)
    assert client.get(f"/jobs/{record.id}").status_code == 404


def test_in_process_worker_thread_runs_the_job(app, app_ctx):
    app.config["JOBS_EAGER"] = False
    try:
        record = enqueue("tests.count_agencies", {"n": 3, "code": "JOB5"}, "Threaded")
        for _ in range(100):
            db.session.expire_all()
            if db.session.get(Job, record.id).finished:
                break
            time.sleep(0.05)
        assert db.session.get(Job, record.id).status == JobStatus.DONE
    finally:
        app.config["JOBS_EAGER"] = True


def test_rq_on_redis_runs_the_job(app, app_ctx, monkeypatch):
    redis = pytest.importorskip("redis")
    from rq import Queue, SimpleWorker

    connection = redis.Redis.from_url("redis://127.0.0.1:6379/15")
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379 (the in-process worker is tested above)")
    connection.flushdb()
    app.config.update(JOBS_EAGER=False, REDIS_URL="redis://127.0.0.1:6379/15")
    try:
        record = enqueue("tests.count_agencies", {"n": 2, "code": "JOB6"}, "On Redis")
        assert db.session.get(Job, record.id).status == JobStatus.QUEUED
        # the worker runs the job in this process, against this test's database
        monkeypatch.setattr("app.jobs.runner.rq_entry", lambda job_id: run_job(job_id))
        queue = Queue("mio", connection=connection)
        assert queue.count == 1
        # the worker installs SIGINT/SIGTERM handlers in this process; restore pytest's afterwards
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            SimpleWorker([queue], connection=connection).work(burst=True)
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)
        db.session.expire_all()
        assert db.session.get(Job, record.id).status == JobStatus.DONE
    finally:
        app.config.update(JOBS_EAGER=True, REDIS_URL=None)
        connection.flushdb()
