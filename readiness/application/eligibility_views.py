"""Counselor eligibility pages: per proposed clinician (pass/fail per criterion with reasons and who entered each
input; one form per entering group), per application, and a summary per agency."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.models import Role
from app.security import roles_required
from readiness.application import eligibility_services, services
from readiness.application.blueprint import bp
from readiness.application.eligibility_inputs import GROUPS
from readiness.application.eligibility_services import EligibilityClosed
from readiness.application.forms import ELIGIBILITY_FORMS

READ_ROLES = (Role.AGENCY_STAFF, Role.DIRECTOR)


def _forms(application, clinician, posted_group: str | None = None, posted_form=None) -> dict:
    forms = {}
    for group in eligibility_services.editable_groups(application, current_user.role):
        if group == posted_group:
            form = posted_form
        else:
            form = ELIGIBILITY_FORMS[group](formdata=None, data=eligibility_services.form_defaults(clinician, group))
        if group == "supervisor":
            form.supervisor_id.choices = [("", "— choose —")] + [(s.id, s.name) for s in application.supervisors]
        forms[group] = form
    return forms


def _page(application, clinician, status: int = 200, **forms):
    return render_template("readiness/application/eligibility.html", application=application, clinician=clinician,
                           evaluation=eligibility_services.evaluate_clinician(clinician),
                           forms=_forms(application, clinician, **forms), groups=GROUPS), status


@bp.route("/<int:application_id>/clinicians/<int:application_clinician_id>/eligibility", methods=["GET", "POST"])
@roles_required(*READ_ROLES)
def eligibility(application_id: int, application_clinician_id: int):
    application = services.get_application(application_id)
    clinician = eligibility_services.get_clinician(application, application_clinician_id)
    if request.method == "GET":
        return _page(application, clinician)
    group = request.form.get("group", "")
    if group not in GROUPS:
        abort(400, description="Unknown eligibility input group.")
    form = ELIGIBILITY_FORMS[group]()
    if group == "supervisor":
        form.supervisor_id.choices = [("", "— choose —")] + [(s.id, s.name) for s in application.supervisors]
    try:
        result = eligibility_services.save_inputs(application, clinician, group, form, current_user)
    except EligibilityClosed as exc:
        flash(str(exc), "error")
        return _page(application, clinician, 409)
    if result["errors"]:
        for key, messages in result["errors"].items():
            form[key].errors = messages
        return _page(application, clinician, 400, posted_group=group, posted_form=form)
    flash(f"{GROUPS[group]['label']}: saved {len(result['changed'])} change(s) for {clinician.name}."
          if result["changed"] else "Nothing changed.", "success")
    return redirect(url_for("application.eligibility", application_id=application.id,
                            application_clinician_id=clinician.id))


@bp.route("/<int:application_id>/eligibility")
@roles_required(*READ_ROLES)
def eligibility_summary(application_id: int):
    application = services.get_application(application_id)
    return render_template("readiness/application/eligibility_summary.html", application=application,
                           clinicians=eligibility_services.clinicians_with_status(application),
                           summary=eligibility_services.summary_for(application))


@bp.route("/eligibility")
@roles_required(*READ_ROLES)
def eligibility_overview():
    """Per agency and cohort: clinicians proposed, eligible, pending, not eligible."""
    applications = services.applications()
    rows = [(a, eligibility_services.summary_for(a)) for a in applications]
    return render_template("readiness/application/eligibility_overview.html", rows=rows)
