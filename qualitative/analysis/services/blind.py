"""Blind double-coding samples: a manager picks documents and two or more coders; while the sample is blind, each
of its coders sees only their own codings on its documents, and only their own memos there (the workspace applies
``visible_codings_filter``; lists ``visible_codings_clause`` and ``visible_memos_clause``; single codings and memos
go through ``qualitative.access.coding_for`` / ``memo_for``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from app.db import db
from qualitative.analysis.models import BlindSample, BlindSampleCoder, BlindSampleDocument
from qualitative.analysis.services.common import AnalysisInputError, members
from qualitative.models import Coding, Document, Memo, Privilege, QualProject


def _blinded_stmt(user_id: int):
    return (
        sa.select(BlindSampleDocument.document_id)
        .join(BlindSample, BlindSample.id == BlindSampleDocument.sample_id)
        .join(BlindSampleCoder, BlindSampleCoder.sample_id == BlindSample.id)
        .where(BlindSample.blind.is_(True), BlindSampleCoder.user_id == user_id)
    )


def blinded_documents_stmt(user_id: int) -> sa.Select:
    """The ids of the documents ``user_id`` codes blind, as a subquery for ``not_in`` (every project)."""
    return _blinded_stmt(user_id)


def blinded_document_ids(user, project_id: int | None = None) -> set[int]:
    """Documents on which ``user`` codes blind (a coder of an active blind sample holding them)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    stmt = _blinded_stmt(user.id)
    if project_id is not None:
        stmt = stmt.where(BlindSample.project_id == project_id)
    return set(db.session.execute(stmt).scalars())


def visible_codings_filter(user, document: Document) -> sa.ColumnElement[bool]:
    """SQL condition on ``Coding`` for what ``user`` may see on ``document``.

    Rule: while ``document`` is in an active blind sample of which ``user`` is a coder, only the user's own codings
    (``Coding.coder_id == user.id``); otherwise every coding (``true``). Use as
    ``select(Coding).where(Coding.document_id == document.id, visible_codings_filter(user, document))``.
    """
    return Coding.coder_id == user.id if codes_blind(user, document) else sa.true()


def codes_blind(user, document: Document) -> bool:
    """Whether ``user`` is a coder of an active blind sample holding ``document``."""
    return db.session.execute(
        _blinded_stmt(user.id).where(BlindSampleDocument.document_id == document.id).limit(1)
    ).first() is not None


def visible_codings_clause(user, project_id: int | None) -> sa.ColumnElement[bool]:
    """The same rule for every document of a project at once (for retrieval, matrices, agreement and counts);
    ``project_id=None``: of every project."""
    hidden = blinded_document_ids(user, project_id)
    if not hidden:
        return sa.true()
    return sa.or_(Coding.document_id.not_in(sorted(hidden)), Coding.coder_id == user.id)


def visible_memos_clause(user, project_id: int) -> sa.ColumnElement[bool]:
    """SQL condition on ``Memo`` for what ``user`` may see of a project's memos.

    Rule: while ``user`` codes a document blind, hidden are (a) every memo on a coding hidden from the user
    (another coder's coding on that document: the memo would describe it), whoever wrote the memo, and (b) every
    other author's memo on that document or on any coding of it (their work on the document). Otherwise ``true``.
    """
    hidden = sorted(blinded_document_ids(user, project_id))
    if not hidden:
        return sa.true()
    codings_of_hidden = sa.select(Coding.id).where(Coding.document_id.in_(hidden))
    on_hidden_coding = sa.and_(Memo.target_type == "coding",
                               Memo.target_id.in_(codings_of_hidden.where(Coding.coder_id != user.id)))
    on_blinded_document = sa.or_(
        sa.and_(Memo.target_type == "document", Memo.target_id.in_(hidden)),
        sa.and_(Memo.target_type == "coding", Memo.target_id.in_(codings_of_hidden)))
    return sa.not_(sa.or_(on_hidden_coding, sa.and_(Memo.author_id != user.id, on_blinded_document)))


def samples(project_id: int) -> list[BlindSample]:
    return list(db.session.execute(
        sa.select(BlindSample).where(BlindSample.project_id == project_id).order_by(BlindSample.name)
    ).scalars())


def get_sample(project: QualProject, sample_id: int) -> BlindSample:
    sample = db.session.get(BlindSample, sample_id)
    if sample is None or sample.project_id != project.id:
        abort(404)
    return sample


def create_sample(project: QualProject, name: str, document_ids: list[int], coder_ids: list[int],
                  note: str | None, created_by_id: int) -> BlindSample:
    """Validate everything, then write the sample, its documents and coders in one transaction."""
    name = (name or "").strip()
    if not name:
        raise AnalysisInputError("Give the sample a name.", "name")
    if db.session.execute(sa.select(BlindSample.id).where(BlindSample.project_id == project.id,
                                                          BlindSample.name == name)).first():
        raise AnalysisInputError(f"A sample named “{name}” already exists in this project.", "name")
    doc_ids = sorted(set(document_ids))
    if not doc_ids:
        raise AnalysisInputError("Pick at least one document.", "document_ids")
    known_docs = set(db.session.execute(
        sa.select(Document.id).where(Document.project_id == project.id, Document.id.in_(doc_ids))).scalars())
    if missing := [d for d in doc_ids if d not in known_docs]:
        raise AnalysisInputError(f"Documents {missing} are not in this project.", "document_ids")
    coder_set = sorted(set(coder_ids))
    eligible = {user.id for user, _ in members(project.id, Privilege.CODE)}
    if len(coder_set) < 2:
        raise AnalysisInputError("Pick two or more coders: agreement needs at least two.", "coder_ids")
    if strangers := [c for c in coder_set if c not in eligible]:
        raise AnalysisInputError(f"Users {strangers} are not coders (code or manage privilege) of this project.",
                                 "coder_ids")
    sample = BlindSample(project_id=project.id, name=name, note=(note or "").strip() or None, blind=True,
                         created_by_id=created_by_id)
    sample.documents = [BlindSampleDocument(document_id=d) for d in doc_ids]
    sample.coders = [BlindSampleCoder(user_id=c) for c in coder_set]
    db.session.add(sample)
    db.session.commit()
    return sample


def set_blind(sample: BlindSample, blind: bool) -> None:
    sample.blind = blind
    db.session.commit()


def delete_sample(sample: BlindSample) -> None:
    db.session.delete(sample)
    db.session.commit()
