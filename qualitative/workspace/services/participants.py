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
from app.paging import Page, paginate
from qualitative.access import scope
from qualitative.autocode import is_interviewer_label
from qualitative.deidentify.detectors import identifiers_in
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


#: speaker labels on one page of the speakers page (a transcript holds at most QUAL_MAX_TRANSCRIPT_SPEAKERS, 100,
#: but documents imported before that limit may hold many more)
SPEAKERS_PER_PAGE = 50


def _speaker_stmt(document: Document) -> sa.Select:
    """One row per speaker label, in order of first appearance: its first turn's index, its turn count, and whether
    its turns point at more than one participant (or at one and at none). Grouped in SQL: no loop over turns."""
    pid = DocumentTurn.participant_id
    return (sa.select(DocumentTurn.speaker.label("label"), sa.func.min(DocumentTurn.index).label("first"),
                      sa.func.count(DocumentTurn.id).label("turns"),
                      sa.func.count(sa.distinct(pid)).label("distinct_ids"),
                      sa.func.count(pid).label("mapped_turns"))
            .where(DocumentTurn.document_id == document.id, DocumentTurn.speaker.is_not(None),
                   DocumentTurn.speaker != "")
            .group_by(DocumentTurn.speaker).order_by(sa.func.min(DocumentTurn.index), DocumentTurn.speaker))


def _speaker_rows(document: Document, rows) -> list[SpeakerRow]:
    """SpeakerRows of grouped rows; the participant shown is that of the label's first turn (one query)."""
    firsts = [r.first for r in rows]
    first_participant = dict(db.session.execute(
        sa.select(DocumentTurn.index, DocumentTurn.participant_id)
        .where(DocumentTurn.document_id == document.id, DocumentTurn.index.in_(firsts))).all()) if firsts else {}
    return [SpeakerRow(r.label, r.turns, first_participant.get(r.first),
                       r.distinct_ids > 1 or (r.distinct_ids == 1 and r.mapped_turns < r.turns))
            for r in rows]


def speakers(document: Document) -> list[SpeakerRow]:
    """Distinct speaker labels in order of first appearance, with their turn counts and current participant."""
    return _speaker_rows(document, db.session.execute(_speaker_stmt(document)).all())


def speaker_page(document: Document, page: int, per_page: int = SPEAKERS_PER_PAGE) -> Page[SpeakerRow]:
    """One page of ``speakers(document)``: a COUNT and one grouped LIMIT/OFFSET query."""
    found = paginate(_speaker_stmt(document), page, per_page, scalars=False)
    return Page(_speaker_rows(document, found.items), found.page, found.per_page, found.total)


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


def _description(text: str | None) -> str | None:
    """A participant's free-text description, refused while it holds an e-mail address, phone number, street address
    or date of birth (the same detector as the screening log's free text): a pseudonym is only worth its name if
    the note beside it does not identify the person."""
    text = (text or "").strip() or None
    found = identifiers_in(text) if text else []
    if found:
        kinds = ", ".join(sorted({f"a {kind} ({shown!r})" for kind, shown in found}))
        raise ParticipantError(f"Description holds what looks like an identifier: {kinds}. Remove it and save again.")
    return text


def create_participant(project: QualProject, pseudonym: str, clinic_id: int, role: str | None,
                       description: str | None = None) -> Participant:
    """Caller commits."""
    participant = Participant(project_id=project.id, clinic_id=clinic_id, pseudonym=_check(project, pseudonym, role),
                              cfir_role=role or None, description=_description(description))
    db.session.add(participant)
    db.session.flush()
    return participant


def update_participant(participant: Participant, project: QualProject, data: dict) -> None:
    pseudonym = _check(project, data["pseudonym"], data.get("cfir_role"), participant.id)
    description = _description(data.get("description"))
    participant.pseudonym = pseudonym
    participant.clinic_id = data["clinic_id"]
    participant.cfir_role = data.get("cfir_role") or None
    participant.description = description
    db.session.commit()


def pseudonyms_taken(project: QualProject) -> set[str]:
    """The project's pseudonyms, folded: read once for a page of suggestions."""
    return {p.lower() for p in db.session.execute(
        sa.select(Participant.pseudonym).where(Participant.project_id == project.id)).scalars()}


def suggested_pseudonym(project: QualProject, document: Document, label: str, taken: set[str],
                        existing: set[str] | None = None) -> str:
    """A pseudonym for a new participant: "<clinic code> <label>" when the label is already a role or
    pseudonym (e.g. "SPR-1 Supervisor"), otherwise "<clinic code> participant N". ``existing`` is
    ``pseudonyms_taken(project)`` when the caller has it (read here otherwise)."""
    from qualitative.deidentify import is_role_label

    base = f"{document.clinic.code} {label}" if is_role_label(label) or label.startswith("Participant") else None
    existing = (pseudonyms_taken(project) if existing is None else existing) | taken
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
    labels = set(db.session.execute(
        sa.select(DocumentTurn.speaker).where(DocumentTurn.document_id == document.id,
                                              DocumentTurn.speaker.in_(list(choices))).distinct()).scalars())
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
    for label, target in targets.items():  # one UPDATE per label, not a loop over the turns
        changed += db.session.execute(
            sa.update(DocumentTurn).where(DocumentTurn.document_id == document.id, DocumentTurn.speaker == label,
                                          DocumentTurn.participant_id.is_distinct_from(target))
            .values(participant_id=target).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return changed
