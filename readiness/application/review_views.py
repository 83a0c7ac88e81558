"""The implementation director's pages: every application with its status, side-by-side comparison, review
notes, returning and deciding, and training cohorts."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.db import db
from app.exports import XLSX_MIME, csv_response, xlsx_bytes
from app.models import Role
from app.security import roles_required
from readiness.application import content, eligibility_services, review_services, services, workflow
from readiness.application.blueprint import bp
from readiness.application.forms import CohortForm, NoteForm, TransitionForm
from readiness.application.models import TrainingCohort

DIRECTOR_ROLES = (Role.DIRECTOR,)


def review_context(application, note_form=None, transition_form=None) -> dict:
    """Forms of the review panel on the application page (director and admins)."""
    actions = [a for a in workflow.allowed_actions(application.status, current_user.role) if a.key != "submit"]
    transition_form = transition_form or TransitionForm(formdata=None)
    transition_form.action.choices = [(a.key, a.label) for a in actions]  # after a failed POST too
    return {"note_form": note_form or NoteForm(formdata=None), "transition_form": transition_form,
            "actions": actions, "is_reviewer": True}


@bp.route("/")
@roles_required(*DIRECTOR_ROLES)
def index():
    status = request.args.get("status") or None
    cohort_id = request.args.get("cohort_id", type=int)
    if status and status not in workflow.STATUS_LABELS:
        flash(f"Unknown status “{status}”: showing every status.", "warning")
        status = None
    applications = services.applications(status=status, cohort_id=cohort_id)
    return render_template("readiness/application/index.html", applications=applications,
                           summaries={a.id: eligibility_services.summary_for(a) for a in applications},
                           statuses=workflow.STATUS_LABELS, cohorts=services.cohorts(), status=status,
                           cohort_id=cohort_id)


@bp.route("/compare")
@roles_required(*DIRECTOR_ROLES)
def compare():
    try:
        ids = sorted({int(v) for v in request.args.getlist("application_id")})
    except ValueError:
        ids = []
    applications = services.applications_by_ids(ids)
    if len(applications) < 2:
        flash("Choose at least two applications to compare (tick them in the list).", "error")
        return render_template("readiness/application/compare.html", headers=None, rows=None, applications=[]), 400
    headers, rows = review_services.compare_table(applications)
    fmt = request.args.get("format")
    if fmt == "csv":
        return csv_response("applications-compared.csv", headers, rows)
    if fmt == "xlsx":
        return Response(xlsx_bytes({"Compared": (headers, rows)}), mimetype=XLSX_MIME,
                        headers={"Content-Disposition": "attachment; filename=applications-compared.xlsx"})
    return render_template("readiness/application/compare.html", headers=headers, rows=rows,
                           applications=applications, ids=ids)


@bp.route("/<int:application_id>/notes", methods=["POST"])
@roles_required(*DIRECTOR_ROLES)
def add_note(application_id: int):
    application = services.get_application(application_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return render_view(application, 400, note_form=form)
    review_services.add_note(application, form.body.data, current_user)
    flash("Review note added.", "success")
    return redirect(url_for("application.view", application_id=application.id) + "#review")


@bp.route("/<int:application_id>/transition", methods=["POST"])
@roles_required(*DIRECTOR_ROLES)
def transition(application_id: int):
    application = services.get_application(application_id)
    form = TransitionForm()
    form.action.choices = [(key, a.label) for key, a in workflow.ACTIONS.items()]
    if not form.validate_on_submit():
        return render_view(application, 400, transition_form=form)
    try:
        outcome = review_services.apply_action(application, form.action.data, form.text.data, current_user)
    except workflow.TextMissing as exc:
        form.text.errors = [str(exc)]
        return render_view(application, 400, transition_form=form)
    except workflow.TransitionError as exc:
        flash(str(exc), "error")
        return render_view(application, 409)
    message = f"Status changed from {workflow.STATUS_LABELS[outcome['from']].lower()} to " \
              f"{workflow.STATUS_LABELS[outcome['to']].lower()}."
    if outcome["linked"]:
        created = sum(1 for x in outcome["linked"] if x["created"])
        message += (f" {len(outcome['linked'])} eligible clinician(s) linked to counselor records"
                    f" ({created} new).")
    flash(message, "success")
    return redirect(url_for("application.view", application_id=application.id))


def render_view(application, status: int = 200, **forms):
    """The application page: content, notes the user may see, eligibility summary, and (for reviewers) the
    review panel; ``forms`` carries a note/transition form with its messages after a failed POST."""
    context = review_context(application, **forms) if current_user.role in (Role.DIRECTOR, Role.ADMIN) else {}
    return render_template("readiness/application/view.html", application=application,
                           sections=services.display_sections(application),
                           notes=services.visible_notes(application, current_user),
                           return_comment=services.latest_return_comment(application),
                           summary=eligibility_services.summary_for(application),
                           missing=content.missing_items(services.snapshot(application)),
                           steps=content.STEPS, **context), status


# --- training cohorts -----------------------------------------------------------------------------------------------
@bp.route("/cohorts")
@roles_required(*DIRECTOR_ROLES)
def cohorts():
    return render_template("readiness/application/cohorts.html", cohorts=services.cohorts(),
                           counts=_cohort_counts())


def _cohort_counts() -> dict[int, int]:
    counts: dict[int, int] = {}
    for application in services.applications():
        counts[application.cohort_id] = counts.get(application.cohort_id, 0) + 1
    return counts


@bp.route("/cohorts/new", methods=["GET", "POST"])
@bp.route("/cohorts/<int:training_cohort_id>/edit", methods=["GET", "POST"])
@roles_required(*DIRECTOR_ROLES)
def cohort_edit(training_cohort_id: int | None = None):
    cohort = db.session.get(TrainingCohort, training_cohort_id) if training_cohort_id else TrainingCohort()
    if cohort is None:
        abort(404)
    form = CohortForm(obj=cohort if training_cohort_id else None)
    if form.validate_on_submit():
        if services.cohort_name_taken(form.name.data, cohort.id):
            form.name.errors.append(f"Another cohort is already called “{form.name.data}”.")
        else:
            data = {k: form[k].data for k in ("name", "starts_on", "ends_on", "applications_due_on", "description")}
            services.save_cohort(cohort, data, current_user)
            flash(f"Saved the {cohort.name}.", "success")
            return redirect(url_for("application.cohorts"))
    status = 400 if request.method == "POST" else 200
    return render_template("readiness/application/cohort_form.html", form=form, cohort=cohort), status
