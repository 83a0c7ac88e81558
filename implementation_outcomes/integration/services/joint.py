"""Joint displays (Fetters, Curry & Creswell 2013; Guetterman, Fetters & Creswell 2015): each clinic's readiness
profile and implementation outcomes beside its CFIR consensus ratings and exemplar quotes.

Quantitative side, per clinic, read from the owning services: readiness subscales by R = MC^2 component with n,
mean and rwg(j) and the hard gates (``readiness.surveys.profile_service.build_profiles``); reach (enrolled /
offered), staff adoption (delivering / eligible), feasibility (mean dose, completion share), fidelity (share of
rated sessions adequate) and stage completion (``implementation_outcomes.delivery`` and ``.implementation``).
Qualitative side: consensus ratings with the evidence codings the viewer may see (``construct_ratings_for_clinic``
applies the blind double-coding rule) for the chosen constructs; by default the constructs that distinguish the
project's high and low groups (Damschroder & Lowery 2013), else every rated construct. Nothing is computed here
that the owning modules compute.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.db import db
from app.models import Clinic
from app.security import scoped
from implementation_outcomes.delivery.services.feasibility import clinic_feasibility
from implementation_outcomes.delivery.services.fidelity_figures import clinic_fidelity
from implementation_outcomes.delivery.services.screening import clinic_reach
from implementation_outcomes.effectiveness.analysis_services import (
    CLINIC_EFFECT_MEASURES,
    clinic_effects_by_clinic,
)
from implementation_outcomes.implementation.services.activities import clinic_stages
from implementation_outcomes.implementation.services.adoption import clinic_adoption
from qualitative.analysis.services import ratings
from qualitative.models import QualProject
from readiness.profile import COMPONENT_ORDER
from readiness.surveys.profile_service import COMPONENT_LABELS, build_profiles

DISTINGUISHING = ("strong", "weak")


def display_clinics(user=None) -> list[Clinic]:
    """The active clinics the user may see, by code (every clinic gets a column, rated or not)."""
    stmt = sa.select(Clinic).where(Clinic.active.is_(True)).order_by(Clinic.code)
    return list(db.session.execute(scoped(stmt, Clinic, user)).scalars())


def _readiness(profile_entry: dict | None) -> dict[str, Any]:
    if profile_entry is None:
        return {"components": [], "gates": None, "gates_status": "not_available", "gates_source": None,
                "data_quality": None}
    profile = profile_entry["profile"]
    components = [{"key": key, "label": COMPONENT_LABELS[key], "subscales": profile["components"][key]}
                  for key in (*COMPONENT_ORDER, "unassigned") if profile["components"][key]]
    return {"components": components, "gates": profile["gates"], "gates_status": profile["gates_status"],
            "gates_source": profile.get("gates_source"),
            "data_quality": profile["data_quality"]}


def _outcomes(clinic: Clinic, user=None, effects: dict[str, Any] | None = None) -> dict[str, Any]:
    reach = clinic_reach(clinic.id, user)
    feasibility = clinic_feasibility(clinic.id, user, core_only=True)
    fidelity = clinic_fidelity(clinic.id, user, adequacy_only=True)
    adoption = clinic_adoption(clinic.id, user)
    stages = clinic_stages(clinic.id, user)
    summary = feasibility["summary"]
    completed = [s for s in stages["stages"] if s["proportion"] == 1] if stages else []
    return {
        "reach": reach["reach"]["enrolled"]["main"], "offered": reach["cascade"]["offered"],
        "enrolled": reach["cascade"]["enrolled"],
        "adoption": adoption["staff_adoption"]["adoption_of_eligible"] if adoption else None,
        "eligible": adoption["staff_adoption"]["eligible"] if adoption else None,
        "delivering": adoption["staff_adoption"]["delivering"] if adoption else None,
        "mean_dose": summary["mean_dose"], "completion_share": summary["completion_share"],
        "n_mothers": summary["n_mothers"], "completion_threshold": feasibility["completion_threshold"],
        "adequate_share": fidelity["adequacy"]["share"], "rated_sessions": fidelity["adequacy"]["rated"],
        "adequate_sessions": fidelity["adequacy"]["adequate"],
        "stages_complete": len(completed), "stages_total": len(stages["stages"]) if stages else 0,
        "current_stage": stages["current_stage"] if stages else None,
        "stages": [{"number": s["number"], "label": s["label"], "proportion": s["proportion"]}
                   for s in stages["stages"]] if stages else [],
        "fidelity_by_counselor": fidelity["adequacy"]["by_counselor"],
        "mothers": feasibility["mothers"], "consultation": feasibility["consultation"],
        "effects": effects if effects is not None else clinic_effects_by_clinic([clinic.id], user)[clinic.id],
    }


def quantitative(clinics: list[Clinic], user=None) -> dict[int, dict[str, Any]]:
    """``{clinic_id: {"readiness": {...}, "outcomes": {...}}}`` for the given clinics."""
    profiles = {p["code"]: p for p in build_profiles(user=user)["clinics"]} if clinics else {}
    effects = clinic_effects_by_clinic([c.id for c in clinics], user) if clinics else {}
    return {c.id: {"readiness": _readiness(profiles.get(c.code)), "outcomes": _outcomes(c, user, effects[c.id])}
            for c in clinics}


def construct_choices(project: QualProject) -> list[dict[str, Any]]:
    """Every ratable construct with its distinction between the project's high and low groups."""
    return [{"id": row["code"].id, "key": row["code"].key, "name": row["code"].name, "path": row["path"],
             "strength": row["result"].strength, "direction": row["result"].direction, "gap": row["result"].gap,
             "caveat": row["result"].caveat}
            for row in ratings.distinguishing(project)]


def default_constructs(choices: list[dict[str, Any]], rated_ids: set[int]) -> list[int]:
    """The distinguishing constructs; when no grouping distinguishes any, every construct with a rating."""
    chosen = [c["id"] for c in choices if c["strength"] in DISTINGUISHING]
    return chosen or [c["id"] for c in choices if c["id"] in rated_ids]


def joint_display(project: QualProject, selected: list[int] | None, user) -> dict[str, Any]:
    """Everything both displays show to ``user``: clinics, their quantitative figures, the chosen constructs and per
    clinic and construct the consensus rating with rationale and the exemplar quotes ``user`` may see."""
    clinics = display_clinics(user)
    choices = construct_choices(project)
    by_clinic = {c.id: {r["code_id"]: r for r in ratings.construct_ratings_for_clinic(project.id, c.id, user)}
                 for c in clinics}
    rated = {code_id for cells in by_clinic.values() for code_id in cells}
    valid = {c["id"] for c in choices}
    chosen_ids = [i for i in selected if i in valid] if selected else default_constructs(choices, rated)
    constructs = [c for c in choices if c["id"] in set(chosen_ids)]
    return {"project": project, "clinics": clinics, "quantitative": quantitative(clinics, user),
            "choices": choices, "constructs": constructs, "cells": by_clinic,
            "defaulted": not selected, "groups": ratings.groups(project)}


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.0f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def key_statistics(outcomes: dict[str, Any]) -> list[tuple[str, str]]:
    """The clinic's headline figures as (label, formatted value) pairs, the same on the page and in the workbook."""
    return [
        ("Reach (enrolled / offered)", f"{_pct(outcomes['reach'])} ({outcomes['enrolled']}/{outcomes['offered']})"),
        ("Staff adoption (delivering / eligible)",
         f"{_pct(outcomes['adoption'])} ({outcomes['delivering']}/{outcomes['eligible']})"
         if outcomes["adoption"] is not None else "not available"),
        ("Mean dose (sessions per MIO mother)", f"{_num(outcomes['mean_dose'], 1)} (n {outcomes['n_mothers']})"),
        (f"Completed {outcomes['completion_threshold']}+ sessions", _pct(outcomes["completion_share"])),
        ("Sessions with adequate fidelity",
         f"{_pct(outcomes['adequate_share'])} ({outcomes['adequate_sessions']}/{outcomes['rated_sessions']})"),
        ("Implementation stages complete", f"{outcomes['stages_complete']} of {outcomes['stages_total']}"
         + (f" (current stage {outcomes['current_stage']})" if outcomes["current_stage"] else "")),
        *[(f"{_effect_label(key)}: MIO + TAU minus TAU, change baseline to end of treatment [Welch 95% CI]",
           _effect(outcomes.get("effects", {}).get(key))) for key in CLINIC_EFFECT_MEASURES],
    ]


def _effect_label(key: str) -> str:
    from implementation_outcomes.effectiveness.measures import measure_labels

    return measure_labels()[key]


def _effect(effect: dict[str, Any] | None) -> str:
    """An arm difference with its CI and n per arm; "not available" without two mothers with both values per arm."""
    if not effect or effect.get("estimate") is None:
        return "not available" if not effect else f"not available (n {effect['n_treated']}/{effect['n_control']})"
    ci = (f" [{_num(effect['ci_low'])}, {_num(effect['ci_high'])}]" if effect.get("ci_low") is not None else "")
    return f"{_num(effect['estimate'])}{ci} (n {effect['n_treated']}/{effect['n_control']})"
