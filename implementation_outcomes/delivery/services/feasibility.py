"""The clinic's feasibility of MIO delivery as plain data, from the sessions, training cases and calls recorded in
``sessions``; every figure comes from ``implementation_outcomes.feasibility``."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.models import Clinic
from implementation_outcomes._values import proportion
from implementation_outcomes.delivery.models import MODALITIES, SESSION_STATUSES
from implementation_outcomes.delivery.services.common import clinic_or_404, counselors, settings
from implementation_outcomes.delivery.services.screening import mio_mothers
from implementation_outcomes.delivery.services.sessions import (
    MioSessionRow,
    consultation_calls,
    mio_session_rows,
    pure_session_row,
    session_values,
    training_sessions,
)
from implementation_outcomes.metrics import (
    consultation_attendance,
    days_to_first_session,
    feasibility_summary,
    training_case_progress,
)
from implementation_outcomes.survival import first_attended, time_to_first_session


def readiness_fim_scores(clinic_id: int, user=None) -> dict[str, Any] | None:
    """FIM (Feasibility of Intervention Measure, Weiner et al. 2017) of the clinic's staff from the readiness survey
    wave that feeds its readiness profile: ``{"n", "mean", "sd", "rwg_j", "suppressed", "suppression", "label"}``;
    the mean is withheld below 3 respondents, or where the complementary rule of ``app.disclosure`` withholds it
    (``suppression`` "primary" / "complementary"). None when the clinic's staff were not surveyed with FIM."""
    from readiness.surveys.profile_service import clinic_instrument_scores

    clinic = clinic_or_404(clinic_id, user)
    rows = clinic_instrument_scores(clinic.code, "fim", user)
    if not rows:
        return None
    row = rows[0]
    return {"n": row.get("n"), "mean": row.get("mean"), "sd": row.get("sd"), "rwg_j": row.get("rwg_j"),
            "suppressed": bool(row.get("suppressed")), "suppression": row.get("suppression"),
            "label": row.get("label"), "n_responses": row.get("n_responses"), "n_rwg": row.get("n_rwg"),
            "rwg_null": row.get("rwg_null"), "scoring_rule": row.get("scoring_rule")}


def clinic_feasibility(clinic_id: int, user=None, date_from: date | None = None, date_to: date | None = None,
                       today: date | None = None, *, core_only: bool = False) -> dict[str, Any]:
    """Feasibility of MIO delivery in one clinic as plain data (page and director's overview).

    ``summary`` is ``feasibility.feasibility_summary`` over mothers randomized to MIO + TAU and their sessions with
    the deployment's completion threshold (default 8 of 12); ``mothers`` one row per mother (dose, days to first
    session); ``consultation`` ``feasibility.consultation_attendance`` per counselor (>= 70 % requirement);
    ``training_cases`` attended sessions per counselor and case (>= 8 with at least one case);
    ``time_to_first_session``: ``survival.time_to_first_session``, Kaplan-Meier over every MIO + TAU mother with
    those not yet started censored at the cut-off (the period's end, else ``today``); ``fim`` from
    ``readiness_fim_scores`` (None until the readiness surveys provide it). With a period (``date_from`` /
    ``date_to``, either optional): mothers screened in it and sessions (trial and training) dated in it.
    ``core_only`` leaves out ``training_cases`` and ``fim`` (the joint display and determinants do not show them;
    FIM alone rebuilt the readiness profiles of every clinic once per clinic).
    """
    clinic = clinic_or_404(clinic_id, user)
    threshold = settings().completion_threshold
    mothers = mio_mothers(clinic, user, date_from, date_to)
    mother_ids = {m.id for m in mothers}
    # plain rows: the figures read seven columns of each session, not ORM objects
    sessions = [s for s in mio_session_rows(clinic, user, date_from=date_from, date_to=date_to)
                if s.participant_id in mother_ids]
    mother_rows = [{"mother_id": m.study_id, "randomized_on": m.randomized_on, "arm": m.arm} for m in mothers]
    session_rows = [pure_session_row(session_values(s), s.participant.study_id) for s in sessions]
    summary = feasibility_summary(mother_rows, session_rows, completion_threshold=threshold)
    days = days_to_first_session(mother_rows, session_rows)
    as_of = min(date_to, today or date.today()) if date_to else (today or date.today())
    survival = time_to_first_session([m for m in mother_rows if m["randomized_on"] <= as_of],
                                     first_attended(session_rows), as_of)
    by_mother: dict[str, list[MioSessionRow]] = {}
    for s in sessions:
        by_mother.setdefault(s.participant.study_id, []).append(s)
    per_mother = []
    for m in mothers:
        own = by_mother.get(m.study_id, [])
        attended = [s for s in own if s.attended]
        per_mother.append({
            "study_id": m.study_id,
            "counselor": m.counselor.display_name if m.counselor else "",
            "randomized_on": m.randomized_on,
            "first_session": min((s.session_date for s in attended), default=None),
            "days_to_first_session": days[m.study_id],
            "dose": summary["dose"][m.study_id],
            "no_shows": sum(s.status == "no_show" for s in own),
            "cancelled": sum(s.status == "cancelled" for s in own),
            "recorded": sum(s.recorded for s in own),
            "completed": summary["dose"][m.study_id] >= threshold,
        })
    status_counts = {key: sum(s.status == key for s in sessions) for key in SESSION_STATUSES}
    attended = [s for s in sessions if s.attended]
    modality = {key: {"sessions": sum(s.modality == key for s in attended),
                      "share": proportion(sum(s.modality == key for s in attended), len(attended))}
                for key in MODALITIES}
    people = {str(c.id): c.display_name for c in counselors(clinic, user)}
    calls = consultation_calls(clinic, user)
    consultation = consultation_attendance([{"counselor_id": c.counselor_id, "attended": c.attended} for c in calls])
    return {
        "clinic": {"id": clinic.id, "code": clinic.code, "name": clinic.name},
        "completion_threshold": threshold,
        "summary": {k: v for k, v in summary.items() if k != "dose"},
        "time_to_first_session": survival,
        "mothers": per_mother,
        "session_status": status_counts,
        "modality": modality,
        "consultation": [{"counselor_id": int(cid), "counselor": people.get(cid, cid), **row}
                         for cid, row in consultation.items()],
        **({} if core_only else {
            "training_cases": _training_case_progress(clinic, user, people, date_from, date_to),
            "fim": readiness_fim_scores(clinic.id, user),
        }),
    }


def _training_case_progress(clinic: Clinic, user, people: dict[str, str], date_from: date | None = None,
                            date_to: date | None = None) -> list[dict[str, Any]]:
    rows = [{"counselor_id": s.counselor_id, "training_case": s.training_case, "session_number": s.session_number,
             "attended": s.attended, "recorded": s.recorded}
            for s in training_sessions(clinic, user, date_from, date_to)]
    progress = training_case_progress(rows)
    return sorted(({"counselor_id": int(cid), "counselor": people.get(cid, cid), **row} for cid, row in progress.items()),
                  key=lambda r: r["counselor"])
