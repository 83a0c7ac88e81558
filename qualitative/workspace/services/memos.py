"""Analytic memos on a project, a document, a code, a coding, a clinic or a code/document group. Anyone who may code writes memos;
only the author edits or deletes a memo."""

from __future__ import annotations

import sqlalchemy as sa

from app.db import db
from app.models import Clinic
from qualitative.access import may_see_coding, scope
from qualitative.analysis.services.blind import visible_memos_clause
from qualitative.models import Code, CodeGroup, Coding, Document, Memo, QualProject

TARGET_LABELS = {"project": "Project", "document": "Transcript", "code": "Code", "coding": "Coding", "clinic": "Clinic",
                 "group": "Group"}
TITLE_LIMIT = 255


class MemoError(ValueError):
    """A memo that cannot be saved; the message names the field."""


def target_object(project: QualProject, viewer, target_type: str, target_id: int | None):
    """The memo's target, checked to belong to the project (clinics: any clinic the user may see); a coding hidden
    from ``viewer`` by a blind sample (``qualitative.access.may_see_coding``) is not part of it."""
    if target_type not in Memo.TARGETS:
        raise MemoError(f"Unknown memo target {target_type!r}.")
    if target_type == "project":
        return project
    if target_id is None:
        raise MemoError(f"Say which {TARGET_LABELS[target_type].lower()} the memo is about.")
    if target_type == "clinic":
        obj = db.session.execute(scope(sa.select(Clinic).where(Clinic.id == target_id), Clinic)).scalar_one_or_none()
    elif target_type == "document":
        obj = db.session.execute(scope(sa.select(Document).where(
            Document.id == target_id, Document.project_id == project.id), Document)).scalar_one_or_none()
    elif target_type == "code":
        obj = db.session.execute(sa.select(Code).where(
            Code.id == target_id, Code.project_id == project.id)).scalar_one_or_none()
    elif target_type == "group":
        obj = db.session.execute(sa.select(CodeGroup).where(
            CodeGroup.id == target_id, CodeGroup.project_id == project.id)).scalar_one_or_none()
    else:
        obj = db.session.execute(scope(sa.select(Coding).join(Document, Document.id == Coding.document_id).where(
            Coding.id == target_id, Document.project_id == project.id), Coding)).scalar_one_or_none()
        if obj is not None and not may_see_coding(viewer, obj):
            obj = None
    if obj is None:
        raise MemoError(f"That {TARGET_LABELS[target_type].lower()} is not part of this project.")
    return obj


def describe_target(project: QualProject, viewer, target_type: str, target_id: int | None) -> str:
    """"Transcript: SPR-1 supervisor interview", "Coding: II.A Critical Incidents in ...", for lists and headings."""
    label = TARGET_LABELS.get(target_type, target_type)
    try:
        obj = target_object(project, viewer, target_type, target_id)
    except MemoError:
        return f"{label} (removed)"
    if target_type == "coding":
        quote = obj.document.text[obj.start:obj.end]
        quote = quote if len(quote) <= 60 else quote[:57] + "…"
        return f"{label}: {obj.code} on “{quote}” in {obj.document.name}"
    if target_type in ("document", "group"):
        return f"{label}: {obj.name}"
    if target_type == "clinic":
        return f"{label}: {obj.code} {obj.name}"
    return f"{label}: {obj}"


def memos(project: QualProject, target_type: str | None = None, target_id: int | None = None,
          viewer=None) -> list[Memo]:
    """The project's memos, newest first; with ``viewer``, those a blind sample hides from the viewer
    (``visible_memos_clause``) are left out."""
    stmt = (sa.select(Memo).where(Memo.project_id == project.id).options(sa.orm.joinedload(Memo.author))
            .order_by(Memo.created_at.desc(), Memo.id.desc()))
    if target_type:
        stmt = stmt.where(Memo.target_type == target_type)
    if target_id is not None:
        stmt = stmt.where(Memo.target_id == target_id)
    if viewer is not None:
        stmt = stmt.where(visible_memos_clause(viewer, project.id))
    return list(db.session.execute(stmt).scalars())


def _clean(title: str | None, text: str | None) -> tuple[str | None, str]:
    title = " ".join((title or "").split()) or None
    text = (text or "").strip()
    if not text:
        raise MemoError("Write the memo text.")
    if title and len(title) > TITLE_LIMIT:
        raise MemoError(f"The title is longer than {TITLE_LIMIT} characters.")
    return title, text


def create_memo(project: QualProject, user, target_type: str, target_id: int | None, title: str | None,
                text: str | None) -> Memo:
    target_object(project, user, target_type, target_id)
    title, text = _clean(title, text)
    memo = Memo(project_id=project.id, target_type=target_type,
                target_id=None if target_type == "project" else target_id,
                author_id=user.id, title=title, text=text)
    db.session.add(memo)
    db.session.commit()
    return memo


def update_memo(memo: Memo, user, title: str | None, text: str | None) -> None:
    if memo.author_id != user.id:
        raise PermissionError("Only the author can edit a memo.")
    memo.title, memo.text = _clean(title, text)
    db.session.commit()


def delete_memo(memo: Memo, user) -> None:
    if memo.author_id != user.id:
        raise PermissionError("Only the author can delete a memo.")
    db.session.delete(memo)
    db.session.commit()
