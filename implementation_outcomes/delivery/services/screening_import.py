"""Large screening-log imports as background jobs (issue 14 item 5: a 100,000-row log imported in one 43 s request,
past the production worker timeout).

A file of more than ``SCREENING_IMPORT_JOB_ROWS`` data rows (default ``screening_log.DEFAULT_JOB_ROWS``, 2,000) is
not read in the request: the request stores it in the shared storage (``app.storage``: rows of the database, so a
worker on another machine reads it; never the instance folder), queues the job and answers with the job's progress
page. The job runs the same ``screening.import_csv`` as a small import: every row checked first, then all written
in one transaction, or none with every problem named by row and field; the staged file is deleted when the job
ends. Its outcome (rows added, or the problems) is kept on the job and shown by the import page of the clinic.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import current_app, url_for

from app.db import db
from app.jobs import JobContext, enqueue, job
from app.jobs.models import Job
from app.models import Clinic, User
from app.storage import StoredFileNotFound, storage
from implementation_outcomes.delivery.screening_log import DEFAULT_JOB_ROWS
from implementation_outcomes.delivery.services import screening
from implementation_outcomes.errors import ScreeningLogError

JOB_KIND = "delivery.screening_import"
STAGING_PREFIX = "screening-upload/"
#: a staged file whose job never ran is purged after this (the job deletes it as soon as it ends)
STAGING_KEEP = timedelta(days=2)
#: problems kept on the job for the page (the count is always whole)
MAX_PROBLEMS_KEPT = 500


def job_threshold() -> int:
    return int(current_app.config.get("SCREENING_IMPORT_JOB_ROWS", DEFAULT_JOB_ROWS))


def start_import_job(clinic: Clinic, data: bytes, filename: str, rows: int, user) -> Job:
    """Stage ``data`` and queue its import; the request writes no screening-log row. Commits (the staged file with
    the job that reads it)."""
    files = storage()
    files.purge_expired()
    key = f"{STAGING_PREFIX}{uuid.uuid4().hex}"
    files.put(key, data, content_type="text/csv", filename=filename, expires_in=STAGING_KEEP)
    record = enqueue(JOB_KIND, {"clinic_id": clinic.id, "key": key, "filename": filename, "user_id": user.id,
                                "rows": rows},
                     title=f"Import {rows:,} screening-log rows into {clinic.code}", user_id=user.id)
    # where the job page sends the user when it is done: the import page with this job's outcome
    record.result_url = url_for("delivery.screening_import_result", clinic_id=clinic.id, job_id=record.id)
    db.session.commit()
    return record


@job(JOB_KIND)
def screening_import_job(ctx: JobContext, clinic_id: int, key: str, filename: str, user_id: int, rows: int) -> dict:
    """Import a staged screening log, all rows or none; the outcome is the job's result (``added`` or
    ``problems``). The staged file goes when the job ends, whatever the outcome."""
    try:
        clinic = db.session.get(Clinic, clinic_id)
        user = db.session.get(User, user_id)
        if clinic is None or user is None or not user.active:
            raise ValueError("The clinic or the user who started the import no longer exists.")
        try:
            data = storage().get(key)
        except StoredFileNotFound as exc:
            raise ValueError("The uploaded file is no longer stored; upload it again.") from exc
        ctx.progress(0, 2 * rows, "Checking every row before anything is saved")

        def report(phase: str, done: int) -> None:
            if phase == "check":
                ctx.progress(done, 2 * rows, f"Checked {done:,} of {rows:,} rows")
            else:
                ctx.progress(rows + done, 2 * rows, f"Saved {done:,} of {rows:,} rows")

        try:
            added = screening.import_csv(clinic, data, user, filename=filename, progress=report)
        except ScreeningLogError as exc:
            db.session.rollback()
            ctx.progress(0, 2 * rows, f"Nothing was imported: {len(exc.errors):,} problem"
                                      f"{'s' if len(exc.errors) != 1 else ''}")
            return {"added": 0, "problem_count": len(exc.errors), "problems": exc.errors[:MAX_PROBLEMS_KEPT]}
        ctx.progress(2 * rows, 2 * rows, f"Imported {added:,} rows into {clinic.code}")
        return {"added": added, "problem_count": 0, "problems": []}
    finally:
        db.session.rollback()
        storage().delete(key)
        db.session.commit()
