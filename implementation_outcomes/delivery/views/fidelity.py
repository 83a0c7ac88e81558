"""Fidelity: overview and coding assignment (director), the scheme (view; director edits), the coder's queue and
rating form, and the clinic fidelity page."""

from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import media, paging
from app.models import Role
from app.security import roles_required
from implementation_outcomes.delivery import tables
from implementation_outcomes.delivery.charts import run_chart_svg
from implementation_outcomes.delivery.forms import (
    ConfirmForm,
    SchemeJsonForm,
    rating_form_values,
    rating_labels,
    scale_fields,
)
from implementation_outcomes.delivery.services import fidelity as service
from implementation_outcomes.delivery.services import recordings
from implementation_outcomes.delivery.services.common import (
    DeliveryError,
    clinic_or_404,
    current_scheme,
    scheme_history,
    settings,
    visible_clinics,
)
from implementation_outcomes.delivery.services.fidelity_figures import adequacy_lines, fidelity_figures
from implementation_outcomes.delivery.views.common import (
    CODER_ROLES,
    FIDELITY_ROLES,
    LOG_ROLES,
    TRAINING_ROLES,
    bp,
)
from implementation_outcomes.errors import FidelitySchemeError
from implementation_outcomes.fidelity import OPERATORS


@bp.route("/fidelity")
@roles_required(*FIDELITY_ROLES, *CODER_ROLES)
def fidelity_index():
    if current_user.role == Role.FIDELITY_CODER:
        queue = service.coder_queue(current_user)
        version, scheme = current_scheme()
        return render_template("delivery/fidelity_coder_home.html", queue=queue, scheme=scheme, version=version)
    overview = service.fidelity_overview()
    return render_template("delivery/fidelity_index.html", clinics=visible_clinics(), overview=overview,
                           figures=overview["figures"], tables=tables.fidelity_overview_tables(overview),
                           settings=settings(), confirm=ConfirmForm())


@bp.route("/fidelity/assign", methods=["POST"])
@roles_required(*FIDELITY_ROLES)
def fidelity_assign():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        result = service.assign_coding()
        if result["assigned"]:
            flash(f"Assigned {result['assigned']} recorded sessions to coders (batch {result['batch']}); "
                  f"{result['double_coded']} of them also to a second coder for double coding.", "success")
        else:
            flash("Every recorded session already has a coder.", "info")
    except DeliveryError as exc:
        flash(str(exc), "error")
    return redirect(url_for("delivery.fidelity_index"))


@bp.route("/fidelity/scheme")
@roles_required(*FIDELITY_ROLES, *CODER_ROLES)
def scheme_page():
    version, scheme = current_scheme()
    return render_template("delivery/scheme.html", scheme=scheme, version=version, history=scheme_history(),
                           conditions=service.rule_conditions(scheme["adequacy_rule"]))


@bp.route("/fidelity/scheme/edit", methods=["GET", "POST"])
@roles_required(*FIDELITY_ROLES)
def scheme_edit():
    version, scheme = current_scheme()
    form = SchemeJsonForm()
    problems: list[str] = []
    if request.method == "GET":
        form.scheme_json.data = json.dumps(scheme, indent=2, ensure_ascii=False)
    elif form.validate_on_submit():
        try:
            saved = service.save_scheme(service.parse_scheme_text(form.scheme_json.data), form.note.data, current_user)
            flash(f"Saved fidelity scheme version {saved.version}.", "success")
            return redirect(url_for("delivery.scheme_page"))
        except FidelitySchemeError as exc:
            problems = exc.errors
    status = 400 if request.method == "POST" else 200
    return render_template("delivery/scheme_edit.html", form=form, problems=problems, version=version), status


@bp.route("/fidelity/scheme/edit-form", methods=["GET", "POST"])
@roles_required(*FIDELITY_ROLES)
def scheme_edit_structured():
    """The same scheme as a form: labels, groups, rating range and the values of the rule's conditions."""
    version, scheme = current_scheme()
    form = ConfirmForm()
    conditions = service.rule_conditions(scheme["adequacy_rule"])
    problems: list[str] = []
    values = dict(request.form) if request.method == "POST" else {}
    if request.method == "POST" and form.validate_on_submit():
        parsed, problems = _structured_values(request.form, scheme, conditions)
        if not problems:
            try:
                candidate = service.structured_scheme(scheme, parsed)
                saved = service.save_scheme(candidate, request.form.get("note"), current_user)
                flash(f"Saved fidelity scheme version {saved.version}.", "success")
                return redirect(url_for("delivery.scheme_page"))
            except FidelitySchemeError as exc:
                problems = exc.errors
    status = 400 if request.method == "POST" else 200
    return render_template("delivery/scheme_form.html", form=form, scheme=scheme, version=version,
                           conditions=conditions, operators=list(OPERATORS), problems=problems, values=values), status


def _structured_values(data, scheme: dict, conditions: list[dict]) -> tuple[dict, list[str]]:
    parsed: dict = {"title": (data.get("title") or "").strip()}
    problems: list[str] = []
    for name, path in (("range_min", "rating_range.min"), ("range_max", "rating_range.max")):
        try:
            number = float(data.get(name, ""))
            parsed[name] = int(number) if number.is_integer() else number
        except ValueError:
            problems.append(f"{path}: {data.get(name)!r} is not a number")
    for g in scheme["groups"]:
        parsed[f"group_{g['key']}_label"] = (data.get(f"group_{g['key']}_label") or "").strip()
    for s in scheme["scales"]:
        parsed[f"scale_{s['key']}_label"] = (data.get(f"scale_{s['key']}_label") or "").strip()
        parsed[f"scale_{s['key']}_group"] = data.get(f"scale_{s['key']}_group")
    for i, _condition in enumerate(conditions):
        parsed[f"rule_{i}_op"] = data.get(f"rule_{i}_op")
        try:
            number = float(data.get(f"rule_{i}_value", ""))
            parsed[f"rule_{i}_value"] = int(number) if number.is_integer() else number
        except ValueError:
            problems.append(f"adequacy_rule condition {i + 1}.value: {data.get(f'rule_{i}_value')!r} is not a number")
    return parsed, problems


QUEUE_PER_PAGE = 50
QUEUE_LISTS = {"to_rate": "To rate", "rated": "Rated by you"}


@bp.route("/fidelity/queue")
@roles_required(*CODER_ROLES)
def coder_queue():
    """The coder's sessions, to rate (oldest first) or rated (latest first), one list at a time, 50 a page."""
    shown = paging.choice(request.args, "list", {key: key for key in QUEUE_LISTS}) or "to_rate"
    queue = service.coder_queue(current_user)
    rows = paging.paginate_list(queue[shown], paging.page_number(request.args), QUEUE_PER_PAGE)
    return render_template("delivery/queue.html", queue=queue, shown=shown, rows=rows, lists=QUEUE_LISTS)


def _rate(kind: str, session_id: int):
    session, assigned = service.session_for_coder(kind, session_id, current_user)
    if not assigned:
        abort(403)
    form = ConfirmForm()
    version, scheme = current_scheme()
    values = {**(service.existing_scores(session, "coder", current_user.id) or {}),
              **service.existing_notes(session, "coder", current_user.id)}
    errors: dict[str, str] = {}
    if request.method == "POST" and form.validate_on_submit():
        values = rating_form_values(scheme, request.form)
        try:
            service.save_rating(session, "coder", values, current_user)
            meta = service.session_meta(session)
            flash(f"Saved your rating of {meta['subject']} session {session.session_number}.", "success")
            if request.form.get("then") == "next":
                upcoming = service.next_to_rate(current_user, session)
                if upcoming is not None:
                    return redirect(_rate_url(upcoming))
                flash("Every session in your queue is rated.", "info")
            return redirect(url_for("delivery.coder_queue"))
        except DeliveryError as exc:
            errors = exc.errors
    status = 400 if request.method == "POST" else 200
    recording = recordings.recording_of(session)
    return render_template("delivery/rate.html", form=form, scheme=scheme, version=version, scales=scale_fields(scheme),
                           values=values, errors=errors, labels=rating_labels(scheme), source="coder",
                           meta=service.session_meta(session), clinic=None, back=url_for("delivery.coder_queue"),
                           recording=recording, media=media,
                           recording_url=_recording_url(session)), status


def _rate_url(meta: dict) -> str:
    if meta["kind"] == "mio":
        return url_for("delivery.rate_mio", mio_session_id=meta["session_id"])
    return url_for("delivery.rate_training", training_case_session_id=meta["session_id"])


def _recording_url(session) -> str:
    if session.kind == "mio":
        return url_for("delivery.recording_mio", mio_session_id=session.id)
    return url_for("delivery.recording_training", training_case_session_id=session.id)


# --- recordings -------------------------------------------------------------------------------------------------


def _recording(kind: str, session_id: int):
    """GET: the recording, streamed for the player (Range, no-store; audited as a participant read). POST: upload
    or replace it (trial staff, the director, agency staff for training cases, the assigned coder)."""
    session = recordings.session_for(kind, session_id, current_user)
    if session is None:
        abort(403)
    if request.method == "GET":
        recording = recordings.recording_of(session)
        if recording is None:
            abort(404)
        return media.play(recording.storage_key)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    upload = request.files.get("recording")
    back = _rate_url(service.session_meta(session)) if current_user.role == Role.FIDELITY_CODER else (
        url_for("delivery.session_edit", mio_session_id=session.id) if kind == "mio"
        else url_for("delivery.training_edit", training_case_session_id=session.id))
    if upload is None or not upload.filename:
        flash("Recording: choose an audio file to upload.", "error")
        return redirect(back)
    try:
        saved = recordings.save_recording(session, upload.stream, upload.filename, upload.mimetype, current_user)
    except DeliveryError as exc:
        flash("; ".join(f"Recording: {message}" for message in exc.errors.values()), "error")
        return redirect(back)
    flash(f"Stored the recording {saved.filename} ({media.human_size(saved.size)}).", "success")
    return redirect(back)


@bp.route("/mio-sessions/<int:mio_session_id>/recording", methods=["GET", "POST"])
@media.upload_view
@roles_required(*LOG_ROLES, *CODER_ROLES)
def recording_mio(mio_session_id: int):
    return _recording("mio", mio_session_id)


@bp.route("/training-case-sessions/<int:training_case_session_id>/recording", methods=["GET", "POST"])
@media.upload_view
@roles_required(*TRAINING_ROLES, *CODER_ROLES)
def recording_training(training_case_session_id: int):
    return _recording("training", training_case_session_id)


@bp.route("/fidelity/rate/mio/<int:mio_session_id>", methods=["GET", "POST"])
@roles_required(*CODER_ROLES)
def rate_mio(mio_session_id: int):
    return _rate("mio", mio_session_id)


@bp.route("/fidelity/rate/training/<int:training_case_session_id>", methods=["GET", "POST"])
@roles_required(*CODER_ROLES)
def rate_training(training_case_session_id: int):
    return _rate("training", training_case_session_id)


@bp.route("/clinics/<int:clinic_id>/fidelity")
@roles_required(*FIDELITY_ROLES)
def fidelity_page(clinic_id: int):
    clinic = clinic_or_404(clinic_id)
    figures = fidelity_figures(clinic)
    rr = figures["scheme"]["rating_range"]
    charts = {rc["counselor_id"]: run_chart_svg(
        rc["chart"], f"Run chart of adherence scores, {rc['counselor']}", (rr["min"], rr["max"]),
        chart_id=f"run-{rc['counselor_id']}", x_labels=[p["label"] for p in rc["points"]],
        references=adequacy_lines(figures["scheme"]))
        for rc in figures["run_charts"]}
    all_tables = tables.fidelity_tables(figures)
    return render_template("delivery/fidelity.html", clinic=clinic, figures=figures, charts=charts,
                           tables={t.name: t for t in all_tables})
