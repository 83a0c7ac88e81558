"""Clinic index, the reach page and the screening log (entries, CSV import, randomization)."""

from __future__ import annotations

import os
from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import paging
from app.db import db
from app.forms import edit_page
from app.jobs.models import Job
from app.models import Role
from app.security import get_scoped_or_404, roles_required
from implementation_outcomes.delivery import tables
from implementation_outcomes.delivery.charts import consort_svg
from implementation_outcomes.delivery.forms import (
    ConfirmForm,
    CounselorForm,
    ImportForm,
    ParticipantForm,
    RandomizeForm,
)
from implementation_outcomes.delivery.models import ARM_LABELS, SCREENING_STATUS_LABELS, TrialParticipant
from implementation_outcomes.delivery.screening_log import COLUMNS, estimated_rows, template_csv
from implementation_outcomes.delivery.services import screening
from implementation_outcomes.delivery.services import screening_import as large
from implementation_outcomes.delivery.services.common import (
    DeliveryError,
    clinic_or_404,
    counselors,
    study_id_pattern,
    visible_clinics,
)
from implementation_outcomes.delivery.views.common import LOG_ROLES, TRAINING_ROLES, bp
from implementation_outcomes.errors import ScreeningLogError


@bp.route("/")
@roles_required(*TRAINING_ROLES)
def index():
    return render_template("delivery/index.html", clinics=visible_clinics(),
                           sees_mothers=current_user.role in (*LOG_ROLES, Role.ADMIN),
                           sees_fidelity=current_user.role in (Role.DIRECTOR, Role.ADMIN))


@bp.route("/clinics/<int:clinic_id>/reach")
@roles_required(*LOG_ROLES)
def reach_page(clinic_id: int):
    reach = screening.clinic_reach(clinic_id)
    clinic = clinic_or_404(clinic_id)
    svg = consort_svg(reach["flow"], f"CONSORT flow diagram, {clinic.code}", chart_id=f"consort-{clinic.id}")
    return render_template("delivery/reach.html", clinic=clinic, reach=reach, tables=tables.reach_tables(reach),
                           consort=svg, arm_labels=ARM_LABELS)


SCREENING_PER_PAGE = 100


@bp.route("/clinics/<int:clinic_id>/screening-log")
@roles_required(*LOG_ROLES)
def screening_log(clinic_id: int):
    """The log, 100 rows a page in study-ID order; ``added`` names a row just saved, drawn highlighted (the save
    redirects to the page holding it, anchored on it: ``log_url``)."""
    clinic = clinic_or_404(clinic_id)
    status = request.args.get("status") or None
    if status and status not in SCREENING_STATUS_LABELS:
        abort(400, f"status: {status!r} is not a screening status")
    added = request.args.get("added", type=int)
    entries = paging.paginate(screening.participants_query(clinic, status=status), paging.page_number(request.args),
                              SCREENING_PER_PAGE)
    return render_template("delivery/screening_log.html", clinic=clinic, entries=entries, status=status,
                           statuses=SCREENING_STATUS_LABELS, arm_labels=ARM_LABELS, confirm=ConfirmForm(),
                           table=tables.screening_log_table(entries.items), added=added,
                           args=paging.query_args({"status": status}))


def log_url(participant: TrialParticipant) -> str:
    """The page of the (unfiltered) log that holds ``participant``, anchored on her row and highlighting it."""
    page = screening.rows_before(participant) // SCREENING_PER_PAGE + 1
    return url_for("delivery.screening_log", clinic_id=participant.clinic_id, page=page, added=participant.id,
                   _anchor=f"participant-{participant.id}")


def _participant_form(clinic, obj: TrialParticipant | None) -> ParticipantForm:
    form = ParticipantForm(obj=obj)
    form.counselor_id.choices = [(0, "— none —")] + [(c.id, c.display_name) for c in counselors(clinic)]
    form.study_id.description = (f"The study ID only, following this study's pattern {study_id_pattern()} "
                                 "(e.g. SPR1-001); never a name or a date.")
    if request.method == "GET" and obj is not None:
        form.arm.data = obj.arm or ""
        form.counselor_id.data = obj.counselor_id or 0
        form.primary_substance.data = obj.primary_substance or ""
        form.medication_treatment.data = {True: "yes", False: "no"}.get(obj.medication_treatment, "")
    return form


def _save_participant(clinic, participant: TrialParticipant | None):
    form = _participant_form(clinic, participant)
    locked = participant is not None and participant.allocation_source == "platform"

    def save():
        raw = form.raw()
        if locked:  # the trial record of a platform assignment is shown, not editable
            raw.update(status=participant.status, arm=participant.arm, randomized_on=participant.randomized_on)
        saved = screening.save_entry(clinic, participant, raw)
        return f"Saved {saved.study_id}.", log_url(saved)

    return edit_page(form, save, "delivery/participant_form.html", clinic=clinic, participant=participant,
                     locked=locked, arm_labels=ARM_LABELS)


@bp.route("/clinics/<int:clinic_id>/screening-log/new", methods=["GET", "POST"])
@roles_required(*LOG_ROLES)
def participant_new(clinic_id: int):
    return _save_participant(clinic_or_404(clinic_id), None)


@bp.route("/participants/<int:trial_participant_id>/edit", methods=["GET", "POST"])
@roles_required(*LOG_ROLES)
def participant_edit(trial_participant_id: int):
    participant = get_scoped_or_404(TrialParticipant, trial_participant_id)
    return _save_participant(participant.clinic, participant)


@bp.route("/participants/<int:trial_participant_id>/delete", methods=["POST"])
@roles_required(*LOG_ROLES)
def participant_delete(trial_participant_id: int):
    participant = get_scoped_or_404(TrialParticipant, trial_participant_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    clinic_id = participant.clinic_id
    try:
        screening.delete_entry(participant)
        flash(f"Deleted {participant.study_id} from the screening log.", "success")
    except DeliveryError as exc:
        flash(str(exc), "error")
    return redirect(url_for("delivery.screening_log", clinic_id=clinic_id))


@bp.route("/participants/<int:trial_participant_id>/randomize", methods=["GET", "POST"])
@roles_required(*LOG_ROLES)
def participant_randomize(trial_participant_id: int):
    """Concealed allocation: nothing about the sequence is shown until this consented mother is assigned."""
    participant = get_scoped_or_404(TrialParticipant, trial_participant_id)
    form = RandomizeForm()
    if participant.status != "consented" or participant.arm is not None:
        flash(f"{participant.study_id} is not awaiting randomization.", "error")
        return redirect(url_for("delivery.screening_log", clinic_id=participant.clinic_id))

    def save():
        arm = screening.randomize(participant, form.randomized_on.data)
        if arm == "mio_tau":  # the next step, right there: who will deliver her sessions
            return (f"{participant.study_id} was randomized to {ARM_LABELS[arm]}. Next: assign her counselor.",
                    url_for("delivery.participant_counselor", trial_participant_id=participant.id))
        return f"{participant.study_id} was randomized to {ARM_LABELS[arm]}.", log_url(participant)

    return edit_page(form, save, "delivery/randomize.html", participant=participant, clinic=participant.clinic)


@bp.route("/participants/<int:trial_participant_id>/counselor", methods=["GET", "POST"])
@roles_required(*LOG_ROLES)
def participant_counselor(trial_participant_id: int):
    """Assign (or change) the counselor of a mother in MIO + TAU: offered right after her randomization."""
    participant = get_scoped_or_404(TrialParticipant, trial_participant_id)
    if participant.arm != "mio_tau":
        flash(f"{participant.study_id} is not in MIO + TAU: only MIO mothers have a MIO counselor.", "error")
        return redirect(log_url(participant))
    form = CounselorForm(counselor_id=participant.counselor_id)
    staff = counselors(participant.clinic, active_only=True)
    form.counselor_id.choices = [(c.id, c.display_name) for c in staff]

    def save():
        screening.assign_counselor(participant, form.counselor_id.data)
        return (f"{participant.counselor.display_name} is the counselor of {participant.study_id}.",
                log_url(participant))

    return edit_page(form, save, "delivery/counselor_form.html", participant=participant,
                     clinic=participant.clinic, arm_labels=ARM_LABELS, later=log_url(participant))


@bp.route("/clinics/<int:clinic_id>/screening-log/import", methods=["GET", "POST"])
@roles_required(*LOG_ROLES)
def screening_import(clinic_id: int):
    """A file of up to ``SCREENING_IMPORT_JOB_ROWS`` rows is imported in the request; a larger one is staged and
    imported by a background job, whose progress page the user is sent to (``services.screening_import``)."""
    clinic = clinic_or_404(clinic_id)
    form = ImportForm()
    problems: list[str] = []
    if form.validate_on_submit():
        data = form.file.data.read()
        filename = os.path.basename((form.file.data.filename or "screening-log.csv").replace("\\", "/"))[:200]
        rows = estimated_rows(data)
        try:
            if rows > large.job_threshold():
                limit = screening.max_import_rows()
                if rows > limit:
                    raise ScreeningLogError(f"file: {rows:,} data rows; one import takes at most {limit:,} rows: "
                                            "split the file")
                record = large.start_import_job(clinic, data, filename, rows, current_user)
                flash(f"Importing {rows:,} rows of {filename} in the background: every row is checked before any "
                      "is saved.", "info")
                return redirect(url_for("jobs.show", job_id=record.id))
            added = screening.import_csv(clinic, data, filename=filename)
            flash(f"Imported {added} screening-log rows into {clinic.code}.", "success")
            return redirect(url_for("delivery.screening_log", clinic_id=clinic.id))
        except ScreeningLogError as exc:
            problems = exc.errors
    status = 400 if request.method == "POST" else 200
    return render_template("delivery/import.html", clinic=clinic, form=form, problems=problems, columns=COLUMNS,
                           today=date.today(), job_rows=large.job_threshold(),
                           max_rows=screening.max_import_rows()), status


@bp.route("/clinics/<int:clinic_id>/screening-log/import/<job_id>")
@roles_required(*LOG_ROLES)
def screening_import_result(clinic_id: int, job_id: str):
    """The outcome of a background import: rows added, or every problem by row and field (nothing saved)."""
    clinic = clinic_or_404(clinic_id)
    record = db.session.get(Job, job_id[:36])
    if (record is None or record.kind != large.JOB_KIND or (record.payload or {}).get("clinic_id") != clinic.id
            or (record.created_by_id != current_user.id and current_user.role != Role.DIRECTOR)):
        abort(404)
    if not record.finished:
        return redirect(url_for("jobs.show", job_id=record.id))
    outcome = record.result or {}
    form = ImportForm(formdata=None)
    return render_template("delivery/import.html", clinic=clinic, form=form, problems=outcome.get("problems") or [],
                           problem_count=outcome.get("problem_count"), job=record, added=outcome.get("added"),
                           columns=COLUMNS, today=date.today(), job_rows=large.job_threshold(),
                           max_rows=screening.max_import_rows()), 200


@bp.route("/screening-log-template.csv")
@roles_required(*LOG_ROLES)
def screening_template():
    return Response("\ufeff" + template_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=screening-log-template.csv"})
