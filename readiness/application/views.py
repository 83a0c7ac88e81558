"""Agency side of the application: start one, fill it in step by step (saved as a draft at every step, autosaved
field by field), review and submit; the read-only page and the print view for everyone who may see it."""

from __future__ import annotations

import re

from flask import flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user

from app.models import Role
from app.security import roles_required
from readiness.application import content, eligibility_services, services
from readiness.application.blueprint import bp
from readiness.application.forms import ROW_FORMS, STEP_FORMS, NewApplicationForm, spec_fields
from readiness.application.review_views import render_view
from readiness.application.services import (
    ApplicationLocked,
    ApplicationWindowClosed,
    BadCopySource,
    DuplicateApplication,
    Incomplete,
)

AGENCY_ROLES = (Role.AGENCY_STAFF,)
READ_ROLES = (Role.AGENCY_STAFF, Role.DIRECTOR)
STEP_KEYS = [key for key, _label in content.STEPS]
SAVED_SUBMITS = "application_saved_submits"  # session key: ids of the browser's last whole-form saves
SUBMIT_ID = re.compile(r"[A-Za-z0-9_-]{6,40}")


def next_step(step: str) -> str:
    return STEP_KEYS[min(STEP_KEYS.index(step) + 1, len(STEP_KEYS) - 1)]


def step_url(application, step: str) -> str:
    return url_for("application.step", application_id=application.id, step=step)


def storage_key(application, part: str) -> str:
    """The browser's localStorage key for unsaved fields: per user, application and step/row."""
    return f"mio-application:{current_user.id}:{application.id}:{part}"


def locked_response(application, exc: ApplicationLocked):
    if request.accept_mimetypes.best == "application/json":
        return jsonify(ok=False, error="locked", message=str(exc)), 409
    return render_template("readiness/application/locked.html", application=application, message=str(exc)), 409


def session_expired_json(page_url: str):
    """Autosave after the session ended: 401 with the way back (sign in, then the same step)."""
    return jsonify(ok=False, error="session_expired",
                   message="Your session has ended, so this change was not saved on the server. It is kept in this "
                           "browser: sign in again and you will return to this step with it restored.",
                   login_url=url_for("auth.login", next=page_url)), 401


def autosave_json(result: dict, extra: dict | None = None):
    ok = not result["errors"]
    body = {"ok": ok, "saved": result["saved"],
            "errors": {k: " ".join(v) for k, v in result["errors"].items()},
            "saved_at": services.now().isoformat(timespec="seconds"),
            "saved_at_text": services.now().strftime("%H:%M UTC")} | (extra or {})
    return jsonify(body), 200 if ok else 400


def present_fields() -> set[str]:
    """Fields an autosave request carries: the keys sent, plus those named in ``_fields`` (checkboxes that are
    unticked send nothing, so the page lists every field it holds)."""
    return set(request.form) | {name for value in request.form.getlist("_fields") for name in value.split()}


def note_saved_submit() -> None:
    """Remember the id application.js gave a whole-form save that succeeded. The next page lists these ids
    (``data-saved-submits``), so the script drops the copy of the fields it kept in the browser for that save
    instead of offering to restore it, which would add a supervisor or clinician a second time. An id, not a
    clock comparison: the browser's clock may be ahead of the server's."""
    submit_id = request.form.get("_submit_id", "")
    if SUBMIT_ID.fullmatch(submit_id):
        session[SAVED_SUBMITS] = [*session.get(SAVED_SUBMITS, [])[-9:], submit_id]


def _offer_cohorts(form: NewApplicationForm) -> NewApplicationForm:
    """Offer only cohorts still open for applications and, for agency staff, not yet applied to by their agency."""
    agency_id = current_user.agency_id if current_user.role == Role.AGENCY_STAFF else None
    form.cohort_id.choices = [("", "— choose —")] + [(c.id, c.name) for c in services.offered_cohorts(agency_id)]
    form.copy_from.choices = _copy_choices(agency_id)
    return form


def _copy_choices(agency_id: int | None) -> list:
    """A blank application, or one of the agency's earlier ones (agency staff: their own agency's only)."""
    label = "Start from our {} application" if agency_id else "Start from {} — {} application"
    return [("", "A blank application")] + [
        (a.id, label.format(a.cohort.name) if agency_id else label.format(a.agency.code, a.cohort.name))
        for a in services.copyable_applications(agency_id)]


def _new_application_form() -> NewApplicationForm:
    """The start form; it accepts any cohort so that a duplicate or closed one is refused by name (409/400)."""
    form = NewApplicationForm()
    form.cohort_id.choices = [("", "— choose —")] + [(c.id, c.name) for c in services.cohorts()]
    form.agency_id.choices = [("", "— choose —")] + [(a.id, f"{a.code} — {a.name}") for a in services.agencies()]
    form.copy_from.choices = _copy_choices(
        current_user.agency_id if current_user.role == Role.AGENCY_STAFF else None)
    return form


# --- starting -----------------------------------------------------------------------------------------------------
@bp.route("/mine")
@roles_required(*AGENCY_ROLES)
def mine(form=None, status: int = 200):
    applications = services.applications()
    summaries = {a.id: eligibility_services.summary_for(a) for a in applications}
    return render_template("readiness/application/mine.html", applications=applications, summaries=summaries,
                           form=_offer_cohorts(form or _new_application_form()), any_cohort=bool(services.cohorts()),
                           steps=content.STEP_LABELS), status


@bp.route("/new", methods=["POST"])
@roles_required(*AGENCY_ROLES)
def create():
    form = _new_application_form()
    if form.validate_on_submit():
        agency_id = current_user.agency_id if current_user.role == Role.AGENCY_STAFF else form.agency_id.data
        if not agency_id:
            form.agency_id.errors.append("Choose the agency this application is for.")
        else:
            try:
                application = services.create_application(agency_id, form.cohort_id.data, current_user,
                                                          copy_from_id=form.copy_from.data)
            except DuplicateApplication as exc:
                form.cohort_id.errors.append(str(exc))
                return mine(form=form, status=409)
            except BadCopySource as exc:
                form.copy_from.errors.append(str(exc))
                return mine(form=form, status=400)
            except ApplicationWindowClosed as exc:
                form.cohort_id.errors.append(str(exc))
                return mine(form=form, status=400)
            copied = " with the answers of the earlier application" if form.copy_from.data else ""
            flash(f"Application started for the {application.cohort.name}{copied}. It is saved as a draft as you go.",
                  "success")
            return redirect(step_url(application, "organisation"))
    return mine(form=form, status=400)


# --- steps --------------------------------------------------------------------------------------------------------
@bp.route("/<int:application_id>/step/<step>", methods=["GET", "POST"])
@roles_required(*AGENCY_ROLES)
def step(application_id: int, step: str):
    if step not in content.STEP_LABELS:
        return render_template("errors/error.html", code=404, title="Not found",
                               message=f"There is no step “{step}”."), 404
    application = services.get_application(application_id)
    if not application.editable_by_agency:
        try:
            services.ensure_editable(application)
        except ApplicationLocked as exc:
            if request.method == "POST":
                return locked_response(application, exc)
            flash(str(exc), "info")
            return redirect(url_for("application.view", application_id=application.id))
    if step in STEP_FORMS:
        return _form_step(application, step)
    if step in ROW_FORMS:
        return _rows_step(application, step)
    return _review_step(application)


def _page(template: str, application, step: str, status: int = 200, **context):
    return render_template(template, application=application, step=step, steps=content.STEPS,
                           complete_steps=services.complete_steps(application),
                           return_comment=services.latest_return_comment(application),
                           saved_submits=" ".join(session.get(SAVED_SUBMITS, [])), **context), status


def _form_step(application, step: str):
    form_class = STEP_FORMS[step]
    if request.method == "GET":
        form = form_class(obj=application, formdata=None)
        return _page("readiness/application/step_form.html", application, step, form=form, fields=spec_fields(form),
                     storage_key=storage_key(application, step))
    form = form_class()
    result = services.save_step(application, step, form, current_user)
    if not result["errors"]:
        note_saved_submit()
        flash(f"{content.STEP_LABELS[step]} saved.", "success")
        target = next_step(step) if request.form.get("then") == "continue" else step
        return redirect(step_url(application, target))
    return _page("readiness/application/step_form.html", application, step, 400, form=form,
                 fields=spec_fields(form), storage_key=storage_key(application, step))


@bp.route("/<int:application_id>/autosave/<step>", methods=["POST"])
def autosave_step(application_id: int, step: str):
    if not current_user.is_authenticated:
        return session_expired_json(url_for("application.step", application_id=application_id, step=step))
    if current_user.role not in (Role.AGENCY_STAFF, Role.ADMIN):
        return jsonify(ok=False, error="forbidden", message="Only agency staff edit applications."), 403
    application = services.get_application(application_id)
    if step not in STEP_FORMS:
        return jsonify(ok=False, error="not_found", message=f"Step “{step}” has no fields to autosave."), 404
    try:
        result = services.save_step(application, step, STEP_FORMS[step](), current_user, present=present_fields())
    except ApplicationLocked as exc:
        return jsonify(ok=False, error="locked", message=str(exc)), 409
    return autosave_json(result)


def _rows_step(application, kind: str):
    form = _row_form(application, kind)
    return _page("readiness/application/step_rows.html", application, kind, kind=kind, form=form,
                 fields=spec_fields(form), rows=getattr(application, kind),
                 noun=services.ROW_NOUNS[kind], storage_key=storage_key(application, f"{kind}:new"))


def _row_form(application, kind: str, row=None, formdata: bool = False):
    form = ROW_FORMS[kind]() if formdata else ROW_FORMS[kind](obj=row, formdata=None)
    clinics = services.agency_clinics(application)
    blank = "All clinics of the agency" if kind == "supervisors" else "— choose —"
    form.clinic_id.choices = [("", blank)] + [(c.id, str(c)) for c in clinics]
    if kind == "clinicians":
        form.supervisor_id.choices = [("", "— not yet chosen —")] + [(s.id, s.name) for s in application.supervisors]
    return form


def _review_step(application):
    snapshot = services.snapshot(application)
    return _page("readiness/application/review.html", application, "review",
                 missing=content.missing_items(snapshot), note=content.training_count_note(snapshot),
                 sections=services.display_sections(application))


@bp.route("/<int:application_id>/submit", methods=["POST"])
@roles_required(*AGENCY_ROLES)
def submit(application_id: int):
    application = services.get_application(application_id)
    try:
        services.submit(application, current_user)
    except ApplicationLocked as exc:
        return locked_response(application, exc)
    except Incomplete as exc:
        snapshot = services.snapshot(application)
        return _page("readiness/application/review.html", application, "review", 400, missing=exc.items,
                     note=content.training_count_note(snapshot), sections=services.display_sections(application),
                     tried=True)
    flash("Application submitted. It is now locked; the implementation director will review it.", "success")
    return redirect(url_for("application.view", application_id=application.id))


# --- supervisors and clinicians (repeating blocks) ----------------------------------------------------------------
def _row_page(application, kind: str, row, form, status: int = 200):
    part = f"{kind}:{row.id}" if row else f"{kind}:new"
    return _page("readiness/application/row_form.html", application, kind, status, kind=kind, row=row, form=form,
                 fields=spec_fields(form), noun=services.ROW_NOUNS[kind], storage_key=storage_key(application, part))


def _row_edit(kind: str, application_id: int, row_id: int | None):
    application = services.get_application(application_id)
    row = services.get_row(application, kind, row_id) if row_id else None
    try:
        services.ensure_editable(application)
    except ApplicationLocked as exc:
        if request.method == "POST":
            return locked_response(application, exc)
        flash(str(exc), "info")
        return redirect(url_for("application.view", application_id=application.id))
    if request.method == "GET":
        return _row_page(application, kind, row, _row_form(application, kind, row))
    form = _row_form(application, kind, formdata=True)
    saved, result = services.save_row(application, kind, row, form, current_user)
    if result["errors"]:
        return _row_page(application, kind, row, form, 400)
    note_saved_submit()
    flash(f"Saved {saved.name}.", "success")
    if request.form.get("then") == "another":
        return redirect(url_for(f"application.{kind}_new", application_id=application.id))
    return redirect(step_url(application, kind))


def _row_autosave(kind: str, application_id: int, row_id: int | None):
    page = (url_for(f"application.{kind}_edit", application_id=application_id, **{ROW_ARGS[kind]: row_id})
            if row_id else url_for(f"application.{kind}_new", application_id=application_id))
    if not current_user.is_authenticated:
        return session_expired_json(page)
    if current_user.role not in (Role.AGENCY_STAFF, Role.ADMIN):
        return jsonify(ok=False, error="forbidden", message="Only agency staff edit applications."), 403
    application = services.get_application(application_id)
    row = services.get_row(application, kind, row_id) if row_id else None
    form = _row_form(application, kind, formdata=True)
    try:
        saved, result = services.save_row(application, kind, row, form, current_user, present=present_fields())
    except ApplicationLocked as exc:
        return jsonify(ok=False, error="locked", message=str(exc)), 409
    extra = {}
    if saved is not None and row is None:  # a new row now exists: the page switches to editing it
        args = {ROW_ARGS[kind]: saved.id}
        extra = {"row_id": saved.id,
                 "edit_url": url_for(f"application.{kind}_edit", application_id=application.id, **args),
                 "autosave_url": url_for(f"application.{kind}_autosave", application_id=application.id, **args),
                 "storage_key": storage_key(application, f"{kind}:{saved.id}")}
    return autosave_json(result, extra)


def _row_delete(kind: str, application_id: int, row_id: int):
    application = services.get_application(application_id)
    row = services.get_row(application, kind, row_id)
    try:
        name = services.delete_row(application, kind, row, current_user)
    except ApplicationLocked as exc:
        return locked_response(application, exc)
    flash(f"Removed {name} from the application.", "success")
    return redirect(step_url(application, kind))


ROW_ARGS = {"supervisors": "application_supervisor_id", "clinicians": "application_clinician_id"}


def _register_row_routes(kind: str) -> None:
    arg = ROW_ARGS[kind]
    guard = roles_required(*AGENCY_ROLES)

    def new(application_id: int):
        return _row_edit(kind, application_id, None)

    def edit(application_id: int, **ids):
        return _row_edit(kind, application_id, ids[arg])

    def delete(application_id: int, **ids):
        return _row_delete(kind, application_id, ids[arg])

    def autosave_new(application_id: int):
        return _row_autosave(kind, application_id, None)

    def autosave(application_id: int, **ids):
        return _row_autosave(kind, application_id, ids[arg])

    base = f"/<int:application_id>/{kind}"
    bp.add_url_rule(f"{base}/new", f"{kind}_new", guard(new), methods=["GET", "POST"])
    bp.add_url_rule(f"{base}/<int:{arg}>/edit", f"{kind}_edit", guard(edit), methods=["GET", "POST"])
    bp.add_url_rule(f"{base}/<int:{arg}>/delete", f"{kind}_delete", guard(delete), methods=["POST"])
    bp.add_url_rule(f"{base}/autosave", f"{kind}_autosave_new", autosave_new, methods=["POST"])
    bp.add_url_rule(f"{base}/<int:{arg}>/autosave", f"{kind}_autosave", autosave, methods=["POST"])


for _kind in ROW_ARGS:
    _register_row_routes(_kind)


# --- reading ------------------------------------------------------------------------------------------------------
@bp.route("/<int:application_id>")
@roles_required(*READ_ROLES)
def view(application_id: int):
    return render_view(services.get_application(application_id))


@bp.route("/<int:application_id>/print")
@roles_required(*READ_ROLES)
def print_view(application_id: int):
    application = services.get_application(application_id)
    return render_template("readiness/application/print.html", application=application,
                           sections=services.display_sections(application),
                           summary=eligibility_services.summary_for(application),
                           clinicians=eligibility_services.clinicians_with_status(application))
