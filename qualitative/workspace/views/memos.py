"""Memos on the project, transcripts, codes, codings and clinics."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.security import roles_required
from qualitative.access import QUAL_ROLES, allows, memo_for, project_for
from qualitative.models import Memo, Privilege
from qualitative.workspace.blueprint import bp
from qualitative.workspace.forms import ConfirmForm, MemoForm
from qualitative.workspace.services import memos as service


def _safe_next(value: str | None, fallback: str) -> str:
    """Only a path inside the platform (no scheme, no host) is followed after saving."""
    if value and value.startswith("/") and not value.startswith("//") and not urlsplit(value).netloc:
        return value
    return fallback


def _target_id(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@bp.route("/projects/<int:qual_project_id>/memos", methods=["GET", "POST"])
@roles_required(*QUAL_ROLES)
def memos(qual_project_id: int):
    project = project_for(current_user, qual_project_id)
    target_type = request.values.get("target_type") or None
    if target_type not in (None, *Memo.TARGETS):
        target_type = None
    target_id = _target_id(request.values.get("target_id"))
    form = MemoForm()
    error = None
    if request.method == "POST":
        project_for(current_user, qual_project_id, Privilege.CODE)
        if form.validate_on_submit():
            try:
                service.create_memo(project, current_user, form.target_type.data or "project",
                                    _target_id(form.target_id.data), form.title.data, form.text.data)
            except service.MemoError as exc:
                error = str(exc)
            else:
                flash("Saved the memo.", "success")
                return redirect(_safe_next(form.next.data, url_for("qualitative.memos", qual_project_id=project.id)))
    elif target_type:
        form.target_type.data, form.target_id.data = target_type, request.args.get("target_id", "")
        form.next.data = request.args.get("next", "")
    target_label = None
    if target_type:
        try:
            service.target_object(project, current_user, target_type, target_id)
            target_label = service.describe_target(project, current_user, target_type, target_id)
        except service.MemoError as exc:
            error = error or str(exc)
    rows = service.memos(project, target_type, target_id, viewer=current_user)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "qualitative/memos.html", project=project, memos=rows, form=form, error=error, target_type=target_type,
        target_id=target_id, target_label=target_label, describe=lambda m: service.describe_target(project, current_user, m.target_type, m.target_id),
        labels=service.TARGET_LABELS, can_write=allows(project.my_privilege, Privilege.CODE), confirm=ConfirmForm(),
    ), status


@bp.route("/memos/<int:memo_id>/edit", methods=["GET", "POST"])
@roles_required(*QUAL_ROLES)
def memo_edit(memo_id: int):
    memo = memo_for(current_user, memo_id, Privilege.CODE)
    if memo.author_id != current_user.id:
        abort(403, "Only the author can edit a memo.")
    project = project_for(current_user, memo.project_id, Privilege.CODE)
    form = MemoForm(obj=memo)
    error = None
    if form.validate_on_submit():
        try:
            service.update_memo(memo, current_user, form.title.data, form.text.data)
        except service.MemoError as exc:
            error = str(exc)
        else:
            flash("Saved the memo.", "success")
            return redirect(url_for("qualitative.memos", qual_project_id=project.id))
    status = 400 if request.method == "POST" else 200
    return render_template("qualitative/memo_form.html", project=project, memo=memo, form=form, error=error,
                           target=service.describe_target(project, current_user, memo.target_type, memo.target_id), confirm=ConfirmForm()), status


@bp.route("/memos/<int:memo_id>/delete", methods=["POST"])
@roles_required(*QUAL_ROLES)
def memo_delete(memo_id: int):
    memo = memo_for(current_user, memo_id, Privilege.CODE)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if memo.author_id != current_user.id:
        abort(403, "Only the author can delete a memo.")
    project_id = memo.project_id
    service.delete_memo(memo, current_user)
    flash("Deleted the memo.", "success")
    return redirect(url_for("qualitative.memos", qual_project_id=project_id))
