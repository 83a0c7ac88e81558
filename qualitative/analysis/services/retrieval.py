"""Retrieval of coded segments with their context, code x document and code x clinic counts, and code
co-occurrence. Every read applies the blind rule (``visible_codings_clause``) for the viewer.

Co-occurrence: two codings of different codes co-occur when they lie on the same document and share at least one
character (s1 < e2 and s2 < e1), whoever coded them; the count for a pair of codes is the number of such pairs of
codings.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from app.db import db
from app.models import Clinic, User
from qualitative.analysis.services.blind import visible_codings_clause
from qualitative.analysis.services.common import (
    AnalysisInputError,
    code_tree,
    id_arg,
    text_arg,
    turn_at,
    turns_by_document,
)
from qualitative.models import Coding, Document, QualProject

EXPORT_HEADERS = ["quote", "document", "speaker", "role", "clinic", "code path", "coder", "start", "end",
                  "coding id"]


@dataclass
class SegmentFilter:
    code_id: int | None = None
    include_children: bool = True
    clinic_id: int | None = None
    role: str | None = None
    kind: str | None = None
    coder_id: int | None = None

    @classmethod
    def from_args(cls, args) -> SegmentFilter:
        """Read the filter from query arguments; a malformed id raises AnalysisInputError naming the field."""
        kind = text_arg(args, "kind")
        if kind is not None and kind not in Document.KINDS:
            raise AnalysisInputError(f"kind must be one of {', '.join(Document.KINDS)}", "kind")
        return cls(code_id=id_arg(args, "code_id"), include_children=args.get("children", "1") != "0",
                   clinic_id=id_arg(args, "clinic_id"), role=text_arg(args, "role"), kind=kind,
                   coder_id=id_arg(args, "coder_id"))

    def as_args(self) -> dict:
        out = {"code_id": self.code_id, "clinic_id": self.clinic_id, "role": self.role, "kind": self.kind,
               "coder_id": self.coder_id, "children": None if self.include_children else "0"}
        return {k: v for k, v in out.items() if v is not None}


@dataclass
class Segment:
    coding_id: int
    document: Document
    clinic: Clinic
    code_id: int
    code_path: str
    coder: User
    start: int
    end: int
    speaker: str | None
    role: str | None
    turn_index: int | None
    before: str
    quote: str
    after: str


def _coding_rows(project: QualProject, viewer, flt: SegmentFilter):
    tree = code_tree(project.id)
    stmt = (
        sa.select(Coding, Document.clinic_id, Document.kind)
        .join(Document, Document.id == Coding.document_id)
        .where(Document.project_id == project.id, visible_codings_clause(viewer, project.id))
    )
    if flt.code_id:
        if flt.code_id not in tree.codes:
            raise AnalysisInputError("That code is not in this project.", "code_id")
        ids = tree.descendants(flt.code_id) if flt.include_children else {flt.code_id}
        stmt = stmt.where(Coding.code_id.in_(sorted(ids)))
    if flt.clinic_id:
        stmt = stmt.where(Document.clinic_id == flt.clinic_id)
    if flt.kind:
        stmt = stmt.where(Document.kind == flt.kind)
    if flt.coder_id:
        stmt = stmt.where(Coding.coder_id == flt.coder_id)
    stmt = stmt.order_by(Document.name, Coding.start, Coding.end, Coding.id)
    return tree, db.session.execute(stmt).all()


def segments(project: QualProject, viewer, flt: SegmentFilter) -> list[Segment]:
    """Coded segments matching ``flt``; context = the rest of the speaker turn around the quote."""
    tree, rows = _coding_rows(project, viewer, flt)
    doc_ids = sorted({coding.document_id for coding, _clinic, _kind in rows})
    turns = turns_by_document(doc_ids)
    documents = {d.id: d for d in db.session.execute(
        sa.select(Document).where(Document.id.in_(doc_ids))).scalars()} if doc_ids else {}
    clinics = {c.id: c for c in db.session.execute(sa.select(Clinic)).scalars()}
    users = {u.id: u for u in db.session.execute(
        sa.select(User).where(User.id.in_({c.coder_id for c, _x, _y in rows}))).scalars()} if rows else {}
    out = []
    for coding, clinic_id, _kind in rows:
        doc = documents[coding.document_id]
        turn = turn_at(turns[doc.id], coding.start)
        role = turn.role if turn else None
        if flt.role and role != flt.role:
            continue
        lo = min(coding.start, turn.start) if turn else coding.start
        hi = max(coding.end, turn.end) if turn else coding.end
        out.append(Segment(coding.id, doc, clinics[clinic_id], coding.code_id, tree.paths[coding.code_id],
                           users[coding.coder_id], coding.start, coding.end, turn.speaker if turn else None, role,
                           turn.index if turn else None, doc.text[lo:coding.start],
                           doc.text[coding.start:coding.end], doc.text[coding.end:hi]))
    return out


def segment_table(items: list[Segment]) -> tuple[list[str], list[list]]:
    return EXPORT_HEADERS, [
        [s.quote, s.document.name, s.speaker or "", s.role or "", s.clinic.code, s.code_path, s.coder.name,
         s.start, s.end, s.coding_id] for s in items
    ]


def _with_role(project, viewer, flt):
    """(tree, rows) where rows are (coding, clinic_id) after the role filter, which needs the turns."""
    tree, rows = _coding_rows(project, viewer, flt)
    if not flt.role:
        return tree, [(coding, clinic_id) for coding, clinic_id, _ in rows]
    turns = turns_by_document({coding.document_id for coding, _c, _k in rows})
    kept = []
    for coding, clinic_id, _kind in rows:
        turn = turn_at(turns[coding.document_id], coding.start)
        if turn is not None and turn.role == flt.role:
            kept.append((coding, clinic_id))
    return tree, kept


def code_by_document(project: QualProject, viewer, flt: SegmentFilter) -> dict:
    """Counts of codings per code (rows, codebook order) and document (columns)."""
    tree, rows = _with_role(project, viewer, flt)
    counts = Counter((coding.code_id, coding.document_id) for coding, _ in rows)
    doc_ids = {d for _, d in counts}
    documents = list(db.session.execute(
        sa.select(Document).where(Document.id.in_(doc_ids)).order_by(Document.name)).scalars()) if doc_ids else []
    codes = [c for c in tree.ordered() if any((c.id, d.id) in counts for d in documents)]
    return {"codes": codes, "paths": tree.paths, "labels": tree.labels, "columns": documents, "counts": counts,
            "column_label": lambda d: d.name}


def code_by_clinic(project: QualProject, viewer, flt: SegmentFilter) -> dict:
    tree, rows = _with_role(project, viewer, flt)
    counts = Counter((coding.code_id, clinic_id) for coding, clinic_id in rows)
    clinic_ids = {c for _, c in counts}
    clinics = list(db.session.execute(
        sa.select(Clinic).where(Clinic.id.in_(clinic_ids)).order_by(Clinic.code)).scalars()) if clinic_ids else []
    codes = [c for c in tree.ordered() if any((c.id, k.id) in counts for k in clinics)]
    return {"codes": codes, "paths": tree.paths, "labels": tree.labels, "columns": clinics, "counts": counts,
            "column_label": lambda c: c.code}


def cooccurrence(project: QualProject, viewer, flt: SegmentFilter) -> dict:
    """Pairs of codes whose codings overlap on the same text (see module docstring), by count."""
    tree, rows = _with_role(project, viewer, SegmentFilter(clinic_id=flt.clinic_id, role=flt.role, kind=flt.kind,
                                                           coder_id=flt.coder_id))
    per_doc: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for coding, _clinic in rows:
        per_doc[coding.document_id].append((coding.start, coding.end, coding.code_id))
    counts: Counter = Counter()
    for spans in per_doc.values():
        spans.sort()
        active: list[tuple[int, int, int]] = []  # codings still open at the sweep position
        for start, end, code_id in spans:
            active = [item for item in active if item[1] > start]
            for _s, _e, other in active:
                if other != code_id:
                    counts[tuple(sorted((code_id, other)))] += 1
            active.append((start, end, code_id))
    if flt.code_id:
        focus = tree.descendants(flt.code_id) if flt.include_children else {flt.code_id}
        counts = Counter({k: v for k, v in counts.items() if k[0] in focus or k[1] in focus})
    involved = {c for pair in counts for c in pair}
    codes = [c for c in tree.ordered() if c.id in involved]
    pairs = sorted(counts.items(), key=lambda kv: (-kv[1], tree.paths[kv[0][0]], tree.paths[kv[0][1]]))
    return {"codes": codes, "paths": tree.paths, "labels": tree.labels, "counts": counts, "pairs": pairs}


def matrix_table(matrix: dict) -> tuple[list[str], list[list]]:
    headers = ["code path", *[matrix["column_label"](c) for c in matrix["columns"]], "total"]
    rows = []
    for code in matrix["codes"]:
        values = [matrix["counts"].get((code.id, col.id), 0) for col in matrix["columns"]]
        rows.append([matrix["paths"][code.id], *values, sum(values)])
    return headers, rows


def cooccurrence_table(result: dict) -> tuple[list[str], list[list]]:
    return ["code path A", "code path B", "overlapping codings"], [
        [result["paths"][a], result["paths"][b], n] for (a, b), n in result["pairs"]
    ]
