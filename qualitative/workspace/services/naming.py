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
