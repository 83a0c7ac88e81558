"""Demo data for the analysis pages, built on the workspace's demo project (its seeder must run first; without that
project this does nothing): auto-coding suggestions with some decided, a blind sample of three documents, CFIR
ratings by the two analysts for ten constructs x four clinics with consensus, and a high/low grouping (SPR-1,
SPR-2 high; HFR-1, HFR-2 low) under which some constructs distinguish the groups. Deterministic (seeded)."""

from __future__ import annotations

import random

import sqlalchemy as sa

from app.db import db
from app.demo import DemoContext
from app.models import User
from qualitative.analysis.models import BlindSample, ConsensusRating, Suggestion, SuggestionStatus
from qualitative.analysis.services import blind, ratings, suggestions
from qualitative.analysis.services.common import coders
from qualitative.models import Privilege, ProjectMember, QualProject

DEMO_PROJECT = "MIO implementation interviews 2026"
GROUPS = {"SPR-1": "high", "SPR-2": "high", "HFR-1": "low", "HFR-2": "low"}
CLINIC_ORDER = ("SPR-1", "SPR-2", "HFR-1", "HFR-2")
#: consensus pattern per construct over CLINIC_ORDER ("X" mixed, None not discussed)
PATTERNS: dict[str, tuple] = {
    "I.C": (2, 1, -1, -1),  # strongly distinguishing
    "I.F": (-1, -1, -1, -2),
    "III.D": (1, 2, 0, 0),  # weakly
    "III.E": (2, 2, -1, 0),  # strongly
    "III.F": (1, 1, 0, -1),  # weakly
    "III.G": (1, "X", -2, -1),  # strongly (the mixed rating is left out)
    "III.J": (0, -1, -2, -2),  # weakly
    "III.K": (1, 0, 1, 0),
    "IV.ROLE.B": (2, 1, -1, None),  # strongly, HFR-2 did not discuss it
    "IV.CHAR.B": (1, 1, 1, 0),
}
RATIONALES = {2: "Several interviewees gave concrete examples of a strong positive influence.",
              1: "General positive statements without concrete examples.",
              0: "Descriptive or balanced comments; neutral influence.",
              -1: "General statements of a negative influence.",
              -2: "Concrete examples from two or more interviewees of a strong negative influence.",
              "X": "Positive and negative accounts that do not balance into one direction (mixed)."}


def _fmt(value) -> str:
    return "" if value is None else str(value)


def seed_analysis(ctx: DemoContext) -> None:
    project = db.session.execute(sa.select(QualProject).where(QualProject.name == DEMO_PROJECT)).scalar_one_or_none()
    if project is None:
        return
    rng = random.Random(2026)
    analysts = [ctx.users[e] for e in ("analyst@mio.example", "analyst2@mio.example") if e in ctx.users]
    project_coders = coders(project.id)
    raters = analysts or project_coders[:2]
    if len(raters) < 2:
        return
    manager = db.session.execute(
        sa.select(User).join(ProjectMember, ProjectMember.user_id == User.id)
        .where(ProjectMember.project_id == project.id, ProjectMember.privilege == Privilege.MANAGE)
        .order_by(ProjectMember.id)).scalars().first() or raters[0]

    _suggest(project, raters, rng)
    _sample(project, raters, manager)
    _ratings(project, raters, manager, rng)


def _suggest(project: QualProject, raters: list[User], rng: random.Random) -> None:
    suggestions.autocode_project(project.id, raters[0].id)
    if db.session.execute(sa.select(Suggestion.id).where(Suggestion.project_id == project.id,
                                                         Suggestion.status != SuggestionStatus.PENDING)).first():
        return  # decided on an earlier run
    pending = db.session.execute(
        sa.select(Suggestion).where(Suggestion.project_id == project.id,
                                    Suggestion.status == SuggestionStatus.PENDING)
        .order_by(Suggestion.document_id, Suggestion.start, Suggestion.code_id)).scalars().all()
    for row in pending[:40]:
        draw = rng.random()
        if draw < 0.35:
            suggestions.decide(row, raters[0], "accept")
        elif draw < 0.5:
            suggestions.decide(row, raters[1], "reject")


def _sample(project: QualProject, raters: list[User], manager: User) -> None:
    if db.session.execute(sa.select(BlindSample.id).where(BlindSample.project_id == project.id)).first():
        return
    eligible = {u.id for u, _ in blind.members(project.id, Privilege.CODE)}
    coder_ids = [u.id for u in raters if u.id in eligible]
    documents = [d.id for d in project.documents][:3]
    if len(coder_ids) >= 2 and documents:
        blind.create_sample(project, "Double coding round 1", documents, coder_ids,
                            "Three interviews coded independently by both analysts.", manager.id)


def _evidence(project, code, clinic, viewer: User, take: slice) -> list[int]:
    return [s.coding_id for s in ratings.evidence_candidates(project, code, clinic, viewer)][take]


def _ratings(project: QualProject, raters: list[User], manager: User, rng: random.Random) -> None:
    if db.session.execute(sa.select(ConsensusRating.id).where(ConsensusRating.project_id == project.id)).first():
        return
    constructs = ratings.constructs(project.id)
    by_key = {c.key: c for c in constructs}
    chosen = [by_key[k] for k in PATTERNS if k in by_key] or constructs[:10]
    patterns = list(PATTERNS.values())
    clinics_here = {c.code: c for c in ratings.project_clinics(project.id)}
    clinics = [clinics_here[code] for code in CLINIC_ORDER if code in clinics_here]
    for i, code in enumerate(chosen):
        pattern = PATTERNS.get(code.key, patterns[i % len(patterns)])
        for clinic, value in zip(clinics, pattern, strict=False):
            if value is None:
                continue
            second = value
            if value != "X" and rng.random() < 0.3:
                second = max(-2, min(2, value + rng.choice((-1, 1))))
            ratings.save_rating(project, code, clinic, raters[0], _fmt(value), RATIONALES[value],
                                _evidence(project, code, clinic, raters[0], slice(0, 1)))
            ratings.save_rating(project, code, clinic, raters[1], _fmt(second), RATIONALES[second],
                                _evidence(project, code, clinic, raters[1], slice(1, 2)))
            ratings.save_consensus(project, code, clinic, manager, _fmt(value),
                                   "Consensus after discussion: " + RATIONALES[value].lower(),
                                   _evidence(project, code, clinic, manager, slice(0, 2)))
    ratings.set_groups(project, {clinics_here[code].id: group for code, group in GROUPS.items()
                                 if code in clinics_here})
