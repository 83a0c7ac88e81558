"""Database work of the application form: cohorts, creating an application, saving steps and rows of the draft
(whole-step or field by field for autosave), snapshots for review, and submission. One commit at the edge of each
use case; every query of agency data goes through ``scoped``/``get_scoped_or_404``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import abort, has_request_context
from sqlalchemy.orm import contains_eager, selectinload

from app.audit import current_actor
from app.db import db
from app.models import Agency, AuditEvent, Clinic
from app.security import get_scoped_or_404, scoped
from readiness.application import content, workflow
from readiness.application.models import (
    Application,
    ApplicationClinician,
    ApplicationNote,
    ApplicationSupervisor,
    TrainingCohort,
)

ROW_MODELS = {"supervisors": ApplicationSupervisor, "clinicians": ApplicationClinician}
ROW_SPECS = {"supervisors": content.SUPERVISOR, "clinicians": content.CLINICIAN}
STEP_SPECS = {"organisation": content.ORGANISATION, "acknowledgement": content.ACKNOWLEDGEMENT}
ROW_NOUNS = {"supervisors": "supervisor", "clinicians": "clinician"}


class ApplicationLocked(Exception):
    """An edit of an application the agency may no longer change (409)."""


class DuplicateApplication(Exception):
    def __init__(self, existing: Application):
        self.existing = existing
        super().__init__(f"{existing.agency.name} already has an application for the {existing.cohort.name} "
                         f"({existing.status_label.lower()}): one application per agency and cohort.")


class ApplicationWindowClosed(Exception):
    def __init__(self, cohort: TrainingCohort):
        self.cohort = cohort
        super().__init__(f"Applications for the {cohort.name} closed on {cohort.applications_due_on:%Y-%m-%d}: "
                         "choose a cohort whose application window is still open.")


class BadCopySource(Exception):
    """The application chosen to start from is not one of this agency's (400)."""


class Incomplete(Exception):
    def __init__(self, items: list[dict]):
        self.items = items
        super().__init__(f"{len(items)} item(s) missing or invalid")


def scope(stmt: sa.Select, model, user=None) -> sa.Select:
    """``scoped`` for requests; outside a request (CLI, demo seeder, jobs) without a user, every agency."""
    if user is None and not has_request_context():
        return stmt
    return scoped(stmt, model, user)


def now() -> datetime:
    return datetime.now(UTC)


# --- cohorts ----------------------------------------------------------------------------------------------------
def cohorts() -> list[TrainingCohort]:
    return list(db.session.execute(sa.select(TrainingCohort).order_by(TrainingCohort.starts_on.desc())).scalars())


def window_closed(cohort: TrainingCohort, today=None) -> bool:
    """The cohort's applications are past due (a cohort without a due date stays open)."""
    today = today or now().date()
    return cohort.applications_due_on is not None and cohort.applications_due_on < today


def offered_cohorts(agency_id: int | None) -> list[TrainingCohort]:
    """Cohorts offered when starting an application: those whose application window is open and, for a known
    agency, that the agency has not applied to yet (the agency's applications read through ``scope``)."""
    stmt = sa.select(TrainingCohort).order_by(TrainingCohort.starts_on.desc())
    if agency_id is not None:
        applied = scope(sa.select(Application.cohort_id).where(Application.agency_id == agency_id), Application)
        stmt = stmt.where(TrainingCohort.id.not_in(applied.scalar_subquery()))
    return [c for c in db.session.execute(stmt).scalars() if not window_closed(c)]


def cohort_name_taken(name: str, exclude_id: int | None) -> bool:
    stmt = sa.select(TrainingCohort.id).where(sa.func.lower(TrainingCohort.name) == name.lower())
    if exclude_id:
        stmt = stmt.where(TrainingCohort.id != exclude_id)
    return db.session.execute(stmt).first() is not None


def save_cohort(cohort: TrainingCohort, data: dict, user) -> TrainingCohort:
    for key, value in data.items():
        setattr(cohort, key, value)
    if cohort.id is None:
        cohort.created_by_id = user.id
        db.session.add(cohort)
    db.session.commit()
    return cohort


# --- applications -----------------------------------------------------------------------------------------------
def applications(status: str | None = None, cohort_id: int | None = None) -> list[Application]:
    stmt = (sa.select(Application).join(Application.agency).join(Application.cohort)
            .options(contains_eager(Application.agency), contains_eager(Application.cohort),
                     selectinload(Application.clinicians).selectinload(ApplicationClinician.eligibility_inputs),
                     selectinload(Application.supervisors))
            .order_by(TrainingCohort.starts_on.desc(), Agency.code))
    if status:
        stmt = stmt.where(Application.status == status)
    if cohort_id:
        stmt = stmt.where(Application.cohort_id == cohort_id)
    return list(db.session.execute(scope(stmt, Application)).scalars())


def get_application(application_id: int) -> Application:
    return get_scoped_or_404(Application, application_id)


def applications_by_ids(ids: list[int]) -> list[Application]:
    stmt = sa.select(Application).where(Application.id.in_(ids)).order_by(Application.id)
    return list(db.session.execute(scope(stmt, Application)).scalars())


def agencies() -> list[Agency]:
    return list(db.session.execute(scope(sa.select(Agency).order_by(Agency.code), Agency)).scalars())


def copyable_applications(agency_id: int | None) -> list[Application]:
    """Applications a new one may start from: the agency's own (through ``scope``), newest cohort first."""
    stmt = (sa.select(Application).join(Application.cohort).options(contains_eager(Application.cohort))
            .order_by(TrainingCohort.starts_on.desc()))
    if agency_id is not None:
        stmt = stmt.where(Application.agency_id == agency_id)
    return list(db.session.execute(scope(stmt, Application)).scalars())


def copy_answers(source: Application, target: Application) -> dict[str, int]:
    """Copy the agency's answers forward: the organizational assessment, supervisors and clinicians (each clinician
    keeps their copied supervisor). Not copied: the acknowledgement and signature, status, review notes,
    decisions and eligibility inputs. Recorded as a ``copy-forward`` audit event besides the rows' own."""
    for spec in content.ORGANISATION:
        value = getattr(source, spec.key)
        setattr(target, spec.key, list(value) if isinstance(value, list) else value)
    supervisors = {}
    for old in source.supervisors:
        new = ApplicationSupervisor(application=target, **{s.key: getattr(old, s.key) for s in content.SUPERVISOR})
        db.session.add(new)
        supervisors[old.id] = new
    for old in source.clinicians:
        values = {s.key: getattr(old, s.key) for s in content.CLINICIAN if s.key != "supervisor_id"}
        db.session.add(ApplicationClinician(application=target, supervisor=supervisors.get(old.supervisor_id),
                                            **values))
    db.session.flush()
    counts = {"supervisors": len(source.supervisors), "clinicians": len(source.clinicians)}
    user_id, actor = current_actor()
    db.session.add(AuditEvent(user_id=user_id, actor=actor[:255], action="copy-forward",
                              entity="readiness_application", entity_id=str(target.id),
                              changes={"copied_from": source.id, "from_cohort": source.cohort.name, **counts}))
    return counts


def create_application(agency_id: int, cohort_id: int, user, copy_from_id: int | None = None) -> Application:
    """A new draft; :class:`DuplicateApplication` when the agency already applied to that cohort,
    :class:`ApplicationWindowClosed` when the cohort's applications are past due."""
    agency = get_scoped_or_404(Agency, agency_id)
    cohort = db.session.get(TrainingCohort, cohort_id)
    if cohort is None:
        abort(404)
    existing = db.session.execute(scope(
        sa.select(Application).where(Application.agency_id == agency.id, Application.cohort_id == cohort.id),
        Application)).scalar_one_or_none()
    if existing is not None:
        raise DuplicateApplication(existing)
    if window_closed(cohort):
        raise ApplicationWindowClosed(cohort)
    source = None
    if copy_from_id:
        source = get_scoped_or_404(Application, copy_from_id)
        if source.agency_id != agency.id:
            raise BadCopySource(f"The application to start from must be one of {agency.name}'s own.")
    application = Application(agency=agency, cohort=cohort, status=workflow.DRAFT, created_by_id=user.id,
                              contact_name=user.name if user.agency_id == agency.id else None,
                              contact_email=user.email if user.agency_id == agency.id else None)
    db.session.add(application)
    db.session.flush()
    if source is not None:
        copy_answers(source, application)
    db.session.commit()
    return application


def agency_clinics(application: Application) -> list[Clinic]:
    stmt = sa.select(Clinic).where(Clinic.agency_id == application.agency_id).order_by(Clinic.code)
    return list(db.session.execute(scope(stmt, Clinic)).scalars())


def ensure_editable(application: Application) -> None:
    if application.editable_by_agency:
        return
    if application.submitted_at and application.status in (workflow.SUBMITTED, workflow.UNDER_REVIEW):
        raise ApplicationLocked(
            f"This application was submitted on {application.submitted_at:%Y-%m-%d} and is locked while it is "
            f"{application.status_label.lower()}: agency staff can no longer edit it. If something must change, "
            "ask the implementation director to return it for changes.")
    raise ApplicationLocked(f"This application is {application.status_label.lower()} and can no longer be edited.")


def _touch(application: Application, step: str, user) -> None:
    application.last_step = step
    application.last_saved_at = now()
    application.last_saved_by_id = user.id


def _field_values(form, specs, present: set[str] | None) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Valid values and errors of the fields that were sent (``present`` None = all fields of the form)."""
    form.validate()
    keys = [s.key for s in specs if present is None or s.key in present]
    errors = {k: list(form[k].errors) for k in keys if form[k].errors}
    values = {k: form[k].data for k in keys if k not in errors}
    return values, errors


def _add_error(form, errors: dict[str, list[str]], key: str, message: str) -> None:
    """A rule checked beyond the form's own validators: shown beside the field and returned."""
    form[key].errors = [*form[key].errors, message]
    errors.setdefault(key, []).append(message)


def save_step(application: Application, step: str, form, user, present: set[str] | None = None) -> dict:
    """Save the organisation or acknowledgement step.

    ``present`` None (a whole-form POST): all fields are validated and, if any is invalid, nothing of the step is
    saved. ``present`` a set (autosave): only those fields are considered; valid ones are saved, invalid ones are
    not (each with its message). Returns ``{"saved": [keys], "errors": {key: [messages]}}``."""
    ensure_editable(application)
    specs = STEP_SPECS[step]
    values, errors = _field_values(form, specs, present)
    if step == "organisation":
        merged = {s.key: getattr(application, s.key) for s in specs} | values
        cross = content.trained_exceeds_total(merged)
        if cross:  # stored values always meet the rule, so one of the two was just sent
            target = next(k for k in ("number_being_trained", "clinical_staff_total") if k in values)
            _add_error(form, errors, target, cross)
            del values[target]
    if present is None and errors:
        return {"saved": [], "errors": errors}
    if step == "acknowledgement" and values.get("signature_name") and (
            values["signature_name"] != application.signature_name or application.signed_by_id is None):
        application.signed_by_id = user.id
    for key, value in values.items():
        setattr(application, key, value)
    _touch(application, step, user)
    db.session.commit()
    return {"saved": sorted(values), "errors": errors}


def get_row(application: Application, kind: str, row_id: int):
    row = get_scoped_or_404(ROW_MODELS[kind], row_id)
    if row.application_id != application.id:
        abort(404)
    return row


def save_row(application: Application, kind: str, row, form, user, present: set[str] | None = None):
    """Create (``row`` None) or update a supervisor/clinician; same whole-form/autosave rules as
    :func:`save_step`. A new row needs a valid name before it is created. Returns ``(row, result)``."""
    ensure_editable(application)
    specs = ROW_SPECS[kind]
    values, errors = _field_values(form, specs, present)
    name_sent = present is None or "name" in present
    if (row is None or name_sent) and "name" not in errors and not values.get("name"):
        noun = ROW_NOUNS[kind]
        _add_error(form, errors, "name", f"Enter the {noun}'s name; a {noun} is saved once it has a name.")
        values.pop("name", None)
    if (present is None and errors) or (row is None and "name" in errors):
        return row, {"saved": [], "errors": errors}
    if row is None:
        row = ROW_MODELS[kind](application=application)
        db.session.add(row)
    for key, value in values.items():
        setattr(row, key, value)
    _touch(application, kind, user)
    db.session.commit()
    return row, {"saved": sorted(values), "errors": errors}


def delete_row(application: Application, kind: str, row, user) -> str:
    ensure_editable(application)
    name = row.name
    if kind == "supervisors":  # clear references through the ORM so the audit trail records them
        for clinician in application.clinicians:
            if clinician.supervisor_id == row.id:
                clinician.supervisor_id = None
            for entry in clinician.eligibility_inputs:
                if entry.supervisor_id == row.id:
                    entry.supervisor_id = None
        db.session.flush()
    db.session.delete(row)
    _touch(application, kind, user)
    db.session.commit()
    return name


# --- reading ----------------------------------------------------------------------------------------------------
def _row_dict(row, specs) -> dict[str, Any]:
    return {"id": row.id, **{s.key: getattr(row, s.key) for s in specs}}


def snapshot(application: Application) -> dict[str, Any]:
    """The application's content as plain data (:func:`content.missing_items` input)."""
    return {
        "organisation": {s.key: getattr(application, s.key) for s in content.ORGANISATION},
        "supervisors": [_row_dict(r, content.SUPERVISOR) for r in application.supervisors],
        "clinicians": [_row_dict(r, content.CLINICIAN) for r in application.clinicians],
        "acknowledgement": {s.key: getattr(application, s.key) for s in content.ACKNOWLEDGEMENT},
    }


def display_value(spec: content.Field, value: Any, application: Application) -> str:
    if content.is_blank(value) and spec.kind != "bool":
        return "—"
    if spec.kind == "bool":
        return "Acknowledged" if value else "Not acknowledged"
    if spec.kind == "choice":
        return content.choice_label(spec, value)
    if spec.kind == "choices":
        return "; ".join(content.choice_label(spec, v) for v in value)
    if spec.kind == "clinic":
        clinic = db.session.get(Clinic, value)
        return str(clinic) if clinic else "—"
    if spec.kind == "supervisor":
        supervisor = next((s for s in application.supervisors if s.id == value), None)
        return supervisor.name if supervisor else "—"
    if spec.kind == "date":
        return value.isoformat()
    return str(value)


def display_sections(application: Application) -> list[dict[str, Any]]:
    """Read-only sections for the review step, the application page and the print view:
    ``[{step, title, rows: [(label, text)] | None, blocks: [{title, rows}] | None}]``."""
    def rows(specs, obj):
        return [(s.label, display_value(s, getattr(obj, s.key), application)) for s in specs]

    clinic_for_supervisor = [s for s in content.SUPERVISOR if s.key != "name"]
    clinician_rows = [s for s in content.CLINICIAN if s.key != "name"]
    return [
        {"step": "organisation", "title": "Organizational assessment", "rows": rows(content.ORGANISATION, application)},
        {"step": "supervisors", "title": "Supervisors", "blocks": [
            {"title": s.name, "rows": rows(clinic_for_supervisor, s)} for s in application.supervisors]},
        {"step": "clinicians", "title": "Clinicians", "blocks": [
            {"title": c.name, "rows": rows(clinician_rows, c)} for c in application.clinicians]},
        {"step": "acknowledgement", "title": "Acknowledgement of requirements and commitment",
         "rows": rows(content.ACKNOWLEDGEMENT, application)},
    ]


def visible_notes(application: Application, user) -> list[ApplicationNote]:
    """Agency staff see comments returned to them, submissions and decisions; the review team sees every note."""
    if user.role in ("director", "admin"):
        return list(application.notes)
    return [n for n in application.notes if n.kind in ApplicationNote.AGENCY_VISIBLE]


def latest_return_comment(application: Application) -> ApplicationNote | None:
    returned = [n for n in application.notes if n.kind == "return"]
    return returned[-1] if returned else None


def complete_steps(application: Application) -> set[str]:
    """Steps with nothing missing, by the rule the submit check uses (:func:`content.missing_items`)."""
    blocking = {item["step"] for item in content.missing_items(snapshot(application))}
    return {key for key, _label in content.STEPS if key != "review" and key not in blocking}


# --- submission -------------------------------------------------------------------------------------------------
def submit(application: Application, user) -> None:
    """Draft/returned -> submitted when nothing is missing (:class:`Incomplete` lists every item otherwise);
    the application is then locked for the agency."""
    ensure_editable(application)
    target = workflow.transition(application.status, "submit", user.role)
    items = content.missing_items(snapshot(application))
    if items:
        raise Incomplete(items)
    resubmitted = application.status == workflow.RETURNED
    db.session.add(ApplicationNote(application=application, author_id=user.id, kind="submission",
                                   body="Resubmitted after changes." if resubmitted else "Submitted.",
                                   status_from=application.status, status_to=target))
    application.status = target
    application.submitted_at = now()
    application.submitted_by_id = user.id
    db.session.commit()
