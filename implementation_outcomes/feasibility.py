"""Feasibility of MIO delivery: dose, completion, session length, time to start, recording, consultation.

Inputs are plain rows:
  mother:  ``{mother_id, randomized_on (date/ISO), arm? ("mio_tau"|"tau"), clinic?}``
  session: ``{mother_id, session_number (1..12), date, attended? (default True), duration_minutes?,
             recorded?}``
  call:    ``{counselor_id, attended: bool}`` (one row per consultation call the counselor was expected at)

MIO is 12 weekly individual sessions of 50-60 minutes (program description). Completion threshold
default = 8 attended sessions: the developers' own training standard counts a case with >= 8 sessions as
a meaningful course (">= 8 sessions with at least one training case"), so the same bar is used for
trial mothers; pass another value to change it. Feasibility as an implementation outcome: Proctor et al.
2011, Adm Policy Ment Health 38:65-76.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np

from implementation_outcomes._values import as_date, proportion
from implementation_outcomes.errors import SessionDataError

SESSIONS_IN_PROTOCOL = 12
DEFAULT_COMPLETION_THRESHOLD = 8
DEFAULT_DURATION_WINDOW = (50, 60)  # minutes, inclusive
CONSULTATION_REQUIREMENT = 0.70
TRAINING_CASE_SESSION_TARGET = 8


def validate_sessions(
    mothers: Sequence[Mapping[str, Any]], sessions: Sequence[Mapping[str, Any]]
) -> dict[str, date]:
    """Check every session row; return ``{mother_id: randomization date}``.

    Errors (all collected, each naming row and field): unknown mother, mother in the TAU arm,
    session_number not an integer 1..12, unparseable date, session dated before randomization,
    the same attended session number twice for a mother, negative duration.
    """
    errors: list[str] = []
    randomized: dict[str, date] = {}
    arms: dict[str, Any] = {}
    for i, m in enumerate(mothers):
        mid = str(m.get("mother_id"))
        try:
            randomized[mid] = as_date(m.get("randomized_on"), f"mother row {i} ({mid}), field 'randomized_on'",
                                      SessionDataError)
        except SessionDataError as exc:
            errors.extend(exc.errors)
        arms[mid] = m.get("arm")
    seen: set[tuple[str, int]] = set()
    for i, s in enumerate(sessions):
        where = f"session row {i}"
        mid = str(s.get("mother_id"))
        if mid not in arms:
            errors.append(f"{where}, field 'mother_id': unknown mother {mid!r}")
            continue
        if arms[mid] == "tau":
            errors.append(f"{where}, field 'mother_id': {mid!r} is in the TAU arm and cannot have MIO sessions")
        number = s.get("session_number")
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= SESSIONS_IN_PROTOCOL:
            errors.append(f"{where}, field 'session_number': {number!r} is not an integer 1..{SESSIONS_IN_PROTOCOL}")
        elif s.get("attended", True):
            if (mid, number) in seen:
                errors.append(f"{where}, field 'session_number': session {number} of {mid!r} recorded twice")
            seen.add((mid, number))
        try:
            when = as_date(s.get("date"), f"{where}, field 'date'", SessionDataError)
            if mid in randomized and when < randomized[mid]:
                errors.append(
                    f"{where}, field 'date': {when.isoformat()} is before {mid!r} was randomized "
                    f"({randomized[mid].isoformat()})"
                )
        except SessionDataError as exc:
            errors.extend(exc.errors)
        minutes = s.get("duration_minutes")
        if minutes is not None and (not isinstance(minutes, int | float) or minutes < 0):
            errors.append(f"{where}, field 'duration_minutes': {minutes!r} is not a non-negative number")
    if errors:
        raise SessionDataError(errors)
    return randomized


def session_dose(mothers: Sequence[Mapping[str, Any]], sessions: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Dose per mother = number of distinct attended sessions (0 for a mother with none).

    Source: Proctor et al. 2011 (feasibility); dose delivered as in process evaluation frameworks.
    """
    validate_sessions(mothers, sessions)
    dose = {str(m.get("mother_id")): 0 for m in mothers}
    for s in sessions:
        if s.get("attended", True):
            dose[str(s["mother_id"])] += 1
    return dose


def days_to_first_session(
    mothers: Sequence[Mapping[str, Any]], sessions: Sequence[Mapping[str, Any]],
    randomized: Mapping[str, date] | None = None,
) -> dict[str, int | None]:
    """Per mother: days from randomization to her first attended session (None when she has none).

    ``randomized`` is the ``validate_sessions`` result when the caller already has it (the rows are validated
    otherwise). Source: Proctor et al. 2011 (feasibility: timeliness of starting the intervention).
    """
    if randomized is None:
        randomized = validate_sessions(mothers, sessions)
    first: dict[str, date] = {}
    for s in sessions:
        if s.get("attended", True):
            mid, when = str(s["mother_id"]), as_date(s["date"], "session", SessionDataError)
            if mid not in first or when < first[mid]:
                first[mid] = when
    return {mid: (first[mid] - randomized[mid]).days if mid in first else None for mid in randomized}


def median_iqr(values: Iterable[float]) -> dict[str, float | None]:
    """Median, first and third quartile (linear interpolation, Hyndman & Fan 1996 type 7) and n."""
    arr = np.asarray(list(values), dtype=float)
    if arr.size == 0:
        return {"n": 0, "median": None, "q1": None, "q3": None}
    q1, med, q3 = np.percentile(arr, [25, 50, 75])
    return {"n": int(arr.size), "median": float(med), "q1": float(q1), "q3": float(q3)}


def feasibility_summary(
    mothers: Sequence[Mapping[str, Any]],
    sessions: Sequence[Mapping[str, Any]],
    completion_threshold: int = DEFAULT_COMPLETION_THRESHOLD,
    duration_window: tuple[float, float] = DEFAULT_DURATION_WINDOW,
) -> dict[str, Any]:
    """Delivery feasibility for the given (MIO + TAU) mothers.

    dose: per mother attended sessions; mean_dose; completion_share = mothers with dose >=
    ``completion_threshold`` / mothers; share_in_duration_window = attended sessions lasting
    lo <= minutes <= hi / attended sessions with a duration; share_recorded = attended sessions with
    recorded true / attended sessions; days_to_first_session = median/IQR over mothers with a session
    of (first attended session date - randomization date); not_started = mothers with dose 0.
    Source: Proctor et al. 2011 (feasibility); MIO program description (12 x 50-60 min sessions).
    """
    if not 1 <= completion_threshold <= SESSIONS_IN_PROTOCOL:
        raise SessionDataError(f"completion_threshold {completion_threshold!r} is not within 1..12")
    randomized = validate_sessions(mothers, sessions)
    dose = session_dose(mothers, sessions)
    attended = [s for s in sessions if s.get("attended", True)]
    durations = Counter(s["duration_minutes"] for s in attended if s.get("duration_minutes") is not None)
    days = days_to_first_session(mothers, sessions, randomized)
    return {
        **dose_summary(dose.values(), completion_threshold),
        "dose": dose,
        "attended_sessions": len(attended),
        "share_in_duration_window": duration_window_share(durations, duration_window),
        "share_recorded": proportion(sum(bool(s.get("recorded")) for s in attended), len(attended)),
        "days_to_first_session": median_iqr(d for d in days.values() if d is not None),
    }


def dose_summary(doses: Iterable[int], completion_threshold: int = DEFAULT_COMPLETION_THRESHOLD) -> dict[str, Any]:
    """From the dose of each mother (attended sessions, ``session_dose``): n_mothers, mean_dose (None without
    mothers), completed (dose >= ``completion_threshold``), completion_share = completed / n_mothers, not_started
    (dose 0). Used by ``feasibility_summary`` and by set-based callers that count each mother's attended sessions
    with one grouped query. Source: Proctor et al. 2011 (feasibility)."""
    if not 1 <= completion_threshold <= SESSIONS_IN_PROTOCOL:
        raise SessionDataError(f"completion_threshold {completion_threshold!r} is not within 1..12")
    values = [int(d) for d in doses]
    completed = sum(d >= completion_threshold for d in values)
    return {
        "n_mothers": len(values),
        "mean_dose": float(np.mean(values)) if values else None,
        "completion_threshold": completion_threshold,
        "completed": completed,
        "completion_share": proportion(completed, len(values)),
        "not_started": sum(d == 0 for d in values),
    }


def duration_window_share(
    durations: Mapping[float, int], window: tuple[float, float] = DEFAULT_DURATION_WINDOW
) -> float | None:
    """Share of attended sessions lasting ``lo <= minutes <= hi`` among attended sessions with a duration.

    ``durations`` maps minutes to the number of sessions of that length (a histogram, so a grouped query can
    feed it). None when no session has a duration. Source: MIO program description (50-60 minute sessions).
    """
    lo, hi = window
    within = sum(n for minutes, n in durations.items() if lo <= minutes <= hi)
    return proportion(within, sum(durations.values()))


def consultation_attendance(
    calls: Iterable[Mapping[str, Any]], requirement: float = CONSULTATION_REQUIREMENT
) -> dict[str, dict[str, Any]]:
    """Per counselor: calls expected, attended, attendance share and whether it meets the requirement.

    attendance = attended calls / calls expected; meets_requirement = attendance >= 0.70 (MIO training
    requirement of >= 70 % consultation-call attendance, program description).
    """
    tally: dict[str, list[int]] = {}
    for i, call in enumerate(calls):
        cid = call.get("counselor_id")
        if cid is None:
            raise SessionDataError(f"call row {i}, field 'counselor_id': missing")
        if not isinstance(call.get("attended"), bool):
            raise SessionDataError(f"call row {i}, field 'attended': expected true/false, got {call.get('attended')!r}")
        t = tally.setdefault(str(cid), [0, 0])
        t[0] += 1
        t[1] += call["attended"]
    out = {}
    for cid, (held, came) in sorted(tally.items()):
        share = came / held
        out[cid] = {"calls": held, "attended": came, "attendance": share, "meets_requirement": share >= requirement}
    return out


def training_case_progress(
    sessions: Iterable[Mapping[str, Any]], target: int = TRAINING_CASE_SESSION_TARGET
) -> dict[str, dict[str, Any]]:
    """Per counselor: attended sessions of training case 1 and 2, recordings, and the session target.

    Row: ``{counselor_id, training_case (1|2), session_number, attended? (default True), recorded?}``.
    meets_session_target = a training case with >= 8 distinct attended sessions (MIO training requirement:
    two training cases, >= 8 sessions with at least one, all training sessions audio-recorded);
    share_recorded = recorded / attended sessions.
    """
    tally: dict[str, dict[str, Any]] = {}
    for i, s in enumerate(sessions):
        case = s.get("training_case")
        if case not in (1, 2):
            raise SessionDataError(f"training row {i}, field 'training_case': {case!r} is not 1 or 2")
        if s.get("counselor_id") is None:
            raise SessionDataError(f"training row {i}, field 'counselor_id': missing")
        row = tally.setdefault(str(s["counselor_id"]), {"numbers": {1: set(), 2: set()}, "attended": 0, "recorded": 0})
        if s.get("attended", True):
            row["numbers"][case].add(s.get("session_number"))
            row["attended"] += 1
            row["recorded"] += bool(s.get("recorded"))
    out = {}
    for cid, row in sorted(tally.items()):
        case_1, case_2 = len(row["numbers"][1]), len(row["numbers"][2])
        out[cid] = {
            "case_1": case_1,
            "case_2": case_2,
            "attended": row["attended"],
            "recorded": row["recorded"],
            "share_recorded": proportion(row["recorded"], row["attended"]),
            "meets_session_target": max(case_1, case_2) >= target,
        }
    return out
