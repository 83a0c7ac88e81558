"""Pseudonymous participants and the mapping of a transcript's speaker labels to them.

A participant has a pseudonym (unique in the project), a clinic and a CFIR 2.0 role from the Individuals domain's
roles subdomain (IV.A High-level Leaders ... IV.I Innovation Recipients). Every turn of a speaker label points at
the participant the analyst chose for that label (``DocumentTurn.participant_id``); a label may be left unmapped
(an interviewer or facilitator).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from app.db import db
from qualitative.access import scope
from qualitative.autocode import is_interviewer_label
from qualitative.models import Document, DocumentTurn, Participant, QualProject
from qualitative.workspace.services.codebook import cfir_roles

PSEUDONYM_LIMIT = 120


class ParticipantError(ValueError):
    """A participant change that cannot be made; the message names the label or pseudonym."""


@dataclass
class SpeakerRow:
    label: str
    turns: int
    participant_id: int | None
    mixed: bool  # the label's turns point at different participants


#: "Interviewer", "Facilitator 2", "Moderator": not mapped to participants by default (the one speaker rule,
#: ``qualitative.autocode.interviewee_turn``, also keeps their turns out of suggestions and exemplar quotes)
is_interviewer = is_interviewer_label


_ROLE_HINTS = (
    (re.compile(r"director|administrator|executive|ceo|chief", re.IGNORECASE), "IV.ROLE.A"),
    (re.compile(r"supervisor|manager", re.IGNORECASE), "IV.ROLE.B"),
    (re.compile(r"counsel|clinician|therapist", re.IGNORECASE), "IV.ROLE.H"),
    (re.compile(r"mother|\bmom\b|client|parent", re.IGNORECASE), "IV.ROLE.I"),
)


def suggested_role(label: str) -> str:
    """A CFIR 2.0 role suggested by a role-like speaker label ("Supervisor" -> IV.B Mid-level Leaders); "" if none."""
    return next((role for pattern, role in _ROLE_HINTS if pattern.search(label)), "")


def participants(project: QualProject) -> list[Participant]:
    stmt = (sa.select(Participant).where(Participant.project_id == project.id)
            .options(sa.orm.joinedload(Participant.clinic)).order_by(Participant.pseudonym))
    return list(db.session.execute(scope(stmt, Participant)).scalars())


def turn_counts(project: QualProject) -> dict[int, tuple[int, int]]:
    """participant id -> (documents, turns)."""
    rows = db.session.execute(
        sa.select(DocumentTurn.participant_id, sa.func.count(sa.distinct(DocumentTurn.document_id)),
                  sa.func.count(DocumentTurn.id))
        .join(Document, Document.id == DocumentTurn.document_id)
        .where(Document.project_id == project.id, DocumentTurn.participant_id.is_not(None))
        .group_by(DocumentTurn.participant_id)
    ).all()
    return {pid: (docs, turns) for pid, docs, turns in rows}


def speakers(document: Document) -> list[SpeakerRow]:
    """Distinct speaker labels in order of first appearance, with their turn counts and current participant."""
    rows: dict[str, SpeakerRow] = {}
    for turn in document.turns:
        if not turn.speaker:
            continue
        row = rows.get(turn.speaker)
        if row is None:
            rows[turn.speaker] = SpeakerRow(turn.speaker, 1, turn.participant_id, False)
        else:
            row.turns += 1
            if row.participant_id != turn.participant_id:
                row.mixed = True
    return list(rows.values())


def _check(project: QualProject, pseudonym: str, role: str | None, exclude_id: int | None = None) -> str:
    pseudonym = " ".join((pseudonym or "").split())
    if not pseudonym:
        raise ParticipantError("Give the participant a pseudonym.")
    if len(pseudonym) > PSEUDONYM_LIMIT:
        raise ParticipantError(f"Pseudonym “{pseudonym[:40]}…” is longer than {PSEUDONYM_LIMIT} characters.")
    if role and role not in dict(cfir_roles()):
        raise ParticipantError(f"{role!r} is not a CFIR 2.0 role (IV.A to IV.I).")
    stmt = sa.select(Participant.id).where(Participant.project_id == project.id,
                                           sa.func.lower(Participant.pseudonym) == pseudonym.lower())
    if exclude_id:
        stmt = stmt.where(Participant.id != exclude_id)
    if db.session.execute(stmt).first():
        raise ParticipantError(f"The pseudonym “{pseudonym}” is already used in this project.")
    return pseudonym


def create_participant(project: QualProject, pseudonym: str, clinic_id: int, role: str | None,
                       description: str | None = None) -> Participant:
    """Caller commits."""
    participant = Participant(project_id=project.id, clinic_id=clinic_id, pseudonym=_check(project, pseudonym, role),
                              cfir_role=role or None, description=(description or "").strip() or None)
    db.session.add(participant)
    db.session.flush()
    return participant


def update_participant(participant: Participant, project: QualProject, data: dict) -> None:
    participant.pseudonym = _check(project, data["pseudonym"], data.get("cfir_role"), participant.id)
    participant.clinic_id = data["clinic_id"]
    participant.cfir_role = data.get("cfir_role") or None
    participant.description = (data.get("description") or "").strip() or None
    db.session.commit()


def suggested_pseudonym(project: QualProject, document: Document, label: str, taken: set[str]) -> str:
    """A pseudonym for a new participant: "<clinic code> <label>" when the label is already a role or
    pseudonym (e.g. "SPR-1 Supervisor"), otherwise "<clinic code> participant N"."""
    from qualitative.deidentify import is_role_label

    base = f"{document.clinic.code} {label}" if is_role_label(label) or label.startswith("Participant") else None
    existing = {p.lower() for p in db.session.execute(
        sa.select(Participant.pseudonym).where(Participant.project_id == project.id)).scalars()} | taken
    if base and base.lower() not in existing:
        return base
    n = 1
    while f"{document.clinic.code} participant {n}".lower() in existing:
        n += 1
    return f"{document.clinic.code} participant {n}"


def map_speakers(project: QualProject, document: Document, choices: dict[str, dict]) -> int:
    """Apply the mapping page: for each label, ``{"participant_id": id}`` (existing), ``{"new": {pseudonym,
    cfir_role, clinic_id}}`` or ``{}`` (not a participant). All checked before anything is written.
    Returns the number of turns changed. Commits."""
    labels = {row.label for row in speakers(document)}
    valid_ids = {p.id for p in participants(project)}
    new_pseudonyms: set[str] = set()
    for label, choice in choices.items():
        if label not in labels:
            raise ParticipantError(f"“{label}” is not a speaker in this transcript.")
        if "participant_id" in choice and choice["participant_id"] not in valid_ids:
            raise ParticipantError(f"{label}: choose a participant of this project.")
        if "new" in choice:
            spec = choice["new"]
            name = _check(project, spec.get("pseudonym", ""), spec.get("cfir_role"))
            if name.lower() in new_pseudonyms:
                raise ParticipantError(f"{label}: the pseudonym “{name}” is given to two speakers.")
            new_pseudonyms.add(name.lower())
    targets: dict[str, int | None] = {}
    for label, choice in choices.items():
        if "new" in choice:
            spec = choice["new"]
            targets[label] = create_participant(project, spec["pseudonym"], spec.get("clinic_id") or document.clinic_id,
                                                spec.get("cfir_role")).id
        else:
            targets[label] = choice.get("participant_id")
    changed = 0
    for turn in document.turns:
        if turn.speaker in targets and turn.participant_id != targets[turn.speaker]:
            turn.participant_id = targets[turn.speaker]
            changed += 1
    db.session.commit()
    return changed
