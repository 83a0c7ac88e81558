"""Codebook evolution pages: a code's history, and merge, split and move (project managers), each published as a
new codebook version (``qualitative.workspace.services.evolution``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.db import db
from app.models import User
from app.security import roles_required
from qualitative.access import QUAL_ROLES, allows, code_for
from qualitative.analysis.services.blind import visible_codings_clause
from qualitative.models import Code, Coding, Document, Privilege
from qualitative.workspace.blueprint import bp
from qualitative.workspace.services import codebook as codebook_service
from qualitative.workspace.services import evolution

#: the split form lists at most this many codings of a code
SPLIT_LIST_LIMIT = 500


def _page(code: Code, errors: list[str], status: int = 200):
    project = code.project
    all_codes = codebook_service.codes(project)
    tree = codebook_service.tree(all_codes)
    branch, depth_of = {code.id}, None
    for c, depth in tree:  # the code and its sub-codes: not offered as a new parent
        if c.id == code.id:
            depth_of = depth
        elif depth_of is not None:
            if depth <= depth_of:
                depth_of = None
            else:
                branch.add(c.id)
    changes = evolution.history(code)
    user_ids = {c.user_id for c in changes if c.user_id}
    authors = dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(user_ids))).all()) \
        if user_ids else {}
    visible = visible_codings_clause(current_user, project.id)
    total = db.session.execute(sa.select(sa.func.count(Coding.id)).where(Coding.code_id == code.id, visible)
                               ).scalar_one()
    rows = db.session.execute(
        sa.select(Coding.id, Coding.start, Coding.end, Document.name, Document.text, User.name.label("coder"))
        .join(Document, Document.id == Coding.document_id).join(User, User.id == Coding.coder_id)
        .where(Coding.code_id == code.id, visible).order_by(Document.name, Coding.start, Coding.id)
        .limit(SPLIT_LIST_LIMIT)).all()
    codings = [{"id": r.id, "document": r.name, "coder": r.coder,
                "quote": (lambda q: q if len(q) <= 200 else q[:197] + "…")(r.text[r.start:r.end])} for r in rows]
    return render_template(
        "qualitative/code_changes.html", project=project, code=code, tree=tree, own_branch=branch, changes=changes,
        labels={c.id: str(c) for c in all_codes}, authors=authors, codings=codings,
        codings_cut=total if total > len(codings) else None, errors=errors,
        can_manage=allows(project.my_privilege, Privilege.MANAGE)), status


@bp.route("/codes/<int:code_id>/changes")
@roles_required(*QUAL_ROLES)
def code_changes(code_id: int):
    """A code's history (what was merged into it, split from it, where it moved) and, for managers, the forms."""
    return _page(code_for(current_user, code_id), [])


def _done(code: Code, message: str):
    flash(message, "success")
    return redirect(url_for("qualitative.code_changes", code_id=code.id))


@bp.route("/codes/<int:code_id>/merge", methods=["POST"])
@roles_required(*QUAL_ROLES)
def code_merge(code_id: int):
    code = code_for(current_user, code_id, Privilege.MANAGE)
    try:
        change = evolution.merge(code.project, code, request.form.get("target_id"), current_user)
    except codebook_service.CodebookChangeError as exc:
        db.session.rollback()
        return _page(code, [f"target_id: {exc}"], 400)
    return _done(db.session.get(Code, change.code_id), f"{change.note} Published as version {change.version}.")


@bp.route("/codes/<int:code_id>/split", methods=["POST"])
@roles_required(*QUAL_ROLES)
def code_split(code_id: int):
    code = code_for(current_user, code_id, Privilege.MANAGE)
    try:
        new, change = evolution.split(code.project, code, request.form.getlist("coding_ids"),
                                      request.form.get("name", ""), current_user, request.form.get("parent_id"))
    except codebook_service.CodebookChangeError as exc:
        db.session.rollback()
        return _page(code, [str(exc)], 400)
    return _done(new, f"{change.note} Published as version {change.version}.")


@bp.route("/codes/<int:code_id>/move", methods=["POST"])
@roles_required(*QUAL_ROLES)
def code_move(code_id: int):
    code = code_for(current_user, code_id, Privilege.MANAGE)
    try:
        change = evolution.move(code.project, code, request.form.get("parent_id"), current_user)
    except codebook_service.CodebookChangeError as exc:
        db.session.rollback()
        return _page(code, [f"parent_id: {exc}"], 400)
    return _done(code, f"{change.note} Published as version {change.version}.")
