"""Shared reads of a project: its codes (with paths), documents and speaker turns, clinics, members and coders."""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from app.db import db
from app.models import Clinic, User
from qualitative.agreement import Span
from qualitative.models import Code, Coding, Document, DocumentTurn, Participant, Privilege, ProjectMember


class AnalysisInputError(ValueError):
    """Bad input to an analysis service; ``field`` names the form field it belongs to (None: the whole form)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def id_arg(args, name: str) -> int | None:
    """An id from query arguments (``None`` when absent); anything else raises AnalysisInputError naming the field."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise AnalysisInputError(f"{name} must be a number, got {raw!r}", name)
    return int(raw)


def text_arg(args, name: str) -> str | None:
    """A trimmed text from query arguments, ``None`` when absent or blank."""
    return (args.get(name) or "").strip() or None


@dataclass(frozen=True)
class TurnInfo:
    index: int
    start: int
    end: int
    speaker: str | None
    participant_id: int | None
    role: str | None


@dataclass
class CodeTree:
    """A project's codes by id with their hierarchy paths ("Inner Setting > Culture")."""

    codes: dict[int, Code]
    paths: dict[int, str]
    children: dict[int | None, list[int]]

    @property
    def labels(self) -> dict[int, str]:
        """Each code as a reader names it, the same on every page: CFIR display key + name ("IV.A High-level
        Leaders", ``str(Code)``), never the internal key ("IV.ROLE.A")."""
        return {code_id: str(code) for code_id, code in self.codes.items()}

    def descendants(self, code_id: int) -> set[int]:
        """``code_id`` and every code below it."""
        out, stack = set(), [code_id]
        while stack:
            current = stack.pop()
            if current in out:
                continue
            out.add(current)
            stack.extend(self.children.get(current, []))
        return out

    def ordered(self) -> list[Code]:
        """Depth-first in position order (the codebook as it reads)."""
        out: list[Code] = []
        stack = list(reversed(self.children.get(None, [])))
        while stack:
            code_id = stack.pop()
            out.append(self.codes[code_id])
            stack.extend(reversed(self.children.get(code_id, [])))
        return out


def code_tree(project_id: int) -> CodeTree:
    codes = {
        c.id: c
        for c in db.session.execute(
            sa.select(Code).where(Code.project_id == project_id).order_by(Code.position, Code.id)
        ).scalars()
    }
    children: dict[int | None, list[int]] = defaultdict(list)
    for code in codes.values():
        parent = code.parent_id if code.parent_id in codes else None
        children[parent].append(code.id)
    paths: dict[int, str] = {}
    for code_id in codes:
        names, current, seen = [], code_id, set()
        while current is not None and current in codes and current not in seen:
            seen.add(current)
            names.append(codes[current].name)
            current = codes[current].parent_id
        paths[code_id] = " > ".join(reversed(names))
    return CodeTree(codes, paths, dict(children))


def project_documents(project_id: int, document_ids=None) -> list[Document]:
    stmt = sa.select(Document).where(Document.project_id == project_id).order_by(Document.name)
    if document_ids is not None:
        stmt = stmt.where(Document.id.in_(list(document_ids)))
    return list(db.session.execute(stmt).scalars())


def document_lengths(project_id: int, document_ids=None) -> dict[int, int]:
    """Length in characters (code points) of each document's text, computed by the database."""
    stmt = sa.select(Document.id, sa.func.length(Document.text)).where(Document.project_id == project_id)
    if document_ids is not None:
        stmt = stmt.where(Document.id.in_(list(document_ids)))
    return {doc_id: int(n or 0) for doc_id, n in db.session.execute(stmt)}


def turns_by_document(document_ids) -> dict[int, list[TurnInfo]]:
    ids = list(document_ids)
    out: dict[int, list[TurnInfo]] = {doc_id: [] for doc_id in ids}
    if not ids:
        return out
    rows = db.session.execute(
        sa.select(DocumentTurn.document_id, DocumentTurn.index, DocumentTurn.start, DocumentTurn.end,
                  DocumentTurn.speaker, DocumentTurn.participant_id, Participant.cfir_role)
        .outerjoin(Participant, Participant.id == DocumentTurn.participant_id)
        .where(DocumentTurn.document_id.in_(ids))
        .order_by(DocumentTurn.document_id, DocumentTurn.index)
    )
    for doc_id, index, start, end, speaker, participant_id, role in rows:
        out[doc_id].append(TurnInfo(index, start, end, speaker, participant_id, role))
    return out


def units(turns: list[TurnInfo], length: int) -> list[Span]:
    """The units of unit-level agreement: the speaker turns, or the whole text when it has none."""
    return [(t.start, t.end) for t in turns] if turns else [(0, length)]


def turn_at(turns: list[TurnInfo], position: int) -> TurnInfo | None:
    """The turn holding ``position``, else the nearest turn starting after it (a coding may begin on a label)."""
    if not turns:
        return None
    starts = [t.start for t in turns]
    k = bisect.bisect_right(starts, position) - 1
    if k >= 0 and turns[k].start <= position < max(turns[k].end, turns[k].start + 1):
        return turns[k]
    return turns[k + 1] if k + 1 < len(turns) else turns[-1]


def project_clinics(project_id: int) -> list[Clinic]:
    """Clinics the project's documents or participants belong to, by code."""
    ids = sa.union(
        sa.select(Document.clinic_id).where(Document.project_id == project_id),
        sa.select(Participant.clinic_id).where(Participant.project_id == project_id),
    ).subquery()
    return list(db.session.execute(sa.select(Clinic).where(Clinic.id.in_(sa.select(ids.c[0])))
                                   .order_by(Clinic.code)).scalars())


def members(project_id: int, at_least: str = Privilege.READ) -> list[tuple[User, str]]:
    rows = db.session.execute(
        sa.select(User, ProjectMember.privilege).join(ProjectMember, ProjectMember.user_id == User.id)
        .where(ProjectMember.project_id == project_id).order_by(User.name)
    ).all()
    need = Privilege.ORDER[at_least]
    return [(user, privilege) for user, privilege in rows if Privilege.ORDER.get(privilege, 0) >= need]


def coders(project_id: int) -> list[User]:
    """Users who own at least one coding in the project (the auto-coder never does: suggestions are not codings)."""
    ids = sa.select(Coding.coder_id).join(Document, Document.id == Coding.document_id).where(
        Document.project_id == project_id).distinct()
    return list(db.session.execute(sa.select(User).where(User.id.in_(ids)).order_by(User.name)).scalars())


def participant_roles(project_id: int) -> list[str]:
    return list(db.session.execute(
        sa.select(Participant.cfir_role).where(Participant.project_id == project_id,
                                               Participant.cfir_role.is_not(None))
        .distinct().order_by(Participant.cfir_role)).scalars())
