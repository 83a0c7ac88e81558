"""Coding: reading a transcript with its codings, and creating, changing and removing one's own codings.

Offsets: the browser counts UTF-16 code units within one turn's utterance (DOM Selection/Range offsets); the
server converts them with ``qualitative.offsets`` to code points of the document text (what is stored, as
REFI-QDA does) and checks that the span lies inside that turn. A coding may span several turns (a focus-group
exchange): it starts at an offset in one turn and ends at an offset in a later turn, and is stored as one
[start, end) over the whole document text (the speaker labels between its turns inside it, as in a REFI-QDA
plain-text selection); the workspace draws it turn by turn, and turn-level agreement counts it in every turn it
overlaps. Each coding is its own row owned by its coder, so
two analysts never overwrite each other; ``Coding.version`` is an optimistic lock: a change sent with an older
version than the stored one is refused (HTTP 409) instead of silently overwriting.

Reading (the page and its JSON) is in ``reading``.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.db import db
from app.models import User
from qualitative.models import Code, Coding, Document, DocumentTurn, Memo
from qualitative.offsets import OffsetError, utf16_to_codepoint
from qualitative.workspace.services.deidentify import PENDING
from qualitative.workspace.services.reading import load_turns


class CodingError(ValueError):
    """Bad coding input (offsets, code, quote): HTTP 400 with this message."""


class CodingBlocked(CodingError):
    """Coding is not possible on this document yet (de-identification pending): HTTP 409."""


class StaleCoding(Exception):
    """The coding changed since the client loaded it: HTTP 409."""


class NotYourCoding(Exception):
    """Only the coder may change or remove a coding: HTTP 403."""


def check_codable(document: Document) -> None:
    if document.deidentification == PENDING:
        raise CodingBlocked(
            "Coding is blocked until this transcript is de-identified (or a project manager skips that step).")


# --- offsets --------------------------------------------------------------------------------------------------
def span_from_turn(document: Document, turn_id, utf16_start, utf16_end) -> tuple[int, int]:
    """Document code points of a selection given as UTF-16 offsets within a turn's utterance. Surrounding
    whitespace is trimmed; the span must be non-empty and inside the turn."""
    try:
        turn_id, utf16_start, utf16_end = int(turn_id), int(utf16_start), int(utf16_end)
    except (TypeError, ValueError):
        raise CodingError("turn_id, start and end must be whole numbers.") from None
    turn = db.session.execute(sa.select(DocumentTurn).where(
        DocumentTurn.id == turn_id, DocumentTurn.document_id == document.id)).scalar_one_or_none()
    if turn is None:
        raise CodingError(f"Turn {turn_id} is not part of this transcript.")
    utterance = document.text[turn.start:turn.end]
    if utf16_start > utf16_end:
        utf16_start, utf16_end = utf16_end, utf16_start
    try:
        a = utf16_to_codepoint(utterance, utf16_start)
        b = utf16_to_codepoint(utterance, utf16_end)
    except OffsetError as exc:
        raise CodingError(f"The selection does not fit turn {turn.index + 1}: {exc}.") from None
    return _trimmed(document.text, turn.start + a, turn.start + b)


def span_from_turns(document: Document, start_turn_id, utf16_start, end_turn_id, utf16_end) -> tuple[int, int]:
    """Document code points of a selection from an offset in one turn's utterance to an offset in another's (the
    same turn, or a later one; given the other way round they are swapped). Whitespace is trimmed."""
    if end_turn_id is None or str(end_turn_id) == str(start_turn_id):
        return span_from_turn(document, start_turn_id, utf16_start, utf16_end)
    try:
        ids = int(start_turn_id), int(end_turn_id)
        utf16_start, utf16_end = int(utf16_start), int(utf16_end)
    except (TypeError, ValueError):
        raise CodingError("turn_id, end_turn_id, start and end must be whole numbers.") from None
    turns = {t.id: t for t in db.session.execute(sa.select(DocumentTurn).where(
        DocumentTurn.id.in_(ids), DocumentTurn.document_id == document.id)).scalars()}
    for turn_id in ids:
        if turn_id not in turns:
            raise CodingError(f"Turn {turn_id} is not part of this transcript.")
    first, last = turns[ids[0]], turns[ids[1]]
    if first.index > last.index:
        first, last, utf16_start, utf16_end = last, first, utf16_end, utf16_start
    points = []
    for turn, offset in ((first, utf16_start), (last, utf16_end)):
        try:
            points.append(turn.start + utf16_to_codepoint(document.text[turn.start:turn.end], offset))
        except OffsetError as exc:
            raise CodingError(f"The selection does not fit turn {turn.index + 1}: {exc}.") from None
    return _trimmed(document.text, points[0], points[1])


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start >= end:
        raise CodingError("Select some text first: the selection is empty.")
    return start, end


def _turn_at(document: Document, position: int, *, end: bool = False) -> DocumentTurn | None:
    """The turn whose utterance holds ``position`` (a start: [start, end); an end: (start, end])."""
    bound = (DocumentTurn.start < position, DocumentTurn.end >= position) if end else (
        DocumentTurn.start <= position, DocumentTurn.end > position)
    return db.session.execute(sa.select(DocumentTurn).where(DocumentTurn.document_id == document.id, *bound)
                              ).scalars().first()


def span_from_codepoints(document: Document, start, end) -> tuple[int, int]:
    """A span given as document code points (the no-JavaScript form); it starts and ends inside utterances (in
    one turn, or across several: a focus-group exchange), never on a speaker label."""
    try:
        start, end = int(start), int(end)
    except (TypeError, ValueError):
        raise CodingError("Start and end must be whole numbers (code points).") from None
    if not 0 <= start < end <= len(document.text):
        raise CodingError(f"Start and end must satisfy 0 ≤ start < end ≤ {len(document.text)}.")
    start, end = _trimmed(document.text, start, end)
    if _turn_at(document, start) is None or _turn_at(document, end, end=True) is None:
        raise CodingError("The span must start and end inside what speakers said (not on a speaker label).")
    return start, end


def span_from_quote(document: Document, quote: str, occurrence: int = 1, turn_id: int | None = None) -> tuple[int, int]:
    """The ``occurrence``-th (1-based) place where the exact ``quote`` occurs inside an utterance (optionally
    within one turn)."""
    quote = (quote or "").strip()
    if not quote:
        raise CodingError("Type the exact text to code.")
    turns = load_turns(document)
    if turn_id:
        turns = [t for t in turns if t.id == turn_id]
        if not turns:
            raise CodingError("That turn is not part of this transcript.")
    found = []
    for turn in turns:
        position = document.text.find(quote, turn.start, turn.end)
        while position != -1:
            found.append(position)
            position = document.text.find(quote, position + 1, turn.end)
    if not found:
        raise CodingError("That exact text does not occur inside a turn of this transcript.")
    if not 1 <= occurrence <= len(found):
        raise CodingError(f"The text occurs {len(found)} time{'s' if len(found) != 1 else ''}; "
                          f"choose an occurrence from 1 to {len(found)}.")
    return found[occurrence - 1], found[occurrence - 1] + len(quote)


# --- writes ---------------------------------------------------------------------------------------------------
def _codable_codes(document: Document, code_ids) -> list[Code]:
    try:
        ids = [int(i) for i in code_ids]
    except (TypeError, ValueError):
        raise CodingError("Code ids must be whole numbers.") from None
    if not ids:
        raise CodingError("Choose at least one code.")
    found = {c.id: c for c in db.session.execute(
        sa.select(Code).where(Code.id.in_(ids), Code.project_id == document.project_id)).scalars()}
    out = []
    for code_id in dict.fromkeys(ids):
        code = found.get(code_id)
        if code is None:
            raise CodingError(f"Code {code_id} is not in this project's codebook.")
        if not code.codable or not code.active:
            raise CodingError(f"{code} is a heading or inactive; choose one of its codes.")
        out.append(code)
    return out


def create_codings(document: Document, user, start: int, end: int, code_ids, source: str = "manual", *,
                   commit: bool = True) -> tuple[list[Coding], list[str]]:
    """One coding per code over [start, end). A code the user already applied to exactly this span is skipped
    (reported). Commits (or only flushes, for a caller that commits a batch)."""
    check_codable(document)
    codes = _codable_codes(document, code_ids)
    # the code ids in the condition let the unique index (document, code, coder, start, end) answer it, instead of
    # reading every coding of this coder on the document
    existing = set(db.session.execute(sa.select(Coding.code_id).where(
        Coding.document_id == document.id, Coding.code_id.in_([c.id for c in codes]), Coding.coder_id == user.id,
        Coding.start == start, Coding.end == end)
    ).scalars())
    created, skipped = [], []
    for code in codes:
        if code.id in existing:
            skipped.append(f"You already coded this text with {code}.")
            continue
        coding = Coding(document_id=document.id, code_id=code.id, coder_id=user.id, start=start, end=end,
                        source=source)
        db.session.add(coding)
        created.append(coding)
    if not commit:
        db.session.flush()
        return created, skipped
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise CodingError("You already coded this text with that code (saved from another window).") from None
    return created, skipped


def _own(coding: Coding, user) -> None:
    if coding.coder_id != user.id:
        coder = db.session.get(User, coding.coder_id)
        raise NotYourCoding(f"Only {coder.name if coder else 'its coder'} can change or remove this coding; "
                            "other coders' codings are read-only.")


def _check_version(coding: Coding, version) -> None:
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise CodingError("Send the coding's version (from when you loaded it).") from None
    if version != coding.version:
        raise StaleCoding(
            f"This coding was changed elsewhere (version {coding.version}, you had version {version}), probably in "
            "another window. Nothing was saved; the page now shows the current codings — check and try again.")


def update_coding(document: Document, coding: Coding, user, version, *, code_id=None,
                  span: tuple[int, int] | None = None) -> Coding:
    """Change the code and/or the span of one's own coding, guarded by its version. Commits."""
    check_codable(document)
    _own(coding, user)
    _check_version(coding, version)
    if code_id is not None and int(code_id) != coding.code_id:
        coding.code_id = _codable_codes(document, [code_id])[0].id
    if span is not None:
        coding.start, coding.end = span
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleCoding("This coding was changed elsewhere at the same moment. Nothing was saved; reload and "
                          "try again.") from None
    except IntegrityError:
        db.session.rollback()
        raise CodingError("You already have a coding with that code on exactly that text.") from None
    return coding


def delete_coding(document: Document, coding: Coding, user, version) -> None:
    """Remove one's own coding (and the memos on it), guarded by its version. Commits."""
    _own(coding, user)
    _check_version(coding, version)
    for memo in db.session.execute(sa.select(Memo).where(
            Memo.target_type == "coding", Memo.target_id == coding.id)).scalars():
        db.session.delete(memo)
    db.session.delete(coding)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleCoding("This coding was changed or removed elsewhere. Nothing was changed; reload.") from None
