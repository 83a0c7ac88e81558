"""CFIR construct ratings per clinic: each rater's rating with rationale and evidence, the manager's consensus, the
construct x clinic matrix, rating agreement and the constructs that distinguish high- from low-implementation
clinics. Ratings: +2..-2, "X" (mixed); a construct not discussed has no rating (missing, never 0).
Formulas live in ``qualitative.rating_agreement`` and ``qualitative.distinguishing``. Evidence codings are shown
to a viewer under the blind rule (``blind.visible_codings_clause``): while the viewer codes a document blind,
another coder's coding on it is left out of every list of evidence, quote and count, as if it did not exist.
Saving a rating or consensus replaces only the evidence its saver may see: links to codings hidden from the saver
(``hidden_evidence_ids``) are kept as they are, and a hidden coding cannot be cited anew. The form says how many of
its links are hidden (a number, nothing about the codings), so the saver knows they stay.
"""

from __future__ import annotations

import re
from collections import defaultdict
from itertools import combinations

import sqlalchemy as sa
from flask import abort

from app.db import db
from app.models import Clinic, User
from app.security import get_scoped_or_404
from qualitative.agreement import krippendorff_band, landis_koch_band
from qualitative.analysis.models import (
    ClinicGroup,
    ConsensusRating,
    ConsensusRatingEvidence,
    ConstructRating,
    ConstructRatingEvidence,
)
from qualitative.analysis.services.blind import visible_codings_clause
from qualitative.analysis.services.common import (
    AnalysisInputError,
    code_tree,
    project_clinics,
    turn_at,
    turns_by_document,
)
from qualitative.analysis.services.retrieval import SegmentFilter, segments
from qualitative.autocode import interviewee_turn
from qualitative.distinguishing import MIXED, distinguishes
from qualitative.models import Code, Coding, Document, QualProject
from qualitative.rating_agreement import (
    FEW_CELLS,
    krippendorff_alpha,
    quadratic_weighted_kappa,
    weighted_kappa_bootstrap_ci,
)

RATING_CHOICES = [("2", "+2"), ("1", "+1"), ("0", "0"), ("-1", "-1"), ("-2", "-2"), ("X", "X (mixed)"),
                  ("", "Not discussed (no rating)")]
CONSTRUCT_KINDS = ("construct", "subconstruct")
_RATING = re.compile(r"[+-]?[0-2]")


def parse_value(raw: str | None) -> tuple[int | None, bool] | None:
    """Form value -> (rating, mixed); None for "not discussed". Raises AnalysisInputError for anything else."""
    text = (raw or "").strip().upper()
    if text == "":
        return None
    if text == MIXED:
        return None, True
    if _RATING.fullmatch(text):
        return int(text), False
    raise AnalysisInputError(f"A rating is +2, +1, 0, -1, -2, X (mixed) or empty (not discussed), not {raw!r}.",
                             "value")


def value_of(row) -> int | str | None:
    if row is None:
        return None
    return MIXED if row.mixed else row.rating


def constructs(project_id: int) -> list[Code]:
    """The ratable codes: active CFIR constructs and subconstructs; a custom codebook's codable codes otherwise."""
    ordered = [c for c in code_tree(project_id).ordered() if c.active and c.codable]
    cfir = [c for c in ordered if c.kind in CONSTRUCT_KINDS]
    return cfir or ordered


def get_construct(project: QualProject, code_id: int) -> Code:
    code = db.session.get(Code, code_id)
    if code is None or code.project_id != project.id or code not in constructs(project.id):
        abort(404)
    return code


def get_clinic(project: QualProject, clinic_id: int) -> Clinic:
    clinic = get_scoped_or_404(Clinic, clinic_id)
    if clinic not in project_clinics(project.id):
        abort(404)
    return clinic


def grid(project: QualProject, viewer) -> dict:
    """Constructs x clinics with the consensus rating and every rater's rating of each cell; ``evidence``: each
    rater's rating id -> the ids of its evidence codings that ``viewer`` may see (``visible_evidence_ids``)."""
    consensus = {(r.code_id, r.clinic_id): r for r in db.session.execute(
        sa.select(ConsensusRating).where(ConsensusRating.project_id == project.id)).scalars()}
    by_cell: dict[tuple[int, int], list[ConstructRating]] = defaultdict(list)
    for r in db.session.execute(sa.select(ConstructRating).where(ConstructRating.project_id == project.id)
                                .order_by(ConstructRating.rater_id)).scalars():
        by_cell[(r.code_id, r.clinic_id)].append(r)
    tree = code_tree(project.id)
    rating_ids = [r.id for cell in by_cell.values() for r in cell]
    return {"constructs": constructs(project.id), "clinics": project_clinics(project.id), "consensus": consensus,
            "ratings": by_cell, "evidence": visible_evidence_ids(project.id, rating_ids, viewer),
            "paths": tree.paths, "raters": raters(project.id), "groups": groups(project)}


def visible_evidence_ids(project_id: int, rating_ids: list[int], viewer) -> dict[int, list[int]]:
    """Rater's rating id -> the ids (ascending) of its evidence codings that ``viewer`` may see: another coder's
    coding on a document the viewer codes blind is left out. A rating without visible evidence is absent."""
    if not rating_ids:
        return {}
    out: dict[int, list[int]] = defaultdict(list)
    for rating_id, coding_id in db.session.execute(
            sa.select(ConstructRatingEvidence.rating_id, ConstructRatingEvidence.coding_id)
            .join(Coding, Coding.id == ConstructRatingEvidence.coding_id)
            .where(ConstructRatingEvidence.rating_id.in_(rating_ids), visible_codings_clause(viewer, project_id))
            .order_by(ConstructRatingEvidence.rating_id, ConstructRatingEvidence.coding_id)):
        out[rating_id].append(coding_id)
    return dict(out)


def hidden_evidence_ids(project_id: int, row, viewer) -> set[int]:
    """Ids of the codings cited as evidence by ``row`` (a rater's rating or a consensus, or None) that ``viewer`` may
    not see under the blind rule: the links a save by ``viewer`` keeps unchanged."""
    cited = {e.coding_id for e in row.evidence} if row is not None else set()
    if not cited:
        return set()
    visible = db.session.execute(sa.select(Coding.id).where(
        Coding.id.in_(sorted(cited)), visible_codings_clause(viewer, project_id))).scalars()
    return cited - set(visible)


def raters(project_id: int) -> list[User]:
    ids = sa.select(ConstructRating.rater_id).where(ConstructRating.project_id == project_id).distinct()
    return list(db.session.execute(sa.select(User).where(User.id.in_(ids)).order_by(User.name)).scalars())


def evidence_candidates(project: QualProject, code: Code, clinic: Clinic, viewer) -> list:
    """Codings of the construct (and its subcodes) on the clinic's documents that the viewer may see."""
    return segments(project, viewer, SegmentFilter(code_id=code.id, clinic_id=clinic.id))


def _evidence(project, code, clinic, viewer, coding_ids) -> list[int]:
    allowed = {s.coding_id for s in evidence_candidates(project, code, clinic, viewer)}
    ids = sorted(set(coding_ids))
    if bad := [i for i in ids if i not in allowed]:
        raise AnalysisInputError(f"Codings {bad} are not codings of {code.name} at {clinic.code}.", "evidence")
    return ids


def my_rating(project: QualProject, code: Code, clinic: Clinic, rater_id: int) -> ConstructRating | None:
    return db.session.execute(sa.select(ConstructRating).where(
        ConstructRating.project_id == project.id, ConstructRating.code_id == code.id,
        ConstructRating.clinic_id == clinic.id, ConstructRating.rater_id == rater_id)).scalar_one_or_none()


def cell_ratings(project: QualProject, code: Code, clinic: Clinic) -> list[ConstructRating]:
    return list(db.session.execute(sa.select(ConstructRating).where(
        ConstructRating.project_id == project.id, ConstructRating.code_id == code.id,
        ConstructRating.clinic_id == clinic.id).order_by(ConstructRating.rater_id)).scalars())


def consensus_for(project: QualProject, code: Code, clinic: Clinic) -> ConsensusRating | None:
    return db.session.execute(sa.select(ConsensusRating).where(
        ConsensusRating.project_id == project.id, ConsensusRating.code_id == code.id,
        ConsensusRating.clinic_id == clinic.id)).scalar_one_or_none()


def _store(row, saver, model, evidence_model, value, rationale, evidence_ids, **keys):
    """Write ``row`` (created from ``keys`` if None): its evidence becomes ``evidence_ids`` plus the links to codings
    hidden from ``saver``, which the saver's form could not offer. "Not discussed" deletes the row with its links,
    so it is refused while some of those links are hidden from the saver (they would go unseen)."""
    if value is None:  # not discussed: no rating at all
        if row is not None:
            hidden = hidden_evidence_ids(keys["project_id"], row, saver)
            if hidden:
                raise AnalysisInputError(
                    f"This rating cites {len(hidden)} coding{'s' if len(hidden) != 1 else ''} hidden from you while "
                    "the blind sample runs, so it cannot be cleared now; change its value instead, or clear it "
                    "once the sample is revealed.", "value")
            db.session.delete(row)
        db.session.commit()
        return None
    keep = set(evidence_ids) | hidden_evidence_ids(keys["project_id"], row, saver)
    if row is None:
        row = model(**keys)
        db.session.add(row)
    row.rating, row.mixed = value
    row.rationale = (rationale or "").strip() or None
    current = {e.coding_id: e for e in row.evidence}
    for coding_id, link in current.items():
        if coding_id not in keep:
            row.evidence.remove(link)
    for coding_id in evidence_ids:
        if coding_id not in current:
            row.evidence.append(evidence_model(coding_id=coding_id))
    db.session.commit()
    return row


def save_rating(project: QualProject, code: Code, clinic: Clinic, rater, raw_value: str, rationale: str | None,
                evidence_ids: list[int]) -> ConstructRating | None:
    """Validate, then store the rater's rating (or delete it for "not discussed") in one transaction.
    ``evidence_ids`` replace the evidence the rater may see; links to codings hidden from them are kept."""
    value = parse_value(raw_value)
    ids = _evidence(project, code, clinic, rater, evidence_ids) if value is not None else []
    return _store(my_rating(project, code, clinic, rater.id), rater, ConstructRating, ConstructRatingEvidence, value,
                  rationale, ids, project_id=project.id, code_id=code.id, clinic_id=clinic.id, rater_id=rater.id)


def save_consensus(project: QualProject, code: Code, clinic: Clinic, manager, raw_value: str,
                   rationale: str | None, evidence_ids: list[int]) -> ConsensusRating | None:
    """As ``save_rating`` for the cell's one consensus (any manager may change it); it needs a rationale."""
    value = parse_value(raw_value)
    if value is not None and not (rationale or "").strip():
        raise AnalysisInputError("A consensus rating needs a rationale.", "rationale")
    ids = _evidence(project, code, clinic, manager, evidence_ids) if value is not None else []
    row = consensus_for(project, code, clinic)
    if row is not None and value is not None:
        row.decided_by_id = manager.id
    return _store(row, manager, ConsensusRating, ConsensusRatingEvidence, value, rationale, ids, project_id=project.id,
                  code_id=code.id, clinic_id=clinic.id, decided_by_id=manager.id)


def rating_agreement(project: QualProject, rater_ids: list[int] | None = None) -> dict:
    """Quadratic-weighted kappa per pair of raters (cells both rated on the scale) and ordinal Krippendorff's
    alpha over all chosen raters (mixed and missing = no value), across constructs x clinics."""
    everyone = raters(project.id)
    chosen = [u for u in everyone if rater_ids is None or u.id in set(rater_ids)]
    cells: dict[tuple[int, int], dict[int, int | str]] = defaultdict(dict)
    for r in db.session.execute(sa.select(ConstructRating).where(
            ConstructRating.project_id == project.id,
            ConstructRating.rater_id.in_([u.id for u in chosen]))).scalars():
        cells[(r.code_id, r.clinic_id)][r.rater_id] = value_of(r)
    keys = sorted(cells)
    pairs = []
    for a, b in combinations(chosen, 2):
        both = [k for k in keys if isinstance(cells[k].get(a.id), int) and isinstance(cells[k].get(b.id), int)]
        xs, ys = [cells[k][a.id] for k in both], [cells[k][b.id] for k in both]
        kappa = quadratic_weighted_kappa(xs, ys) if both else None
        interval = weighted_kappa_bootstrap_ci(xs, ys) if kappa is not None else {"ci_low": None, "ci_high": None}
        warning = (f"from {len(both)} cells only: read the 95% CI, not the band" if both and len(both) < FEW_CELLS
                   else None)
        pairs.append({"a": a, "b": b, "n": len(both), "kappa": kappa, "band": landis_koch_band(kappa),
                      "ci_low": interval["ci_low"], "ci_high": interval["ci_high"], "warning": warning})
    alpha = None
    if len(chosen) >= 2 and keys:
        data = [[v if isinstance(v := cells[k].get(u.id), int) else None for k in keys] for u in chosen]
        alpha = krippendorff_alpha(data, level="ordinal")
    return {"raters": everyone, "chosen": chosen, "pairs": pairs, "alpha": alpha,
            "alpha_band": krippendorff_band(alpha), "cells": len(keys)}


def groups(project: QualProject) -> dict[int, str]:
    return dict(db.session.execute(sa.select(ClinicGroup.clinic_id, ClinicGroup.implementation)
                                   .where(ClinicGroup.project_id == project.id)).all())


def set_groups(project: QualProject, mapping: dict[int, str | None]) -> None:
    """Set each clinic's group ("high", "low" or None = ungrouped) in one transaction."""
    allowed = {c.id for c in project_clinics(project.id)}
    for clinic_id, group in mapping.items():
        if clinic_id not in allowed:
            raise AnalysisInputError(f"Clinic {clinic_id} has no documents in this project.", "groups")
        if group not in (None, "high", "low"):
            raise AnalysisInputError(f"Group {group!r} must be high, low or empty.", "groups")
    existing = {g.clinic_id: g for g in db.session.execute(
        sa.select(ClinicGroup).where(ClinicGroup.project_id == project.id)).scalars()}
    for clinic_id, group in mapping.items():
        row = existing.get(clinic_id)
        if group is None and row is not None:
            db.session.delete(row)
        elif group is not None and row is None:
            db.session.add(ClinicGroup(project_id=project.id, clinic_id=clinic_id, implementation=group))
        elif group is not None:
            row.implementation = group
    db.session.commit()


def distinguishing(project: QualProject) -> list[dict]:
    """Each construct's distinction between the high and low groups, from the consensus ratings."""
    grouping = groups(project)
    consensus: dict[int, dict[int, int | str]] = defaultdict(dict)
    for r in db.session.execute(sa.select(ConsensusRating).where(ConsensusRating.project_id == project.id)).scalars():
        consensus[r.code_id][r.clinic_id] = value_of(r)
    tree = code_tree(project.id)
    return [{"code": code, "path": tree.paths[code.id], "result": distinguishes(consensus.get(code.id, {}), grouping)}
            for code in constructs(project.id)]


def construct_ratings_for_clinic(project_id: int, clinic_id: int, viewer) -> list[dict]:
    """Consensus ratings of one clinic with their exemplar quotes, in codebook order (for joint displays).

    Each item: code_id, key, name, path, rating (int or None), mixed, label ("+2".."X"), rationale, and
    exemplars: [{coding_id, document_id, document, speaker, quote}] (the codings linked as evidence that ``viewer``
    may see: the blind rule leaves out another coder's coding on a document the viewer codes blind; the speaker
    rule, ``qualitative.autocode.interviewee_turn``, leaves out a coding inside an interviewer's or moderator's
    turn, so a question is never shown as what a clinic said). The caller
    decides whether the viewer may open the project at all (``qualitative.access.project_for``).
    """
    rows = db.session.execute(sa.select(ConsensusRating).where(
        ConsensusRating.project_id == project_id, ConsensusRating.clinic_id == clinic_id)).scalars().all()
    if not rows:
        return []
    tree = code_tree(project_id)
    order = {c.id: i for i, c in enumerate(tree.ordered())}
    links = db.session.execute(
        sa.select(ConsensusRatingEvidence.rating_id, Coding, Document)
        .join(Coding, Coding.id == ConsensusRatingEvidence.coding_id)
        .join(Document, Document.id == Coding.document_id)
        .where(ConsensusRatingEvidence.rating_id.in_([r.id for r in rows]),
               visible_codings_clause(viewer, project_id))
        .order_by(Document.name, Coding.start)
    ).all()
    turns = turns_by_document({doc.id for _r, _c, doc in links})
    exemplars: dict[int, list[dict]] = defaultdict(list)
    for rating_id, coding, doc in links:
        turn = turn_at(turns[doc.id], coding.start)
        if turn is not None and not interviewee_turn(turn.speaker, turn.participant_id):
            continue
        exemplars[rating_id].append({"coding_id": coding.id, "document_id": doc.id, "document": doc.name,
                                     "speaker": turn.speaker if turn else None,
                                     "quote": doc.text[coding.start:coding.end]})
    out = []
    for r in sorted(rows, key=lambda r: order.get(r.code_id, 0)):
        code = tree.codes[r.code_id]
        out.append({"code_id": code.id, "key": code.key, "name": code.name, "path": tree.paths[code.id],
                    "rating": r.rating, "mixed": r.mixed, "label": r.label, "rationale": r.rationale,
                    "exemplars": exemplars.get(r.id, [])})
    return out


def matrix_table(data: dict) -> tuple[list[str], list[list]]:
    """The consensus matrix as a table: one row per construct, one column per clinic (+ group row)."""
    headers = ["construct", *[c.code for c in data["clinics"]]]
    rows = [["(implementation group)", *[data["groups"].get(c.id, "") for c in data["clinics"]]]]
    for code in data["constructs"]:
        rows.append([data["paths"][code.id], *[
            (data["consensus"][(code.id, c.id)].label if (code.id, c.id) in data["consensus"] else "")
            for c in data["clinics"]]])
    return headers, rows


def rater_table(data: dict) -> tuple[list[str], list[list]]:
    headers = ["construct", "clinic", "rater", "rating", "rationale", "evidence codings"]
    rows = []
    for code in data["constructs"]:
        for clinic in data["clinics"]:
            for r in data["ratings"].get((code.id, clinic.id), []):
                rows.append([data["paths"][code.id], clinic.code, r.rater.name, r.label, r.rationale or "",
                             "; ".join(str(i) for i in data["evidence"].get(r.id, []))])
    return headers, rows
