"""Database work of the effectiveness pages: the schedule per clinic, assessments (completed with scores, or
missed with a reason), withdrawals, unblinding, double-coding reliability and the study's windows.

Every query of mothers' data goes through ``scoped`` / ``get_scoped_or_404``; every row leaving this module for a
user passes ``blinding.blind_row`` (the one blinding rule). One commit at the edge of each write.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_login import current_user

from app.db import db
from app.forms import FormRefused
from app.models import Clinic, Role
from app.security import scoped
from implementation_outcomes.delivery.models import ARM_LABELS, TrialParticipant
from implementation_outcomes.delivery.screening_log import free_text_problem
from implementation_outcomes.effectiveness import blinding, measures, schedule
from implementation_outcomes.effectiveness.models import (
    DATA_USE,
    MISSED_REASONS,
    AssessmentVisit,
    OutcomeScore,
    ScheduleSettings,
    Unblinding,
    Withdrawal,
)
from implementation_outcomes.icc import icc

#: who may open the schedule and the mothers' assessment pages
SCHEDULE_ROLES = (Role.TRIAL_STAFF, Role.DIRECTOR, Role.OUTCOME_ASSESSOR)
#: who records withdrawals (unblinded trial staff and the director)
WITHDRAWAL_ROLES = (Role.TRIAL_STAFF, Role.DIRECTOR)
#: screening statuses that have a schedule: consented mothers have a baseline, randomized ones all time points
SCHEDULED_STATUSES = ("consented", "randomized", "started")
#: double-coded measures: each mother's visit is coded by different coder pairs, so the one-way form is honest
#: (implementation_outcomes.icc docstring; Shrout & Fleiss 1979 case 1)
RELIABILITY_FORM = "ICC(1,1)"


class EffectivenessError(FormRefused):
    """A write refused by a rule; ``errors`` maps a field name (or "") to a message."""


def user_role(user=None) -> str | None:
    user = current_user if user is None else user
    return getattr(user, "role", None)


def is_blinded(user=None) -> bool:
    return blinding.is_blinded(user_role(user))


def may_enter(measure: Mapping[str, Any], user=None) -> bool:
    role = user_role(user)
    return role == Role.ADMIN or role in measure["enter_roles"]


# --- windows ----------------------------------------------------------------------------------------------------


def settings_row() -> ScheduleSettings | None:
    return db.session.execute(sa.select(ScheduleSettings).order_by(ScheduleSettings.id)).scalars().first()


def time_points() -> list[dict[str, Any]]:
    """The time points with this study's windows (``schedule.merge_windows``)."""
    row = settings_row()
    return schedule.merge_windows(measures.time_points(), row.windows if row else None)


def save_windows(windows: Mapping[str, Mapping[str, int]]) -> None:
    errors = {}
    for tp in measures.time_points():
        for name in schedule.WINDOW_FIELDS:
            value = windows.get(tp["key"], {}).get(name)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 730:
                errors[f"{tp['key']}__{name}"] = "a whole number of days, 0 to 730"
    if errors:
        raise EffectivenessError(errors)
    row = settings_row() or ScheduleSettings(windows={})
    row.windows = {k: dict(v) for k, v in windows.items()}
    db.session.add(row)
    db.session.commit()


# --- the schedule -----------------------------------------------------------------------------------------------


def scheduled_participants(clinic_ids: list[int] | None = None, user=None) -> list[TrialParticipant]:
    stmt = (sa.select(TrialParticipant).where(TrialParticipant.status.in_(SCHEDULED_STATUSES))
            .order_by(TrialParticipant.clinic_id, TrialParticipant.study_id))
    if clinic_ids is not None:
        stmt = stmt.where(TrialParticipant.clinic_id.in_(clinic_ids))
    return list(db.session.execute(scoped(stmt, TrialParticipant, user)).scalars())


def _recorded(participant_ids: list[int]) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    if not participant_ids:
        return out
    rows = db.session.execute(sa.select(AssessmentVisit.participant_id, AssessmentVisit.time_point,
                                        AssessmentVisit.status)
                              .where(AssessmentVisit.participant_id.in_(participant_ids)))
    for pid, tp, status in rows:
        out.setdefault(pid, {})[tp] = status
    return out


def withdrawals_by_participant(participant_ids: list[int]) -> dict[int, Withdrawal]:
    if not participant_ids:
        return {}
    rows = db.session.execute(sa.select(Withdrawal).where(Withdrawal.participant_id.in_(participant_ids))).scalars()
    return {w.participant_id: w for w in rows}


def unblinded_ids(user=None) -> set[int]:
    user = current_user if user is None else user
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(db.session.execute(sa.select(Unblinding.participant_id).where(Unblinding.user_id == user.id))
               .scalars())


def schedule_rows(clinic: Clinic, today: date, user=None) -> list[dict[str, Any]]:
    """One row per scheduled mother of ``clinic``: study ID, dates, her schedule and (unless blinded) her arm."""
    participants = scheduled_participants([clinic.id], user)
    return schedule_rows_for(participants, today, user)


def schedule_rows_for(participants: list[TrialParticipant], today: date, user=None) -> list[dict[str, Any]]:
    ids = [p.id for p in participants]
    recorded, withdrawals = _recorded(ids), withdrawals_by_participant(ids)
    tps = time_points()
    blinded, opened = is_blinded(user), unblinded_ids(user)
    rows = []
    for p in participants:
        w = withdrawals.get(p.id)
        entries = schedule.mother_schedule(tps, consented_on=p.consented_on, screened_on=p.screened_on,
                                           randomized_on=p.randomized_on, today=today,
                                           recorded=recorded.get(p.id), withdrawn_on=w.withdrawn_on if w else None)
        row = {"participant_id": p.id, "study_id": p.study_id, "clinic_id": p.clinic_id,
               "randomized_on": p.randomized_on, "withdrawn_on": w.withdrawn_on if w else None,
               "schedule": entries, "arm": p.arm, "arm_label": ARM_LABELS.get(p.arm or "", "")}
        rows.append(blinding.blind_row(row, blinded, p.id in opened))
    return rows


def clinic_summaries(clinics: list[Clinic], today: date, user=None) -> list[dict[str, Any]]:
    """Per clinic: counts of due / overdue / window closed (missed, reason to record) per time point."""
    participants = scheduled_participants([c.id for c in clinics], user)
    by_clinic: dict[int, list] = {c.id: [] for c in clinics}
    for row in schedule_rows_for(participants, today, user):
        by_clinic[row["clinic_id"]].append(row["schedule"])
    keys = [tp["key"] for tp in time_points()]
    return [{"clinic": c, "mothers": len(by_clinic[c.id]), "counts": schedule.status_counts(by_clinic[c.id], keys)}
            for c in clinics]


# --- one mother -------------------------------------------------------------------------------------------------


def visits(participant: TrialParticipant) -> dict[str, AssessmentVisit]:
    rows = db.session.execute(sa.select(AssessmentVisit).where(AssessmentVisit.participant_id == participant.id)
                              .options(sa.orm.selectinload(AssessmentVisit.scores))).scalars()
    return {v.time_point: v for v in rows}


def withdrawal_of(participant: TrialParticipant) -> Withdrawal | None:
    return db.session.execute(sa.select(Withdrawal).where(Withdrawal.participant_id == participant.id)
                              ).scalar_one_or_none()


def mother_view(participant: TrialParticipant, today: date, user=None) -> dict[str, Any]:
    """Everything the mother's page shows, blinded for outcome assessors unless unblinded to this user."""
    row = schedule_rows_for([participant], today, user)[0]
    by_tp = visits(participant)
    blinded = is_blinded(user)
    row["visits"] = by_tp
    row["blinded"] = blinded and "arm" not in row
    row["withdrawal"] = withdrawal_of(participant)
    return row


def _check_time_point(participant: TrialParticipant, time_point: str) -> dict[str, Any]:
    tp = next((t for t in time_points() if t["key"] == time_point), None)
    if tp is None:
        raise EffectivenessError({"time_point": f"{time_point!r} is not a time point "
                                                f"({', '.join(t['key'] for t in time_points())})"})
    if tp["anchor"] == "randomized_on" and participant.randomized_on is None:
        raise EffectivenessError({"time_point": f"{participant.study_id} is not randomized yet: only the baseline "
                                                "can be assessed"})
    return tp


def _check_date(participant: TrialParticipant, tp: Mapping[str, Any], assessed_on: date | None, today: date,
                withdrawal: Withdrawal | None) -> dict[str, str]:
    if assessed_on is None:
        return {"assessed_on": "required: the date the assessment took place"}
    if assessed_on > today:
        return {"assessed_on": f"{assessed_on.isoformat()} is in the future"}
    if tp.get("before_randomization") and participant.randomized_on and assessed_on > participant.randomized_on:
        return {"assessed_on": f"a baseline precedes randomization ({participant.randomized_on.isoformat()})"}
    if not tp.get("before_randomization") and participant.randomized_on and assessed_on < participant.randomized_on:
        return {"assessed_on": f"{tp['label']} cannot precede randomization ({participant.randomized_on.isoformat()})"}
    if withdrawal is not None and assessed_on > withdrawal.withdrawn_on:
        return {"assessed_on": f"{participant.study_id} withdrew on {withdrawal.withdrawn_on.isoformat()}"}
    return {}


def save_scores(participant: TrialParticipant, time_point: str, measure_key: str, raw: Mapping[str, Any],
                assessed_on: date | None, *, slot: str = "primary", today: date | None = None, user=None,
                source: str = "form", commit: bool = True) -> OutcomeScore:
    """Record one measure's values at a visit (creating the visit as completed). Refuses: a time point the measure
    does not have, a role the measure does not admit, a date outside the trial's order (baseline after
    randomization, later points before it, after a withdrawal, in the future), any value out of range
    (``measures.parse_values``), a second coding of a measure that is not coded."""
    user = current_user if user is None else user
    today = today or date.today()
    try:
        m = measures.measure(measure_key)
    except KeyError:
        raise EffectivenessError({"measure": f"{measure_key!r} is not a measure"}) from None
    if not may_enter(m, user):
        raise EffectivenessError({"": f"{m['label']} is entered by "
                                      f"{', '.join(Role.LABELS[r] for r in m['enter_roles'])} only"})
    if slot not in OutcomeScore.SLOTS or (slot == "second" and m["kind"] != "coded"):
        raise EffectivenessError({"coder_slot": f"{m['label']} is not double coded: primary only"})
    tp = _check_time_point(participant, time_point)
    if time_point not in m["time_points"]:
        raise EffectivenessError({"time_point": f"{m['label']} is not assessed at {tp['label']}"})
    errors = _check_date(participant, tp, assessed_on, today, withdrawal_of(participant))
    try:
        values = measures.parse_values(m, raw)
    except measures.MeasureValueError as exc:
        errors.update(exc.fields)
    if errors:
        raise EffectivenessError(errors)
    visit = visits(participant).get(time_point)
    if visit is None:
        visit = AssessmentVisit(clinic_id=participant.clinic_id, participant=participant, time_point=time_point,
                                status="completed", assessed_on=assessed_on, recorded_by_id=user.id)
        db.session.add(visit)
    elif visit.status == "missed":
        visit.status, visit.missed_reason, visit.note = "completed", None, None
        visit.assessed_on = assessed_on
    elif slot == "primary":
        visit.assessed_on = assessed_on
    score = next((s for s in visit.scores if s.measure == measure_key and s.coder_slot == slot), None)
    if score is None:
        score = OutcomeScore(clinic_id=participant.clinic_id, measure=measure_key, coder_slot=slot, values=values)
        visit.scores.append(score)
    score.values = values
    score.definitions_version = measures.load_definitions()["version"]
    score.entered_by_id = user.id
    score.entered_unblinded = is_blinded(user) and participant.id in unblinded_ids(user)
    score.source = source
    if commit:
        db.session.commit()
    return score


def record_missed(participant: TrialParticipant, time_point: str, reason: str, note: str | None, user=None
                  ) -> AssessmentVisit:
    """Record why a time point was missed (refused when scores were already entered for it)."""
    user = current_user if user is None else user
    tp = _check_time_point(participant, time_point)
    if reason not in MISSED_REASONS:
        raise EffectivenessError({"missed_reason": f"choose one of: {', '.join(MISSED_REASONS.values())}"})
    if reason == "other" and not (note or "").strip():
        raise EffectivenessError({"note": "say what happened when the reason is “Other”"})
    if problem := free_text_problem(note):
        raise EffectivenessError({"note": problem})
    visit = visits(participant).get(time_point)
    if visit is not None and visit.scores:
        raise EffectivenessError({"": f"{tp['label']} of {participant.study_id} already has scores: it was not missed"})
    if visit is None:
        visit = AssessmentVisit(clinic_id=participant.clinic_id, participant=participant, time_point=time_point)
        db.session.add(visit)
    visit.status, visit.assessed_on, visit.missed_reason = "missed", None, reason
    visit.note, visit.recorded_by_id = (note or "").strip() or None, user.id
    db.session.commit()
    return visit


def record_withdrawal(participant: TrialParticipant, withdrawn_on: date | None, data_use: str, reason: str | None,
                      today: date | None = None, user=None) -> Withdrawal:
    user = current_user if user is None else user
    today = today or date.today()
    errors = {}
    if withdrawn_on is None or withdrawn_on > today:
        errors["withdrawn_on"] = "required, and not in the future"
    elif withdrawn_on < (participant.consented_on or participant.screened_on):
        errors["withdrawn_on"] = "cannot precede consent"
    if data_use not in DATA_USE:
        errors["data_use"] = "say whether the data already collected may be used"
    if problem := free_text_problem(reason):
        errors["reason"] = problem
    if errors:
        raise EffectivenessError(errors)
    row = withdrawal_of(participant) or Withdrawal(clinic_id=participant.clinic_id, participant=participant)
    row.withdrawn_on, row.data_use = withdrawn_on, data_use
    row.reason, row.recorded_by_id = (reason or "").strip() or None, user.id
    db.session.add(row)
    db.session.commit()
    return row


def unblind(participant: TrialParticipant, reason: str, user=None) -> Unblinding:
    """An explicit unblinding of one mother to one blinded user, with its reason (audited by ``app.audit``)."""
    user = current_user if user is None else user
    if not is_blinded(user):
        raise EffectivenessError({"": "only a blinded outcome assessor is unblinded"})
    if len((reason or "").strip()) < 10:
        raise EffectivenessError({"reason": "say why unblinding is necessary (at least 10 characters)"})
    if problem := free_text_problem(reason):
        raise EffectivenessError({"reason": problem})
    existing = db.session.execute(sa.select(Unblinding).where(Unblinding.participant_id == participant.id,
                                                              Unblinding.user_id == user.id)).scalar_one_or_none()
    if existing is not None:
        return existing
    row = Unblinding(clinic_id=participant.clinic_id, participant=participant, user_id=user.id,
                     reason=reason.strip())
    db.session.add(row)
    db.session.commit()
    return row


def unblindings(user=None) -> list[Unblinding]:
    stmt = sa.select(Unblinding).order_by(Unblinding.at.desc())
    return list(db.session.execute(scoped(stmt, Unblinding, user)).scalars())


# --- double-coding reliability ---------------------------------------------------------------------------------


def reliability(user=None) -> list[dict[str, Any]]:
    """Per coded measure: the pairs (primary, second) of its reliability field over double-coded visits and
    their ICC(1,1) with 95 % CI and Koo & Li band (``implementation_outcomes.icc``), n = double-coded visits."""
    out = []
    for m in measures.measures():
        if m["kind"] != "coded":
            continue
        field = m["reliability_field"]
        stmt = (sa.select(OutcomeScore.visit_id, OutcomeScore.coder_slot, OutcomeScore.values)
                .where(OutcomeScore.measure == m["key"]))
        by_visit: dict[int, dict[str, Any]] = {}
        for visit_id, slot, values in db.session.execute(scoped(stmt, OutcomeScore, user)):
            by_visit.setdefault(visit_id, {})[slot] = (values or {}).get(field)
        pairs = [[v["primary"], v["second"]] for v in by_visit.values()
                 if v.get("primary") is not None and v.get("second") is not None]
        result = icc(pairs, RELIABILITY_FORM) if len(pairs) >= 2 else None
        out.append({"measure": m, "field": field, "pairs": len(pairs), "coded": len(by_visit), "icc": result})
    return out
