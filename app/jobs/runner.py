from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from app.audit import acting_as
from app.db import db
from app.jobs.models import Job, JobStatus

log = logging.getLogger("mio.jobs")
_REGISTRY: dict[str, Callable] = {}
_EXECUTORS: dict[int, ThreadPoolExecutor] = {}
_LOCK = threading.Lock()
MAX_ATTEMPTS = 3
STALE_AFTER = timedelta(minutes=2)


def job(kind: str):
    """Register ``fn(ctx: JobContext, **payload) -> dict | None`` as the job ``kind``."""

    def register(fn: Callable) -> Callable:
        _REGISTRY[kind] = fn
        return fn

    return register


def registered_jobs() -> dict[str, Callable]:
    return dict(_REGISTRY)


@dataclass
class JobContext:
    """Handed to a job function: report progress; progress is committed on its own connection so the page sees it
    while the job's own work is still uncommitted."""

    job_id: str
    payload: dict

    def progress(self, done: int, total: int | None = None, message: str | None = None) -> None:
        values: dict = {"progress": done, "heartbeat_at": datetime.now(UTC)}
        if total is not None:
            values["total"] = total
        if message is not None:
            values["message"] = message
        with db.engine.begin() as conn:
            conn.execute(sa.update(Job).where(Job.id == self.job_id).values(**values))


def enqueue(kind: str, payload: dict, title: str, user_id: int | None = None, result_url: str | None = None) -> Job:
    """Store the job and queue it; returns the Job (already committed)."""
    if kind not in _REGISTRY:
        raise KeyError(f"unknown job kind {kind!r}")
    record = Job(kind=kind, title=title, payload=payload, created_by_id=user_id, result_url=result_url)
    db.session.add(record)
    db.session.commit()
    dispatch(current_app._get_current_object(), record.id)
    return record


def dispatch(app: Flask, job_id: str) -> None:
    if app.config.get("JOBS_EAGER"):
        run_job(job_id)
        return
    if app.config.get("REDIS_URL"):
        from redis import Redis
        from rq import Queue

        queue = Queue(app.config.get("RQ_QUEUE", "mio"), connection=Redis.from_url(app.config["REDIS_URL"]))
        queue.enqueue("app.jobs.runner.rq_entry", job_id, job_id=f"mio-{job_id}", job_timeout=6 * 3600)
        return
    with _LOCK:
        executor = _EXECUTORS.get(id(app))
        if executor is None:
            executor = _EXECUTORS[id(app)] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mio-job")
    executor.submit(_run_in_app, app, job_id)


def _run_in_app(app: Flask, job_id: str) -> None:
    with app.app_context():
        try:
            run_job(job_id)
        finally:
            db.session.remove()


def rq_entry(job_id: str) -> None:
    """What an RQ worker runs: build the app from the environment and run the job."""
    from app import create_app

    app = create_app({"ALLOW_DEFAULT_SECRET": True})
    _run_in_app(app, job_id)


def run_job(job_id: str) -> None:
    """Run one job to the end; failures are stored on the job (with the traceback in the log, not the page)."""
    record = db.session.get(Job, job_id)
    if record is None or record.finished:
        return
    record.status = JobStatus.RUNNING
    record.attempts += 1
    record.progress = 0
    record.error = None
    record.started_at = record.heartbeat_at = datetime.now(UTC)
    db.session.commit()
    fn = _REGISTRY[record.kind]
    context = JobContext(job_id=record.id, payload=dict(record.payload))
    try:
        with acting_as(f"job:{record.kind}", record.created_by_id):
            result = fn(context, **record.payload)
        db.session.commit()
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the job for the user to see
        db.session.rollback()
        log.error("job %s (%s) failed: %s", job_id, record.kind, traceback.format_exc())
        record = db.session.get(Job, job_id)
        record.status = JobStatus.FAILED
        record.error = _user_message(exc)
        record.finished_at = datetime.now(UTC)
        db.session.commit()
        return
    record = db.session.get(Job, job_id)
    db.session.refresh(record)
    record.status = JobStatus.DONE
    record.result = result if isinstance(result, dict) else None
    if record.total:
        record.progress = record.total
    record.finished_at = datetime.now(UTC)
    db.session.commit()


def _user_message(exc: Exception) -> str:
    if isinstance(exc, ValueError):
        return str(exc)
    return f"The job stopped with an internal error ({type(exc).__name__}). It has been logged."


def requeue_stale(app: Flask) -> list[str]:
    """Jobs left queued or running by a dead worker or a web restart are queued again (up to MAX_ATTEMPTS)."""
    cutoff = datetime.now(UTC) - STALE_AFTER
    stale = db.session.execute(
        sa.select(Job).where(
            sa.or_(
                Job.status == JobStatus.QUEUED,
                sa.and_(Job.status == JobStatus.RUNNING, sa.or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < cutoff)),
            )
        )
    ).scalars().all()
    requeued = []
    for record in stale:
        if record.status == JobStatus.QUEUED and record.created_at > cutoff:
            continue  # freshly queued: its worker has it
        if record.attempts >= MAX_ATTEMPTS:
            record.status = JobStatus.FAILED
            record.error = f"Gave up after {record.attempts} attempts (the worker stopped each time)."
            record.finished_at = datetime.now(UTC)
            continue
        record.status = JobStatus.QUEUED
        requeued.append(record.id)
    db.session.commit()
    for job_id in requeued:
        dispatch(app, job_id)
    return requeued
