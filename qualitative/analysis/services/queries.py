"""Queries across a project's transcripts (``qualitative.code_queries`` holds the rules): text search, Boolean and
proximity code queries and same-turn co-occurrence, filtered by clinic, speaker role, a document variable and
coder; every read applies the blind rule (``visible_codings_clause``) for the viewer. A result row can be cited as
evidence for the viewer's CFIR rating of that construct at that clinic (``attach_evidence``).

A query for code A also finds A's subcodes (a turn coded "Available Resources > Space" has "Available Resources");
the co-occurrence matrix counts the codes as coded, without that roll-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from app.db import db
from app.models import Clinic, User
from qualitative.analysis.models import ConstructRatingEvidence
from qualitative.analysis.services import ratings
from qualitative.analysis.services.blind import visible_codings_clause
from qualitative.analysis.services.common import (
    AnalysisInputError,
    CodeTree,
    code_tree,
    id_arg,
    text_arg,
    turns_by_document,
)
from qualitative.autocode import interviewee_turn
from qualitative.code_queries import (
    MAX_NEAR,
    OPERATORS,
    QueryInputError,
    Unit,
    code_query,
    codes_per_turn,
    cooccurrence,
    text_hits,
)
from qualitative.models import Code, Coding, Document, QualProject, Variable, VariableValue

#: the speaker-role choice for the research team's turns (interviewers, moderators), beside the CFIR roles
RESEARCH_TEAM = "research-team"
EXPORT_HEADERS = ["document", "clinic", "turn", "speaker", "role", "codes in the turn", "text"]
MAX_TEXT = 200  # characters of a search


@dataclass
class QueryFilter:
    clinic_id: int | None = None
    role: str | None = None
    variable_id: int | None = None
    value: str | None = None
    coder_id: int | None = None

    @classmethod
    def from_args(cls, args) -> QueryFilter:
        flt = cls(clinic_id=id_arg(args, "clinic_id"), role=text_arg(args, "role"),
                  variable_id=id_arg(args, "variable_id"), value=text_arg(args, "value"),
                  coder_id=id_arg(args, "coder_id"))
        if flt.value is not None and flt.variable_id is None:
            raise AnalysisInputError("choose the variable the value belongs to", "variable_id")
        return flt

    def as_args(self) -> dict:
        out = {"clinic_id": self.clinic_id, "role": self.role, "variable_id": self.variable_id, "value": self.value,
               "coder_id": self.coder_id}
        return {k: v for k, v in out.items() if v is not None}


@dataclass
class Row:
    document: Document
    clinic: Clinic
    index: int
    speaker: str | None
    role: str | None
    start: int
    end: int
    codes: list[str]
    marks: list[tuple[int, int]] = field(default_factory=list)  # search hits to highlight
    evidence: list[tuple[int, str]] = field(default_factory=list)  # (coding id, code path) citable as evidence

    @property
    def text(self) -> str:
        return self.document.text[self.start:self.end]


@dataclass
class Scope:
    """What a query reads: the filtered documents and turns, and per turn the codes of visible codings."""

    tree: CodeTree
    documents: dict[int, Document]
    turns: dict[tuple[int, int], object]
    raw: dict[tuple[int, int], set[int]]  # codes as coded
    rolled: dict[tuple[int, int], set[int]]  # with every ancestor of each code
    codings: dict[tuple[int, int], list[tuple[int, int]]]  # turn -> [(coding id, code id)]


def _check(project: QualProject, flt: QueryFilter) -> None:
    if flt.variable_id is not None and db.session.execute(sa.select(Variable.id).where(
            Variable.id == flt.variable_id, Variable.project_id == project.id)).first() is None:
        raise AnalysisInputError("That variable is not in this project.", "variable_id")


def scope(project: QualProject, viewer, flt: QueryFilter) -> Scope:
    _check(project, flt)
    tree = code_tree(project.id)
    stmt = sa.select(Document).where(Document.project_id == project.id)
    if flt.clinic_id:
        stmt = stmt.where(Document.clinic_id == flt.clinic_id)
    if flt.variable_id:
        values = sa.select(VariableValue.document_id).where(VariableValue.variable_id == flt.variable_id,
                                                            VariableValue.document_id.is_not(None))
        if flt.value is not None:
            values = values.where(VariableValue.value == flt.value)
        stmt = stmt.where(Document.id.in_(values))
    documents = {d.id: d for d in db.session.execute(stmt.order_by(Document.name, Document.id)).scalars()}
    turns = {}
    for doc_id, doc_turns in turns_by_document(list(documents)).items():
        for t in doc_turns:
            research = not interviewee_turn(t.speaker, t.participant_id)
            if flt.role == RESEARCH_TEAM and not research:
                continue
            if flt.role and flt.role != RESEARCH_TEAM and t.role != flt.role:
                continue
            turns[(doc_id, t.index)] = t
    units = [Unit(doc_id, t.index, t.start, t.end) for (doc_id, _i), t in turns.items()]
    cstmt = (sa.select(Coding.id, Coding.document_id, Coding.code_id, Coding.start, Coding.end)
             .where(Coding.document_id.in_(list(documents)), visible_codings_clause(viewer, project.id)))
    if flt.coder_id:
        cstmt = cstmt.where(Coding.coder_id == flt.coder_id)
    rows = db.session.execute(cstmt).all() if documents else []
    raw = codes_per_turn(units, [(r.document_id, r.code_id, r.start, r.end) for r in rows])
    by_turn: dict[tuple[int, int], list[tuple[int, int]]] = {}
    by_doc: dict[int, list] = {}
    for u in units:
        by_doc.setdefault(u.document_id, []).append(u)
    for r in rows:
        for u in by_doc.get(r.document_id, ()):
            if r.start < u.end and r.end > u.start:
                by_turn.setdefault((u.document_id, u.index), []).append((r.id, r.code_id))
    rolled = {k: {a for c in codes for a in _ancestors(tree, c)} for k, codes in raw.items()}
    return Scope(tree, documents, turns, raw, rolled, by_turn)


def _ancestors(tree: CodeTree, code_id: int) -> set[int]:
    out, current = set(), code_id
    while current is not None and current in tree.codes and current not in out:
        out.add(current)
        current = tree.codes[current].parent_id
    return out


def _rows(sc: Scope, keys, clinics: dict[int, Clinic], evidence_codes: set[int] | None = None) -> list[Row]:
    out = []
    for key in keys:
        t = sc.turns[key]
        doc = sc.documents[key[0]]
        codes = sorted({sc.tree.paths[c] for c in sc.raw.get(key, ())})
        cite = [(cid, sc.tree.paths[code]) for cid, code in sc.codings.get(key, [])
                if evidence_codes is None or code in evidence_codes]
        research = not interviewee_turn(t.speaker, t.participant_id)
        out.append(Row(doc, clinics[doc.clinic_id], t.index, t.speaker, "research team" if research else t.role,
                       t.start, t.end, codes, evidence=sorted(set(cite))))
    return out


def _clinics() -> dict[int, Clinic]:
    return {c.id: c for c in db.session.execute(sa.select(Clinic)).scalars()}


def _code(tree: CodeTree, code_id: int | None, name: str) -> int:
    if code_id is None:
        raise AnalysisInputError(f"choose code {name[-1].upper()}", name)
    if code_id not in tree.codes:
        raise AnalysisInputError("That code is not in this project.", name)
    return code_id


def run_code_query(project: QualProject, viewer, flt: QueryFilter, op: str, code_a: int | None,
                   code_b: int | None, near: int = 1) -> list[Row]:
    """Turns matching ``A op B`` (``qualitative.code_queries``); each row cites A's codings in the turn."""
    sc = scope(project, viewer, flt)
    a = _code(sc.tree, code_a, "code_a")
    b = _code(sc.tree, code_b, "code_b")
    try:
        keys = code_query(sc.rolled, op, a, b, near)
    except QueryInputError as exc:
        raise AnalysisInputError(str(exc), exc.field) from None
    return _rows(sc, keys, _clinics(), sc.tree.descendants(a))


def run_text_search(project: QualProject, viewer, flt: QueryFilter, text: str) -> list[Row]:
    """Turns containing ``text`` (case-insensitive), with each occurrence marked."""
    if not text.strip():
        raise AnalysisInputError("type the words to search for", "q")
    if len(text) > MAX_TEXT:
        raise AnalysisInputError(f"the search is {len(text)} characters; at most {MAX_TEXT}", "q")
    sc = scope(project, viewer, flt)
    clinics = _clinics()
    out = []
    for key in sorted(sc.turns):
        t = sc.turns[key]
        hits = text_hits(sc.documents[key[0]].text, t.start, t.end, text)
        if hits:
            (row,) = _rows(sc, [key], clinics)
            row.marks = hits
            out.append(row)
    return out


def cooccurrence_matrix(project: QualProject, viewer, flt: QueryFilter) -> dict:
    """Same-turn co-occurrence of the codes used in the filtered turns (codebook order)."""
    sc = scope(project, viewer, flt)
    used = {c for codes in sc.raw.values() for c in codes}
    codes = [c for c in sc.tree.ordered() if c.id in used]
    result = cooccurrence(sc.raw, [c.id for c in codes])
    return {"codes": codes, "paths": sc.tree.paths, "labels": sc.tree.labels, **result}


def matrix_table(matrix: dict) -> tuple[list[str], list[list]]:
    headers = ["code path", *[matrix["paths"][c.id] for c in matrix["codes"]]]
    rows = [[matrix["paths"][a.id], *[matrix["counts"].get((a.id, b.id), 0) for b in matrix["codes"]]]
            for a in matrix["codes"]]
    rows.append([f"n = {matrix['n']} speaker turns; a cell counts the turns coded with both codes (the diagonal: "
                 "with the code)"] + [""] * len(matrix["codes"]))
    return headers, rows


def row_table(rows: list[Row]) -> tuple[list[str], list[list]]:
    return EXPORT_HEADERS, [[r.document.name, r.clinic.code, r.index + 1, r.speaker or "", r.role or "",
                             "; ".join(r.codes), r.text] for r in rows]


def variables(project_id: int) -> list[Variable]:
    return list(db.session.execute(sa.select(Variable).where(Variable.project_id == project_id)
                                   .order_by(Variable.position, Variable.name)).scalars())


def attach_evidence(project: QualProject, user: User, coding_id: int) -> tuple[Code, Clinic]:
    """Cite a coding from a query result as evidence for the user's own rating of its construct at the clinic of its
    document (``ratings``: the coding must be one the user may see, of that construct, at that clinic). The user
    rates first: a rating without a value is not made up here."""
    coding = db.session.get(Coding, coding_id)
    document = db.session.get(Document, coding.document_id) if coding else None
    if coding is None or document is None or document.project_id != project.id:
        raise AnalysisInputError("That coding is not in this project.", "coding_id")
    tree = code_tree(project.id)
    constructs = {c.id: c for c in ratings.constructs(project.id)}
    code_id = next((c for c in sorted(_ancestors(tree, coding.code_id), key=lambda c: c != coding.code_id)
                    if c in constructs), None)
    if code_id is None:
        raise AnalysisInputError(f"{tree.paths[coding.code_id]} is not a construct that is rated.", "coding_id")
    code, clinic = constructs[code_id], db.session.get(Clinic, document.clinic_id)
    rating = ratings.my_rating(project, code, clinic, user.id)
    if rating is None:
        raise AnalysisInputError(f"Rate {code.name} at {clinic.code} first; then cite this turn as evidence.",
                                 "coding_id")
    ratings._evidence(project, code, clinic, user, [coding_id])  # noqa: SLF001  (the one evidence rule)
    if coding_id not in {e.coding_id for e in rating.evidence}:
        rating.evidence.append(ConstructRatingEvidence(coding_id=coding_id))
    db.session.commit()
    return code, clinic


__all__ = ["MAX_NEAR", "OPERATORS", "RESEARCH_TEAM", "QueryFilter", "Row", "attach_evidence",
           "cooccurrence_matrix", "matrix_table", "row_table", "run_code_query", "run_text_search", "variables"]
