"""Adoption and penetration (Proctor et al. 2011; RE-AIM adoption).

A counselor row is a dict with ``counselor_id``, optional ``clinic`` and, for each step in
``COUNSELOR_STEPS``, a value that is truthy (True or the date the step was reached) or falsy/missing.
Steps are cumulative: reaching a step implies every earlier one, and a row that skips a step is an error
(``strict=True``) because it would make the funnel rise.

Step meanings (MIO training requirements from the program description):
  invited, eligible (trial counselor criteria), consented, didactic_complete (16 h didactic),
  training_case_started, training_case_8_sessions (>= 8 sessions with one training case),
  consultation_70pct (>= 70 % of consultation calls attended), rostered (assigned trial mothers),
  delivering (has delivered at least one MIO session to a trial mother).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from implementation_outcomes._values import as_date, proportion
from implementation_outcomes.errors import AdoptionDataError
from implementation_outcomes.feasibility import CONSULTATION_REQUIREMENT, TRAINING_CASE_SESSION_TARGET

COUNSELOR_STEPS: tuple[str, ...] = (
    "invited",
    "eligible",
    "consented",
    "didactic_complete",
    "training_case_started",
    "training_case_8_sessions",
    "consultation_70pct",
    "rostered",
    "delivering",
)
TRAINED_STEP = "consultation_70pct"  # all training requirements met


def furthest_step(row: Mapping[str, Any], where: str = "row", strict: bool = True) -> int:
    """Number of steps reached (0..9). With ``strict`` a later step without an earlier one is an error."""
    reached = [bool(row.get(step)) for step in COUNSELOR_STEPS]
    count = 0
    while count < len(reached) and reached[count]:
        count += 1
    if strict and any(reached[count:]):
        later = COUNSELOR_STEPS[count + reached[count:].index(True)]
        missing = COUNSELOR_STEPS[count]
        raise AdoptionDataError(f"{where}, field {later!r}: reached without earlier step {missing!r}")
    return count


def adoption_funnel(counselors: Iterable[Mapping[str, Any]], strict: bool = True) -> list[dict[str, Any]]:
    """Counselors reaching each step, in order: ``[{step, count, pct_of_previous, pct_of_invited}]``.

    count(step) = number of counselors whose furthest step is at or beyond it (non-increasing).
    Percentages are proportions 0..1 or None when the base is 0.
    Source: Proctor et al. 2011 (adoption, penetration); RE-AIM staff-level adoption.
    """
    counts = [0] * len(COUNSELOR_STEPS)
    for i, row in enumerate(counselors):
        where = f"counselor {row.get('counselor_id', i)!r} (row {i})"
        for k in range(furthest_step(row, where, strict)):
            counts[k] += 1
    funnel = []
    for k, step in enumerate(COUNSELOR_STEPS):
        funnel.append(
            {
                "step": step,
                "count": counts[k],
                "pct_of_previous": proportion(counts[k], counts[k - 1]) if k else None,
                "pct_of_invited": proportion(counts[k], counts[0]),
            }
        )
    return funnel


def staff_adoption(counselors: Iterable[Mapping[str, Any]], strict: bool = True) -> dict[str, Any]:
    """Staff-level adoption, both denominators reported.

    adoption_of_eligible = delivering / eligible; adoption_of_invited = delivering / invited.
    Source: RE-AIM (staff adoption = taking part / invited or eligible); Proctor et al. 2011.
    """
    counts = {f["step"]: f["count"] for f in adoption_funnel(counselors, strict)}
    return {
        "invited": counts["invited"],
        "eligible": counts["eligible"],
        "delivering": counts["delivering"],
        "adoption_of_eligible": proportion(counts["delivering"], counts["eligible"]),
        "adoption_of_invited": proportion(counts["delivering"], counts["invited"]),
    }


def penetration(
    counselors: Iterable[Mapping[str, Any]], trained_step: str = TRAINED_STEP, strict: bool = True
) -> dict[str, Any]:
    """Penetration = counselors delivering / counselors trained.

    "Trained" = reached ``trained_step`` (default ``consultation_70pct``: didactic done, >= 8 sessions with
    a training case and >= 70 % consultation attendance).
    Source: Proctor et al. 2011, Adm Policy Ment Health 38:65-76 (penetration, provider level).
    """
    if trained_step not in COUNSELOR_STEPS:
        raise AdoptionDataError(f"trained_step {trained_step!r} is not one of {', '.join(COUNSELOR_STEPS)}")
    counts = {f["step"]: f["count"] for f in adoption_funnel(counselors, strict)}
    return {
        "trained": counts[trained_step],
        "delivering": counts["delivering"],
        "penetration": proportion(counts["delivering"], counts[trained_step]),
    }


def setting_adoption(clinics: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Setting-level adoption = clinics taking part / clinics approached.

    Each row: ``{clinic, approached: bool, taking_part: bool}``; taking part without being approached is
    an error.
    Source: RE-AIM adoption (setting level); Proctor et al. 2011 (adoption, organization level).
    """
    approached = taking_part = 0
    for i, row in enumerate(clinics):
        if row.get("taking_part") and not row.get("approached"):
            raise AdoptionDataError(
                f"clinic {row.get('clinic', i)!r} (row {i}), field 'taking_part': true but not approached"
            )
        approached += bool(row.get("approached"))
        taking_part += bool(row.get("taking_part"))
    return {
        "approached": approached,
        "taking_part": taking_part,
        "adoption": proportion(taking_part, approached),
    }


# --- steps the data prove --------------------------------------------------------------------------------------------
#: the steps a delivery record proves, and what proves each (shown beside a flag so a reader can check it)
DATA_PROVEN_STEPS: dict[str, str] = {
    "training_case_started": "an attended training-case session",
    "training_case_8_sessions": "8 distinct attended sessions of one training case",
    "consultation_70pct": "consultation calls attended / calls expected >= 70 %",
    "rostered": "a trial mother assigned to the counselor",
    "delivering": "an attended MIO session with a trial mother",
}
#: steps whose record is the platform's own log of the trial, so no rows at all contradict a recorded step (a trial
#: mother is always logged here); training cases and calls may predate the platform, so only logged rows that fall
#: short contradict those steps
_ABSENCE_CONTRADICTS = frozenset({"rostered", "delivering"})


def adoption_evidence(
    mio_sessions: Iterable[Mapping[str, Any]] = (),
    training_sessions: Iterable[Mapping[str, Any]] = (),
    calls: Iterable[Mapping[str, Any]] = (),
    assignments: Iterable[Mapping[str, Any]] = (),
    training_target: int = TRAINING_CASE_SESSION_TARGET,
    consultation_requirement: float = CONSULTATION_REQUIREMENT,
) -> dict[str, dict[str, Any]]:
    """What the delivery rows say about each counselor's adoption steps: ``{counselor_id (str): evidence}``.

    Rows: MIO session ``{counselor_id, date, attended}``; training-case session ``{counselor_id, training_case,
    session_number, date, attended}``; consultation call ``{counselor_id, attended}``; assignment (a trial mother
    rostered to the counselor) ``{counselor_id}``; an MIO, call or assignment row may carry ``count`` (it stands for
    that many rows, so a grouped query can feed it). Evidence: ``mio_attended`` and ``first_mio`` (first attended MIO
    session), ``training_attended``, ``first_training``, ``best_case`` (most distinct attended session numbers of
    one case), ``training_target_on`` (date of the attended session that gave a case its 8th distinct session
    number; the earlier case), ``calls``/``calls_attended``, ``mothers`` (assigned). Rules: MIO program description
    (>= 8 sessions of one training case; >= 70 % consultation calls), Proctor et al. 2011 (adoption)."""
    out: dict[str, dict[str, Any]] = {}

    def entry(cid: Any) -> dict[str, Any]:
        return out.setdefault(str(cid), no_evidence(training_target, consultation_requirement))

    for i, s in enumerate(mio_sessions):
        if s.get("attended", True):
            e = entry(s["counselor_id"])
            when = as_date(s["date"], f"MIO session row {i}, field 'date'", AdoptionDataError)
            e["mio_attended"] += s.get("count", 1)
            e["first_mio"] = when if e["first_mio"] is None else min(e["first_mio"], when)
    cases: dict[tuple[str, int], list[tuple[date, int]]] = {}
    for i, s in enumerate(training_sessions):
        if s.get("attended", True):
            e = entry(s["counselor_id"])
            when = as_date(s["date"], f"training session row {i}, field 'date'", AdoptionDataError)
            e["training_attended"] += 1
            e["first_training"] = when if e["first_training"] is None else min(e["first_training"], when)
            cases.setdefault((str(s["counselor_id"]), s["training_case"]), []).append((when, s["session_number"]))
    for (cid, _case), sessions in cases.items():
        e, seen = out[cid], set()
        for when, number in sorted(sessions):
            seen.add(number)
            if len(seen) == training_target:
                e["training_target_on"] = when if e["training_target_on"] is None else min(e["training_target_on"], when)
        e["best_case"] = max(e["best_case"], len(seen))
    for c in calls:
        e = entry(c["counselor_id"])
        e["calls"] += c.get("count", 1)
        e["calls_attended"] += c.get("count", 1) if c["attended"] else 0
    for a in assignments:
        entry(a["counselor_id"])["mothers"] += a.get("count", 1)
    return out


def no_evidence(training_target: int = TRAINING_CASE_SESSION_TARGET,
                consultation_requirement: float = CONSULTATION_REQUIREMENT) -> dict[str, Any]:
    """The evidence of a counselor without any delivery row (``adoption_evidence``'s shape)."""
    return {"mio_attended": 0, "first_mio": None, "training_attended": 0, "first_training": None, "best_case": 0,
            "training_target_on": None, "calls": 0, "calls_attended": 0, "mothers": 0,
            "training_target": training_target, "consultation_requirement": consultation_requirement}


def _proof(step: str, ev: Mapping[str, Any]) -> tuple[bool, date | None, str]:
    """(proven, date the data prove it by or None, what the rows show) for one data-proven step."""
    if step == "delivering":
        return ev["mio_attended"] > 0, ev["first_mio"], f"{ev['mio_attended']} attended MIO sessions"
    if step == "rostered":
        return ev["mothers"] > 0, None, f"{ev['mothers']} trial mothers assigned"
    if step == "training_case_started":
        return ev["training_attended"] > 0, ev["first_training"], f"{ev['training_attended']} attended training-case sessions"
    if step == "training_case_8_sessions":
        proven = ev["best_case"] >= ev["training_target"]
        return proven, ev["training_target_on"], f"{ev['best_case']} distinct attended sessions of the fuller training case"
    calls, came = ev["calls"], ev["calls_attended"]
    shown = f"{came} of {calls} consultation calls attended" + (f" ({came / calls:.0%})" if calls else "")
    return bool(calls) and came / calls >= ev["consultation_requirement"], None, shown


def _has_rows(step: str, ev: Mapping[str, Any]) -> bool:
    if step in ("training_case_started", "training_case_8_sessions"):
        return ev["training_attended"] > 0
    if step == "consultation_70pct":
        return ev["calls"] > 0
    return True


def derive_steps(recorded: Mapping[str, Any], evidence: Mapping[str, Any] | None) -> dict[str, Any]:
    """A counselor's adoption steps from what was recorded by hand and what the delivery data prove.

    A step counts as reached when it was recorded, when the data prove it (``DATA_PROVEN_STEPS``), or when a later
    step is reached (steps are cumulative). Its date is the hand-recorded one where given, else the date the data
    prove it by, else None (implied by a later step). Contradictions (``flags``), each
    ``{step, kind, recorded_on, data_on, shown}``:
      - ``not_recorded``: the data prove a step nobody recorded (e.g. 47 attended MIO sessions, "eligible" recorded);
      - ``contradicted``: a step recorded that the data contradict (delivering or rostered recorded with no attended
        MIO session / no mother assigned; a training-case or consultation step recorded while the logged sessions or
        calls fall short; absent training or call rows do not contradict: they may predate the platform);
      - ``recorded_before_data``: recorded on a date before the data show it could have happened (delivering before
        the first attended MIO session, a training case started before its first attended session, 8 sessions
        before the 8th).
    Returns ``{steps: {step: date | True}, sources: {step: "recorded"|"data"|"both"|"implied"}, furthest,
    recorded_furthest, flags}``; ``steps`` feeds ``adoption_funnel`` (strict order holds by construction).
    Source: Proctor et al. 2011 (adoption); MIO training requirements (program description).
    """
    ev = evidence or no_evidence()
    recorded = {s: v for s, v in recorded.items() if s in COUNSELOR_STEPS and v}
    proofs = {s: _proof(s, ev) for s in DATA_PROVEN_STEPS}
    reached = {s for s in COUNSELOR_STEPS if s in recorded or (s in proofs and proofs[s][0])}
    last = max((COUNSELOR_STEPS.index(s) for s in reached), default=-1)
    steps: dict[str, Any] = {}
    sources: dict[str, str] = {}
    flags: list[dict[str, Any]] = []
    for step in COUNSELOR_STEPS[: last + 1]:
        proven, data_on, shown = proofs.get(step, (False, None, ""))
        if step in recorded:
            steps[step] = recorded[step]
            sources[step] = "both" if proven else "recorded"
        elif proven:
            steps[step] = data_on or True
            sources[step] = "data"
        else:
            steps[step] = True
            sources[step] = "implied"
        rec_on = recorded.get(step) if isinstance(recorded.get(step), date) else None
        if step in proofs and step in recorded and not proven and (step in _ABSENCE_CONTRADICTS or _has_rows(step, ev)):
            flags.append({"step": step, "kind": "contradicted", "recorded_on": rec_on, "data_on": None, "shown": shown})
        elif proven and step not in recorded:
            flags.append({"step": step, "kind": "not_recorded", "recorded_on": None, "data_on": data_on, "shown": shown})
        elif proven and rec_on is not None and data_on is not None and rec_on < data_on:
            flags.append({"step": step, "kind": "recorded_before_data", "recorded_on": rec_on, "data_on": data_on,
                          "shown": shown})
    recorded_last = max((COUNSELOR_STEPS.index(s) for s in recorded), default=-1)
    return {"steps": steps, "sources": sources, "flags": flags,
            "furthest": COUNSELOR_STEPS[last] if last >= 0 else None,
            "recorded_furthest": COUNSELOR_STEPS[recorded_last] if recorded_last >= 0 else None}
