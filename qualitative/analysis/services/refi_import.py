"""Import a REFI-QDA project (.qdpx) into a new or an existing empty project, all or nothing.

Sources become documents (positions preserved: the text is stored as the file gives it, with "\\n" line ends);
the clinic of a source comes from a "Clinic" variable on the source or on a case that holds it (matched to a clinic
code or name), else from the clinic the analyst chose. Codes keep their tree, colour, codability and the
definition/kind/inclusion/exclusion/lexicon written in their description; a code named like a CFIR 2.0 construct
gets its CFIR key. Each coded selection becomes one coding per code, owned by the platform user the analyst
mapped the file's user to; selections of unknown or unmapped users go to the importing analyst, and a project memo
records that, with what the file held that a text project cannot (``QdaProject.skipped``). Cases with a
"Participant role" variable become participants. GUIDs are recorded so a re-export keeps them.
Everything is validated and built first and committed once; any error leaves nothing behind.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa

from app.audit import current_actor
from app.db import db
from app.models import AuditEvent, Clinic, Role, User
from qualitative.analysis.models import RefiGuid
from qualitative.analysis.services.common import AnalysisInputError
from qualitative.analysis.services.refi_plan import (
    cfir_keys,
    clinic_finder,
    code_key,
    plan_sources,
    variables_named,
)
from qualitative.analysis.turns import speaker_turns
from qualitative.codebook_io import qda_codes_to_rows
from qualitative.deidentify.detectors import redacted_name
from qualitative.models import (
    Case,
    Code,
    CodeGroup,
    Coding,
    Document,
    DocumentTurn,
    Memo,
    Participant,
    Privilege,
    ProjectMember,
    QualProject,
    Variable,
    VariableValue,
)
from qualitative.parsers import limit_problem
from qualitative.refiqda import (
    READING_LABELS,
    PositionsUndecided,
    QdaProject,
    RefiQdaError,
    import_qdpx,
    iter_codes,
)
from qualitative.refiqda.values import format_variable_value
from qualitative.workspace.services import naming
from qualitative.workspace.services.deidentify import APPLIED, SKIPPED
from qualitative.workspace.services.transcripts import limits


def read_qdpx(data: bytes, positions: str | None = None) -> QdaProject:
    """Parse the archive; every problem becomes an AnalysisInputError with the reader's message (what, where).
    :class:`PositionsUndecided` passes through: the caller asks the analyst and reads again with ``positions``."""
    if not data:
        raise AnalysisInputError("The file is empty.", "file")
    try:
        qda = import_qdpx(data, positions=positions)
    except PositionsUndecided:
        raise
    except RefiQdaError as exc:
        raise AnalysisInputError(f"This is not a readable REFI-QDA project: {exc}", "file") from None
    check_limits(qda)
    return qda


def check_limits(qda: QdaProject) -> None:
    """Each source within the transcript limits of a file import (``transcripts.limits()``: turns, speakers,
    characters; turns as ``speaker_turns`` reads them on import): else AnalysisInputError naming the source."""
    bounds = limits()
    for source in qda.sources:
        label = f"Source “{source.name or source.guid}” of the .qdpx"
        problem = limit_problem(label, len(source.text), 0, 0, bounds)
        if problem is None:
            turns = speaker_turns(source.text)
            problem = limit_problem(label, 0, len(turns), len({s for s, _, _ in turns if s}), bounds)
        if problem:
            raise AnalysisInputError(f"Nothing imported. {problem}.", "file")


def user_label(qda: QdaProject, guid: str | None) -> str:
    names = {u.guid: u.name for u in qda.users}
    if guid is None:
        return "(no user recorded)"
    return names.get(guid) or f"(user {guid} not listed)"


def user_summary(qda: QdaProject) -> list[dict]:
    """The file's users with how many codings each applied (plus codings without a user)."""
    counts: dict[str | None, int] = {}
    for source in qda.sources:
        for sel in source.selections:
            for code in sel.codings:
                user = sel.coder_of(code)
                counts[user] = counts.get(user, 0) + 1
    known = {u.guid for u in qda.users}
    rows = [{"guid": u.guid, "name": u.name or u.guid, "selections": counts.get(u.guid, 0)} for u in qda.users]
    rows += [{"guid": g, "name": f"(user {g} not listed)", "selections": n}
             for g, n in counts.items() if g is not None and g not in known]
    if None in counts:
        rows.append({"guid": None, "name": "(no user recorded)", "selections": counts[None]})
    return rows


def suggest_user_mapping(qda: QdaProject, candidates: list[User]) -> dict[str, int | None]:
    """File user -> platform user whose name or e-mail (or its local part) equals the file user's name. A name
    that fits several accounts, or two file users that would get the same account, suggest nothing (never merge)."""
    index: dict[str, set[int]] = {}
    for user in candidates:
        for key in (user.name, user.email, user.email.split("@")[0]):
            index.setdefault(key.strip().lower(), set()).add(user.id)
    suggested: dict[str, int | None] = {}
    for u in qda.users:
        found = index.get((u.name or "").strip().lower(), set())
        suggested[u.guid] = next(iter(found)) if len(found) == 1 else None
    taken: dict[int, int] = {}
    for account in suggested.values():
        if account:
            taken[account] = taken.get(account, 0) + 1
    return {g: (a if a and taken[a] == 1 else None) for g, a in suggested.items()}


def map_users_by_option(qda: QdaProject, pairs: list[str], accounts: list[User]) -> dict[str, int]:
    """``["NAME=EMAIL", ...]`` (the command line's ``--map-user``) -> file user GUID -> account id. NAME is a file
    user's name or GUID; raises AnalysisInputError naming the pair when either side is unknown or ambiguous."""
    by_email = {u.email.lower(): u for u in accounts}
    chosen: dict[str, int] = {}
    for pair in pairs:
        name, sep, email = pair.rpartition("=")
        name, email = name.strip(), email.strip().lower()
        if not sep or not name or not email:
            raise AnalysisInputError(f"--map-user {pair!r}: write NAME=EMAIL.", "users")
        matches = [u for u in qda.users if u.name.strip().lower() == name.lower() or u.guid == name.lower()]
        if not matches:
            known = ", ".join(repr(u.name or u.guid) for u in qda.users) or "none"
            raise AnalysisInputError(f"--map-user {pair!r}: the file has no user {name!r} (its users: {known}).",
                                     "users")
        if len(matches) > 1:
            raise AnalysisInputError(f"--map-user {pair!r}: {len(matches)} file users are named {name!r}; name "
                                     f"one by its GUID ({', '.join(u.guid for u in matches)}).", "users")
        account = by_email.get(email)
        if account is None:
            raise AnalysisInputError(f"--map-user {pair!r}: no active account with e-mail {email}.", "users")
        chosen[matches[0].guid] = account.id
    return chosen


@dataclass
class ImportResult:
    project: QualProject
    documents: int = 0
    codes: int = 0
    codings: int = 0
    memos: int = 0
    participants: int = 0
    groups: int = 0
    variables: int = 0
    values: int = 0
    cases: int = 0
    deidentified: bool = False  # the importer stated the file's transcripts were de-identified before import
    imported_coders: list[str] = field(default_factory=list)  # names of coder identities made for file users
    readings: list = field(default_factory=list)  # SourceReading per source (how positions were read)
    notes: list[str] = field(default_factory=list)

    def reading_lines(self) -> list[str]:
        """One line per reading used: which sources, and why (from the file, or the analyst's choice)."""
        return reading_summary(self.readings)


def reading_summary(readings: list) -> list[str]:
    groups: dict[str, list] = {}
    for r in readings:
        groups.setdefault(r.reading or "", []).append(r)
    lines = []
    for reading, items in groups.items():
        names = ", ".join(f"“{r.source_name}”" for r in items[:5]) + (f" and {len(items) - 5} more"
                                                                       if len(items) > 5 else "")
        if reading == "same":
            lines.append(f"Positions of {names}: code points and UTF-16 units agree (no selection after a "
                         "character outside the Basic Multilingual Plane).")
        else:
            lines.append(f"Positions of {names} were read as {READING_LABELS.get(reading, reading)}: "
                         f"{items[0].reason}.")
    return lines


def empty_projects(projects: list[QualProject]) -> list[QualProject]:
    """Those of ``projects`` with neither documents nor codes (an import may go there)."""
    ids = [p.id for p in projects]
    if not ids:
        return []
    busy = set(db.session.execute(sa.select(Document.project_id).where(Document.project_id.in_(ids))).scalars())
    busy |= set(db.session.execute(sa.select(Code.project_id).where(Code.project_id.in_(ids))).scalars())
    return [p for p in projects if p.id not in busy]


def _target(project: QualProject | None, project_name: str | None, importer: User) -> QualProject:
    if project is not None:
        has_docs = db.session.execute(sa.select(Document.id).where(Document.project_id == project.id).limit(1)).first()
        has_codes = db.session.execute(sa.select(Code.id).where(Code.project_id == project.id).limit(1)).first()
        if has_docs or has_codes:
            raise AnalysisInputError(f"Project “{project.name}” is not empty (it has documents or codes); import "
                                     "into a new project instead.", "project")
        return project
    name = (project_name or "").strip()
    if not name:
        raise AnalysisInputError("Name the new project.", "project_name")
    if len(name) > 120:
        raise AnalysisInputError("A project name has at most 120 characters.", "project_name")
    if db.session.execute(sa.select(QualProject.id).where(QualProject.name == name)).first():
        raise AnalysisInputError(f"A project named “{name}” already exists; choose it as the target only if it "
                                 "is empty, or pick another name.", "project_name")
    project = QualProject(name=name, created_by_id=importer.id)
    db.session.add(project)
    db.session.flush()
    db.session.add(ProjectMember(project_id=project.id, user_id=importer.id, privilege=Privilege.MANAGE))
    return project


def source_name_problems(qda: QdaProject, clinics: list[Clinic], default_clinic: Clinic | None = None) -> list[dict]:
    """The sources whose name holds an identifier (``naming.findings``: the clinic's staff and the source's speakers
    as known names): ``{"guid", "name", "findings", "proposal"}`` each, the proposal with them redacted."""
    try:
        clinic_of = {s.guid: p["clinic"].id for s, p in zip(qda.sources, plan_sources(qda, clinics, default_clinic),
                                                            strict=True)}
    except AnalysisInputError:  # no clinic yet: the staff are not known, the rest still is
        clinic_of = {}
    problems = []
    for source in qda.sources:
        name = (source.name or "Source").strip()[:240] or "Source"
        found = naming.findings(name, clinic_of.get(source.guid), [t[0] for t in speaker_turns(source.text)])
        if found:
            problems.append({"guid": source.guid, "name": name, "findings": found,
                             "proposal": redacted_name(name, found)})
    return problems


def _name_sources(qda: QdaProject, plans: list[dict], source_names: dict[str, str] | None,
                  redact_names: bool) -> None:
    """Settle each plan's document name: the analyst's (held to the certain findings), the proposal
    (``redact_names``), or a refusal naming the source and proposing a name. Readings follow the new names."""
    chosen = {g: " ".join(n.split()) for g, n in (source_names or {}).items() if n and n.strip()}
    renamed: dict[str, str] = {}
    for source, plan in zip(qda.sources, plans, strict=True):
        speakers = [t[0] for t in speaker_turns(source.text)]
        if source.guid in chosen:
            name = chosen[source.guid][:240]
            if found := naming.findings(name, plan["clinic"].id, speakers, confirmed=True):
                raise AnalysisInputError(f"The name “{name}” given to a source holds {naming.describe(found)}.",
                                         "source_names")
        else:
            found = naming.findings(plan["name"], plan["clinic"].id, speakers)
            if found and not redact_names:
                raise AnalysisInputError(f"Source “{plan['name']}” holds {naming.describe(found)} in its name; it "
                                         f"would become the document's name. Name it, e.g. “{redacted_name(plan['name'], found)}”.",
                                         "source_names")
            name = redacted_name(plan["name"], found) if found else plan["name"]
        if name != plan["name"]:
            renamed[source.guid] = name
            plan["name"], plan["source_filename"] = name, f"{name}.qdpx"
    names = [p["name"] for p in plans]
    if len(set(names)) != len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})
        raise AnalysisInputError(f"Two sources would have the same name ({', '.join(repeated)}); name them apart.",
                                 "source_names")
    qda.position_readings = [dataclasses.replace(r, source_name=renamed.get(r.source_guid, r.source_name))
                             for r in qda.position_readings]


def import_project(qda: QdaProject, importer: User, user_map: dict[str, int | None], clinics: list[Clinic],
                   default_clinic: Clinic | None = None, project: QualProject | None = None,
                   project_name: str | None = None, deidentified: bool = False,
                   source_names: dict[str, str] | None = None, redact_names: bool = False) -> ImportResult:
    """Write ``qda`` into ``project`` (existing, empty) or a new project ``project_name``; see the module.

    ``deidentified``: the importer states that the file's transcripts were de-identified before import (in the
    other tool). They are then marked de-identified (``applied``), so exports carry them without asking each time;
    the statement, who made it and which documents it covers go to the audit trail and the import memo. Without
    it they are marked ``skipped`` and an export leaves them out unless a manager includes them.

    A source whose name holds an identifier (``source_name_problems``) is refused unless ``source_names`` (source
    GUID -> the name the analyst chose) names it or ``redact_names`` takes the proposed name."""
    check_limits(qda)
    plans = plan_sources(qda, clinics, default_clinic)
    _name_sources(qda, plans, source_names, redact_names)
    users = {u.id: u for u in db.session.execute(
        sa.select(User).where(User.id.in_([v for v in user_map.values() if v]))).scalars()}
    if bad := [g for g, v in user_map.items() if v and v not in users]:
        raise AnalysisInputError(f"File users {bad} are mapped to unknown accounts.", "users")
    by_account: dict[int, list[str]] = {}
    for guid, account in user_map.items():
        if account:
            by_account.setdefault(account, []).append(user_label(qda, guid))
    for account, names in by_account.items():
        if len(names) > 1:
            raise AnalysisInputError(f"File users {' and '.join(names)} are all mapped to {users[account].name}; "
                                     "two coders would become one and their agreement could not be computed. Map "
                                     "each to a different account, or leave them as imported coders.", "users")
    try:
        target = _target(project, project_name, importer)
        result = ImportResult(target, readings=list(qda.position_readings), deidentified=deidentified)
        if not target.description and qda.description:
            target.description = qda.description
        _write(qda, target, importer, user_map, plans, result, clinics)
        if deidentified:
            _audit_deidentified(target, importer, qda)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


def _write(qda, project, importer, user_map, plans, result, clinics) -> None:
    guids: list[tuple[str, int, str]] = []
    names = {u.guid: u.name or u.guid for u in qda.users}
    cfir, used_keys = cfir_keys(), set()
    rows = qda_codes_to_rows(qda.codes)
    code_ids: dict[str, int] = {}
    for position, row in enumerate(rows):
        code = Code(project_id=project.id, key=code_key(row, cfir, used_keys), name=str(row["name"])[:255],
                    kind=str(row["kind"])[:40], codable=bool(row["codable"]),
                    colour=(row["colour"] or None) and str(row["colour"]).lower(),
                    definition=row["definition"] or None, inclusion=row["inclusion"] or None,
                    exclusion=row["exclusion"] or None, lexicon=list(row["lexicon"]), position=position,
                    parent_id=code_ids.get(row["parent_key"]) if row["parent_key"] else None)
        db.session.add(code)
        db.session.flush()
        code_ids[str(row["key"])] = code.id
        guids.append(("code", code.id, str(row["key"])))
    result.codes = len(rows)

    user_guid: dict[int, str] = {}
    identities: dict[str | None, int] = {}

    def account(guid: str | None) -> int | None:
        """The platform user the file user is mapped to (remembering the file's GUID for re-export)."""
        mapped = user_map.get(guid) if guid else None
        if mapped and mapped not in user_guid:
            user_guid[mapped] = guid
            guids.append(("user", mapped, guid))
        return mapped

    def owner(guid: str | None) -> int:
        """The mapped account, else the file user's own imported coder identity (never someone else's)."""
        mapped = account(guid)
        if mapped:
            return mapped
        if guid not in identities:
            identity = imported_identity(guid, names.get(guid) if guid else None, qda.name)
            identities[guid] = identity.id
            result.imported_coders.append(identity.name)
            if guid:
                guids.append(("user", identity.id, guid))
        return identities[guid]

    selection_coding: dict[str, int] = {}
    doc_ids: dict[str, int] = {}
    zero, duplicate = 0, 0
    for source, plan in zip(qda.sources, plans, strict=True):
        doc = Document(project_id=project.id, clinic_id=plan["clinic"].id, name=plan["name"], kind=plan["kind"],
                       interview_date=plan["date"], source_filename=plan.get("source_filename", f"{source.name}.qdpx")[:255],
                       source_format="refi-qda", encoding="utf-8", text=source.text,
                       deidentification=APPLIED if result.deidentified else SKIPPED,
                       description=source.description or None, created_by_id=account(source.creating_user))
        if source.creation_datetime is not None and source.creation_datetime.tzinfo is not None:
            doc.created_at = source.creation_datetime
        db.session.add(doc)
        db.session.flush()
        doc_ids[source.guid] = doc.id
        guids.append(("document", doc.id, source.guid))
        for index, (speaker, start, end) in enumerate(speaker_turns(source.text)):
            db.session.add(DocumentTurn(document_id=doc.id, index=index, speaker=speaker[:120] if speaker else None,
                                        start=start, end=end))
        seen: set[tuple[int, int, int, int]] = set()
        for sel in source.selections:
            if sel.end <= sel.start:
                zero += 1
                continue
            for code_guid in sel.codings:
                coder = owner(sel.coder_of(code_guid))
                key = (code_ids[code_guid], coder, sel.start, sel.end)
                if key in seen:
                    duplicate += 1
                    continue
                seen.add(key)
                coding = Coding(document_id=doc.id, code_id=key[0], coder_id=coder, start=sel.start, end=sel.end,
                                source="manual")
                if sel.creation_datetime is not None and sel.creation_datetime.tzinfo is not None:
                    coding.created_at = sel.creation_datetime
                db.session.add(coding)
                db.session.flush()
                result.codings += 1
                if sel.guid not in selection_coding:
                    selection_coding[sel.guid] = coding.id
                    guids.append(("coding", coding.id, sel.guid))
        result.documents += 1
    group_ids = _groups(qda, project, code_ids, doc_ids, guids, result)
    _variables_and_cases(qda, project, doc_ids, guids, result)  # first: a case keeps its GUID as a case
    _cases(qda, project, plans, doc_ids, guids, result, clinics)
    _memos(qda, project, importer, owner, doc_ids, selection_coding, guids, result, group_ids, code_ids)
    if zero:
        result.notes.append(f"{zero} empty selection(s) (no characters) were left out.")
    if duplicate:
        result.notes.append(f"{duplicate} repeated coding(s) of the same text by the same user were merged.")
    _import_memo(qda, project, importer, result)
    seen_guids: set[str] = set()
    for kind, local_id, guid in guids:
        if guid not in seen_guids:
            seen_guids.add(guid)
            db.session.add(RefiGuid(project_id=project.id, kind=kind, local_id=local_id, guid=guid))


def _audit_deidentified(project: QualProject, importer: User, qda: QdaProject) -> None:
    """The importer's statement that the file's transcripts were de-identified elsewhere (append-only trail)."""
    user_id, actor = current_actor()
    if user_id is None and not actor.startswith("cli:"):
        user_id, actor = importer.id, importer.email
    documents = db.session.execute(sa.select(Document.id, Document.name).where(Document.project_id == project.id)
                                   .order_by(Document.id)).all()
    db.session.add(AuditEvent(user_id=user_id, actor=actor[:255],
                              action="import-deidentified", entity="qual_project", entity_id=str(project.id),
                              changes={"stated_by": importer.email, "file": qda.name, "origin": qda.origin,
                                       "documents": [{"id": d.id, "name": d.name} for d in documents]}))


def _variables_and_cases(qda, project, doc_ids, guids, result) -> None:
    """Every variable of the file with its values on sources and cases, and every case with its member sources,
    kept as the file states them (``Variable``, ``Case``, ``VariableValue``) so the re-export carries them."""
    variables: dict[str, Variable] = {}
    for position, var in enumerate(qda.variables):
        row = Variable(project_id=project.id, name=(var.name or "Variable")[:255], type=var.type,
                       description=var.description or None, position=position)
        db.session.add(row)
        db.session.flush()
        variables[var.guid] = row
        guids.append(("variable", row.id, var.guid))

    def values(owner: dict, given: dict) -> None:
        for var_guid, value in given.items():
            var = variables[var_guid]
            db.session.add(VariableValue(variable_id=var.id, value=format_variable_value(
                var.type, value, f"variable {var.name!r}"), **owner))
            result.values += 1

    for source in qda.sources:
        values({"document_id": doc_ids[source.guid]}, source.variable_values)
    docs = {d.id: d for d in db.session.execute(sa.select(Document).where(Document.project_id == project.id))
            .scalars()}
    for position, case in enumerate(qda.cases):
        row = Case(project_id=project.id, name=(case.name or "Case")[:255], description=case.description or None,
                   position=position, documents=[docs[doc_ids[g]] for g in case.source_refs if g in doc_ids])
        db.session.add(row)
        db.session.flush()
        guids.append(("case", row.id, case.guid))
        values({"case_id": row.id}, case.variable_values)
        result.cases += 1
    result.variables = len(variables)


def _groups(qda, project, code_ids, doc_ids, guids, result) -> dict[str, int]:
    """Sets become code/document groups with their members; returns set GUID -> group id (a set's notes become
    memos on its group, see ``_memos``)."""
    group_ids: dict[str, int] = {}
    codes = {c.id: c for c in db.session.execute(sa.select(Code).where(Code.project_id == project.id)).scalars()}
    docs = {d.id: d for d in db.session.execute(sa.select(Document).where(Document.project_id == project.id))
            .scalars()}
    for item in qda.sets:
        group = CodeGroup(project_id=project.id, name=(item.name or "Set")[:255], description=item.description or None,
                          codes=[codes[code_ids[g]] for g in item.code_refs if g in code_ids],
                          documents=[docs[doc_ids[g]] for g in item.source_refs if g in doc_ids])
        db.session.add(group)
        db.session.flush()
        guids.append(("group", group.id, item.guid))
        group_ids[item.guid] = group.id
        result.groups += 1
    return group_ids


def _cases(qda, project, plans, doc_ids, guids, result, clinics) -> None:
    """Cases with a role become participants; a clinic case keeps its GUID for the clinic."""
    role_vars = variables_named(qda, "participant role", "role", "cfir role")
    clinic_vars = variables_named(qda, "clinic", "site", "clinic code")
    find = clinic_finder(clinics)
    plan_by_doc = {doc_ids[s.guid]: p for s, p in zip(qda.sources, plans, strict=True)}
    taken: set[str] = set()
    clinic_guid: set[int] = set()
    for case in qda.cases:
        role = next((str(v) for g, v in case.variable_values.items() if g in role_vars), None)
        if role is None:
            clinic = next((find(v) for g, v in case.variable_values.items() if g in clinic_vars and find(v)),
                          None) or find(case.name)
            if clinic is not None and clinic.id not in clinic_guid:
                clinic_guid.add(clinic.id)
                guids.append(("clinic", clinic.id, case.guid))
            continue
        if not case.name.strip() or case.name.strip() in taken:
            continue
        docs = [doc_ids[r] for r in case.source_refs if r in doc_ids]
        if not docs:
            continue
        pseudonym = case.name.strip()[:120]
        taken.add(pseudonym)
        participant = Participant(project_id=project.id, clinic_id=plan_by_doc[docs[0]]["clinic"].id,
                                  pseudonym=pseudonym, cfir_role=role[:120], description=case.description or None)
        db.session.add(participant)
        db.session.flush()
        guids.append(("participant", participant.id, case.guid))
        db.session.execute(sa.update(DocumentTurn).where(DocumentTurn.document_id.in_(docs),
                                                         DocumentTurn.speaker == pseudonym)
                           .values(participant_id=participant.id))
        result.participants += 1


def _memos(qda, project, importer, owner, doc_ids, selection_coding, guids, result, group_ids, code_ids) -> None:
    """Notes become memos on what refers to them: a source, a selection's first coding, a code, else a set's group,
    else the project."""
    targets: dict[str, tuple[str, int | None]] = {}
    for source in qda.sources:
        for ref in source.note_refs:
            targets.setdefault(ref, ("document", doc_ids[source.guid]))
        for sel in source.selections:
            for ref in sel.note_refs:
                if sel.guid in selection_coding:
                    targets.setdefault(ref, ("coding", selection_coding[sel.guid]))
    for code in iter_codes(qda.codes):
        for ref in code.note_refs:
            targets.setdefault(ref, ("code", code_ids[code.guid]))
    for item in qda.sets:
        for ref in item.note_refs:
            targets.setdefault(ref, ("group", group_ids[item.guid]))
    for note in qda.notes:
        target_type, target_id = targets.get(note.guid, ("project", None))
        memo = Memo(project_id=project.id, target_type=target_type, target_id=target_id,
                    author_id=owner(note.creating_user) if note.creating_user else importer.id, title=(note.name or None) and note.name[:255],
                    text=note.text or "")
        db.session.add(memo)
        db.session.flush()
        guids.append(("memo", memo.id, note.guid))
        result.memos += 1


def _import_memo(qda: QdaProject, project: QualProject, importer: User, result: ImportResult) -> None:
    lines = [f"Imported from the REFI-QDA project “{qda.name}”"
             + (f" (written by {qda.origin})" if qda.origin else "") + f" by {importer.name}.",
             f"{result.documents} documents, {result.codes} codes, {result.codings} codings, {result.memos} notes, "
             f"{result.participants} participants, {result.groups} code/document groups, {result.variables} "
             f"variables ({result.values} values), {result.cases} cases."]
    if result.imported_coders:
        lines.append("File users without a platform account became imported coders (they cannot sign in; their "
                     "codings count in agreement): " + "; ".join(result.imported_coders) + ".")
    lines += result.reading_lines()
    lines += result.notes
    if qda.skipped:
        lines.append("Not imported: " + "; ".join(qda.skipped) + ".")
    if result.deidentified:
        lines.append(f"{importer.name} stated that these transcripts were de-identified before import (recorded in "
                     "the audit trail); they are marked de-identified and exports include them.")
    else:
        lines.append("De-identification was not reviewed on this platform (status: skipped); check the texts. "
                     "Exports leave these transcripts out unless a manager includes them.")
    db.session.add(Memo(project_id=project.id, target_type="project", author_id=importer.id,
                        title="REFI-QDA import", text="\n".join(lines)))


IMPORTED_DOMAIN = "imported.invalid"  # RFC 2606: a domain that can never receive mail


def imported_identity(guid: str | None, name: str | None, project_name: str) -> User:
    """The coder identity of file user ``guid`` (reused when an earlier import made it), or a new one; ``guid``
    None (selections with no user) always gets a new identity of its own."""
    if guid:
        email = f"imported-{guid}@{IMPORTED_DOMAIN}"
        found = db.session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()
        if found is not None:
            return found
        label = (name or "").strip() or f"File user {guid[:8]}"
    else:
        email = f"imported-{uuid.uuid4()}@{IMPORTED_DOMAIN}"
        label = f"Unrecorded coder of {project_name or 'an imported project'}"
    user = User(email=email, name=label[:120], password_hash="!imported: cannot sign in", role=Role.ANALYST,
                active=False, imported=True)
    db.session.add(user)
    db.session.flush()
    return user


def count_codes(qda: QdaProject) -> int:
    return sum(1 for _ in iter_codes(qda.codes))
