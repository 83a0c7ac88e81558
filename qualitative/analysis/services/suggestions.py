"""Auto-coding suggestions: run the lexicon auto-coder over a project, then accept or reject suggestions.

Rule (``qualitative.autocode``): each construct's lexicon (``Code.lexicon``) is matched on lemmas per speaker turn;
hits are widened to the turn and merged per code per turn; barrier/facilitator cues nearby give the valence hint.
Re-running replaces the *pending* suggestions of the same rule version document by document (unchanged ones keep
their id) and never duplicates a suggestion an analyst already decided. Accepting creates a ``Coding`` with source
"suggestion" owned by the accepting analyst; accepting again changes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import abort

from app.db import db
from qualitative.analysis.models import VALENCES, Suggestion, SuggestionStatus
from qualitative.analysis.services import blind
from qualitative.analysis.services.blind import visible_codings_clause
from qualitative.analysis.services.common import AnalysisInputError, code_tree, turns_by_document, units
from qualitative.autocode import RULE_VERSION, Autocoder, interviewee_turn
from qualitative.autocode import Suggestion as AutoSuggestion
from qualitative.autocode import suggestion_quality as _quality
from qualitative.models import Code, Coding, Document, QualProject

#: documents whose redactions are not reviewed yet are not auto-coded (their text, and so offsets, may change)
READY_STATES = ("applied", "skipped")


@functools.lru_cache(maxsize=4)
def _autocoder(entries: tuple[tuple[str, tuple[str, ...]], ...]) -> Autocoder:
    # Building the spaCy pipeline takes seconds; the same codebook reuses it within a process.
    return Autocoder([{"key": key, "lexicon": list(lexicon)} for key, lexicon in entries])


def codebook_entries(project_id: int) -> tuple[dict[str, int], tuple[tuple[str, tuple[str, ...]], ...]]:
    """(code key -> id, hashable codebook entries) for the project's active codable codes with a lexicon."""
    codes = db.session.execute(
        sa.select(Code).where(Code.project_id == project_id, Code.codable.is_(True), Code.active.is_(True))
        .order_by(Code.position, Code.id)
    ).scalars().all()
    entries = tuple((c.key, tuple(t for t in (c.lexicon or []) if isinstance(t, str) and t.strip()))
                    for c in codes)
    entries = tuple(e for e in entries if e[1])
    return {c.key: c.id for c in codes}, entries


def autocode_document(document: Document, autocoder: Autocoder, key_to_id: dict[str, int],
                      requested_by_id: int | None) -> dict[str, int]:
    """Suggest codes for one document; returns counts {added, updated, removed, unchanged, decided}."""
    turns = turns_by_document([document.id])[document.id]
    spoken = [t for t in turns if interviewee_turn(t.speaker, t.participant_id)]
    # interviewer and moderator turns are never suggested; a document without turns is one unit
    made = autocoder.suggest(document.text, [(t.start, t.end) for t in spoken] if turns
                             else units(turns, len(document.text)))
    existing = db.session.execute(
        sa.select(Suggestion).where(Suggestion.document_id == document.id, Suggestion.rule_version == RULE_VERSION)
    ).scalars().all()
    by_key = {(s.code_id, s.start, s.end): s for s in existing}
    counts = dict.fromkeys(("added", "updated", "removed", "unchanged", "decided"), 0)
    produced: set[tuple[int, int, int]] = set()
    for item in made:
        code_id = key_to_id.get(item.code_key)
        if code_id is None:
            continue
        key = (code_id, item.start, item.end)
        produced.add(key)
        values = {"matched_terms": list(item.matched_terms), "term_spans": [list(s) for s in item.term_spans],
                  "valence": item.valence, "score": float(item.score)}
        row = by_key.get(key)
        if row is None:
            db.session.add(Suggestion(project_id=document.project_id, document_id=document.id, code_id=code_id,
                                      start=item.start, end=item.end, rule_version=RULE_VERSION,
                                      requested_by_id=requested_by_id, status=SuggestionStatus.PENDING, **values))
            counts["added"] += 1
        elif row.status != SuggestionStatus.PENDING:
            counts["decided"] += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    for key, row in by_key.items():
        if key not in produced and row.status == SuggestionStatus.PENDING:
            db.session.delete(row)
            counts["removed"] += 1
    return counts


def autocode_project(project_id: int, requested_by_id: int | None,
                     progress: Callable[[int, int, str], None] | None = None) -> dict[str, int]:
    """Auto-code every ready document of the project, committing per document (safe to run again)."""
    key_to_id, entries = codebook_entries(project_id)
    if not entries:
        raise AnalysisInputError("No active codable code of this project has a lexicon to match; add lexicon "
                                 "terms to the constructs in the codebook first.")
    autocoder = _autocoder(entries)
    doc_ids = db.session.execute(
        sa.select(Document.id).where(Document.project_id == project_id).order_by(Document.name)).scalars().all()
    totals = dict.fromkeys(("documents", "skipped", "added", "updated", "removed", "unchanged", "decided"), 0)
    for i, doc_id in enumerate(doc_ids, start=1):
        document = db.session.get(Document, doc_id)
        if document.deidentification not in READY_STATES:
            totals["skipped"] += 1
        else:
            for k, v in autocode_document(document, autocoder, key_to_id, requested_by_id).items():
                totals[k] += v
            totals["documents"] += 1
        db.session.commit()
        if progress is not None:
            progress(i, len(doc_ids), f"{document.name}: {totals['added']} new suggestions so far")
    return totals


# --- review -------------------------------------------------------------------------------------------------


def reviewable(user) -> sa.ColumnElement[bool]:
    """The suggestions ``user`` reviews in any project: the current rule version, none on a document they code blind.
    The list, the hub (``status_counts``) and the home page's queue all count through this one condition."""
    return sa.and_(Suggestion.rule_version == RULE_VERSION,
                   Suggestion.document_id.not_in(blind.blinded_documents_stmt(user.id)))


def suggestion_query(project_id: int, user, code_id: int | None = None, document_id: int | None = None,
                     valence: str | None = None, status: str | None = SuggestionStatus.PENDING) -> sa.Select:
    """Suggestions of the current rule version, filtered; documents the user codes blind are left out (the
    auto-coder would otherwise prompt both blind coders alike)."""
    stmt = sa.select(Suggestion).where(Suggestion.project_id == project_id, reviewable(user))
    if code_id:
        stmt = stmt.where(Suggestion.code_id == code_id)
    if document_id:
        stmt = stmt.where(Suggestion.document_id == document_id)
    if valence:
        if valence not in VALENCES:
            raise AnalysisInputError(f"valence must be one of {', '.join(VALENCES)}", "valence")
        stmt = stmt.where(Suggestion.valence == valence)
    if status:
        if status not in SuggestionStatus.ALL:
            raise AnalysisInputError(f"status must be one of {', '.join(SuggestionStatus.ALL)}", "status")
        stmt = stmt.where(Suggestion.status == status)
    return stmt


def status_counts(project_id: int, user) -> dict[str, int]:
    """Suggestions per status as the list shows them (current rule version, blind documents left out): the one
    count the hub, the list and an in-place decision all read."""
    stmt = suggestion_query(project_id, user, status=None).subquery()
    rows = db.session.execute(sa.select(stmt.c.status, sa.func.count()).group_by(stmt.c.status)).all()
    return {status: 0 for status in SuggestionStatus.ALL} | dict(rows)


def get_suggestion(project: QualProject, suggestion_id: int, user) -> Suggestion:
    row = db.session.execute(
        suggestion_query(project.id, user, status=None).where(Suggestion.id == suggestion_id)
    ).scalar_one_or_none()
    if row is None:
        abort(404)
    return row


def _accept(suggestion: Suggestion, user, now: datetime) -> bool:
    """Accept one suggestion (no commit); False when it was already accepted."""
    if suggestion.status == SuggestionStatus.ACCEPTED:
        return False
    coding = db.session.execute(
        sa.select(Coding).where(Coding.document_id == suggestion.document_id, Coding.code_id == suggestion.code_id,
                                Coding.coder_id == user.id, Coding.start == suggestion.start,
                                Coding.end == suggestion.end)
    ).scalar_one_or_none()
    if coding is None:
        coding = Coding(document_id=suggestion.document_id, code_id=suggestion.code_id, coder_id=user.id,
                        start=suggestion.start, end=suggestion.end, source="suggestion")
        db.session.add(coding)
        db.session.flush()
    suggestion.status = SuggestionStatus.ACCEPTED
    suggestion.decided_by_id = user.id
    suggestion.decided_at = now
    suggestion.coding_id = coding.id
    return True


def _reject(suggestion: Suggestion, user, now: datetime) -> bool:
    if suggestion.status == SuggestionStatus.REJECTED:
        return False
    if suggestion.status == SuggestionStatus.ACCEPTED:
        raise AnalysisInputError(
            f"Suggestion {suggestion.id} was already accepted as a coding; remove that coding in the workspace "
            "instead of rejecting the suggestion.")
    suggestion.status = SuggestionStatus.REJECTED
    suggestion.decided_by_id = user.id
    suggestion.decided_at = now
    return True


def decide(suggestion: Suggestion, user, action: str) -> bool:
    """Accept or reject one suggestion; True when something changed."""
    now = datetime.now(UTC)
    if action == "accept":
        changed = _accept(suggestion, user, now)
    elif action == "reject":
        changed = _reject(suggestion, user, now)
    else:
        raise AnalysisInputError(f"unknown action {action!r}; use accept or reject", "action")
    db.session.commit()
    return changed


def decide_many(project: QualProject, user, action: str, code_id: int | None = None,
                document_id: int | None = None, valence: str | None = None) -> int:
    """Accept or reject every *pending* suggestion matching the filters, in one transaction; returns how many."""
    if action not in ("accept", "reject"):
        raise AnalysisInputError(f"unknown action {action!r}; use accept or reject", "action")
    rows = db.session.execute(
        suggestion_query(project.id, user, code_id, document_id, valence, SuggestionStatus.PENDING)
        .order_by(Suggestion.document_id, Suggestion.start, Suggestion.code_id)
    ).scalars().all()
    now = datetime.now(UTC)
    step = _accept if action == "accept" else _reject
    changed = sum(1 for row in rows if step(row, user, now))
    db.session.commit()
    return changed


# --- quality ------------------------------------------------------------------------------------------------


def quality(project: QualProject, user=None, min_score: float | None = None) -> dict:
    """Per construct precision and recall of the suggestions against analysts' own (manual) codings.

    Compared on the documents some analyst coded by hand (codings with source "manual"), at turn level, by
    ``qualitative.autocode.suggestion_quality``. All suggestions of the current rule version count, whatever
    their review status; codings accepted from suggestions are left out, so the suggestions are not judged
    against themselves. The documents are laid end to end (each offset shifted past the previous text) so one
    call covers the whole project. ``overall`` pools the constructs (micro-average: the sums of tp, fp and fn).
    ``min_score`` keeps only suggestions scoring at least that (the precision of the top of the ranked list).
    ``user`` None (the command line) compares against every analyst's codings; otherwise what ``user`` may see.
    """
    manual = db.session.execute(
        sa.select(Coding.document_id, Coding.code_id, Coding.start, Coding.end)
        .join(Document, Document.id == Coding.document_id)
        .where(Document.project_id == project.id, Coding.source == "manual",
               visible_codings_clause(user, project.id) if user is not None else sa.true())
    ).all()
    doc_ids = sorted({row.document_id for row in manual})
    tree = code_tree(project.id)
    if not doc_ids:
        return {"documents": 0, "rows": [], "overall": None, "rule_version": RULE_VERSION}
    lengths = dict(db.session.execute(
        sa.select(Document.id, sa.func.length(Document.text)).where(Document.id.in_(doc_ids))).all())
    turns = turns_by_document(doc_ids)
    offset, shift, all_turns = 0, {}, []
    for doc_id in doc_ids:
        shift[doc_id] = offset
        all_turns.extend((s + offset, e + offset) for s, e in units(turns[doc_id], lengths[doc_id]))
        offset += lengths[doc_id] + 1
    analyst: dict[str, list[tuple[int, int]]] = {}
    for row in manual:
        key = tree.codes[row.code_id].key
        analyst.setdefault(key, []).append((row.start + shift[row.document_id], row.end + shift[row.document_id]))
    suggested = [
        AutoSuggestion(tree.codes[s.code_id].key, s.start + shift[s.document_id], s.end + shift[s.document_id],
                       list(s.matched_terms or []), s.valence, s.score)
        for s in db.session.execute(
            sa.select(Suggestion).where(Suggestion.project_id == project.id, Suggestion.rule_version == RULE_VERSION,
                                        Suggestion.document_id.in_(doc_ids))).scalars()
        if min_score is None or s.score >= min_score
    ]
    by_key = {c.key: c for c in tree.codes.values()}
    figures = _quality(suggested, analyst, all_turns)
    rows = [{"code": by_key[key], "path": tree.paths[by_key[key].id], **values}
            for key, values in figures.items() if key in by_key]
    rows.sort(key=lambda r: (r["code"].position, r["code"].id))
    tp, fp, fn = (sum(r[k] for r in rows) for k in ("tp", "fp", "fn"))
    overall = {"tp": tp, "fp": fp, "fn": fn, "precision": tp / (tp + fp) if tp + fp else None,
               "recall": tp / (tp + fn) if tp + fn else None}
    return {"documents": len(doc_ids), "rows": rows, "overall": overall, "rule_version": RULE_VERSION}
