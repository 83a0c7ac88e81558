"""The coding workspace shows a transcript one window of turns at a time (issue 14 item 5: a 20,000-turn transcript
made an 11.8 MB page that took a second to build, and the probe's 300,000-turn one 165 MB).

A page is ``TURNS_PER_PAGE`` turns in transcript order, read as one COUNT and one LIMIT/OFFSET query
(``app.paging.paginate``); the code filter is an EXISTS over the visible codings, in SQL. The text search compares
the folded query with each turn's words in Python (``str.casefold`` is not SQL's ``lower``), over the turns' offsets
only: bounded by the turn limit (``QUAL_MAX_TRANSCRIPT_TURNS``). A link to a position (``?at=``, from the analysis
pages), a coding (``?coding=``, quotes in joint displays and after coding without JavaScript) or a turn number
(``?turn=``, the "Go to turn" field) opens the page holding that turn, and the page marks it.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.db import db
from app.paging import Page, paginate, paginate_list, refuse
from qualitative.access import scope
from qualitative.analysis.services.blind import visible_codings_filter
from qualitative.models import Coding, Document, DocumentTurn

#: turns on one page of the workspace: about 300 one-line turns make a page of some 250 KB
TURNS_PER_PAGE = 300


@dataclass(frozen=True)
class Focus:
    """The turn a link points at (its index), or why it could not be found (``missing``, shown on the page)."""

    index: int | None = None
    turn_id: int | None = None
    missing: str | None = None


def turn_count(document: Document) -> int:
    return db.session.scalar(sa.select(sa.func.count(DocumentTurn.id)).where(DocumentTurn.document_id == document.id))


def window_turns(document: Document, first: int, last: int) -> list[DocumentTurn]:
    """The turns whose index lies in [first, last], in order, with their participants."""
    return list(db.session.execute(
        sa.select(DocumentTurn).where(DocumentTurn.document_id == document.id, DocumentTurn.index >= first,
                                      DocumentTurn.index <= last)
        .options(sa.orm.joinedload(DocumentTurn.participant)).order_by(DocumentTurn.index)).scalars())


def _turn_at(document: Document, position: int) -> DocumentTurn | None:
    """The turn holding code point ``position`` (an empty turn holds its start)."""
    turn = db.session.execute(
        sa.select(DocumentTurn).where(DocumentTurn.document_id == document.id, DocumentTurn.start <= position)
        .order_by(DocumentTurn.start.desc(), DocumentTurn.index.desc()).limit(1)).scalar()
    if turn is not None and position < max(turn.end, turn.start + 1):
        return turn
    return None


def focus(document: Document, user, args) -> Focus:
    """The turn the query string points at: ``turn`` (1-based number, refused with a 400 naming it when it is not
    one of the transcript's), ``coding`` (an id of a coding of this document the user may see) or ``at``."""
    raw_turn = (args.get("turn") or "").strip()
    if raw_turn:
        total = turn_count(document)
        if not (raw_turn.isascii() and raw_turn.isdigit()) or not 1 <= int(raw_turn[:9]) <= total:
            refuse("turn", f"“{raw_turn[:20]}” is not a turn of this transcript (1 to {total:,}).")
        number = int(raw_turn)
        turn = db.session.execute(sa.select(DocumentTurn).where(DocumentTurn.document_id == document.id)
                                  .order_by(DocumentTurn.index).offset(number - 1).limit(1)).scalar_one()
        return Focus(turn.index, turn.id)
    position = None
    coding_id = args.get("coding", type=int)
    if coding_id is not None:
        position = db.session.scalar(scope(
            sa.select(Coding.start).where(Coding.id == coding_id, Coding.document_id == document.id,
                                          visible_codings_filter(user, document)), Coding))
        if position is None:
            return Focus(missing=f"Coding {coding_id} is not one of this transcript's codings you can see.")
    else:
        position = args.get("at", type=int)
    if position is None:
        return Focus()
    turn = _turn_at(document, position)
    return Focus(turn.index, turn.id) if turn is not None else Focus()


def _code_clause(document: Document, user, code_id: int):
    """The turn shows a visible coding of ``code_id`` (a piece of it: the spans overlap)."""
    return sa.exists(scope(
        sa.select(Coding.id).where(Coding.document_id == document.id, Coding.code_id == code_id,
                                   visible_codings_filter(user, document), Coding.start < DocumentTurn.end,
                                   Coding.end > DocumentTurn.start), Coding))


def turn_page(document: Document, user, page: int, *, query: str = "", code_id: int | None = None,
              at: Focus = Focus(), per_page: int = TURNS_PER_PAGE) -> Page[DocumentTurn]:
    """One page of the transcript's turns matching the filters (``query`` in the turn's words, folded; a turn coded
    with ``code_id``). With a focused turn (and no page asked for: ``page`` 0) the page holding it (or the first
    matching turn after it)."""
    stmt = sa.select(DocumentTurn).where(DocumentTurn.document_id == document.id)
    if code_id:
        stmt = stmt.where(_code_clause(document, user, code_id))
    if query:
        folded = query.casefold()
        text = document.text
        rows = db.session.execute(stmt.with_only_columns(DocumentTurn.id, DocumentTurn.index, DocumentTurn.start,
                                                         DocumentTurn.end).order_by(DocumentTurn.index)).all()
        matches = [r for r in rows if folded in text[r.start:r.end].casefold()]
        if not page:
            before = sum(1 for r in matches if at.index is not None and r.index < at.index)
            page = before // per_page + 1
        found = paginate_list([r.id for r in matches], page, per_page)
        turns = {t.id: t for t in db.session.execute(
            sa.select(DocumentTurn).where(DocumentTurn.id.in_(found.items))
            .options(sa.orm.joinedload(DocumentTurn.participant))).scalars()}
        return Page([turns[i] for i in found.items], found.page, per_page, found.total)
    if not page:
        before = 0
        if at.index is not None:
            before = db.session.scalar(sa.select(sa.func.count()).select_from(
                stmt.where(DocumentTurn.index < at.index).subquery()))
        page = before // per_page + 1
    return paginate(stmt.options(sa.orm.joinedload(DocumentTurn.participant)).order_by(DocumentTurn.index),
                    page, per_page)


def page_around(document: Document, turn_id: int | None, per_page: int = TURNS_PER_PAGE) -> list[DocumentTurn]:
    """The turns of the workspace page holding turn ``turn_id`` of this document (the first page when it is not
    one of its turns): the choices of the no-JavaScript coding form."""
    index = db.session.scalar(sa.select(DocumentTurn.index).where(DocumentTurn.document_id == document.id,
                                                                  DocumentTurn.id == turn_id)) if turn_id else None
    first = (index or 0) // per_page * per_page
    return window_turns(document, first, first + per_page - 1)
