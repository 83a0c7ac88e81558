"""The inputs behind :data:`readiness.eligibility.CRITERIA`: how each is typed, parsed and who may enter it.

Each criterion names who is expected to enter its inputs (``entered_by_role``): the *rater* (the Clinical Reflective
Functioning Scale mean, rated by the implementation director or an administrator acting as rater), the *supervisor*
(agency staff acting as the clinician's supervisor, naming which supervisor), the *clinic administrator* (agency
staff: employment and the administrative approvals) and the *counselor* (self-reported facts that agency staff enter
on the counselor's behalf). This module keeps those groups in the order of the criteria list and parses web-form
strings into the typed values :func:`readiness.eligibility.evaluate` judges.
"""

from __future__ import annotations

import math
from typing import Any

from readiness.eligibility import CRFS_RANGE, CRITERIA, DEGREE_FIELDS, DEGREE_LEVELS, EligibilityInputError

AGE_RANGE = (16, 100)

GROUPS: dict[str, dict[str, Any]] = {
    "rater": {"label": "Rater: Clinical Reflective Functioning Scale",
              "roles": ("director",), "acting_as": "rater"},
    "supervisor": {"label": "Supervisor's judgement", "roles": ("agency_staff",), "acting_as": "supervisor"},
    "clinic_administrator": {"label": "Agency: employment and administrative approvals",
                             "roles": ("agency_staff",), "acting_as": "agency"},
    "counselor": {"label": "Counselor's own information (entered by agency staff)",
                  "roles": ("agency_staff",), "acting_as": "agency (for the counselor)"},
}

DEGREE_LEVEL_LABELS = {"none": "No degree", "high_school": "High school diploma", "associate": "Associate degree",
                       "bachelor": "Bachelor's degree", "master": "Master's degree", "doctorate": "Doctorate"}
DEGREE_FIELD_LABELS = {"psychology": "Psychology", "social_work": "Social work", "counseling": "Counseling",
                       "related": "A related field", "other": "Another field"}

INPUTS: dict[str, dict[str, Any]] = {
    "age_years": {"label": "Age (years)", "kind": "int", "range": AGE_RANGE},
    "employed_as_addiction_counselor": {"label": "Employed as an addiction counselor at this clinic", "kind": "bool"},
    "degree_level": {"label": "Highest degree", "kind": "choice",
                     "choices": [(v, DEGREE_LEVEL_LABELS[v]) for v in DEGREE_LEVELS]},
    "degree_field": {"label": "Field of the degree", "kind": "choice",
                     "choices": [(v, DEGREE_FIELD_LABELS[v]) for v in DEGREE_FIELDS]},
    "approval_supervision": {"label": "Approved for 1 hour of MIO supervision every two weeks", "kind": "bool"},
    "approval_delivery": {"label": "Approved for 2-3 hours a week of MIO delivery", "kind": "bool"},
    "planned_notice_or_leave": {"label": "Plans to give notice, or medical/family leave scheduled during the study",
                                "kind": "bool"},
    "willing_to_be_recorded": {"label": "Willing to have counseling and supervision sessions recorded",
                               "kind": "bool"},
    "crfs_mean": {"label": "Clinical Reflective Functioning Scale mean (-1 to 9)", "kind": "number",
                  "range": CRFS_RANGE},
    "supervisor_judges_capable": {"label": "Supervisor judges them capable of the responsibilities of a trial "
                                           "counselor", "kind": "bool"},
}
YES, NO = "yes", "no"


def inputs_by_group() -> dict[str, list[str]]:
    """Input keys per entering group, in criteria order (derived from ``CRITERIA``, never listed twice)."""
    groups: dict[str, list[str]] = {g: [] for g in GROUPS}
    for criterion in CRITERIA:
        groups[criterion["entered_by_role"]].extend(criterion["inputs"])
    return groups


def group_of(key: str) -> str:
    for group, keys in inputs_by_group().items():
        if key in keys:
            return group
    raise EligibilityInputError(f"unknown eligibility input {key!r}")


def may_enter(group: str, role: str) -> bool:
    return role == "admin" or role in GROUPS[group]["roles"]


def parse_input(key: str, raw: str | None) -> Any:
    """Form text -> typed value; blank -> ``None`` (not entered). Raises :class:`EligibilityInputError` with a
    message fit for the form field when the text is not acceptable."""
    spec = INPUTS[key]
    text = (raw or "").strip()
    if text == "":
        return None
    kind = spec["kind"]
    if kind == "bool":
        if text not in (YES, NO):
            raise EligibilityInputError("Choose yes or no.")
        return text == YES
    if kind == "choice":
        if text not in dict(spec["choices"]):
            raise EligibilityInputError("Choose one of the options.")
        return text
    try:
        number = float(text) if kind == "number" else int(text)
    except ValueError:
        raise EligibilityInputError(
            "Enter a number, e.g. 4.5." if kind == "number" else "Enter a whole number of years.") from None
    lo, hi = spec["range"]
    if not math.isfinite(number) or not lo <= number <= hi:
        raise EligibilityInputError(f"Enter a value from {lo:g} to {hi:g}.")
    return number


def form_value(key: str, value: Any) -> str:
    """Typed value -> the string a form shows."""
    if value is None:
        return ""
    if INPUTS[key]["kind"] == "bool":
        return YES if value else NO
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def display_value(key: str, value: Any) -> str:
    if value is None:
        return "not entered"
    spec = INPUTS[key]
    if spec["kind"] == "bool":
        return "yes" if value else "no"
    if spec["kind"] == "choice":
        return dict(spec["choices"]).get(value, str(value))
    return form_value(key, value)


def summarise(statuses: list[str]) -> dict[str, int]:
    """Counts of clinicians proposed, eligible, pending and not eligible from overall statuses
    (:func:`readiness.eligibility.overall_status`)."""
    known = {"eligible", "pending", "not_eligible"}
    unknown = [s for s in statuses if s not in known]
    if unknown:
        raise EligibilityInputError(f"unknown overall status(es): {unknown}")
    return {"proposed": len(statuses), "eligible": statuses.count("eligible"),
            "pending": statuses.count("pending"), "not_eligible": statuses.count("not_eligible")}
