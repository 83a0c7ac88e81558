"""Demo data: counselor steps, activity completions, strategy uses and adaptations for the four trial clinics.

Deterministic (fixed dates, ``random.Random(2026)``). The story: the SPR clinics move fast (SPR-1: all four
counselors delivering; both complete pre-implementation fully within weeks); HFR-1 is slower; HFR-2 is slowest, two
counselors stalled at their training case and readiness planning left incomplete.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from app.db import db
from app.demo import DemoContext
from implementation_outcomes.adoption import COUNSELOR_STEPS
from implementation_outcomes.implementation.demo_content import ADAPTATIONS, STRATEGIES
from implementation_outcomes.implementation.models import (
    ActivityCompletion,
    Adaptation,
    AdoptionStep,
    StrategyUse,
)
from implementation_outcomes.implementation.services.activities import catalogue
from implementation_outcomes.implementation.services.adoption import READINESS_SOURCE

#: days from the previous step, at pace 1 (weekly training-case sessions, ~20 consultation calls)
STEP_GAPS = {"eligible": 14, "consented": 10, "didactic_complete": 21, "training_case_started": 30,
             "training_case_8_sessions": 63, "consultation_70pct": 42, "rostered": 7, "delivering": 14}
#: per clinic: first invitation, pace multiplier, furthest step reached (number of steps) per counselor
COUNSELOR_PLAN = {
    "SPR-1": (date(2025, 10, 6), 1.0, (9, 9, 9, 9)),
    "SPR-2": (date(2025, 10, 13), 1.15, (9, 9, 9, 8)),
    "HFR-1": (date(2025, 10, 27), 1.35, (9, 9, 7, 2)),
    "HFR-2": (date(2025, 11, 10), 1.6, (9, 5, 5, 1)),
}
#: per clinic: first outreach, days between activities, activities not (yet) completed
ACTIVITY_PLAN = {
    "SPR-1": (date(2025, 9, 8), 4, {"exit_interview", "sustainment_plan"}),
    "SPR-2": (date(2025, 9, 15), 5, {"first_full_course_completed", "adequate_fidelity_reached", "exit_interview",
                                      "sustainment_plan"}),
    "HFR-1": (date(2025, 9, 22), 9, {"consultation_series_completed", "first_full_course_completed",
                                      "counselor_meets_training_requirements", "adequate_fidelity_reached",
                                      "exit_interview", "sustainment_plan"}),
    "HFR-2": (date(2025, 10, 6), 14, {"funding_sustainment_plan_reviewed", "referral_pathway_planned",
                                       "recording_and_storage_plan", "supervision_groups_formed", "audio_sharing_tested",
                                       "double_coding_plan", "fidelity_feedback_given", "training_case_completed",
                                       "consultation_series_completed", "first_full_course_completed",
                                       "counselor_meets_training_requirements", "adequate_fidelity_reached",
                                       "exit_interview", "sustainment_plan"}),
}
#: implementation stages start from the clinic's counselor milestones (earliest counselor reaching the step)
STAGE_ANCHORS = {4: ("consented", 0), 5: ("didactic_complete", 0), 6: ("training_case_started", -7),
                 7: ("training_case_started", 21), 8: ("consultation_70pct", 0)}


def seed_demo(ctx: DemoContext) -> None:
    rng = random.Random(2026)
    director = ctx.users["director@mio.example"]
    milestones = {code: _seed_counselor_steps(ctx, code, rng, director.id) for code in COUNSELOR_PLAN}
    for code in ACTIVITY_PLAN:
        _seed_activities(ctx, code, milestones[code], rng, director.id)
    for item in STRATEGIES:
        agency_id, clinic_id = _place(ctx, item["where"])
        fields = {k: v for k, v in item.items() if k != "where"}
        db.session.add(StrategyUse(agency_id=agency_id, clinic_id=clinic_id, recorded_by_id=director.id, **fields))
    for item in ADAPTATIONS:
        agency_id, clinic_id = _place(ctx, item["where"])
        db.session.add(Adaptation(agency_id=agency_id, clinic_id=clinic_id, occurred_on=item["occurred_on"],
                                  description=item["description"], frame=item["frame"], recorded_by_id=director.id))
    db.session.flush()


def _place(ctx: DemoContext, where: str) -> tuple[int, int | None]:
    if where in ctx.clinics:
        return ctx.clinics[where].agency_id, ctx.clinics[where].id
    return ctx.agencies[where].id, None


def _seed_counselor_steps(ctx: DemoContext, code: str, rng: random.Random, user_id: int) -> dict[str, date]:
    """Dated steps for the clinic's counselors; returns the earliest date each step was reached at the clinic."""
    invited, pace, furthest = COUNSELOR_PLAN[code]
    earliest: dict[str, date] = {}
    for person, reached in zip(ctx.counselors[code], furthest, strict=True):
        when = invited + timedelta(days=rng.randint(0, 3))
        for step in COUNSELOR_STEPS[:reached]:
            if step != "invited":
                when += timedelta(days=round(STEP_GAPS[step] * pace) + rng.randint(0, 4))
            source = READINESS_SOURCE if step == "eligible" else None
            db.session.add(AdoptionStep(person_id=person.id, step=step, reached_on=when, source=source,
                                        recorded_by_id=user_id))
            earliest[step] = min(earliest.get(step, when), when)
    return earliest


def _seed_activities(ctx: DemoContext, code: str, milestones: dict[str, date], rng: random.Random,
                     user_id: int) -> None:
    start, gap, missing = ACTIVITY_PLAN[code]
    clinic = ctx.clinics[code]
    when = start
    for stage in catalogue()["stages"]:
        anchor = STAGE_ANCHORS.get(stage["number"])
        if anchor is not None:
            step, offset = anchor
            if step not in milestones:
                continue
            when = max(when, milestones[step] + timedelta(days=offset))
        for activity in stage["activities"]:
            if activity["key"] in missing:
                continue
            db.session.add(ActivityCompletion(clinic_id=clinic.id, activity_key=activity["key"], completed_on=when,
                                              recorded_by_id=user_id))
            when += timedelta(days=gap + rng.randint(0, 2))
