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
from typing import Any

from implementation_outcomes._values import proportion
from implementation_outcomes.errors import AdoptionDataError

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
