"""Identifiers kept out of transcript names (issue 14, item 4): a transcript named after a participant
(``Interview_Jane_Smith_2026-03-01.docx``) must not keep her name in the document name, the stored file name, the
audit trail or the import job.

``qualitative.deidentify.detectors.identifiers_in_name`` finds them; this module gives it what the database knows:
the staff recorded at the clinic and the transcript's speakers as known names, and the clinic and agency names and
codes as ordinary words (``Springfield_Focus_Group`` names a place, not a person). A name a person has already seen
and confirmed is held only to the certain findings (known names, e-mail, phone, street address, birth date).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import sqlalchemy as sa

from app.db import db
from app.models import Agency, Clinic, Person
from qualitative.deidentify import is_role_label
from qualitative.deidentify.detectors import NameFinding, identifiers_in_name, redacted_name

_WORDS = re.compile(r"[^\W\d_]+")


class IdentifyingName(ValueError):
    """A name that holds identifiers: ``findings`` and the ``proposal`` with them redacted."""

    def __init__(self, label: str, name: str, findings: list[NameFinding]):
        self.name, self.findings, self.proposal = name, findings, redacted_name(name, findings)
        super().__init__(f"{label} holds {describe(findings)}; it would be kept in the document name, the audit trail "
                         f"and the import record. Use a name without it, e.g. “{self.proposal}”")


def describe(findings: Iterable[NameFinding]) -> str:
    parts = [f"{'a' if f.certain else 'what may be a'} {'name' if f.kind == 'name' else f.kind} (“{f.text}”)"
             for f in findings]
    return ", ".join(parts)


def staff_names(clinic_id: int | None) -> list[str]:
    if not clinic_id:
        return []
    return list(db.session.execute(sa.select(Person.display_name).where(Person.clinic_id == clinic_id)).scalars())


def speaker_names(speakers: Iterable[str | None]) -> list[str]:
    """Speaker labels that name a person (not a role such as "Interviewer" or "Participant 3")."""
    return [s for s in dict.fromkeys(speakers) if s and not is_role_label(s)]


def place_words() -> set[str]:
    """Words of every clinic's and agency's name and code: ordinary words in a transcript's name."""
    rows = db.session.execute(sa.select(Clinic.name, Clinic.code)).all()
    rows += db.session.execute(sa.select(Agency.name, Agency.code)).all()
    return {w.casefold() for row in rows for value in row if value for w in _WORDS.findall(value)}


def findings(name: str, clinic_id: int | None = None, speakers: Iterable[str | None] = (),
             extra_names: Iterable[str] = (), confirmed: bool = False) -> list[NameFinding]:
    """What in ``name`` identifies someone; with ``confirmed`` (a person chose this name after seeing the
    proposal) only the certain findings."""
    found = identifiers_in_name(name, [*staff_names(clinic_id), *speaker_names(speakers), *extra_names],
                                place_words())
    return [f for f in found if f.certain] if confirmed else found


def check(label: str, name: str, **context) -> None:
    """Raise ``IdentifyingName`` when ``name`` holds identifiers (``findings`` with ``context``)."""
    found = findings(name, **context)
    if found:
        raise IdentifyingName(label, name, found)


def replace_words(value, replacements: dict[str, str]):
    """``value`` (JSON: dicts, lists, strings) with each key of ``replacements`` replaced in every string, where
    it stands as a whole word (not inside a longer run of letters)."""
    if isinstance(value, dict):
        return {k: replace_words(v, replacements) for k, v in value.items()}
    if isinstance(value, list):
        return [replace_words(v, replacements) for v in value]
    if isinstance(value, str):
        for old in sorted(replacements, key=len, reverse=True):
            value = re.sub(r"(?<![^\W\d_])" + re.escape(old) + r"(?![^\W\d_])", lambda _m, o=old: replacements[o],
                           value, flags=re.IGNORECASE)
        return value
    return value


def scrub_records(document, replacements: dict[str, str]) -> dict[str, int]:
    """Rewrite the rows that were written about ``document`` before its name was redacted: its audit trail rows (and
    its project's, which may list document names) and the project's transcript import jobs (payload, result,
    messages). The trail is otherwise append-only; this one rewrite is itself recorded, with counts only. Returns
    ``{"audit_rows", "jobs"}`` changed. The caller commits."""
    from app.audit import current_actor
    from app.jobs import Job
    from app.models import AuditEvent
    from qualitative.workspace.services.transcripts import IMPORT_JOB

    replacements = {old: new for old, new in replacements.items() if old and len(old) >= 2 and old != new}
    counts = {"audit_rows": 0, "jobs": 0}
    if not replacements:
        return counts
    db.session.flush()  # the audit row of the rename itself is written by this flush
    events = db.session.execute(sa.select(AuditEvent).where(sa.or_(
        sa.and_(AuditEvent.entity == "qual_document", AuditEvent.entity_id == str(document.id)),
        sa.and_(AuditEvent.entity == "qual_project", AuditEvent.entity_id == str(document.project_id))))).scalars()
    for event in events:
        changes = replace_words(event.changes, replacements)
        if changes != event.changes:
            event.changes = changes
            counts["audit_rows"] += 1
    jobs = db.session.execute(sa.select(Job).where(Job.kind == IMPORT_JOB)).scalars()
    for job in jobs:
        if (job.payload or {}).get("project_id") != document.project_id:
            continue
        before = [job.title, job.payload, job.result, job.message, job.error]
        after = replace_words(before, replacements)
        if after != before:
            job.title, job.payload, job.result, job.message, job.error = after
            counts["jobs"] += 1
    user_id, actor = current_actor()
    db.session.add(AuditEvent(user_id=user_id, actor=actor[:255], action="redact-name", entity="qual_document",
                              entity_id=str(document.id), changes={"name": document.name, **counts}))
    db.session.flush()
    return counts
