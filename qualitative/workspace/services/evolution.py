"""Codebook evolution: merge, split and move codes with their codings, each published as a new codebook version
(``codebook.publish_version``) and recorded as a ``CodeChange`` so a code's history shows what was merged into it,
split from it, or where it moved.

- **merge** ``source`` into ``target``: every coding of the source (all coders) takes the target code; a coding that
  would repeat one the same coder already has on the same span with the target is dropped, its memos and rating
  evidence moved to the one kept. The source's sub-codes move under the target, its memos, groups, pending
  suggestions and ratings follow where the target has none for the same clinic and rater (the target's own rating
  wins; the source's stays on the now inactive source, counted in the change's note). The source is kept,
  inactive, so old versions and the history still name it.
- **split**: chosen codings of a code move to a new code (same parent, or a chosen one).
- **move**: a code (with its sub-codes and codings) goes under another parent (or the top level).

Each change is one transaction: it is all made, or nothing (a refused change raises ``CodebookChangeError``); every
row it changes goes through the ORM, so the audit trail records each moved coding, memo and rating.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.db import db
from qualitative.analysis.models import ConsensusRating, ConstructRating, ConstructRatingEvidence, Suggestion
from qualitative.codebook_io import key_from_name
from qualitative.models import Code, CodeChange, CodeGroup, Coding, Memo, QualProject, qual_group_code
from qualitative.workspace.services.codebook import CodebookChangeError, next_colour, publish_version

KINDS = {"merge": "Merged", "split": "Split", "move": "Moved"}


def _code_in(project: QualProject, code_id, what: str) -> Code:
    try:
        code = db.session.get(Code, int(code_id))
    except (TypeError, ValueError):
        code = None
    if code is None or code.project_id != project.id:
        raise CodebookChangeError(f"The {what} is not in this project's codebook.")
    return code


def _ancestors(code: Code | None):
    while code is not None:
        yield code
        code = code.parent


def _record(project: QualProject, user, kind: str, code: Code, other: Code | None, other_label: str,
            codings: int, note: str) -> CodeChange:
    version = publish_version(project, user, note)
    change = CodeChange(project_id=project.id, kind=kind, code_id=code.id, other_code_id=other.id if other else None,
                        other_label=other_label[:255], codings=codings, version=version.version,
                        user_id=user.id if user else None, note=note)
    db.session.add(change)
    db.session.flush()
    return change


def merge(project: QualProject, source: Code, target_id, user) -> CodeChange:
    """Merge ``source`` into the code ``target_id`` (see the module). Commits."""
    target = _code_in(project, target_id, "code to merge into")
    if source.project_id != project.id:
        raise CodebookChangeError("That code is not in this project's codebook.")
    if target.id == source.id:
        raise CodebookChangeError("Choose another code to merge into: a code cannot be merged into itself.")
    if not target.codable or not target.active:
        raise CodebookChangeError(f"{target} is a heading or inactive; merge into a codable, active code.")
    if any(a.id == source.id for a in _ancestors(target)):
        raise CodebookChangeError(f"{target} is one of {source}'s own sub-codes; move it out first.")
    kept: dict[tuple, int] = {
        (r.document_id, r.coder_id, r.start, r.end): r.id for r in db.session.execute(
            sa.select(Coding.id, Coding.document_id, Coding.coder_id, Coding.start, Coding.end)
            .where(Coding.code_id == target.id))}
    moved = dropped = 0
    for coding in db.session.execute(sa.select(Coding).where(Coding.code_id == source.id)
                                     .order_by(Coding.id)).scalars().all():
        same = kept.get((coding.document_id, coding.coder_id, coding.start, coding.end))
        if same is None:
            coding.code_id = target.id
            kept[(coding.document_id, coding.coder_id, coding.start, coding.end)] = coding.id
            moved += 1
            continue
        for memo in db.session.execute(sa.select(Memo).where(  # through the ORM: the audit trail records the move
                Memo.project_id == project.id, Memo.target_type == "coding", Memo.target_id == coding.id)).scalars().all():
            memo.target_id = same
        cited = set(db.session.execute(sa.select(ConstructRatingEvidence.rating_id)
                                       .where(ConstructRatingEvidence.coding_id == same)).scalars())
        for evidence in db.session.execute(sa.select(ConstructRatingEvidence)
                                           .where(ConstructRatingEvidence.coding_id == coding.id)).scalars().all():
            if evidence.rating_id in cited:
                db.session.delete(evidence)
            else:
                evidence.coding_id = same
        db.session.flush()
        db.session.delete(coding)
        dropped += 1
    db.session.flush()
    for child in db.session.execute(sa.select(Code).where(Code.parent_id == source.id)).scalars().all():
        child.parent_id = target.id
    for memo in db.session.execute(sa.select(Memo).where(
            Memo.project_id == project.id, Memo.target_type == "code", Memo.target_id == source.id)).scalars().all():
        memo.target_id = target.id
    for group in db.session.execute(sa.select(CodeGroup).join(qual_group_code).where(
            qual_group_code.c.code_id == source.id)).scalars().all():
        if target not in group.codes:
            group.codes.append(target)
    # pending suggestions follow (one the target already has on the same span is dropped)
    taken = set(db.session.execute(sa.select(Suggestion.document_id, Suggestion.start, Suggestion.end,
                                             Suggestion.rule_version).where(Suggestion.code_id == target.id)).all())
    for suggestion in db.session.execute(sa.select(Suggestion).where(Suggestion.code_id == source.id,
                                                                     Suggestion.status == "pending")).scalars().all():
        key = (suggestion.document_id, suggestion.start, suggestion.end, suggestion.rule_version)
        if key in taken:
            db.session.delete(suggestion)
        else:
            suggestion.code_id = target.id
            taken.add(key)
    left = 0
    rated = set(db.session.execute(sa.select(ConstructRating.clinic_id, ConstructRating.rater_id)
                                   .where(ConstructRating.code_id == target.id)).all())
    for rating in db.session.execute(sa.select(ConstructRating).where(ConstructRating.code_id == source.id))\
            .scalars().all():
        if (rating.clinic_id, rating.rater_id) in rated:
            left += 1
        else:
            rating.code_id = target.id
    agreed = set(db.session.execute(sa.select(ConsensusRating.clinic_id)
                                    .where(ConsensusRating.code_id == target.id)).scalars())
    for rating in db.session.execute(sa.select(ConsensusRating).where(ConsensusRating.code_id == source.id))\
            .scalars().all():
        if rating.clinic_id in agreed:
            left += 1
        else:
            rating.code_id = target.id
    source.active = False
    db.session.flush()
    note = (f"Merged {source} into {target}: {moved + dropped} coding{'s' if moved + dropped != 1 else ''}"
            + (f" ({dropped} already coded with {target.display_key} on the same text by the same coder)" if dropped
               else "")
            + (f"; {left} rating{'s' if left != 1 else ''} stay on {source.display_key} ({target.display_key} "
               "has its own for that clinic and rater)" if left else "") + ".")
    change = _record(project, user, "merge", target, source, str(source), moved + dropped, note)
    db.session.commit()
    return change


def split(project: QualProject, source: Code, coding_ids, name: str, user, parent_id=None) -> tuple[Code, CodeChange]:
    """Move the codings ``coding_ids`` of ``source`` to a new code ``name`` (under ``parent_id``, by default the
    source's parent). Commits."""
    name = " ".join((name or "").split())
    if not name:
        raise CodebookChangeError("Name the new code.")
    if len(name) > 255:
        raise CodebookChangeError("The new code's name is longer than 255 characters.")
    try:
        ids = sorted({int(i) for i in coding_ids or []})
    except (TypeError, ValueError):
        raise CodebookChangeError("Coding ids must be whole numbers.") from None
    if not ids:
        raise CodebookChangeError("Tick the codings to move to the new code.")
    codings = db.session.execute(sa.select(Coding).where(Coding.id.in_(ids), Coding.code_id == source.id))\
        .scalars().all()
    if len(codings) != len(ids):
        missing = sorted(set(ids) - {c.id for c in codings})
        raise CodebookChangeError(f"Coding{'s' if len(missing) != 1 else ''} {', '.join(map(str, missing))} "
                                  f"{'are' if len(missing) != 1 else 'is'} not coded with {source}.")
    parent = _code_in(project, parent_id, "parent code") if parent_id not in (None, "", 0, "0") else (
        source.parent)
    used = set(db.session.execute(sa.select(Code.key).where(Code.project_id == project.id)).scalars())
    position = (db.session.execute(sa.select(sa.func.max(Code.position))
                                   .where(Code.project_id == project.id)).scalar() or 0) + 1
    code = Code(project_id=project.id, key=key_from_name(name, used, upper=True), name=name, kind="custom",
                codable=True, colour=next_colour(project), parent_id=parent.id if parent else None,
                definition=f"Split from {source}.", lexicon=[], position=position)
    db.session.add(code)
    db.session.flush()
    for coding in codings:
        coding.code_id = code.id
    db.session.flush()
    note = f"Split {len(codings)} coding{'s' if len(codings) != 1 else ''} of {source} into the new code {code}."
    change = _record(project, user, "split", code, source, str(source), len(codings), note)
    db.session.commit()
    return code, change


def move(project: QualProject, code: Code, parent_id, user) -> CodeChange:
    """Put ``code`` (with its sub-codes and codings) under ``parent_id`` (0 or None: the top level). Commits."""
    parent = _code_in(project, parent_id, "new parent") if parent_id not in (None, "", 0, "0") else None
    if parent is not None and any(a.id == code.id for a in _ancestors(parent)):
        raise CodebookChangeError("A code cannot be placed under itself or one of its own sub-codes.")
    if (parent.id if parent else None) == code.parent_id:
        raise CodebookChangeError(f"{code} is already there.")
    old = code.parent
    code.parent_id = parent.id if parent else None
    db.session.flush()
    codings = db.session.execute(sa.select(sa.func.count(Coding.id)).where(Coding.code_id == code.id)).scalar_one()
    where = str(parent) if parent else "the top level"
    note = f"Moved {code} from {old if old else 'the top level'} to {where}."
    change = _record(project, user, "move", code, old, str(old) if old else "the top level", codings, note)
    db.session.commit()
    return change


def history(code: Code) -> list[CodeChange]:
    """The changes that name ``code`` (as the code changed, or as the other code), newest first."""
    return list(db.session.execute(
        sa.select(CodeChange).where(sa.or_(CodeChange.code_id == code.id, CodeChange.other_code_id == code.id))
        .order_by(CodeChange.id.desc())).scalars())
