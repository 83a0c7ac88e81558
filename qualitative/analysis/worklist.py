"""Home-page queues of the qualitative side (``app.worklist``).

- analyst, per project where they hold the ``code`` privilege (administrators: every project):
  documents to code (no coding by anyone yet; double coding is what blind samples are for), auto-coding suggestions
  pending review, and blind-sample documents assigned to them that they have not coded yet;
- analyst, per project they ``manage`` (consensus needs it): disagreements to resolve, a construct x clinic cell
  rated by two or more raters with different ratings (a mixed "X" differs from every number) and no consensus rating;
- director: the uncoded backlog, documents of every project with no coding yet.
All counts are COUNTs under ``app.security.scoped``; first links LIMITed.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for

from app.db import db
from app.models import Clinic, Role
from app.security import scoped
from app.worklist import FIRST_LINKS, WorkItem, WorkLink
from qualitative.analysis.models import (
    BlindSample,
    BlindSampleCoder,
    BlindSampleDocument,
    ConsensusRating,
    ConstructRating,
    Suggestion,
    SuggestionStatus,
)
from qualitative.analysis.services import suggestions as suggestion_service
from qualitative.models import Code, Coding, Document, Privilege, ProjectMember, QualProject


def _projects(user, privileges: tuple[str, ...]):
    """The ids of the projects where ``user`` holds one of ``privileges`` (a subquery; every project for admins)."""
    if user.role == Role.ADMIN:
        return sa.select(QualProject.id)
    return sa.select(ProjectMember.project_id).where(ProjectMember.user_id == user.id,
                                                      ProjectMember.privilege.in_(privileges))


CODERS = (Privilege.CODE, Privilege.MANAGE)


def _uncoded(user, projects) -> tuple[int, tuple[WorkLink, ...]]:
    where = ~sa.exists().where(Coding.document_id == Document.id)
    if projects is not None:
        where = sa.and_(where, Document.project_id.in_(projects))
    count = db.session.execute(scoped(sa.select(sa.func.count(Document.id)).where(where), Document, user)).scalar_one()
    first = db.session.execute(scoped(sa.select(Document.id, Document.name).where(where)
                                      .order_by(Document.created_at, Document.id).limit(FIRST_LINKS), Document, user))
    return count, tuple(WorkLink(name, url_for("qualitative.workspace", document_id=did)) for did, name in first)


def documents_to_code(user) -> WorkItem:
    count, links = _uncoded(user, _projects(user, CODERS))
    return WorkItem("documents_to_code", "Documents to code", count, url_for("qualitative.projects"),
                    "Your projects", "Transcripts in your projects that nobody has coded yet, oldest first.", links)


def uncoded_backlog(user) -> WorkItem:
    count, links = _uncoded(user, None)
    return WorkItem("uncoded_backlog", "Uncoded transcripts", count, url_for("qualitative.projects"),
                    "Qualitative projects", "Transcripts of every project with no coding yet.", links)


def suggestions_to_review(user) -> WorkItem:
    where = sa.and_(Suggestion.status == SuggestionStatus.PENDING, Suggestion.project_id.in_(_projects(user, CODERS)),
                    suggestion_service.reviewable(user))  # the same count as the project's list and hub
    per_project = db.session.execute(scoped(
        sa.select(Suggestion.project_id, QualProject.name, sa.func.count(Suggestion.id))
        .join(QualProject, QualProject.id == Suggestion.project_id).where(where)
        .group_by(Suggestion.project_id, QualProject.name).order_by(QualProject.name), Suggestion, user)).all()
    links = tuple(WorkLink(f"{name}: {n} pending", url_for("analysis.suggestions", qual_project_id=pid))
                  for pid, name, n in per_project[:FIRST_LINKS])
    return WorkItem("suggestions_to_review", "Suggestions to review", sum(n for *_r, n in per_project), None,
                    detail="Auto-coding suggestions waiting for your accept or reject.", links=links,
                    itemized=False)


def blind_samples_waiting(user) -> WorkItem:
    mine = sa.select(BlindSampleCoder.sample_id).where(BlindSampleCoder.user_id == user.id)
    coded = sa.exists().where(Coding.document_id == BlindSampleDocument.document_id, Coding.coder_id == user.id)
    where = sa.and_(BlindSampleDocument.sample_id.in_(mine), ~coded)
    count = db.session.execute(scoped(sa.select(sa.func.count(BlindSampleDocument.id)).where(where),
                                      BlindSampleDocument, user)).scalar_one()
    first = db.session.execute(scoped(
        sa.select(BlindSampleDocument.document_id, BlindSample.name, Document.name)
        .join(BlindSample, BlindSample.id == BlindSampleDocument.sample_id)
        .join(Document, Document.id == BlindSampleDocument.document_id).where(where)
        .order_by(BlindSample.id, Document.name).limit(FIRST_LINKS), BlindSampleDocument, user)).all()
    links = tuple(WorkLink(f"{doc} ({sample})", url_for("qualitative.workspace", document_id=did))
                  for did, sample, doc in first)
    return WorkItem("blind_samples_waiting", "Blind-sample documents waiting for you", count, None,
                    detail="Documents of blind double-coding samples you are a coder of and have not coded yet.",
                    links=links)


def disagreements(user) -> WorkItem:
    value = sa.func.coalesce(ConstructRating.rating, 9)  # a mixed rating ("X", rating NULL) differs from every number
    consensus = sa.exists().where(ConsensusRating.project_id == ConstructRating.project_id,
                                  ConsensusRating.code_id == ConstructRating.code_id,
                                  ConsensusRating.clinic_id == ConstructRating.clinic_id)
    cells = (scoped(sa.select(ConstructRating.project_id, ConstructRating.code_id, ConstructRating.clinic_id)
                    .where(ConstructRating.project_id.in_(_projects(user, (Privilege.MANAGE,))), ~consensus)
                    .group_by(ConstructRating.project_id, ConstructRating.code_id, ConstructRating.clinic_id)
                    .having(sa.func.count(sa.distinct(value)) > 1), ConstructRating, user).subquery())
    count = db.session.execute(sa.select(sa.func.count()).select_from(cells)).scalar_one()
    first = db.session.execute(
        sa.select(cells.c.project_id, cells.c.code_id, cells.c.clinic_id, Code.name)
        .join(Code, Code.id == cells.c.code_id)
        .order_by(cells.c.project_id, Code.name, cells.c.clinic_id).limit(FIRST_LINKS)).all()
    codes = dict(db.session.execute(sa.select(Clinic.id, Clinic.code)
                                    .where(Clinic.id.in_([r[2] for r in first]))).all())
    links = tuple(WorkLink(f"{name} at {codes[clinic_id]}", url_for("analysis.rating_cell", qual_project_id=pid,
                                                                    code_id=code_id, clinic_id=clinic_id))
                  for pid, code_id, clinic_id, name in first)
    return WorkItem("disagreements", "Rating disagreements to resolve", count, None,
                    detail="Constructs rated differently by two or more raters at a clinic, with no consensus yet.",
                    links=links)
