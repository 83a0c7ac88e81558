"""Coding: reading a transcript with its codings, and creating, changing and removing one's own codings.

Offsets: the browser counts UTF-16 code units within one turn's utterance (DOM Selection/Range offsets); the
server converts them with ``qualitative.offsets`` to code points of the document text (what is stored, as
REFI-QDA does) and checks that the span lies inside that turn. Each coding is its own row owned by its coder, so
two analysts never overwrite each other; ``Coding.version`` is an optimistic lock: a change sent with an older
version than the stored one is refused (HTTP 409) instead of silently overwriting.

Loading a workspace takes a fixed number of queries whatever the number of codings (turns with participants,
codings, codes, coders, memo counts).
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.db import db
from app.models import User
from qualitative.models import Code, Coding, Document, DocumentTurn, Memo, Participant
from qualitative.offsets import OffsetError, codepoint_to_utf16, utf16_length, utf16_to_codepoint
from qualitative.workspace.services.access import scope
from qualitative.workspace.services.deidentify import PENDING


class CodingError(ValueError):
    """Bad coding input (offsets, code, quote): HTTP 400 with this message."""


class CodingBlocked(CodingError):
    """Coding is not possible on this document yet (de-identification pending): HTTP 409."""


class StaleCoding(Exception):
    """The coding changed since the client loaded it: HTTP 409."""


class NotYourCoding(Exception):
    """Only the coder may change or remove a coding: HTTP 403."""


def initials(name: str) -> str:
    parts = [p for p in name.replace("-", " ").split() if p[:1].isalpha()]
    return "".join(p[0].upper() for p in parts[:3]) or "?"


@dataclass
class TurnView:
    turn: DocumentTurn
    text: str
    astral: bool  # holds characters outside the BMP: UTF-16 offsets differ from code points
    codings: list[dict] = field(default_factory=list)


@dataclass
class Workspace:
    document: Document
    turns: list[TurnView]
    codes: list[Code]
    codings: list[dict]
    coders: dict[int, User]
    memo_counts: dict[tuple[str, int], int]
    code_counts: Counter


def check_codable(document: Document) -> None:
    if document.deidentification == PENDING:
        raise CodingBlocked(
            "Coding is blocked until this transcript is de-identified (or a project manager skips that step).")


def load_turns(document: Document) -> list[DocumentTurn]:
    return list(db.session.execute(
        sa.select(DocumentTurn).where(DocumentTurn.document_id == document.id)
        .options(sa.orm.joinedload(DocumentTurn.participant)).order_by(DocumentTurn.index)
    ).scalars())


def load_codings(document: Document) -> list[sa.Row]:
    """The document's codings as plain rows (id, code_id, coder_id, start, end, version, source): read-only, so no
    ORM identity bookkeeping for thousands of codings."""
    stmt = (sa.select(Coding.id, Coding.code_id, Coding.coder_id, Coding.start, Coding.end, Coding.version,
                      Coding.source)
            .where(Coding.document_id == document.id).order_by(Coding.start, Coding.end, Coding.id))
    return list(db.session.execute(scope(stmt, Coding)).all())


def project_codes(project_id: int) -> list[Code]:
    return list(db.session.execute(
        sa.select(Code).where(Code.project_id == project_id).order_by(Code.position, Code.id)).scalars())


def _turn_views(document: Document, turns: list[DocumentTurn]) -> list[TurnView]:
    views = []
    for turn in turns:
        text = document.text[turn.start:turn.end]
        views.append(TurnView(turn, text, utf16_length(text) != len(text)))
    return views


def coding_dict(coding, views: list[TurnView], starts: list[int], user_id: int,
                coders: dict[int, tuple[str, str]], memo_counts: dict | None = None) -> dict:
    """A coding (ORM object or row) as the browser uses it: its pieces per turn in UTF-16 units of that turn's
    utterance. ``coders`` maps coder id to (name, initials)."""
    pieces = []
    i = max(0, bisect.bisect_right(starts, coding.start) - 1)
    while i < len(views):
        view = views[i]
        turn = view.turn
        if turn.start >= coding.end:
            break
        lo, hi = max(coding.start, turn.start), min(coding.end, turn.end)
        if lo < hi:
            a, b = lo - turn.start, hi - turn.start
            if view.astral:
                a, b = codepoint_to_utf16(view.text, a), codepoint_to_utf16(view.text, b)
            pieces.append({"turn_id": turn.id, "start": a, "end": b})
        i += 1
    name, short = coders.get(coding.coder_id, ("?", "?"))
    return {
        "id": coding.id, "code_id": coding.code_id, "coder_id": coding.coder_id, "coder": name, "initials": short,
        "mine": coding.coder_id == user_id, "start": coding.start, "end": coding.end, "version": coding.version,
        "source": coding.source, "pieces": pieces, "memos": (memo_counts or {}).get(("coding", coding.id), 0),
    }


def workspace(document: Document, user) -> Workspace:
    """Everything the coding page shows, in a constant number of queries."""
    user_id = user.id  # once: ``current_user`` is a proxy, costly to read thousands of times
    views = _turn_views(document, load_turns(document))
    codings = load_codings(document)
    codes = project_codes(document.project_id)
    coder_ids = {c.coder_id for c in codings} | {user_id}
    coders = {u.id: u for u in db.session.execute(sa.select(User).where(User.id.in_(coder_ids))).scalars()}
    names = {uid: (u.name, initials(u.name)) for uid, u in coders.items()}
    memo_rows = db.session.execute(
        sa.select(Memo.target_type, Memo.target_id, sa.func.count(Memo.id))
        .where(Memo.project_id == document.project_id,
               sa.or_(sa.and_(Memo.target_type == "document", Memo.target_id == document.id),
                      sa.and_(Memo.target_type == "coding",
                              Memo.target_id.in_(sa.select(Coding.id).where(Coding.document_id == document.id)))))
        .group_by(Memo.target_type, Memo.target_id)
    ).all()
    memo_counts = {(t, i): n for t, i, n in memo_rows}
    starts = [v.turn.start for v in views]
    dicts = [coding_dict(c, views, starts, user_id, names, memo_counts) for c in codings]
    by_turn = {v.turn.id: v for v in views}
    for item in dicts:
        if item["pieces"]:
            by_turn[item["pieces"][0]["turn_id"]].codings.append(item)
    return Workspace(document, views, codes, dicts, coders, memo_counts, Counter(c.code_id for c in codings))


def codings_payload(document: Document, user) -> dict:
    ws = workspace(document, user)
    return {"document_id": document.id, "codings": ws.codings,
            "blocked": document.deidentification == PENDING}


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


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start >= end:
        raise CodingError("Select some text first: the selection is empty.")
    return start, end


def _turn_containing(document: Document, start: int, end: int) -> DocumentTurn | None:
    return db.session.execute(sa.select(DocumentTurn).where(
        DocumentTurn.document_id == document.id, DocumentTurn.start <= start, DocumentTurn.end >= end)
    ).scalar_one_or_none()


def span_from_codepoints(document: Document, start, end) -> tuple[int, int]:
    """A span given as document code points (the no-JavaScript form); it must lie inside one utterance."""
    try:
        start, end = int(start), int(end)
    except (TypeError, ValueError):
        raise CodingError("Start and end must be whole numbers (code points).") from None
    if not 0 <= start < end <= len(document.text):
        raise CodingError(f"Start and end must satisfy 0 ≤ start < end ≤ {len(document.text)}.")
    start, end = _trimmed(document.text, start, end)
    if _turn_containing(document, start, end) is None:
        raise CodingError("The span must lie inside one speaker's turn (not across turns or over a speaker label).")
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
    existing = set(db.session.execute(sa.select(Coding.code_id).where(
        Coding.document_id == document.id, Coding.coder_id == user.id, Coding.start == start, Coding.end == end)
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


def coding_in(document: Document, coding_id: int) -> Coding | None:
    coding = db.session.get(Coding, coding_id)
    return coding if coding is not None and coding.document_id == document.id else None


def participant_roles(participants: list[Participant]) -> dict[int, str]:
    from qualitative.workspace.services.codebook import cfir_role_label

    return {p.id: cfir_role_label(p.cfir_role) for p in participants}
