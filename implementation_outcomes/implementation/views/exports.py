"""CSV and Excel downloads of every table on these pages (the same Table objects the pages render)."""

from __future__ import annotations

from flask import abort

from app.models import Clinic
from app.security import get_scoped_or_404, roles_required
from implementation_outcomes.implementation.blueprint import FORMATS, VIEW_ROLES, bp, download
from implementation_outcomes.implementation.views.activities import (
    clinic_stages_context,
    stages_comparison_context,
)
from implementation_outcomes.implementation.views.adoption import (
    adoption_comparison_context,
    clinic_adoption_context,
)
from implementation_outcomes.implementation.views.strategies import (
    adaptation_filters,
    adaptation_table_or_errors,
    strategy_filters,
    strategy_table_or_errors,
)

CLINIC_TABLES = {
    "funnel": ("adoption", "funnel"), "adoption-summary": ("adoption", "summary"),
    "counselor-steps": ("adoption", "counselors"), "adoption-contradictions": ("adoption", "contradictions"),
    "stages": ("stages", "stages"), "phases": ("stages", "phases"), "timeline": ("stages", "timeline"),
}
ADOPTION_TABLES = ("funnel-comparison", "staff-adoption", "setting-adoption")
STAGE_TABLES = ("clinic-progress", "stages-comparison")


@bp.route("/clinics/<int:clinic_id>/tables/<name>.<fmt>")
@roles_required(*VIEW_ROLES)
def clinic_table(clinic_id: int, name: str, fmt: str):
    clinic = get_scoped_or_404(Clinic, clinic_id)
    if name not in CLINIC_TABLES or fmt not in FORMATS:
        abort(404)
    page, key = CLINIC_TABLES[name]
    context = clinic_adoption_context(clinic) if page == "adoption" else clinic_stages_context(clinic)
    return download(context["tables"][key], fmt, clinic.code)


@bp.route("/tables/<name>.<fmt>")
@roles_required(*VIEW_ROLES)
def table(name: str, fmt: str):
    if fmt not in FORMATS:
        abort(404)
    if name in ADOPTION_TABLES:
        return download(adoption_comparison_context()["tables"][name], fmt, "mio")
    if name in STAGE_TABLES:
        return download(stages_comparison_context()["tables"][name], fmt, "mio")
    if name in ("strategies", "adaptations"):
        found, errors = (strategy_table_or_errors(strategy_filters()) if name == "strategies"
                         else adaptation_table_or_errors(adaptation_filters()))
        if errors:
            abort(400, "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        return download(found, fmt, "mio")
    abort(404)
