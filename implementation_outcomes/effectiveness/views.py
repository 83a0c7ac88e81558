"""The effectiveness blueprint (``/effectiveness``): the assessment schedule per clinic, a mother's assessments,
entry by form, missed assessments, withdrawals, unblinding, double-coding reliability and the study's windows.
Handlers stay thin: parse, authorize, call a service, render. Blinding is applied by the services."""

from __future__ import annotations

import os
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from app.exports import csv_response
from app.forms import FormRefused, attach_errors, edit_page
from app.models import Role
from app.security import get_scoped_or_404, roles_required
from implementation_outcomes.delivery.models import TrialParticipant
from implementation_outcomes.delivery.services.common import clinic_or_404, visible_clinics
from implementation_outcomes.effectiveness import importing, imports, measures, services
from implementation_outcomes.effectiveness.forms import (
    ImportForm,
    MissedForm,
    UnblindForm,
    WindowsForm,
    WithdrawalForm,
    entry_form,
)
from implementation_outcomes.effectiveness.models import DATA_USE, MISSED_REASONS
from implementation_outcomes.effectiveness.schedule import ACTION_STATUSES, STATUS_LABELS, WINDOW_FIELDS

bp = Blueprint("effectiveness", __name__, url_prefix="/effectiveness",
               template_folder=os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates"))

SCHEDULE_ROLES = services.SCHEDULE_ROLES


def _participant_or_404(trial_participant_id: int) -> TrialParticipant:
    participant = get_scoped_or_404(TrialParticipant, trial_participant_id)
    if participant.status not in services.SCHEDULED_STATUSES:
        abort(404)
    return participant


@bp.route("/")
@roles_required(*SCHEDULE_ROLES)
def index():
    clinics = visible_clinics()
    return render_template("effectiveness/index.html", summaries=services.clinic_summaries(clinics, date.today()),
                           time_points=services.time_points(), action_statuses=ACTION_STATUSES,
                           status_labels=STATUS_LABELS, blinded=services.is_blinded(),
                           measures=measures.measures(), definitions=measures.load_definitions())


@bp.route("/clinics/<int:clinic_id>/schedule")
@roles_required(*SCHEDULE_ROLES)
def clinic_schedule(clinic_id: int):
    clinic = clinic_or_404(clinic_id)
    rows = services.schedule_rows(clinic, date.today())
    only = request.args.get("status") or None
    if only and only not in STATUS_LABELS:
        abort(400, f"status: {only!r} is not a schedule status ({', '.join(STATUS_LABELS)})")
    if only:
        rows = [r for r in rows if any(e["status"] == only for e in r["schedule"])]
    return render_template("effectiveness/schedule.html", clinic=clinic, rows=rows, status=only,
                           status_labels=STATUS_LABELS, time_points=services.time_points(),
                           blinded=services.is_blinded())


@bp.route("/clinics/<int:clinic_id>/schedule.csv")
@roles_required(*SCHEDULE_ROLES)
def clinic_schedule_csv(clinic_id: int):
    clinic = clinic_or_404(clinic_id)
    rows = services.schedule_rows(clinic, date.today())
    headers = ["study_id", "clinic", "randomized_on", "withdrawn_on", "time_point", "target", "window_opens",
               "window_closes", "status"]
    with_arm = any("arm" in r for r in rows)
    if with_arm:
        headers.insert(2, "arm")
    out = []
    for r in rows:
        for e in r["schedule"]:
            line = [r["study_id"], clinic.code, r["randomized_on"], r["withdrawn_on"], e["time_point"], e["target"],
                    e["opens"], e["closes"], e["status"]]
            if with_arm:
                line.insert(2, r.get("arm", ""))
            out.append(line)
    comments = [f"Assessment schedule of {clinic.code} on {date.today().isoformat()}; statuses: "
                + "; ".join(f"{k} = {v}" for k, v in STATUS_LABELS.items())]
    return csv_response(f"schedule-{clinic.code}.csv", headers, out, comments)


@bp.route("/participants/<int:trial_participant_id>")
@roles_required(*SCHEDULE_ROLES)
def participant(trial_participant_id: int):
    p = _participant_or_404(trial_participant_id)
    view = services.mother_view(p, date.today())
    return render_template("effectiveness/participant.html", p=p, view=view, measures=measures.measures(),
                           time_points=services.time_points(), may_enter=services.may_enter,
                           missed_reasons=MISSED_REASONS, data_use=DATA_USE,
                           may_withdraw=current_role() in (*services.WITHDRAWAL_ROLES, Role.ADMIN))


def current_role() -> str | None:
    return services.user_role()


@bp.route("/participants/<int:trial_participant_id>/<time_point>/<measure_key>", methods=["GET", "POST"])
@roles_required(*SCHEDULE_ROLES)
def enter(trial_participant_id: int, time_point: str, measure_key: str):
    p = _participant_or_404(trial_participant_id)
    try:
        m = measures.measure(measure_key)
    except KeyError:
        abort(404)
    if time_point not in m["time_points"]:
        abort(404)
    if not services.may_enter(m):
        abort(403)
    slot = request.args.get("slot", "primary")
    if slot not in ("primary", "second") or (slot == "second" and m["kind"] != "coded"):
        abort(400, f"slot: {slot!r} is not a coder slot of {m['label']}")
    visit = services.visits(p).get(time_point)
    existing = next((s for s in (visit.scores if visit else []) if s.measure == m["key"] and s.coder_slot == slot),
                    None)
    form = entry_form(m, data={**(existing.values if existing else {}),
                               "assessed_on": visit.assessed_on if visit else None} if request.method == "GET"
                      else None)

    def save():
        services.save_scores(p, time_point, m["key"], form.raw(), form.assessed_on.data, slot=slot)
        return (f"Saved {m['label']} for {p.study_id} at {services_tp_label(time_point)}.",
                url_for("effectiveness.participant", trial_participant_id=p.id))

    return edit_page(form, save, "effectiveness/entry.html", p=p, m=m, slot=slot, time_point=time_point,
                     tp_label=services_tp_label(time_point))


def services_tp_label(key: str) -> str:
    return measures.time_point_labels().get(key, key)


@bp.route("/participants/<int:trial_participant_id>/<time_point>/missed", methods=["GET", "POST"])
@roles_required(*SCHEDULE_ROLES)
def missed(trial_participant_id: int, time_point: str):
    p = _participant_or_404(trial_participant_id)
    if time_point not in measures.time_point_labels():
        abort(404)
    form = MissedForm()

    def save():
        services.record_missed(p, time_point, form.missed_reason.data, form.note.data)
        return (f"Recorded why {services_tp_label(time_point)} of {p.study_id} was missed.",
                url_for("effectiveness.participant", trial_participant_id=p.id))

    return edit_page(form, save, "effectiveness/missed.html", p=p, tp_label=services_tp_label(time_point))


@bp.route("/participants/<int:trial_participant_id>/withdraw", methods=["GET", "POST"])
@roles_required(*services.WITHDRAWAL_ROLES)
def withdraw(trial_participant_id: int):
    p = _participant_or_404(trial_participant_id)
    current = services.withdrawal_of(p)
    form = WithdrawalForm(obj=current if request.method == "GET" else None)

    def save():
        services.record_withdrawal(p, form.withdrawn_on.data, form.data_use.data, form.reason.data)
        return f"Recorded the withdrawal of {p.study_id}.", url_for("effectiveness.participant",
                                                                     trial_participant_id=p.id)

    return edit_page(form, save, "effectiveness/withdraw.html", p=p)


@bp.route("/participants/<int:trial_participant_id>/unblind", methods=["GET", "POST"])
@roles_required(Role.OUTCOME_ASSESSOR)
def unblind(trial_participant_id: int):
    p = _participant_or_404(trial_participant_id)
    form = UnblindForm()
    if not services.is_blinded():
        abort(403)
    if form.validate_on_submit():
        try:
            services.unblind(p, form.reason.data)
        except FormRefused as exc:
            attach_errors(form, exc.errors)
        else:
            flash(f"You are unblinded to {p.study_id}; this is recorded in the audit trail.", "success")
            return redirect(url_for("effectiveness.participant", trial_participant_id=p.id))
    return render_template("effectiveness/unblind.html", p=p, form=form), (400 if request.method == "POST" else 200)


@bp.route("/reliability")
@roles_required(Role.DIRECTOR, Role.OUTCOME_ASSESSOR)
def reliability():
    return render_template("effectiveness/reliability.html", rows=services.reliability(),
                           form=services.RELIABILITY_FORM)


@bp.route("/unblindings")
@roles_required(Role.DIRECTOR)
def unblindings():
    return render_template("effectiveness/unblindings.html", rows=services.unblindings())


@bp.route("/windows", methods=["GET", "POST"])
@roles_required(Role.DIRECTOR)
def windows():
    tps = services.time_points()
    errors: dict[str, str] = {}
    form = WindowsForm()
    if form.validate_on_submit():
        submitted = {}
        for tp in tps:
            submitted[tp["key"]] = {}
            for name in WINDOW_FIELDS:
                text = (request.form.get(f"{tp['key']}__{name}") or "").strip()
                submitted[tp["key"]][name] = int(text) if text.isdigit() else text
        try:
            services.save_windows(submitted)
        except FormRefused as exc:
            errors = exc.errors
        else:
            flash("Saved the study's assessment windows.", "success")
            return redirect(url_for("effectiveness.windows"))
    elif request.method == "POST":
        errors = {"": "The form expired; reload the page."}
    return render_template("effectiveness/windows.html", time_points=tps, errors=errors, form=form,
                           fields=WINDOW_FIELDS), (400 if errors else 200)


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*SCHEDULE_ROLES)
def import_page():
    """All rows or none; every problem listed with its row, line and column."""
    form = ImportForm()
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            event_map = imports.parse_event_map(form.event_map.data) if form.event_map.data else None
            result = importing.import_assessments(form.file.data.read(), form.format.data, event_map)
        except imports.AssessmentImportError as exc:
            problems = exc.errors
        else:
            flash(f"Imported {result['scores']} measure values from {result['rows']} rows "
                  f"({result['mothers']} mothers).", "success")
            return redirect(url_for("effectiveness.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("effectiveness/import.html", form=form, problems=problems,
                           columns=imports.template_headers()), status


@bp.route("/import/template.csv")
@roles_required(*SCHEDULE_ROLES)
def import_template():
    from flask import Response

    return Response("\ufeff" + imports.template_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=assessments-template.csv"})
