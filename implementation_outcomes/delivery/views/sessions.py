"""MIO sessions, the feasibility summary, training cases (sessions, self-reflection, consultation calls), settings."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import media, paging
from app.forms import edit_page
from app.security import get_scoped_or_404, roles_required
from implementation_outcomes.delivery import tables
from implementation_outcomes.delivery.forms import (
    CallForm,
    ConfirmForm,
    MioSessionForm,
    SettingsForm,
    TrainingSessionForm,
    rating_form_values,
    rating_labels,
    scale_fields,
)
from implementation_outcomes.delivery.models import (
    SESSION_STATUSES,
    ConsultationCall,
    MioSession,
    TrainingCaseSession,
)
from implementation_outcomes.delivery.services import feasibility, recordings, screening, sessions
from implementation_outcomes.delivery.services import fidelity as fidelity_service
from implementation_outcomes.delivery.services.common import (
    DeliveryError,
    clinic_or_404,
    counselors,
    current_scheme,
    deployment_study_id_pattern,
    save_settings,
    settings,
)
from implementation_outcomes.delivery.views.common import (
    FIDELITY_ROLES,
    LOG_ROLES,
    TRAINING_ROLES,
    bp,
)

SESSIONS_PER_PAGE = 100
#: the sessions list's query string, kept by a delete so the user returns to the page they were on
SESSION_LIST_ARGS = ("study_id", "counselor", "status", "from", "to", "page")


def session_filters(args, mothers, staff) -> tuple[dict, dict]:
    """The sessions list's filters from the query string (``app.paging``): a mother of ``mothers`` by study ID, a
    counselor of ``staff`` by id, a status, a from/to period. Returns the keyword arguments of
    ``sessions.mio_sessions_query`` and the filters as the form and links show them. The page and its downloads
    read the same filters, so a download holds every row the filtered list pages through."""
    mother = paging.choice(args, "study_id", {m.study_id: m for m in mothers},
                           noun="study ID of a MIO + TAU mother at this clinic")
    counselor = paging.choice(args, "counselor", {str(c.id): c for c in staff}, noun="counselor of this clinic")
    status = paging.choice(args, "status", {key: key for key in SESSION_STATUSES})
    date_from, date_to = paging.date_range(args, "from", "to")
    criteria = {"participant": mother, "counselor": counselor, "status": status, "date_from": date_from,
                "date_to": date_to}
    shown = {"study_id": mother.study_id if mother else "", "counselor": str(counselor.id) if counselor else "",
             "status": status or "", "from": date_from.isoformat() if date_from else "",
             "to": date_to.isoformat() if date_to else ""}
    return criteria, shown


@bp.route("/clinics/<int:clinic_id>/sessions")
@roles_required(*LOG_ROLES)
def sessions_page(clinic_id: int):
    clinic = clinic_or_404(clinic_id)
    mothers, staff = screening.mio_mothers(clinic), counselors(clinic)
    criteria, filters = session_filters(request.args, mothers, staff)
    rows = paging.paginate(sessions.mio_sessions_query(clinic, **criteria), paging.page_number(request.args),
                           SESSIONS_PER_PAGE)
    return render_template("delivery/sessions.html", clinic=clinic, sessions=rows, filters=filters,
                           args=paging.query_args(filters), mothers=mothers, counselors=staff,
                           statuses=SESSION_STATUSES, confirm=ConfirmForm(),
                           table=tables.mio_sessions_table(rows.items))


def _session_form(clinic, obj: MioSession | None) -> MioSessionForm:
    form = MioSessionForm(obj=obj)
    form.participant_id.choices = [(m.id, m.study_id) for m in screening.mio_mothers(clinic)]
    form.counselor_id.choices = [(c.id, c.display_name) for c in counselors(clinic)]
    if request.method == "GET" and obj is None:
        chosen = request.args.get("participant_id", type=int)
        mother = next((m for m in screening.mio_mothers(clinic) if m.id == chosen), None)
        if mother is not None:
            form.participant_id.data = mother.id
            form.counselor_id.data = mother.counselor_id
    return form


def _session_page(clinic, obj, form, save, back: str, kind: str):
    """The create/edit page of a MIO or training-case session: ``save(clinic, obj, values)`` is the service."""

    def saved():
        row = save(clinic, obj, form.values())
        return f"Saved {row.label}.", url_for(back, clinic_id=clinic.id)

    recording = {}
    if obj is not None:  # the edit page also plays and takes the session's recording
        url = (url_for("delivery.recording_mio", mio_session_id=obj.id) if kind == "mio"
               else url_for("delivery.recording_training", training_case_session_id=obj.id))
        recording = {"recording": recordings.recording_of(obj), "recording_url": url, "media": media,
                     "meta": fidelity_service.session_meta(obj)}
    return edit_page(form, saved, "delivery/session_form.html", clinic=clinic, obj=obj, kind=kind, **recording)


def _save_session(clinic, obj: MioSession | None):
    return _session_page(clinic, obj, _session_form(clinic, obj), sessions.save_mio_session,
                         "delivery.sessions_page", "mio")


@bp.route("/clinics/<int:clinic_id>/sessions/new", methods=["GET", "POST"])
@roles_required(*LOG_ROLES)
def session_new(clinic_id: int):
    return _save_session(clinic_or_404(clinic_id), None)


@bp.route("/mio-sessions/<int:mio_session_id>/edit", methods=["GET", "POST"])
@roles_required(*LOG_ROLES)
def session_edit(mio_session_id: int):
    obj = get_scoped_or_404(MioSession, mio_session_id)
    return _save_session(obj.participant.clinic, obj)


@bp.route("/mio-sessions/<int:mio_session_id>/delete", methods=["POST"])
@roles_required(*LOG_ROLES)
def session_delete(mio_session_id: int):
    obj = get_scoped_or_404(MioSession, mio_session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    clinic_id, label = obj.clinic_id, obj.label
    try:
        sessions.delete_mio_session(obj)
        flash(f"Deleted {label}.", "success")
    except DeliveryError as exc:
        flash(str(exc), "error")
    kept = {key: value for key, value in request.args.items() if key in SESSION_LIST_ARGS}
    return redirect(url_for("delivery.sessions_page", clinic_id=clinic_id, **kept))


@bp.route("/clinics/<int:clinic_id>/feasibility")
@roles_required(*LOG_ROLES)
def feasibility_page(clinic_id: int):
    clinic = clinic_or_404(clinic_id)
    figures = feasibility.clinic_feasibility(clinic_id)
    return render_template("delivery/feasibility.html", clinic=clinic, f=figures,
                           tables=tables.feasibility_tables(figures))


# --- training cases -----------------------------------------------------------------------------------------


@bp.route("/clinics/<int:clinic_id>/training")
@roles_required(*TRAINING_ROLES)
def training_page(clinic_id: int):
    clinic = clinic_or_404(clinic_id)
    rows = sessions.training_sessions(clinic)
    calls = sessions.consultation_calls(clinic)
    self_rated = fidelity_service.self_rated_session_ids(clinic)
    return render_template("delivery/training.html", clinic=clinic, sessions=rows, calls=calls,
                           self_rated=self_rated, confirm=ConfirmForm(),
                           table=tables.training_sessions_table(rows), calls_table=tables.calls_table(calls))


def _save_training(clinic, obj: TrainingCaseSession | None):
    form = TrainingSessionForm(obj=obj)
    form.counselor_id.choices = [(c.id, c.display_name) for c in counselors(clinic)]
    return _session_page(clinic, obj, form, sessions.save_training_session, "delivery.training_page", "training")


@bp.route("/clinics/<int:clinic_id>/training/new", methods=["GET", "POST"])
@roles_required(*TRAINING_ROLES)
def training_new(clinic_id: int):
    return _save_training(clinic_or_404(clinic_id), None)


@bp.route("/training-case-sessions/<int:training_case_session_id>/edit", methods=["GET", "POST"])
@roles_required(*TRAINING_ROLES)
def training_edit(training_case_session_id: int):
    obj = get_scoped_or_404(TrainingCaseSession, training_case_session_id)
    return _save_training(clinic_or_404(obj.clinic_id), obj)


@bp.route("/training-case-sessions/<int:training_case_session_id>/delete", methods=["POST"])
@roles_required(*TRAINING_ROLES)
def training_delete(training_case_session_id: int):
    obj = get_scoped_or_404(TrainingCaseSession, training_case_session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    clinic_id, label = obj.clinic_id, obj.label
    try:
        sessions.delete_training_session(obj)
        flash(f"Deleted {label}.", "success")
    except DeliveryError as exc:
        flash(str(exc), "error")
    return redirect(url_for("delivery.training_page", clinic_id=clinic_id))


@bp.route("/training-case-sessions/<int:training_case_session_id>/self-rating", methods=["GET", "POST"])
@roles_required(*TRAINING_ROLES)
def self_rating(training_case_session_id: int):
    """The counselor's self-reflection after a training-case session, entered on their behalf."""
    obj = get_scoped_or_404(TrainingCaseSession, training_case_session_id)
    form = ConfirmForm()
    version, scheme = current_scheme()
    values = {**(fidelity_service.existing_scores(obj, "self", None) or {}),
              **fidelity_service.existing_notes(obj, "self", None)}
    errors: dict[str, str] = {}
    if request.method == "POST" and form.validate_on_submit():
        values = rating_form_values(scheme, request.form)
        try:
            fidelity_service.save_rating(obj, "self", values, current_user)
            flash(f"Saved the self-reflection rating of {obj.label}.", "success")
            return redirect(url_for("delivery.training_page", clinic_id=obj.clinic_id))
        except DeliveryError as exc:
            errors = exc.errors
    status = 400 if request.method == "POST" else 200
    return render_template("delivery/rate.html", form=form, scheme=scheme, version=version,
                           scales=scale_fields(scheme), values=values, errors=errors, source="self",
                           labels=rating_labels(scheme), recording=None,
                           meta=fidelity_service.session_meta(obj), clinic=clinic_or_404(obj.clinic_id),
                           back=url_for("delivery.training_page", clinic_id=obj.clinic_id)), status


@bp.route("/clinics/<int:clinic_id>/consultation-calls/new", methods=["GET", "POST"])
@roles_required(*TRAINING_ROLES)
def call_new(clinic_id: int):
    clinic = clinic_or_404(clinic_id)
    form = CallForm()
    form.counselor_id.choices = [(c.id, c.display_name) for c in counselors(clinic)]

    def save():
        call = sessions.save_call(clinic, {"counselor_id": form.counselor_id.data, "call_date": form.call_date.data,
                                           "attended": form.attended.data})
        return (f"Saved the call of {call.call_date.isoformat()}.",
                url_for("delivery.training_page", clinic_id=clinic.id) + "#calls")

    return edit_page(form, save, "delivery/call_form.html", clinic=clinic)


@bp.route("/consultation-calls/<int:consultation_call_id>/delete", methods=["POST"])
@roles_required(*TRAINING_ROLES)
def call_delete(consultation_call_id: int):
    call = get_scoped_or_404(ConsultationCall, consultation_call_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    clinic_id = call.clinic_id
    sessions.delete_call(call)
    flash("Deleted the consultation call.", "success")
    return redirect(url_for("delivery.training_page", clinic_id=clinic_id) + "#calls")


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(*FIDELITY_ROLES)
def settings_page():
    form = SettingsForm(obj=settings())

    def save():
        save_settings(form.completion_threshold.data, form.double_coding_share.data, form.study_id_pattern.data)
        return "Saved the delivery settings.", url_for("delivery.settings_page")

    return edit_page(form, save, "delivery/settings.html", default_pattern=deployment_study_id_pattern())
