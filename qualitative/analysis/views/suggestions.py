"""Auto-coding: run it as a job, review suggestions one by one or in bulk, and see their precision and recall."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app import paging
from app.db import db
from app.jobs import enqueue
from app.security import roles_required
from qualitative.access import QUAL_ROLES, allows, project_for
from qualitative.analysis.forms import ActionForm, BulkDecisionForm
from qualitative.analysis.models import VALENCES, Suggestion, SuggestionStatus
from qualitative.analysis.services import suggestions as service
from qualitative.analysis.services.common import AnalysisInputError, code_tree
from qualitative.analysis.views.blueprint import bp
from qualitative.autocode import MIN_SCORE
from qualitative.models import Document, Privilege

PAGE_SIZE = 50


def _int_arg(name: str) -> int | None:
    raw = (request.values.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        paging.refuse(name, f"“{raw}” is not a number.")
    return int(raw)


def _filters() -> dict:
    return {"code_id": _int_arg("code_id"), "document_id": _int_arg("document_id"),
            "valence": paging.choice(request.values, "valence", {v: v for v in VALENCES})}


@bp.route("/projects/<int:qual_project_id>/suggestions")
@roles_required(*QUAL_ROLES)
def suggestions(qual_project_id: int):
    """Suggestions, 50 a page (``app.paging``), filtered by code, document, valence and status (pending first),
    strongest first (``sort=score``, the default) or in reading order (``sort=position``)."""
    project = project_for(current_user, qual_project_id, Privilege.READ)
    filters = _filters()
    status = paging.choice(request.args, "status", {s: s for s in (*SuggestionStatus.ALL, "all")}) \
        or SuggestionStatus.PENDING
    stmt = service.suggestion_query(project.id, current_user, status=None if status == "all" else status, **filters)
    sort = paging.choice(request.args, "sort", {"score": "score", "position": "position"}) or "score"
    reading = (Suggestion.document_id, Suggestion.start, Suggestion.code_id, Suggestion.end, Suggestion.id)
    order = reading if sort == "position" else (Suggestion.score.desc(), *reading)
    rows = paging.paginate(stmt.order_by(*order), paging.page_number(request.args), PAGE_SIZE)
    tree = code_tree(project.id)
    documents = db.session.execute(sa.select(Document).where(Document.project_id == project.id)
                                   .order_by(Document.name)).scalars().all()
    privilege = project.my_privilege
    return render_template(
        "analysis/suggestions.html", project=project, rows=rows, status=status, filters=filters,
        counts=service.status_counts(project.id, current_user),
        codes=[c for c in tree.ordered() if c.codable], paths=tree.paths, documents=documents, valences=VALENCES,
        can_code=allows(privilege, Privilege.CODE), can_run=allows(privilege, Privilege.CODE),
        action_form=ActionForm(), bulk_form=BulkDecisionForm(), rule_version=service.RULE_VERSION, min_score=MIN_SCORE,
        sort=sort, args=paging.query_args({**filters, "status": status, "sort": sort}))


@bp.route("/projects/<int:qual_project_id>/suggestions/run", methods=["POST"])
@roles_required(*QUAL_ROLES)
def suggestions_run(qual_project_id: int):
    project = project_for(current_user, qual_project_id, Privilege.CODE)
    if not ActionForm().validate_on_submit():
        abort(400)
    record = enqueue("qual.autocode", {"qual_project_id": project.id, "user_id": current_user.id},
                     f"Auto-code {project.name}", user_id=current_user.id,
                     result_url=url_for("analysis.suggestions", qual_project_id=project.id))
    return redirect(url_for("jobs.show", job_id=record.id))


def _back(project_id: int):
    target = request.form.get("next") or ""
    if target.startswith("/qualitative/") and "//" not in target:
        return redirect(target)
    return redirect(url_for("analysis.suggestions", qual_project_id=project_id))


@bp.route("/projects/<int:qual_project_id>/suggestions/<int:suggestion_id>/<string:action>", methods=["POST"])
@roles_required(*QUAL_ROLES)
def suggestion_decide(qual_project_id: int, suggestion_id: int, action: str):
    project = project_for(current_user, qual_project_id, Privilege.CODE)
    if action not in ("accept", "reject"):
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    suggestion = service.get_suggestion(project, suggestion_id, current_user)
    in_place = request.accept_mimetypes.best == "application/json"  # the list's fetch: answer, do not redirect
    try:
        changed = service.decide(suggestion, current_user, action)
    except AnalysisInputError as exc:
        if in_place:
            return jsonify(error=str(exc), field=exc.field), 409
        flash(str(exc), "error")
        return _back(project.id)
    verb = "Accepted" if action == "accept" else "Rejected"
    message = f"{verb} the suggestion." if changed else f"The suggestion was already {action}ed."
    if in_place:
        return jsonify(id=suggestion.id, status=suggestion.status, changed=changed, message=message,
                       coding_id=suggestion.coding_id, counts=service.status_counts(project.id, current_user))
    flash(message, "success")
    return _back(project.id)


@bp.route("/projects/<int:qual_project_id>/suggestions/bulk", methods=["POST"])
@roles_required(*QUAL_ROLES)
def suggestions_bulk(qual_project_id: int):
    project = project_for(current_user, qual_project_id, Privilege.CODE)
    form = BulkDecisionForm()
    if not form.validate_on_submit():
        abort(400, description="Choose accept or reject.")
    filters = _filters()
    try:
        changed = service.decide_many(project, current_user, form.action.data, **filters)
    except AnalysisInputError as exc:
        flash(str(exc), "error")
        return _back(project.id)
    verb = "Accepted" if form.action.data == "accept" else "Rejected"
    flash(f"{verb} {changed} pending suggestion{'s' if changed != 1 else ''}.", "success")
    return redirect(url_for("analysis.suggestions", qual_project_id=project.id,
                            **{k: v for k, v in filters.items() if v}))


@bp.route("/projects/<int:qual_project_id>/suggestions/quality")
@roles_required(*QUAL_ROLES)
def suggestion_quality(qual_project_id: int):
    project = project_for(current_user, qual_project_id, Privilege.READ)
    return render_template("analysis/suggestion_quality.html", project=project,
                           report=service.quality(project, current_user))
