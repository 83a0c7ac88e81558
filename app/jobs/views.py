"""Job progress: a page with a progress bar (updated by static JS) and a JSON endpoint it polls."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template
from flask_login import current_user, login_required

from app.db import db
from app.jobs.models import Job
from app.models import Role

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
_resumed: set[int] = set()


def _get_visible(job_id: str) -> Job:
    record = db.session.get(Job, job_id)
    if record is None:
        abort(404)
    if record.created_by_id != current_user.id and current_user.role not in (Role.ADMIN, Role.DIRECTOR):
        abort(404)
    return record


@bp.route("/<job_id>")
@login_required
def show(job_id: str):
    return render_template("jobs/show.html", job=_get_visible(job_id))


@bp.route("/<job_id>.json")
@login_required
def status(job_id: str):
    return jsonify(_get_visible(job_id).as_dict())


@bp.before_app_request
def resume_interrupted_jobs():
    """After a web restart, the first request (not the factory) puts interrupted in-process jobs back in the queue."""
    app = current_app._get_current_object()
    if id(app) in _resumed or app.config.get("JOBS_EAGER") or app.config.get("REDIS_URL"):
        return
    _resumed.add(id(app))
    from app.jobs.runner import requeue_stale

    requeue_stale(app)
