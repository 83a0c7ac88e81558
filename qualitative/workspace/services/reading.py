"""Reading a transcript with its codings for the workspace page and its JSON, in a constant number of queries
whatever the number of codings (turns with participants, codings as plain rows, codes, coders, memo counts).

While the document is in an active blind double-coding sample of which the reader is a coder, the reader sees only
their own codings (``qualitative.analysis.services.blind.visible_codings_filter``): the page, its JSON and the
counts beside the codes.

Each coding is sent with its pieces per turn in UTF-16 code units of that turn's utterance (what the browser's
DOM ranges count), converted from the stored code points with ``qualitative.offsets``.

After a change the browser gets only what changed (``coding_dicts`` for the created or changed codings: the turns
they overlap, their coders and memo counts, never the document's other codings), and it polls the JSON with the
``codings_etag`` of what it holds: an aggregate over the visible codings and their memos, so an unchanged document
answers 304 without building the payload.
"""

from __future__ import annotations

import bisect
import hashlib
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa

from app.db import db
from app.models import User
from qualitative.access import scope
from qualitative.analysis.services.blind import codes_blind, visible_codings_filter, visible_memos_clause
from qualitative.models import Code, Coding, Document, DocumentTurn, Memo
from qualitative.offsets import codepoint_to_utf16, utf16_length
from qualitative.workspace.services.deidentify import PENDING
from qualitative.workspace.services.windows import window_turns


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
    blind: bool = False  # the reader codes this document in an active blind sample: only their own codings shown


def load_turns(document: Document) -> list[DocumentTurn]:
    return list(db.session.execute(
        sa.select(DocumentTurn).where(DocumentTurn.document_id == document.id)
        .options(sa.orm.joinedload(DocumentTurn.participant)).order_by(DocumentTurn.index)
    ).scalars())


def load_codings(document: Document, visible: sa.ColumnElement[bool]) -> list[sa.Row]:
    """The document's codings the reader may see (``visible``: ``visible_codings_filter``) as plain rows (id,
    code_id, coder_id, start, end, version, source): read-only, so no ORM identity bookkeeping for thousands."""
    stmt = (sa.select(Coding.id, Coding.code_id, Coding.coder_id, Coding.start, Coding.end, Coding.version,
                      Coding.source)
            .where(Coding.document_id == document.id, visible).order_by(Coding.start, Coding.end, Coding.id))
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


def workspace(document: Document, user, turns: list[DocumentTurn] | None = None) -> Workspace:
    """Everything the coding page shows, in a constant number of queries. ``turns`` (ordered by index) is the window
    the page shows (``turn_page``): only the codings overlapping it are read, each with its pieces in these turns,
    so the work follows the window, not the document; None is the whole document. ``code_counts`` is always over
    the whole document (one grouped query)."""
    user_id = user.id  # once: ``current_user`` is a proxy, costly to read thousands of times
    views = _turn_views(document, load_turns(document) if turns is None else turns)
    visible = visible_codings_filter(user, document)
    if turns is None:
        codings = load_codings(document, visible)
        code_counts = Counter(c.code_id for c in codings)
    else:
        lo = min((v.turn.start for v in views), default=0)
        hi = max((v.turn.end for v in views), default=0)
        codings = load_codings(document, sa.and_(visible, Coding.start < hi, Coding.end > lo))
        code_counts = Counter(dict(db.session.execute(scope(
            sa.select(Coding.code_id, sa.func.count(Coding.id))
            .where(Coding.document_id == document.id, visible).group_by(Coding.code_id), Coding)).all()))
    codes = project_codes(document.project_id)
    coder_ids = {c.coder_id for c in codings} | {user_id}
    coders = {u.id: u for u in db.session.execute(sa.select(User).where(User.id.in_(coder_ids))).scalars()}
    names = {uid: (u.name, initials(u.name)) for uid, u in coders.items()}
    coding_ids = [c.id for c in codings] if turns is not None else None
    memo_rows = db.session.execute(
        sa.select(Memo.target_type, Memo.target_id, sa.func.count(Memo.id))
        .where(Memo.project_id == document.project_id, visible_memos_clause(user, document.project_id),
               sa.or_(sa.and_(Memo.target_type == "document", Memo.target_id == document.id),
                      sa.and_(Memo.target_type == "coding",
                              Memo.target_id.in_(coding_ids) if coding_ids is not None else
                              Memo.target_id.in_(sa.select(Coding.id).where(Coding.document_id == document.id,
                                                                             visible)))))
        .group_by(Memo.target_type, Memo.target_id)
    ).all()
    memo_counts = {(t, i): n for t, i, n in memo_rows}
    starts = [v.turn.start for v in views]
    dicts = [coding_dict(c, views, starts, user_id, names, memo_counts) for c in codings]
    if turns is not None:  # a filtered window is not contiguous: keep the codings with a piece in a shown turn
        dicts = [d for d in dicts if d["pieces"]]
    by_turn = {v.turn.id: v for v in views}
    for item in dicts:
        if item["pieces"]:
            by_turn[item["pieces"][0]["turn_id"]].codings.append(item)
    return Workspace(document, views, codes, dicts, coders, memo_counts, code_counts,
                     blind=codes_blind(user, document))


def codings_payload(document: Document, user, window: tuple[int, int] | None = None) -> dict:
    """The codings the page shows: all of the document's, or those overlapping the turns whose index lies in
    ``window`` (first, last), inclusive: what one page of the workspace shows (``turn_page``)."""
    turns = None if window is None else window_turns(document, *window)
    ws = workspace(document, user, turns)
    return {"document_id": document.id, "codings": ws.codings,
            "blocked": document.deidentification == PENDING, "blind": ws.blind}


def coding_dicts(document: Document, user, coding_ids) -> list[dict]:
    """The browser's dicts for a few codings of ``document`` (those the reader may see), in a number of queries
    and an amount of work that depend on these codings only, not on how many others the document holds."""
    ids = sorted({int(i) for i in coding_ids})
    if not ids:
        return []
    user_id = user.id
    rows = db.session.execute(scope(
        sa.select(Coding.id, Coding.code_id, Coding.coder_id, Coding.start, Coding.end, Coding.version, Coding.source)
        .where(Coding.document_id == document.id, Coding.id.in_(ids), visible_codings_filter(user, document))
        .order_by(Coding.start, Coding.end, Coding.id), Coding)).all()
    if not rows:
        return []
    lo, hi = min(r.start for r in rows), max(r.end for r in rows)
    turns = list(db.session.execute(
        sa.select(DocumentTurn).where(DocumentTurn.document_id == document.id, DocumentTurn.start < hi,
                                      DocumentTurn.end > lo).order_by(DocumentTurn.index)).scalars())
    views = _turn_views(document, turns)
    coders = {u.id: (u.name, initials(u.name)) for u in db.session.execute(
        sa.select(User).where(User.id.in_({r.coder_id for r in rows}))).scalars()}
    memo_counts = {("coding", i): n for i, n in db.session.execute(
        sa.select(Memo.target_id, sa.func.count(Memo.id))
        .where(Memo.project_id == document.project_id, Memo.target_type == "coding",
               Memo.target_id.in_([r.id for r in rows]), visible_memos_clause(user, document.project_id))
        .group_by(Memo.target_id)).all()}
    starts = [v.turn.start for v in views]
    return [coding_dict(r, views, starts, user_id, coders, memo_counts) for r in rows]


def codings_etag(document: Document, user, window: tuple[int, int] | None = None) -> str:
    """A validator for ``codings_payload(document, user)``: it changes whenever a visible coding is added, removed
    or changed (each change raises ``Coding.version``; a new coding has a new, larger id), when a memo on one of them
    is added or removed, when a coder is renamed, and when the reader's blind status flips. Two aggregate queries
    over the document's index and one over its coders;
    the payload itself is not built."""
    visible = visible_codings_filter(user, document)
    codings = db.session.execute(scope(
        sa.select(sa.func.count(Coding.id), sa.func.max(Coding.id), sa.func.sum(Coding.id),
                  sa.func.sum(Coding.version), sa.func.sum(Coding.code_id), sa.func.sum(Coding.start),
                  sa.func.sum(Coding.end)).where(Coding.document_id == document.id, visible), Coding)).one()
    memos = db.session.execute(
        sa.select(sa.func.count(Memo.id), sa.func.max(Memo.id), sa.func.sum(Memo.target_id))
        .where(Memo.project_id == document.project_id, Memo.target_type == "coding",
               Memo.target_id.in_(sa.select(Coding.id).where(Coding.document_id == document.id, visible)),
               visible_memos_clause(user, document.project_id))).one()
    # the payload names each coding's coder: a renamed coder changes it (a document has few coders, so this is small)
    coders = db.session.execute(
        sa.select(User.id, User.name).where(User.id.in_(
            sa.select(Coding.coder_id).where(Coding.document_id == document.id, visible).distinct()))
        .order_by(User.id)).all()
    key = (f"{document.id}|{window}|{user.id}|{codes_blind(user, document)}|{document.deidentification}|{tuple(codings)}"
           f"|{tuple(memos)}|{[tuple(c) for c in coders]}")
    return hashlib.sha256(key.encode()).hexdigest()[:32]
