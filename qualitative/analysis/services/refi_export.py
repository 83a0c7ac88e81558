"""A project as a REFI-QDA exchange file (.qdpx) and its codebook as .qdc.

Mapping: coders, memo authors and the project creator become Users; the code tree becomes the nested CodeBook
(definition, kind, inclusion, exclusion and lexicon in the description, as ``codebook_io`` writes them);
Variables: document kind, clinic, interview date (sources) and participant role (cases); clinics and participants
are Cases (a participant case refers to the documents where the participant speaks); each document is a
TextSource; each coding is one PlainTextSelection coded with its code, creatingUser = the coder; memos are Notes
(on a coding: referenced by its selection; on a document: by its source); code/document groups are Sets. GUIDs are the ones a REFI-QDA import
recorded (``RefiGuid``), else ``stable_guid(kind, id)``, so exporting twice gives the same file. Transcripts whose
de-identification has not been applied stay out unless a manager includes them (audited).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import sqlalchemy as sa

from app.db import db
from app.models import AuditEvent, Clinic, User
from qualitative.analysis.models import RefiGuid
from qualitative.analysis.services.common import code_tree
from qualitative.codebook_io import describe
from qualitative.models import (
    Case,
    CodeGroup,
    Coding,
    Document,
    DocumentTurn,
    Memo,
    Participant,
    QualProject,
    Variable,
    VariableValue,
)
from qualitative.refiqda import (
    CODEPOINTS,
    QdaCase,
    QdaCode,
    QdaNote,
    QdaProject,
    QdaSelection,
    QdaSet,
    QdaTextSource,
    QdaUser,
    QdaVariable,
    export_qdc,
    export_qdpx,
    iter_codes,
    stable_guid,
)
from qualitative.refiqda.values import parse_variable_value

VARIABLES = {  # name, type, description
    "kind": ("Document kind", "Text", "Interview or focus group"),
    "clinic": ("Clinic", "Text", "Clinic code"),
    "date": ("Interview date", "Date", "Date of the interview or focus group"),
    "role": ("Participant role", "Text", "CFIR 2.0 role of the participant (Individuals domain)"),
}


class GuidMap:
    """GUIDs for a project's rows: recorded ones first, stable_guid(kind, id) otherwise."""

    def __init__(self, project_id: int) -> None:
        self.project_id = project_id
        self.recorded = {(kind, local_id): guid for kind, local_id, guid in db.session.execute(
            sa.select(RefiGuid.kind, RefiGuid.local_id, RefiGuid.guid).where(RefiGuid.project_id == project_id))}
        self.taken = set(self.recorded.values())

    def __call__(self, kind: str, local_id: int) -> str:
        key = (kind, local_id)
        guid = self.recorded.get(key)
        if guid is None:
            guid = stable_guid(kind, local_id)
            if guid in self.taken:  # an imported file (e.g. written by another instance) already gave it to a row
                guid = stable_guid(kind, f"{local_id}@project-{self.project_id}")
            self.recorded[key] = guid  # remembered: users recur thousands of times
            self.taken.add(guid)
        return guid


def _codes(project_id: int, guid: GuidMap) -> tuple[list[QdaCode], dict[int, str]]:
    tree = code_tree(project_id)
    made: dict[int, QdaCode] = {}
    top: list[QdaCode] = []
    for code in tree.ordered():
        row = {"definition": code.definition or "", "kind": code.kind, "inclusion": code.inclusion or "",
               "exclusion": code.exclusion or "", "lexicon": list(code.lexicon or [])}
        made[code.id] = QdaCode(guid("code", code.id), code.name, code.colour, code.codable, describe(row))
        parent = made.get(code.parent_id) if code.parent_id in tree.codes else None
        (parent.children if parent else top).append(made[code.id])
    return top, {code_id: c.guid for code_id, c in made.items()}


REVIEWED = "applied"  # de-identification state of a transcript an export may carry without asking


def unreviewed_documents(project: QualProject) -> list[Document]:
    """Transcripts whose de-identification has not been applied (pending review, or skipped)."""
    return list(db.session.execute(sa.select(Document).where(Document.project_id == project.id,
                                                             Document.deidentification != REVIEWED)
                                   .order_by(Document.name, Document.id)).scalars())


def audit_unreviewed_export(project: QualProject, documents: list[Document], user_id: int | None,
                            actor: str) -> None:
    """Record that a manager exported transcripts whose de-identification was not applied (append-only trail)."""
    db.session.add(AuditEvent(user_id=user_id, actor=actor[:255], action="export-unreviewed", entity="qual_project",
                              entity_id=str(project.id), changes={
                                  "format": "qdpx", "documents": [{"id": d.id, "name": d.name,
                                                                   "deidentification": d.deidentification}
                                                                  for d in documents]}))
    db.session.commit()


def build_qda_project(project: QualProject, progress: Callable[[int, int, str], None] | None = None,
                      include_unreviewed: bool = False, only_coder_id: int | None = None) -> QdaProject:
    """The project as REFI-QDA dataclasses (see the module for the mapping). Transcripts whose de-identification has
    not been applied are left out, with their codings and the memos on them, unless ``include_unreviewed``.
    ``only_coder_id``: only that user's codings and memos (what a manager who codes a blind sample may export
    before it is revealed: everything else of the project, texts and codebook included, is as usual)."""
    guid = GuidMap(project.id)
    codes, code_guid = _codes(project.id, guid)
    stored = _stored_variables(project.id, guid)
    # The platform's own variables. One the project holds already under the same name (an imported file, e.g. one
    # this platform wrote) is that variable: its stored values win, the platform's fill the gaps when the types
    # agree, and nothing is written twice.
    by_name = {v.name: v for v in stored.values()}
    variables = {k: by_name.get(v[0]) or QdaVariable(stable_guid("variable", k), *v) for k, v in VARIABLES.items()}
    unusable = {variables[k].guid for k, v in VARIABLES.items() if variables[k].type != v[1]}
    query = sa.select(Document).where(Document.project_id == project.id)
    if not include_unreviewed:
        query = query.where(Document.deidentification == REVIEWED)
    documents = db.session.execute(query.order_by(Document.name, Document.id)).scalars().all()
    kept = {d.id for d in documents}
    clinics = {c.id: c for c in db.session.execute(sa.select(Clinic)).scalars()}
    codings_by_doc: dict[int, list] = defaultdict(list)
    for coding in db.session.execute(  # plain rows, not ORM objects: large projects have many codings
            sa.select(Coding.id, Coding.document_id, Coding.code_id, Coding.coder_id, Coding.start, Coding.end,
                      Coding.created_at).join(Document, Document.id == Coding.document_id)
            .where(Document.project_id == project.id,
                   Coding.coder_id == only_coder_id if only_coder_id is not None else sa.true())
            .order_by(Coding.start, Coding.end, Coding.id)):
        if coding.document_id in kept:
            codings_by_doc[coding.document_id].append(coding)
    kept_codings = {c.id for rows in codings_by_doc.values() for c in rows}
    memos = [m for m in db.session.execute(sa.select(Memo).where(Memo.project_id == project.id).order_by(Memo.id))
             .scalars() if not (m.target_type == "document" and m.target_id not in kept)
             and not (m.target_type == "coding" and m.target_id not in kept_codings)
             and (only_coder_id is None or m.author_id == only_coder_id)]
    user_ids = {c.coder_id for rows in codings_by_doc.values() for c in rows} | {m.author_id for m in memos}
    if project.created_by_id:
        user_ids.add(project.created_by_id)
    users = {u.id: u for u in db.session.execute(sa.select(User).where(User.id.in_(user_ids))).scalars()}
    notes, note_on = [], defaultdict(list)
    for memo in memos:
        note = QdaNote(guid("memo", memo.id), memo.title or f"Memo {memo.id}", memo.text,
                       guid("user", memo.author_id), memo.created_at)
        notes.append(note)
        note_on[(memo.target_type, memo.target_id)].append(note.guid)
    by_guid = {c.guid: c for c in iter_codes(codes)}
    for code_id, code_g in code_guid.items():
        by_guid[code_g].note_refs = note_on.get(("code", code_id), [])
    sources = []
    total = len(documents)
    stored_values = _stored_values(stored, "document_id", kept)
    for i, doc in enumerate(documents, start=1):
        values = {variables["kind"].guid: doc.kind_label, variables["clinic"].guid: clinics[doc.clinic_id].code}
        if doc.interview_date:
            values[variables["date"].guid] = doc.interview_date
        values = {g: v for g, v in values.items() if g not in unusable} | stored_values.get(doc.id, {})
        selections = []
        for coding in codings_by_doc.get(doc.id, []):
            if coding.code_id not in code_guid:
                continue
            selections.append(QdaSelection(guid("coding", coding.id), coding.start, coding.end,
                                           guid("user", coding.coder_id), coding.created_at,
                                           [code_guid[coding.code_id]], note_on.get(("coding", coding.id), [])))
        sources.append(QdaTextSource(guid("document", doc.id), doc.name, doc.text, values, selections,
                                     description=doc.description or "",
                                     creating_user=guid("user", doc.created_by_id) if doc.created_by_id in users
                                     else None, creation_datetime=doc.created_at,
                                     note_refs=note_on.get(("document", doc.id), [])))
        if progress is not None:
            progress(i, total, f"{doc.name}: {len(selections)} coded selections")
    cases = _stored_cases(project.id, stored, kept, guid)
    taken = {c.name for c in cases}
    for case in _cases(project, documents, clinics, variables, guid):
        if case.name not in taken:  # a case the file had (and the project kept) is not made again
            case.variable_values = {g: v for g, v in case.variable_values.items() if g not in unusable}
            cases.append(case)
    document_ids = {d.id for d in documents}
    sets = [QdaSet(guid("group", g.id), g.name, g.description or "",
                   [code_guid[c.id] for c in g.codes if c.id in code_guid],
                   [guid("document", d.id) for d in g.documents if d.id in document_ids],
                   note_on.get(("group", g.id), []))
            for g in db.session.execute(sa.select(CodeGroup).where(CodeGroup.project_id == project.id)
                                        .order_by(CodeGroup.name, CodeGroup.id)).scalars()]
    own = [v for k, v in variables.items() if v.guid not in {x.guid for x in stored.values()}
           and (k != "date" or any(d.interview_date for d in documents))]
    used_vars = list(stored.values()) + own
    return QdaProject(
        name=project.name, users=[QdaUser(guid("user", u.id), u.name) for u in sorted(users.values(),
                                                                                       key=lambda u: u.id)],
        codes=codes, variables=used_vars if documents or cases else [], cases=cases, sources=sources, notes=notes, sets=sets,
        description=project.description or "",
        creating_user=guid("user", project.created_by_id) if project.created_by_id in users else None,
        creation_datetime=project.created_at)


def _stored_variables(project_id: int, guid: GuidMap) -> dict[int, QdaVariable]:
    """The variables the project holds (from an imported file), by id, in the file's order."""
    return {v.id: QdaVariable(guid("variable", v.id), v.name, v.type, v.description or "")
            for v in db.session.execute(sa.select(Variable).where(Variable.project_id == project_id)
                                        .order_by(Variable.position, Variable.id)).scalars()}


def _stored_values(stored: dict[int, QdaVariable], owner: str, owners: set[int] | None = None) -> dict[int, dict]:
    """owner id (document or case) -> {variable guid: typed value} of the stored values."""
    out: dict[int, dict] = defaultdict(dict)
    if not stored:
        return out
    column = getattr(VariableValue, owner)
    for variable_id, owner_id, text in db.session.execute(
            sa.select(VariableValue.variable_id, column, VariableValue.value)
            .where(VariableValue.variable_id.in_(stored), column.is_not(None)).order_by(VariableValue.id)):
        if owners is not None and owner_id not in owners:
            continue
        var = stored[variable_id]
        out[owner_id][var.guid] = parse_variable_value(var.type, text, f"variable {var.name!r}")
    return out


def _stored_cases(project_id: int, stored: dict[int, QdaVariable], kept: set[int], guid: GuidMap) -> list[QdaCase]:
    """The cases the project holds, with their values and the member documents this export carries."""
    rows = db.session.execute(sa.select(Case).where(Case.project_id == project_id)
                              .order_by(Case.position, Case.id)).scalars().all()
    values = _stored_values(stored, "case_id")
    return [QdaCase(guid("case", c.id), c.name, c.description or "", values.get(c.id, {}),
                    [guid("document", d.id) for d in c.documents if d.id in kept]) for c in rows]


def _cases(project, documents, clinics, variables, guid) -> list[QdaCase]:
    cases = []
    for clinic_id in sorted({d.clinic_id for d in documents}, key=lambda c: clinics[c].code):
        clinic = clinics[clinic_id]
        cases.append(QdaCase(guid("clinic", clinic.id), clinic.code, clinic.name,
                             {variables["clinic"].guid: clinic.code},
                             [guid("document", d.id) for d in documents if d.clinic_id == clinic_id]))
    speaking = defaultdict(set)
    for participant_id, document_id in db.session.execute(
            sa.select(DocumentTurn.participant_id, DocumentTurn.document_id).join(
                Document, Document.id == DocumentTurn.document_id)
            .where(Document.project_id == project.id, DocumentTurn.participant_id.is_not(None)).distinct()):
        speaking[participant_id].add(document_id)
    for p in db.session.execute(sa.select(Participant).where(Participant.project_id == project.id)
                                .order_by(Participant.pseudonym)).scalars():
        values = {variables["clinic"].guid: clinics[p.clinic_id].code}
        if p.cfir_role:
            values[variables["role"].guid] = p.cfir_role
        cases.append(QdaCase(guid("participant", p.id), p.pseudonym, p.description or "", values,
                             [guid("document", d.id) for d in documents if d.id in speaking[p.id]]))
    return cases


def qdpx_bytes(project: QualProject, crlf: bool = False, progress=None, positions: str = CODEPOINTS,
               include_unreviewed: bool = False, only_coder_id: int | None = None) -> bytes:
    return export_qdpx(build_qda_project(project, progress, include_unreviewed, only_coder_id), crlf=crlf,
                       positions=positions)


def qdc_bytes(project: QualProject) -> bytes:
    """The codebook as .qdc, its code groups as ``<Sets>``."""
    guid = GuidMap(project.id)
    codes, code_guid = _codes(project.id, guid)
    sets = [QdaSet(guid("group", g.id), g.name, g.description or "",
                   [code_guid[c.id] for c in g.codes if c.id in code_guid])
            for g in db.session.execute(sa.select(CodeGroup).where(CodeGroup.project_id == project.id)
                                        .order_by(CodeGroup.name, CodeGroup.id)).scalars()]
    return export_qdc(codes, sets=sets)


def coding_count(project: QualProject, include_unreviewed: bool = True) -> int:
    """Codings of the project; without ``include_unreviewed``, only those an export carries (on transcripts whose
    de-identification has been applied)."""
    stmt = (sa.select(sa.func.count(Coding.id)).join(Document, Document.id == Coding.document_id)
            .where(Document.project_id == project.id))
    if not include_unreviewed:
        stmt = stmt.where(Document.deidentification == REVIEWED)
    return db.session.execute(stmt).scalar_one()


def safe_filename(name: str, extension: str) -> str:
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name).strip("_") or "project"
    return f"{stem[:80]}.{extension}"
