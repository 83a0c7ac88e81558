"""De-identification before coding: propose redactions, record the analyst's decisions, apply them.

Proposals come from ``qualitative.deidentify.propose_redactions`` (speaker labels of named people, their names
in utterances, other capitalised names, phones, emails, dates of birth); the known names it looks for are the staff
recorded at the document's clinic and any names the analyst types (these are used once, never stored). Proposals live in ``RedactionProposal`` rows only until they are applied: applying replaces
``Document.text`` and the turns with the redacted text (``apply_redactions``), moves any existing codings with
its ``OffsetMap``, and deletes every proposal, so the original strings are kept nowhere. Skipping (managers only)
is recorded in the audit trail as the document's ``deidentification`` changing to ``skipped``.
"""

from __future__ import annotations

import os

import sqlalchemy as sa

from app.db import db
from app.models import Person
from qualitative.deidentify import Redaction, RedactionError, apply_redactions, propose_redactions
from qualitative.deidentify.detectors import NAME_REPLACEMENTS, redacted_name
from qualitative.models import Coding, Document, RedactionProposal
from qualitative.offsets import OffsetError, utf16_to_codepoint
from qualitative.parsers.model import LABEL_SEPARATOR, Turn
from qualitative.workspace.services import naming

PENDING, APPLIED, SKIPPED = "pending", "applied", "skipped"
STATE_LABELS = {PENDING: "De-identification pending", APPLIED: "De-identified", SKIPPED: "De-identification skipped"}
REPLACEMENT_LIMIT = 120


class DeidentificationError(ValueError):
    """A redaction decision that cannot be taken; the message says which and why."""


def parsed_turns(document: Document) -> list[Turn]:
    return [Turn(t.speaker, t.start, t.end, t.timestamp_ms, t.end_ms) for t in document.turns]


def known_names(document: Document, extra: list[str] | None = None) -> list[str]:
    """Names to look for: the staff recorded at the document's clinic, and any names the analyst adds."""
    staff = db.session.execute(
        sa.select(Person.display_name).where(Person.clinic_id == document.clinic_id).order_by(Person.id)
    ).scalars()
    return [*staff, *(n.strip() for n in (extra or []) if n.strip())]


def proposals(document: Document) -> list[RedactionProposal]:
    return list(db.session.execute(
        sa.select(RedactionProposal).where(RedactionProposal.document_id == document.id)
        .order_by(RedactionProposal.start, RedactionProposal.end, RedactionProposal.id)
    ).scalars())


def propose(document: Document, extra_names: list[str] | None = None) -> int:
    """(Re)compute the automatic proposals; decisions on proposals found again are kept, manual ones stay.
    Returns the number of proposals now listed. Caller commits."""
    if document.deidentification == APPLIED:
        raise DeidentificationError("This transcript is already de-identified.")
    found = propose_redactions(document.text, parsed_turns(document), known_names(document, extra_names))
    existing = {(p.start, p.end, p.kind): p for p in proposals(document) if not p.manual}
    keep = set()
    for redaction in found:
        key = (redaction.start, redaction.end, redaction.kind)
        if key in existing:
            keep.add(key)
            continue
        db.session.add(RedactionProposal(
            document_id=document.id, start=redaction.start, end=redaction.end, kind=redaction.kind,
            original=redaction.original, suggestion=redaction.replacement_suggestion[:REPLACEMENT_LIMIT],
        ))
    for key, proposal in existing.items():
        if key not in keep and proposal.status == "proposed":
            db.session.delete(proposal)
    db.session.flush()
    return len(proposals(document))


def _clean_replacement(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


def decide(document: Document, decisions: dict[int, tuple[str, str | None]]) -> int:
    """Set status (proposed/accepted/rejected) and the replacement of proposals by id. Caller commits."""
    rows = {p.id: p for p in proposals(document)}
    changed = 0
    for proposal_id, (status, replacement) in decisions.items():
        proposal = rows.get(proposal_id)
        if proposal is None:
            raise DeidentificationError(f"Proposal {proposal_id} is not one of this transcript's.")
        if status not in RedactionProposal.STATUSES:
            raise DeidentificationError(f"Proposal {proposal_id}: unknown decision {status!r}.")
        replacement = _clean_replacement(replacement)
        if replacement is not None and len(replacement) > REPLACEMENT_LIMIT:
            raise DeidentificationError(
                f"Proposal {proposal_id}: the replacement is longer than {REPLACEMENT_LIMIT} characters.")
        if replacement == proposal.suggestion:
            replacement = None
        if (proposal.status, proposal.replacement) != (status, replacement):
            proposal.status, proposal.replacement = status, replacement
            changed += 1
    db.session.flush()
    return changed


def accept_undecided(document: Document) -> int:
    count = 0
    for proposal in proposals(document):
        if proposal.status == "proposed":
            proposal.status = "accepted"
            count += 1
    db.session.flush()
    return count


def _regions(document: Document) -> list[tuple[int, int]]:
    out = []
    for t in document.turns:
        if t.speaker:
            out.append((t.start - len(LABEL_SEPARATOR) - len(t.speaker), t.start - len(LABEL_SEPARATOR)))
        out.append((t.start, t.end))
    return out


def add_manual(document: Document, start: int, end: int, replacement: str | None) -> RedactionProposal:
    """Add an accepted manual redaction of code points [start, end); it must lie inside one speaker label or one
    utterance. Overlapping proposals are rejected in its favour. Caller commits."""
    if document.deidentification == APPLIED:
        raise DeidentificationError("This transcript is already de-identified.")
    text = document.text
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if not 0 <= start < end <= len(text):
        raise DeidentificationError("Select some text to redact.")
    if not any(a <= start and end <= b for a, b in _regions(document)):
        raise DeidentificationError("A redaction must lie inside one speaker label or one utterance.")
    replacement = _clean_replacement(replacement) or "[REDACTED]"
    if len(replacement) > REPLACEMENT_LIMIT:
        raise DeidentificationError(f"The replacement is longer than {REPLACEMENT_LIMIT} characters.")
    for other in proposals(document):
        if other.start < end and start < other.end:
            if other.manual and (other.start, other.end) == (start, end):
                raise DeidentificationError("That text is already redacted manually.")
            other.status = "rejected"
    proposal = RedactionProposal(document_id=document.id, start=start, end=end, kind="manual",
                                 original=text[start:end], suggestion=replacement, status="accepted", manual=True)
    db.session.add(proposal)
    db.session.flush()
    return proposal


def add_manual_in_turn(document: Document, turn_id: int, utf16_start: int, utf16_end: int,
                       replacement: str | None) -> RedactionProposal:
    """A manual redaction from a browser selection: UTF-16 offsets within the turn's utterance."""
    turn = next((t for t in document.turns if t.id == turn_id), None)
    if turn is None:
        raise DeidentificationError("That turn is not part of this transcript.")
    utterance = document.text[turn.start:turn.end]
    try:
        start = turn.start + utf16_to_codepoint(utterance, utf16_start)
        end = turn.start + utf16_to_codepoint(utterance, utf16_end)
    except OffsetError as exc:
        raise DeidentificationError(f"The selection does not fit the turn: {exc}.") from None
    return add_manual(document, min(start, end), max(start, end), replacement)


def add_manual_quote(document: Document, quote: str, replacement: str | None, every: bool) -> list[RedactionProposal]:
    """Manual redactions of the exact text ``quote``: its first occurrence inside a turn, or every one."""
    quote = quote.strip()
    if not quote:
        raise DeidentificationError("Type the exact text to redact.")
    regions = _regions(document)
    found = []
    position = document.text.find(quote)
    while position != -1:
        if any(a <= position and position + len(quote) <= b for a, b in regions):
            found.append(position)
            if not every:
                break
        position = document.text.find(quote, position + len(quote))
    if not found:
        raise DeidentificationError("That exact text does not occur inside a speaker label or utterance.")
    added = []
    for position in found:
        clash = any(p.manual and p.start < position + len(quote) and position < p.end and p.status == "accepted"
                    for p in proposals(document))
        if not clash:
            added.append(add_manual(document, position, position + len(quote), replacement))
    return added


def undecided_count(document: Document) -> int:
    return db.session.execute(sa.select(sa.func.count(RedactionProposal.id)).where(
        RedactionProposal.document_id == document.id, RedactionProposal.status == "proposed")).scalar_one()


#: proposal kinds whose original text is a person's name (looked for in the document's name too)
NAME_KINDS = ("speaker", "participant_name", "name", "manual")


def _name_context(document: Document, rows: list[RedactionProposal]) -> dict:
    return {"clinic_id": document.clinic_id, "speakers": [t.speaker for t in document.turns],
            "extra_names": [p.original for p in rows if p.status == "accepted" and p.kind in NAME_KINDS]}


def name_after(document: Document) -> str:
    """The document's name as applying will leave it: identifiers redacted (``naming.findings`` with the clinic's
    staff, the speakers and the accepted redactions of names as known names)."""
    found = naming.findings(document.name, **_name_context(document, proposals(document)))
    return redacted_name(document.name, found)


def _redact_names(document: Document, chosen: str | None, context: dict) -> None:
    """Rename the document (``chosen``, held to the certain findings, or ``name_after``), redact its stored file
    name and description alike, and scrub the rows written under the old name (``naming.scrub_records``)."""
    old_name, old_source = document.name, document.source_filename
    found = naming.findings(old_name, **context)
    replacements = {f.text: NAME_REPLACEMENTS[f.kind] for f in found}
    new_name = redacted_name(old_name, found)
    chosen = " ".join((chosen or "").split())
    if chosen and chosen != new_name:
        if len(chosen) > 255:
            raise DeidentificationError("The document's new name is longer than 255 characters.")
        if held := naming.findings(chosen, confirmed=True, **context):
            raise DeidentificationError(f"The document's new name “{chosen}” holds {naming.describe(held)}.")
        new_name = chosen
    if new_name != old_name:
        clash = db.session.execute(sa.select(Document.id).where(
            Document.project_id == document.project_id, Document.name == new_name, Document.id != document.id)).first()
        if clash:
            raise DeidentificationError(f"The project already has a document named “{new_name}”; choose another "
                                        "name for this one.")
        document.name = new_name
        replacements[old_name] = new_name
    if old_source:
        stem, extension = os.path.splitext(old_source)
        in_source = naming.findings(stem, **context)
        if in_source:
            document.source_filename = (redacted_name(stem, in_source) + extension)[:255]
            replacements.update({f.text: NAME_REPLACEMENTS[f.kind] for f in in_source})
            replacements[old_source] = document.source_filename
    if document.description:
        in_description = naming.findings(document.description, confirmed=True, **context)
        if in_description:
            document.description = redacted_name(document.description, in_description)
            replacements.update({f.text: NAME_REPLACEMENTS[f.kind] for f in in_description})
    naming.scrub_records(document, replacements)


def apply(document: Document, name: str | None = None) -> int:
    """Apply the accepted redactions: new text and turns, codings moved, every proposal deleted; the document's
    name, stored file name and description lose the same names (``name``: the analyst's choice of the new name),
    and the audit trail and import jobs written under the old name are scrubbed. Returns the number of redactions
    applied. Caller commits."""
    if document.deidentification == APPLIED:
        raise DeidentificationError("This transcript is already de-identified.")
    rows = proposals(document)
    context = _name_context(document, rows)
    undecided = [p for p in rows if p.status == "proposed"]
    if undecided:
        raise DeidentificationError(
            f"{len(undecided)} proposal{'s are' if len(undecided) != 1 else ' is'} not reviewed yet: accept or reject "
            "each (or use “Accept all not yet reviewed”) before applying.")
    accepted = [Redaction(p.start, p.end, p.kind, p.original, p.suggestion, p.replacement)
                for p in rows if p.status == "accepted"]
    try:
        new_text, new_turns, offset_map = apply_redactions(document.text, parsed_turns(document), accepted)
    except RedactionError as exc:
        raise DeidentificationError(f"The accepted redactions cannot be applied: {exc}.") from None
    for turn, new in zip(document.turns, new_turns, strict=True):
        turn.start, turn.end, turn.speaker = new.start, new.end, new.speaker
    codings = db.session.execute(
        sa.select(Coding).where(Coding.document_id == document.id).order_by(Coding.id)).scalars()
    spans: set[tuple[int, int, int, int]] = set()
    for coding in codings:
        start, end = offset_map.span(coding.start, coding.end)
        if (coding.code_id, coding.coder_id, start, end) in spans:
            db.session.delete(coding)  # two codings of a name now cover the same pseudonym: keep one
            continue
        spans.add((coding.code_id, coding.coder_id, start, end))
        if (start, end) != (coding.start, coding.end):
            coding.start, coding.end = start, end
    document.text = new_text
    document.deidentification = APPLIED
    for proposal in rows:
        db.session.delete(proposal)
    _redact_names(document, name, context)
    db.session.flush()
    return len(accepted)


def skip(document: Document) -> None:
    """Allow coding without de-identification (a manager's explicit decision, recorded in the audit trail)."""
    if document.deidentification != PENDING:
        raise DeidentificationError("Only a transcript waiting for de-identification can skip it.")
    document.deidentification = SKIPPED
    db.session.flush()
