"""Adoption pages: the overview, a clinic's funnel with step entry, and the cross-clinic comparison."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from app.models import Clinic, Person
from app.security import get_scoped_or_404, roles_required
from implementation_outcomes.adoption import COUNSELOR_STEPS
from implementation_outcomes.implementation import charts, report_tables
from implementation_outcomes.implementation.blueprint import VIEW_ROLES, apply_errors, bp, svg
from implementation_outcomes.implementation.forms import StepForm
from implementation_outcomes.implementation.models import AdoptionStep
from implementation_outcomes.implementation.services import activities as activity_services
from implementation_outcomes.implementation.services import adoption as services
from implementation_outcomes.implementation.services.common import FieldErrors, visible_clinics


@bp.route("/")
@roles_required(*VIEW_ROLES)
def overview():
    clinics = visible_clinics()
    adoption = services.adoption_by_clinic(clinics)
    stages = activity_services.stages_by_clinic(clinics)
    setting_rows, undated = services.setting_level(clinics)
    return render_template("implementation/overview.html", cards=list(zip(adoption, stages, strict=True)),
                           setting=report_tables.setting_table(setting_rows), undated=undated,
                           title="Adoption & activities")


def clinic_adoption_context(clinic: Clinic) -> dict:
    """The clinic's adoption figures and the tables its page shows (and the downloads serve)."""
    entry = services.adoption_by_clinic([clinic])[0]
    return {
        "entry": entry,
        "tables": {
            "funnel": report_tables.funnel_table(entry),
            "summary": report_tables.summary_table(entry),
            "counselors": report_tables.counselor_steps_table(entry),
            "contradictions": report_tables.contradictions_table(entry),
        },
    }


@bp.route("/clinics/<int:clinic_id>/adoption", methods=["GET", "POST"])
@roles_required(*VIEW_ROLES)
def clinic_adoption(clinic_id: int):
    clinic = get_scoped_or_404(Clinic, clinic_id)
    context = clinic_adoption_context(clinic)
    chart = svg(charts.funnels_svg("funnel", [(clinic.code, context["entry"]["funnel"])], services.STEP_LABELS,
                                   f"Adoption funnel, {clinic.code}"))
    people = {c["id"]: c for c in context["entry"]["counselors"]}
    form = StepForm()
    form.person_id.choices = [(0, "— choose a counselor —")] + [(pid, c["name"]) for pid, c in people.items()]
    if request.method == "GET":
        form.person_id.data = request.args.get("person_id", 0, type=int)
        step = request.args.get("step")
        if step in COUNSELOR_STEPS:
            form.step.data = step
    if form.validate_on_submit():
        if form.person_id.data not in people:
            form.person_id.errors.append(f"Choose a counselor of {clinic.code}.")
        else:
            person = get_scoped_or_404(Person, form.person_id.data)
            try:
                services.record_step(person, form.step.data, form.reached_on.data, form.note.data)
            except FieldErrors as exc:
                apply_errors(form, exc.errors)
            else:
                flash(f"Recorded “{services.STEP_LABELS[form.step.data]}” for {person.display_name} on "
                      f"{form.reached_on.data.isoformat()}.", "success")
                return redirect(url_for(".clinic_adoption", clinic_id=clinic.id))
    status = 400 if request.method == "POST" else 200
    return render_template("implementation/clinic_adoption.html", clinic=clinic, form=form,
                           chart=chart, step_labels=services.STEP_LABELS, **context,
                           title=f"Adoption, {clinic.code}"), status


@bp.route("/adoption-steps/<int:adoption_step_id>/delete", methods=["POST"])
@roles_required(*VIEW_ROLES)
def adoption_step_delete(adoption_step_id: int):
    row = get_scoped_or_404(AdoptionStep, adoption_step_id)
    clinic_id, label, name = row.person.clinic_id, services.STEP_LABELS[row.step], row.person.display_name
    try:
        services.delete_step(row)
    except services.StepDeleteRefused as exc:
        flash(str(exc), "error")
    else:
        flash(f"Removed “{label}” for {name}.", "success")
    return redirect(url_for(".clinic_adoption", clinic_id=clinic_id))


def adoption_comparison_context() -> dict:
    clinics = visible_clinics()
    per_clinic = services.adoption_by_clinic(clinics)
    overall = services.all_clinics_summary(per_clinic)
    setting_rows, undated = services.setting_level(clinics)
    return {
        "clinics": clinics,
        "per_clinic": per_clinic,
        "tables": {
            "funnel-comparison": report_tables.funnel_comparison_table(per_clinic, overall),
            "staff-adoption": report_tables.staff_adoption_table(per_clinic, overall),
            "setting-adoption": report_tables.setting_table(setting_rows),
        },
        "undated": undated,
    }


@bp.route("/adoption")
@roles_required(*VIEW_ROLES)
def adoption_compare():
    context = adoption_comparison_context()
    columns = [(e["clinic"]["code"], e["funnel"]) for e in context["per_clinic"]]
    chart = svg(charts.funnels_svg("funnels", columns, services.STEP_LABELS, "Adoption funnels by clinic"))
    return render_template("implementation/adoption_compare.html", **context, chart=chart,
                           title="Adoption across clinics")
