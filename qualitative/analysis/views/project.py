"""The analysis index, a project's analysis hub, and where "go to the document position" links (disagreements,
suggestions, segments, rating evidence) lead: the workspace's document view at that position (``document_href``);
a document without speaker turns, which the workspace cannot lay out, keeps a read-only view here."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from app.db import db
from app.security import get_scoped_or_404, roles_required
from qualitative.access import QUAL_ROLES, allows, project_for, visible_projects
from qualitative.analysis.models import (
    BlindSample,
    ConsensusRating,
    ConstructRating,
    SuggestionStatus,
)
from qualitative.analysis.services import suggestions as suggestion_service
from qualitative.analysis.services.blind import (
    blinded_document_ids,
    visible_codings_clause,
    visible_codings_filter,
)
from qualitative.analysis.services.common import code_tree, turns_by_document
from qualitative.analysis.views.blueprint import bp
from qualitative.models import Coding, Document, Privilege
from qualitative.workspace.services.deidentify import PENDING


@bp.app_template_global()
def document_href(document_id: int, at: int | None = None, turn_index: int | None = 0) -> str:
    """The workspace at position ``at`` of a document; ``turn_index=None`` (a segment outside any speaker turn)
    means a document without turns, shown by the read-only view below."""
    if turn_index is None:
        return url_for("analysis.document_text", document_id=document_id)
    return url_for("qualitative.workspace", document_id=document_id, at=at)


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
                          .where(Document.project_id == project.id,
                                 visible_codings_clause(current_user, project.id))),
        "pending": suggestion_service.status_counts(project.id, current_user)[SuggestionStatus.PENDING],
        "samples": _count(sa.select(BlindSample.id).where(BlindSample.project_id == project.id)),
        "ratings": _count(sa.select(ConstructRating.id).where(ConstructRating.project_id == project.id)),
        "consensus": _count(sa.select(ConsensusRating.id).where(ConsensusRating.project_id == project.id)),
    }
    return render_template("analysis/project.html", project=project, counts=counts,
                           privilege=project.my_privilege,
                           blinded=len(blinded_document_ids(current_user, project.id)))


@bp.route("/analysis/documents/<int:document_id>")
@roles_required(*QUAL_ROLES)
def document_text(document_id: int):
    """Read-only text and codings of a document; a document with speaker turns goes to the workspace."""
    doc = get_scoped_or_404(Document, document_id)
    project = project_for(current_user, doc.project_id, Privilege.READ)
    turns = turns_by_document([doc.id])[doc.id]
    if turns:
        return redirect(url_for("qualitative.workspace", document_id=doc.id, at=request.args.get("at", type=int)))
    if doc.deidentification == PENDING and not allows(project.my_privilege, Privilege.CODE):
        abort(403)
    tree = code_tree(project.id)
    codings = db.session.execute(
        sa.select(Coding).where(Coding.document_id == doc.id, visible_codings_filter(current_user, doc))
        .order_by(Coding.start, Coding.end)).scalars().all()
    return render_template("analysis/document.html", project=project, doc=doc, paths=tree.paths, codes=tree.codes,
                           blind=doc.id in blinded_document_ids(current_user, project.id), whole=list(codings))
