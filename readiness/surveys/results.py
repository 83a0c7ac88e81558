"""From stored scores and raw answers to group summaries: the glue between the database and
:mod:`readiness.aggregation` (which holds every formula).

Per group (clinic or agency) and subscale: n, mean, SD and rwg(j) (:func:`readiness.aggregation.clinic_summary`);
across clinics: ICC(1) and ICC(2) (:func:`readiness.aggregation.iccs`). Confidentiality rule applied here: a group
with fewer than 3 scored respondents shows its n only; its mean, SD *and* rwg(j) are withheld, because with one or
two respondents an agreement index says how those individuals answered. Groups that the complementary rule of
:mod:`app.disclosure` withholds (so that no withheld group follows by subtraction) lose the same figures through
:func:`withhold`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from app.disclosure import COMPLEMENTARY, PRIMARY
from readiness.aggregation import (
    FEW_GROUPS,
    ICC1_FORMULAS,
    ICC2_FORMULA,
    MIN_N_FOR_MEAN,
    MIN_N_FOR_RWG,
    RWG_BAR,
    GroupSize,
    clinic_summary,
    icc_intervals,
    iccs,
    rwg_null_text,
)
from readiness.instruments import reverse_bounds


@dataclass(frozen=True)
class Observation:
    """One submitted response's view of one subscale: group label, stored score, item answers (None = missing)."""

    group: str
    score: float | None
    items: tuple[float | None, ...]


def n_options(definition: dict, subscale: dict) -> int | None:
    """Number of substantive response options A of a subscale's items (the don't-know option excluded), used for
    the rwg null variance (A^2 - 1)/12; None when the items differ or are not option items."""
    items = {i["key"]: i for i in definition["items"]}
    counts = set()
    for key in subscale["items"]:
        item = items[key]
        if item["type"] == "likert":
            counts.add(len(definition["response_scales"][item["scale"]]))
        elif item["type"] in ("radio", "dropdown"):
            counts.add(sum(c["value"] != definition.get("dont_know_code") for c in item["choices"]))
        else:
            return None
    return counts.pop() if len(counts) == 1 else None


def score_range(definition: dict, subscale: dict) -> tuple[float, float]:
    """(min, max) a subscale score can take: the item range, x10 for ``mean_x10``, x k for ``sum``."""
    items = {i["key"]: i for i in definition["items"]}
    lo, hi = reverse_bounds(items[subscale["items"][0]], definition["response_scales"],
                            definition.get("dont_know_code")) or (1.0, 5.0)
    factor = {"mean": 1, "mean_x10": 10, "sum": len(subscale["items"])}[subscale["score"]["method"]]
    return lo * factor, hi * factor


def item_row(definition: dict, subscale: dict, answers: Mapping[str, Any]) -> list[float | None]:
    """The subscale's item answers of one respondent; the don't-know code and blanks are missing."""
    dk = definition.get("dont_know_code")
    row = []
    for key in subscale["items"]:
        value = answers.get(key)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value != dk
        row.append(float(value) if ok else None)
    return row


def observation(group: str, definition: dict, subscale_key: str, score: float | None,
                answers: Mapping[str, Any]) -> Observation:
    subscale = next(s for s in definition["subscales"] if s["key"] == subscale_key)
    return Observation(group, score, tuple(item_row(definition, subscale, answers)))


def summarise(observations: Iterable[Observation], options: int | None,
              groups: Iterable[str] | None = None) -> dict[str, dict]:
    """Per group: ``clinic_summary`` output (n, n_responses, mean, sd, rwg_j, n_rwg, flags...) plus ``rwg_options``
    (A) and ``rwg_null`` (its stated null). rwg(j) is withheld when n < 3, and when fewer than 3 respondents answered
    every item (``n_rwg``, the respondents it is computed over; flag "rwg_n_below_3"), because it would describe
    those few people. ``options`` is the number of response options A (None: rwg(j) not computable)."""
    scores: dict[str, list] = {g: [] for g in groups or []}
    matrices: dict[str, list] = {g: [] for g in groups or []}
    for obs in observations:
        scores.setdefault(obs.group, []).append(obs.score)
        matrices.setdefault(obs.group, []).append(list(obs.items))
    if options is None:
        matrices = {g: [] for g in scores}
    out = clinic_summary(scores, matrices, options or 2)
    for row in out.values():
        row["rwg_options"], row["rwg_null"] = options, rwg_null_text(options)
        if row["suppressed"]:
            row.update(rwg_j=None, low_agreement=False,
                       flags=[f for f in row["flags"] if f not in ("low_agreement", "agreement_not_computable")])
        elif options is not None and row["n_rwg"] < MIN_N_FOR_RWG:
            row.update(rwg_j=None, low_agreement=False,
                       flags=[f for f in row["flags"] if f not in ("low_agreement", "agreement_not_computable")]
                       + [RWG_FEW_FLAG])
    return out


def across_groups(observations: Iterable[Observation], group_size: GroupSize = "k0") -> dict[str, Any]:
    """ICC(1), ICC(2) of person scores on group (one-way ANOVA, unequal sizes; see aggregation.iccs):
    ``{icc1, icc2, n, groups, k, group_size, icc1_formula, icc2_formula}``; ``k`` is the group size ICC(1) used
    (``group_size`` "k0", the adjusted size, or "mean", N / G as R ``multilevel::ICC1``)."""
    formulas = {"group_size": group_size, "icc1_formula": ICC1_FORMULAS[group_size], "icc2_formula": ICC2_FORMULA}
    obs = [o for o in observations if o.score is not None]
    if not obs:
        return {"icc1": None, "icc2": None, "n": 0, "groups": 0, "k": None, "icc1_ci_low": None,
                "icc1_ci_high": None, "icc2_ci_low": None, "icc2_ci_high": None, "warning": None, **formulas}
    result = iccs([o.score for o in obs], [o.group for o in obs], group_size)
    intervals = icc_intervals(result, result["k_used"])

    def clean(x: float) -> float | None:
        return None if x is None or math.isnan(x) else float(x)

    groups = int(result["groups"])
    return {"icc1": clean(result["icc1"]), "icc2": clean(result["icc2"]), "n": int(result["n"]),
            "groups": groups, "k": clean(result["k_used"]), **{key: clean(v) for key, v in intervals.items()},
            "warning": (f"from {groups} clinic{'s' if groups != 1 else ''} only: the 95% CI is wide; read the "
                        "interval, not the point" if groups < FEW_GROUPS else None), **formulas}


WITHHELD_FLAG = "withheld_complementary"
RWG_FEW_FLAG = f"rwg_n_below_{MIN_N_FOR_RWG}"


def withhold(row: dict, status: str | None) -> dict:
    """Apply a suppression status of :func:`app.disclosure.suppress` to a summary row (in place, returned):
    ``suppression`` records it; a withheld row keeps its n and loses mean, SD, rwg(j), band and agreement flags."""
    row["suppression"] = status if status else (PRIMARY if row.get("suppressed") else None)
    if not row["suppression"]:
        return row
    row.update(mean=None, sd=None, rwg_j=None, low_agreement=False, suppressed=True)
    if "band" in row:
        row["band"] = "not_reported"
    flags = [f for f in row.get("flags", []) if f not in ("low_agreement", "agreement_not_computable", RWG_FEW_FLAG)]
    if row["suppression"] == COMPLEMENTARY and WITHHELD_FLAG not in flags:
        flags.append(WITHHELD_FLAG)
    row["flags"] = flags
    return row


FLAG_LABELS = {
    f"n_below_{MIN_N_FOR_MEAN}": f"n < {MIN_N_FOR_MEAN}: not reported",
    WITHHELD_FLAG: "withheld so that a smaller group cannot be derived by subtraction",
    RWG_FEW_FLAG: f"rwg(j) not reported: fewer than {MIN_N_FOR_RWG} respondents answered every item",
    "low_agreement": f"low agreement (rwg(j) < {RWG_BAR:.2f})",
    "agreement_not_computable": "agreement not computable",
}
