"""The analysis index, a project's analysis hub, and a read-only document view with turn anchors (the target of
"go to the document position" links from disagreements, segments and rating evidence)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template, request
from flask_login import current_user

from app.db import db
from app.security import get_scoped_or_404, roles_required
from qualitative.access import QUAL_ROLES, project_for, visible_projects
from qualitative.analysis.models import (
    BlindSample,
    ConsensusRating,
    ConstructRating,
    Suggestion,
    SuggestionStatus,
)
from qualitative.analysis.services.blind import blinded_document_ids, visible_codings_filter
from qualitative.analysis.services.common import code_tree, turns_by_document
from qualitative.analysis.views.blueprint import bp
from qualitative.models import Coding, Document, Privilege


@bp.route("/analysis")
@roles_required(*QUAL_ROLES)
def index():
    return render_template("analysis/index.html", projects=visible_projects(current_user))


def _count(stmt) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar_one()


@bp.route("/projects/<int:qual_project_id>/analysis")
@roles_required(*QUAL_ROLES)
def hub(qual_project_id: int):
    project = project_for(current_user, qual_project_id, Privilege.READ)
    counts = {
        "documents": _count(sa.select(Document.id).where(Document.project_id == project.id)),
        "codings": _count(sa.select(Coding.id).join(Document, Document.id == Coding.document_id)
                          .where(Document.project_id == project.id)),
        "pending": _count(sa.select(Suggestion.id).where(Suggestion.project_id == project.id,
                                                         Suggestion.status == SuggestionStatus.PENDING)),
        "samples": _count(sa.select(BlindSample.id).where(BlindSample.project_id == project.id)),
        "ratings": _count(sa.select(ConstructRating.id).where(ConstructRating.project_id == project.id)),
        "consensus": _count(sa.select(ConsensusRating.id).where(ConsensusRating.project_id == project.id)),
    }
    return render_template("analysis/project.html", project=project, counts=counts,
                           privilege=project.my_privilege,
                           blinded=len(blinded_document_ids(current_user, project.id)))


@bp.route("/projects/<int:qual_project_id>/analysis/documents/<int:document_id>")
@roles_required(*QUAL_ROLES)
def document(qual_project_id: int, document_id: int):
    project = project_for(current_user, qual_project_id, Privilege.READ)
    doc = get_scoped_or_404(Document, document_id)
    if doc.project_id != project.id:
        abort(404)
    tree = code_tree(project.id)
    codings = db.session.execute(
        sa.select(Coding).where(Coding.document_id == doc.id, visible_codings_filter(current_user, doc))
        .order_by(Coding.start, Coding.end)).scalars().all()
    turns = turns_by_document([doc.id])[doc.id]
    by_turn: dict[int, list] = {}
    for coding in codings:
        for turn in turns:
            if coding.start < turn.end and turn.start < coding.end:
                by_turn.setdefault(turn.index, []).append(coding)
    focus = request.args.get("at", type=int)
    return render_template("analysis/document.html", project=project, doc=doc, turns=turns, by_turn=by_turn,
                           paths=tree.paths, codes=tree.codes, focus=focus,
                           blind=doc.id in blinded_document_ids(current_user, project.id),
                           whole=list(codings) if not turns else [])
