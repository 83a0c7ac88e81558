"""Site readiness profile: clinic survey summaries organised by R = MC^2, with data quality and hard gates apart.

R = MC^2 (readiness = motivation x general capacity x innovation-specific capacity; Scaccia et al. 2015,
J Community Psychol 43:484) is used as an organising heuristic, not a validated cut-off model. Each subscale
summary goes under its ``profile_component`` (see ``readiness/instruments.py`` for the shipped mapping).

Bands (HEURISTIC, stated on every profile): a clinic mean on a 1-5 scale is a "strength" when >= 4, "developing"
when 3 <= mean < 4, a "concern" when < 3. Other scales are mapped linearly onto 1-5 first
(``1 + 4 (mean - min) / (max - min)``), so a 0-4 scale mean of 3 counts as 4. A suppressed mean (n < 3) has band
"not_reported". Low agreement (rwg(j) < .70) is shown beside the band, never hidden.

Hard gates (eligible counselors, administrative approvals, signed acknowledgement of the training commitment) are
pass / fail / pending facts kept apart from survey scores and never averaged with them.
"""

from __future__ import annotations

from typing import Any

from readiness.instruments import PROFILE_COMPONENTS

BAND_RULE = ("heuristic: clinic mean on a 1-5 scale >= 4 strength, 3 to < 4 developing, < 3 concern; "
             "other ranges rescaled to 1-5; not a validated cut-off")
COMPONENT_ORDER = ("motivation", "general_capacity", "innovation_specific_capacity")
#: heuristic cut points on the 1-5 metric: below the first "concern", below the second "developing", else "strength"
BAND_CUTS_1_TO_5 = (3.0, 4.0)
BAND_ORDER = ("concern", "developing", "strength")


class ProfileInputError(ValueError):
    """A subscale summary or gate input the profile cannot use; the message names it."""


def band(mean: float | None, scale_min: float = 1, scale_max: float = 5) -> str:
    """Heuristic band of a clinic mean (see module docstring)."""
    if mean is None:
        return "not_reported"
    if scale_max <= scale_min:
        raise ProfileInputError(f"scale_max {scale_max} must exceed scale_min {scale_min}")
    on_1_to_5 = 1 + 4 * (mean - scale_min) / (scale_max - scale_min)
    if on_1_to_5 >= BAND_CUTS_1_TO_5[1]:
        return "strength"
    return "developing" if on_1_to_5 >= BAND_CUTS_1_TO_5[0] else "concern"


def band_cuts(scale_min: float = 1, scale_max: float = 5) -> tuple[float, float]:
    """The heuristic cut points of :func:`band` on a scale's own metric (inverse of the 1-5 mapping)."""
    if scale_max <= scale_min:
        raise ProfileInputError(f"scale_max {scale_max} must exceed scale_min {scale_min}")
    return tuple(scale_min + (cut - 1) * (scale_max - scale_min) / 4 for cut in BAND_CUTS_1_TO_5)  # type: ignore


def _gate(key: str, label: str, value: Any, passed: bool | None) -> dict[str, Any]:
    status = "pending" if passed is None else ("pass" if passed else "fail")
    return {"key": key, "label": label, "value": value, "status": status}


def build_gates(eligible_counselors: int | None, required_eligible_counselors: int,
                admin_approvals: bool | None, acknowledgement_signed: bool | None) -> list[dict[str, Any]]:
    """Hard gates as ``[{key, label, value, status}]``; None inputs are ``pending``."""
    if eligible_counselors is not None and (isinstance(eligible_counselors, bool) or eligible_counselors < 0):
        raise ProfileInputError(f"eligible_counselors must be a count, got {eligible_counselors!r}")
    return [
        _gate("eligible_counselors", f"At least {required_eligible_counselors} eligible counselors",
              eligible_counselors,
              None if eligible_counselors is None else eligible_counselors >= required_eligible_counselors),
        _gate("admin_approvals", "Administrative approvals for supervision and MIO delivery time",
              admin_approvals, admin_approvals),
        _gate("acknowledgement_signed", "Training requirements and commitment acknowledgement signed",
              acknowledgement_signed, acknowledgement_signed),
    ]


def build_site_profile(clinic: str, subscale_summaries: list[dict[str, Any]], *, invited: int | None = None,
                       responded: int | None = None, eligible_counselors: int | None = None,
                       required_eligible_counselors: int = 4, admin_approvals: bool | None = None,
                       acknowledgement_signed: bool | None = None) -> dict[str, Any]:
    """Organise one clinic's summaries (rows from :func:`readiness.aggregation.clinic_summary` plus
    ``instrument``, ``subscale``, ``label``, ``profile_component``, optional ``scale_min``/``scale_max``) into
    ``{clinic, band_rule, components: {motivation|general_capacity|innovation_specific_capacity|unassigned: [...]},
    data_quality: {invited, responded, response_rate, suppressed, withheld_complementary, low_agreement}, gates: [...],
    gates_status}``; ``suppressed`` lists subscales under the size threshold, ``withheld_complementary`` those withheld
    by the complementary rule (``app.disclosure``; a row's ``suppression`` says which).

    ``required_eligible_counselors`` defaults to 4 (16 counselors planned across 4 clinics)."""
    components: dict[str, list[dict[str, Any]]] = {c: [] for c in (*COMPONENT_ORDER, "unassigned")}
    suppressed, withheld, low_agreement = [], [], []
    for i, row in enumerate(subscale_summaries):
        for field in ("instrument", "subscale", "n"):
            if field not in row:
                raise ProfileInputError(f"subscale_summaries[{i}]: missing {field}")
        component = row.get("profile_component") or "unassigned"
        if component != "unassigned" and component not in PROFILE_COMPONENTS:
            raise ProfileInputError(f"subscale_summaries[{i}].profile_component: unknown {component!r}")
        name = f"{row['instrument']}.{row['subscale']}"
        mean = None if row.get("suppressed") else row.get("mean")
        suppression = row.get("suppression") or ("primary" if row.get("suppressed") else None)
        entry = {"instrument": row["instrument"], "subscale": row["subscale"], "label": row.get("label", name),
                 "n": row["n"], "mean": mean, "sd": None if mean is None else row.get("sd"),
                 "rwg_j": None if suppression else row.get("rwg_j"), "n_rwg": row.get("n_rwg"),
                 "n_responses": row.get("n_responses"), "rwg_null": row.get("rwg_null"),
                 "scoring_rule": row.get("scoring_rule"),
                 "suppression": suppression, "low_agreement": bool(row.get("low_agreement")) and not suppression,
                 "scale_min": row.get("scale_min", 1), "scale_max": row.get("scale_max", 5),
                 "band": band(mean, row.get("scale_min", 1), row.get("scale_max", 5)), "band_is_heuristic": True}
        components[component].append(entry)
        if suppression == "complementary":
            withheld.append(name)
        elif mean is None:
            suppressed.append(name)
        if entry["low_agreement"]:
            low_agreement.append(name)
    if invited is not None and responded is not None and responded > invited:
        raise ProfileInputError(f"responded ({responded}) exceeds invited ({invited})")
    rate = None if not invited or responded is None else responded / invited
    gates = build_gates(eligible_counselors, required_eligible_counselors, admin_approvals, acknowledgement_signed)
    statuses = {g["status"] for g in gates}
    gates_status = "not_met" if "fail" in statuses else ("pending" if "pending" in statuses else "met")
    return {"clinic": clinic, "band_rule": BAND_RULE, "components": components,
            "data_quality": {"invited": invited, "responded": responded, "response_rate": rate,
                             "suppressed": suppressed, "withheld_complementary": withheld,
                             "low_agreement": low_agreement},
            "gates": gates, "gates_status": gates_status}
