"""Implementation-activity pages: a clinic's stage scores and timeline, the director's checklist, the comparison
across clinics and the catalogue itself."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.models import Clinic, Role
from app.security import get_scoped_or_404, roles_required
from implementation_outcomes.implementation import charts, report_tables
from implementation_outcomes.implementation.blueprint import (
    ACTIVITY_ENTRY_ROLES,
    VIEW_ROLES,
    apply_errors,
    bp,
    svg,
)
from implementation_outcomes.implementation.forms import activity_form_class
from implementation_outcomes.implementation.services import activities as services
from implementation_outcomes.implementation.services.common import FieldErrors, visible_clinics


def phase_labels() -> dict[str, str]:
    return {p["key"]: p["label"] for p in services.catalogue()["phases"]}


def clinic_stages_context(clinic: Clinic) -> dict:
    """The clinic's stage scores and the tables its page shows (and the downloads serve)."""
    scores = services.stages_by_clinic([clinic])[0]
    return {
        "scores": scores,
        "tables": {
            "stages": report_tables.stages_table(scores, phase_labels()),
            "phases": report_tables.phases_table(scores),
            "timeline": report_tables.timeline_table(scores),
        },
    }


@bp.route("/clinics/<int:clinic_id>/stages")
@roles_required(*VIEW_ROLES)
def clinic_stages(clinic_id: int):
    clinic = get_scoped_or_404(Clinic, clinic_id)
    context = clinic_stages_context(clinic)
    chart = svg(charts.stage_timeline_svg("timeline", context["scores"], f"Implementation activity timeline, {clinic.code}"))
    return render_template("implementation/clinic_stages.html", clinic=clinic, chart=chart, **context,
                           catalogue=services.catalogue(), title=f"Implementation activities, {clinic.code}",
                           can_record=current_user.role in (Role.ADMIN, *ACTIVITY_ENTRY_ROLES))


@bp.route("/clinics/<int:clinic_id>/stages/edit", methods=["GET", "POST"])
@roles_required(*ACTIVITY_ENTRY_ROLES)
def clinic_stages_edit(clinic_id: int):
    clinic = get_scoped_or_404(Clinic, clinic_id)
    catalogue = services.catalogue()
    form = activity_form_class(catalogue)()
    keys = list(services.activity_index())
    if request.method == "GET":
        for key, row in services.completions_by_clinic([clinic.id])[clinic.id].items():
            if key in keys:
                form[f"date_{key}"].data, form[f"note_{key}"].data = row.completed_on, row.note
    if form.validate_on_submit():
        entries = {k: (form[f"date_{k}"].data, form[f"note_{k}"].data) for k in keys}
        try:
            counts = services.save_completions(clinic, entries)
        except FieldErrors as exc:
            apply_errors(form, exc.errors)
        else:
            flash(f"Saved {clinic.code}: {counts['added']} added, {counts['changed']} changed, "
                  f"{counts['removed']} removed.", "success")
            return redirect(url_for(".clinic_stages", clinic_id=clinic.id))
    status = 400 if request.method == "POST" else 200
    return render_template("implementation/clinic_stages_edit.html", clinic=clinic, form=form, catalogue=catalogue,
                           title=f"Record activities, {clinic.code}"), status


def stages_comparison_context() -> dict:
    clinics = visible_clinics()
    per_clinic = services.stages_by_clinic(clinics)
    catalogue = services.catalogue()
    return {
        "clinics": clinics,
        "per_clinic": per_clinic,
        "tables": {
            "clinic-progress": report_tables.clinic_progress_table(per_clinic, catalogue["phases"]),
            "stages-comparison": report_tables.stages_comparison_table(per_clinic, catalogue["stages"]),
        },
    }


@bp.route("/stages")
@roles_required(*VIEW_ROLES)
def stages_compare():
    return render_template("implementation/stages_compare.html", **stages_comparison_context(),
                           title="Implementation stages across clinics")


@bp.route("/catalogue")
@roles_required(*VIEW_ROLES)
def catalogue():
    return render_template("implementation/catalogue.html", catalogue=services.catalogue(),
                           title="MIO implementation activity catalogue")
