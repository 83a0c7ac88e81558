"""Counselor eligibility per proposed clinician: saving inputs with who entered them, evaluating them with
:func:`readiness.eligibility.evaluate`, summaries per agency, the hard gates the site readiness profile reads, and
the counselor Person records of accepted, eligible clinicians."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import contains_eager, selectinload

from app.db import db
from app.models import Agency, Clinic, Person, Role
from readiness import eligibility
from readiness.application import content, workflow
from readiness.application.eligibility_inputs import (
    DEGREE_FIELD_LABELS,
    DEGREE_LEVEL_LABELS,
    GROUPS,
    INPUTS,
    display_value,
    form_value,
    inputs_by_group,
    may_enter,
    parse_input,
    summarise,
)
from readiness.application.models import Application, ApplicationClinician, EligibilityInput, TrainingCohort
from readiness.application.services import get_row, now, scope


class EligibilityClosed(Exception):
    """Inputs for a declined application are not taken (409)."""


# --- evaluation -------------------------------------------------------------------------------------------------
def _who(row: EligibilityInput) -> str:
    role = Role.LABELS.get(row.entered_by_role, row.entered_by_role)
    return f"{row.entered_by.name} ({role}, as {row.entered_as}) {row.entered_at:%Y-%m-%d %H:%M} UTC"


def reason_words() -> dict[str, str]:
    """The words a reason uses for each input and degree choice: the labels of ``eligibility_inputs`` (the one
    place the form, the review page and the reasons name them), never the keys."""
    return {**{key: spec["label"] for key, spec in INPUTS.items()}, **DEGREE_LEVEL_LABELS,
            **{key: label.lower() for key, label in DEGREE_FIELD_LABELS.items()}}


def evaluate_clinician(clinician: ApplicationClinician) -> dict[str, Any]:
    """``{"results": [criterion results + "inputs": [{key, label, value, who, supervisor}]], "overall": str}``."""
    rows = {r.input_key: r for r in clinician.eligibility_inputs}
    wrapped = {key: {"value": row.value, "entered_by": _who(row)} for key, row in rows.items()}
    results = eligibility.evaluate(wrapped, words=reason_words())
    by_key = {c["key"]: c for c in eligibility.CRITERIA}
    for result in results:
        result["inputs"] = [
            {"key": key, "label": INPUTS[key]["label"],
             "value": display_value(key, rows[key].value if key in rows else None),
             "who": _who(rows[key]) if key in rows else None,
             "supervisor": rows[key].supervisor.name if key in rows and rows[key].supervisor else None,
             "note": rows[key].note if key in rows else None}
            for key in by_key[result["key"]]["inputs"]]
    return {"results": results, "overall": eligibility.overall_status(results)}


def overall_status(clinician: ApplicationClinician) -> str:
    wrapped = {r.input_key: r.value for r in clinician.eligibility_inputs}
    return eligibility.overall_status(eligibility.evaluate(wrapped))


def summary_for(application: Application, clinic_id: int | None = None) -> dict[str, int]:
    """Clinicians proposed, eligible, pending and not eligible (optionally at one clinic)."""
    clinicians = [c for c in application.clinicians if clinic_id is None or c.clinic_id == clinic_id]
    return summarise([overall_status(c) for c in clinicians])


def clinicians_with_status(application: Application) -> list[tuple[ApplicationClinician, str]]:
    return [(c, overall_status(c)) for c in application.clinicians]


# --- entering inputs --------------------------------------------------------------------------------------------
def get_clinician(application: Application, clinician_id: int) -> ApplicationClinician:
    return get_row(application, "clinicians", clinician_id)


def editable_groups(application: Application, role: str) -> list[str]:
    if application.status == workflow.DECLINED:
        return []
    return [g for g in GROUPS if may_enter(g, role)]


def save_inputs(application: Application, clinician: ApplicationClinician, group: str, form, user) -> dict:
    """Save one group's inputs (all or nothing): blank removes an input (back to pending); the supervisor's
    judgement needs the named supervisor. Returns ``{"errors": {field: [..]}, "changed": [keys]}``."""
    if application.status == workflow.DECLINED:
        raise EligibilityClosed("This application was declined; eligibility inputs are closed.")
    if not may_enter(group, user.role):
        abort(403)
    form.validate()
    keys = inputs_by_group()[group]
    errors = {k: list(form[k].errors) for k in (*keys, "note") if form[k].errors}
    values = {k: parse_input(k, form[k].data) for k in keys if k not in errors}
    supervisor_id = None
    if group == "supervisor":
        supervisor_id = form.supervisor_id.data
        if form.supervisor_id.errors:
            errors["supervisor_id"] = list(form.supervisor_id.errors)
        elif values.get("supervisor_judges_capable") is not None and supervisor_id is None:
            errors["supervisor_id"] = ["Name the supervisor who makes this judgement."]
    if errors:
        return {"errors": errors, "changed": []}
    existing = {r.input_key: r for r in clinician.eligibility_inputs}
    changed = []
    for key, value in values.items():
        row = existing.get(key)
        if value is None:
            if row is not None:
                clinician.eligibility_inputs.remove(row)
                changed.append(key)
            continue
        if row is not None and row.value == value and row.supervisor_id == supervisor_id \
                and (row.note or None) == (form.note.data or None):
            continue
        if row is None:
            row = EligibilityInput(input_key=key)
            clinician.eligibility_inputs.append(row)
        row.value = value
        row.entered_by_id = user.id
        row.entered_by_role = user.role
        row.entered_as = GROUPS[group]["acting_as"]
        row.entered_at = now()
        row.supervisor_id = supervisor_id
        row.note = form.note.data or None
        changed.append(key)
    db.session.flush()
    if application.status in workflow.ACCEPTED_STATUSES:
        link_and_announce(application, user)
    db.session.commit()
    return {"errors": {}, "changed": changed}


def form_defaults(clinician: ApplicationClinician, group: str) -> dict[str, Any]:
    rows = {r.input_key: r for r in clinician.eligibility_inputs}
    data = {k: form_value(k, rows[k].value if k in rows else None) for k in inputs_by_group()[group]}
    if group == "supervisor":
        row = rows.get("supervisor_judges_capable")
        data["supervisor_id"] = row.supervisor_id if row else clinician.supervisor_id
    notes = [rows[k].note for k in inputs_by_group()[group] if k in rows and rows[k].note]
    data["note"] = notes[0] if notes else ""
    return data


# --- counselor records ------------------------------------------------------------------------------------------
def link_counselor_people(application: Application) -> list[dict[str, Any]]:
    """For an accepted (or conditionally accepted) application, give every eligible clinician a counselor
    ``Person`` at their clinic: link an existing counselor record with the same e-mail or name at that clinic, or
    create one. Idempotent: a clinician already linked is left alone. Does not commit."""
    if application.status not in workflow.ACCEPTED_STATUSES:
        return []
    done = []
    for clinician in application.clinicians:
        if clinician.clinic_id is None or overall_status(clinician) != "eligible":
            continue
        if clinician.person_id is not None:
            continue
        person = _matching_counselor(clinician)
        created = person is None
        if created:
            person = Person(clinic_id=clinician.clinic_id, kind="counselor", display_name=clinician.name,
                            email=clinician.email, phone=clinician.phone)
            db.session.add(person)
            db.session.flush()
        clinician.person_id = person.id
        done.append({"clinician": clinician.name, "person_id": person.id, "created": created})
    db.session.flush()
    return done


def link_and_announce(application: Application, user) -> list[dict[str, Any]]:
    """``link_counselor_people``, then tell subscribers (adoption tracking) which counselors became eligible
    (``signals.counselors_eligible``). Does not commit: receivers write in the same transaction."""
    linked = link_counselor_people(application)
    if linked:
        from flask import current_app

        from readiness.application.signals import counselors_eligible

        decided = (application.decided_at or now()).date()
        counselors_eligible.send(
            current_app._get_current_object(), application=application, linked=linked, user=user,
            invited_on=application.submitted_at.date() if application.submitted_at else decided, decided_on=decided,
        )
    return linked


def _matching_counselor(clinician: ApplicationClinician) -> Person | None:
    match = [sa.func.lower(Person.display_name) == clinician.name.lower()]
    if clinician.email:
        match.append(sa.func.lower(Person.email) == clinician.email.lower())
    stmt = (sa.select(Person).where(Person.clinic_id == clinician.clinic_id, Person.kind == "counselor",
                                    sa.or_(*match)).order_by(Person.id))
    return db.session.execute(scope(stmt, Person)).scalars().first()


# --- hard gates for the site readiness profile ------------------------------------------------------------------
def _applications_newest_first(agency_ids: list[int], cohort_id: int | None, user=None
                               ) -> dict[int, list[Application]]:
    """Per agency, its applications (for ``cohort_id`` only, when given), newest cohort first (by start date): one
    query (plus the clinicians and their inputs) however many agencies."""
    stmt = (sa.select(Application).join(Application.cohort).where(Application.agency_id.in_(list(agency_ids)))
            .options(contains_eager(Application.cohort),
                     selectinload(Application.clinicians).selectinload(ApplicationClinician.eligibility_inputs))
            .order_by(Application.agency_id, TrainingCohort.starts_on.desc(), Application.id.desc()))
    if cohort_id is not None:
        stmt = stmt.where(Application.cohort_id == cohort_id)
    out: dict[int, list[Application]] = {}
    for application in db.session.execute(scope(stmt, Application, user)).scalars():
        out.setdefault(application.agency_id, []).append(application)
    return out


def _relevant_applications(agency_ids: list[int], cohort_id: int | None, user=None) -> dict[int, Application]:
    """Per agency, its application for ``cohort_id``, or else for the latest cohort (by start date) it applied to."""
    return {agency: apps[0] for agency, apps in _applications_newest_first(agency_ids, cohort_id, user).items()}


def _relevant_application(agency_id: int, cohort_id: int | None, user=None) -> Application | None:
    return _relevant_applications([agency_id], cohort_id, user).get(agency_id)


def _approval_status(clinician: ApplicationClinician) -> str:
    values = {r.input_key: r.value for r in clinician.eligibility_inputs}
    pair = [values.get("approval_supervision"), values.get("approval_delivery")]
    if False in pair:
        return "refused"
    return "approved" if all(v is True for v in pair) else "pending"


def _gates(application: Application | None, clinic_id: int | None) -> dict[str, Any]:
    if application is None:
        return {"eligible_counselors": 0, "pending": 0, "not_eligible": 0, "proposed": 0,
                "admin_approvals": {"approved": 0, "refused": 0, "pending": 0, "all_approved": None},
                "acknowledgement_signed": False, "application_status": None, "application_id": None,
                "cohort": None}
    clinicians = [c for c in application.clinicians if clinic_id is None or c.clinic_id == clinic_id]
    counts = summarise([overall_status(c) for c in clinicians])
    approvals = [_approval_status(c) for c in clinicians]
    approval_counts = {k: approvals.count(k) for k in ("approved", "refused", "pending")}
    all_approved = None
    if approvals and approval_counts["refused"]:
        all_approved = False
    elif approvals and approval_counts["approved"] == len(approvals):
        all_approved = True
    ack = {s.key: getattr(application, s.key) for s in content.ACKNOWLEDGEMENT}
    return {"eligible_counselors": counts["eligible"], "pending": counts["pending"],
            "not_eligible": counts["not_eligible"], "proposed": counts["proposed"],
            "admin_approvals": {**approval_counts, "all_approved": all_approved},
            "acknowledgement_signed": application.submitted_at is not None and content.acknowledgement_signed(ack),
            "application_status": application.status, "application_id": application.id,
            "cohort": application.cohort.name, "cohort_id": application.cohort_id,
            "cohort_starts_on": application.cohort.starts_on.isoformat()}


def _clinic_gates(applications: list[Application], clinic_id: int) -> dict[str, Any]:
    """A clinic's gates tied to the application and cohort they come from.

    The headline is the newest cohort's application that proposes a clinician at this clinic (an application of
    the agency that proposes none here says nothing about this clinic's counselors, so it does not reset its
    gates); ``history`` holds the same facts for each of the clinic's earlier cohorts, newest first, so a new
    cohort's application never hides what earlier cohorts met; ``newer_without_clinic`` names the agency's newer
    cohorts whose application proposes no one here. Without any application proposing someone here, the newest
    application (or none) as before."""
    mine = [a for a in applications if any(c.clinic_id == clinic_id for c in a.clinicians)]
    if not mine:
        gates = _gates(applications[0] if applications else None, clinic_id)
        return {**gates, "history": [], "newer_without_clinic": []}
    head = mine[0]
    newer = [a.cohort.name for a in applications[:applications.index(head)]]  # newest first: before head
    return {**_gates(head, clinic_id), "history": [_gates(a, clinic_id) for a in mine[1:]],
            "newer_without_clinic": newer}


def hard_gates_for_clinic(clinic_id: int, cohort_id: int | None = None, user=None) -> dict[str, Any]:
    """Hard-gate facts for one clinic, from its agency's application (for ``cohort_id``, else the latest cohort):

    ``{"eligible_counselors": int, "pending": int, "not_eligible": int, "proposed": int,
    "admin_approvals": {"approved": int, "refused": int, "pending": int, "all_approved": bool | None},
    "acknowledgement_signed": bool, "application_status": str | None, "application_id": int | None,
    "cohort": str | None, "cohort_id", "cohort_starts_on", "history": [earlier cohorts' facts, newest first],
    "newer_without_clinic": [cohort names]}``, counting the application's clinicians who work at this clinic; without
    ``cohort_id`` from the newest cohort's application that proposes a clinician here (:func:`_clinic_gates`).

    ``all_approved`` is True when every proposed clinician has both administrative approvals, False when any was
    refused, None otherwise (none proposed, or some pending). ``acknowledgement_signed`` is True once an application
    with a complete acknowledgement was submitted. No application: zeros, False and ``application_status`` None.
    Scoped to what ``user`` (default: the signed-in user; outside a request: everything) may see; a clinic out of
    scope raises ``LookupError``."""
    gates = hard_gates_for_clinics([clinic_id], cohort_id, user)
    if clinic_id not in gates:
        raise LookupError(f"clinic {clinic_id} not found")
    return gates[clinic_id]


def hard_gates_for_clinics(clinic_ids: list[int], cohort_id: int | None = None, user=None) -> dict[int, dict]:
    """:func:`hard_gates_for_clinic` for many clinics at once (the readiness profile of every clinic), in a fixed
    number of queries; clinics out of scope are left out."""
    clinics = db.session.execute(scope(sa.select(Clinic).where(Clinic.id.in_(list(clinic_ids))), Clinic, user)
                                 ).scalars().all()
    applications = _applications_newest_first(sorted({c.agency_id for c in clinics}), cohort_id, user)
    return {c.id: _clinic_gates(applications.get(c.agency_id, []), c.id) for c in clinics}


def hard_gates_for_agency(agency_id: int, cohort_id: int | None = None, user=None) -> dict[str, Any]:
    """The same facts over all the agency's proposed clinicians, plus ``"clinics": {clinic_id: per-clinic
    gates}`` for each clinic of the agency (see :func:`hard_gates_for_clinic`)."""
    agency = db.session.execute(scope(sa.select(Agency).where(Agency.id == agency_id), Agency, user)).scalar()
    if agency is None:
        raise LookupError(f"agency {agency_id} not found")
    clinics = db.session.execute(scope(sa.select(Clinic).where(Clinic.agency_id == agency.id).order_by(Clinic.code),
                                       Clinic, user)).scalars().all()
    application = _relevant_application(agency_id, cohort_id, user)
    result = _gates(application, None)
    result["clinics"] = {c.id: _gates(application, c.id) for c in clinics}
    return result


# --- counselor characteristics for cross-case analysis ------------------------------------------------------------
def counselor_characteristics(clinic_ids: list[int], user=None) -> dict[int, dict[str, Any]]:
    """What the applications recorded about each counselor ``Person`` at these clinics, for joint displays and
    Aim 3 analyses: ``{person_id: {"crfs_mean": float | None, "experience": str | None, "degree_level",
    "degree_field", "eligibility": overall status, "application_id"}}``. A clinician is matched to a person by the
    link made at acceptance, else (application still under review) by the same rule as :func:`_matching_counselor`.
    When a counselor was proposed more than once, the latest cohort's application wins."""
    people = db.session.execute(scope(
        sa.select(Person).where(Person.clinic_id.in_(list(clinic_ids)), Person.kind == "counselor"), Person, user)
    ).scalars().all()
    by_name = {(p.clinic_id, p.display_name.lower()): p.id for p in people}
    by_email = {(p.clinic_id, p.email.lower()): p.id for p in people if p.email}
    stmt = (sa.select(ApplicationClinician).join(ApplicationClinician.application).join(Application.cohort)
            .where(ApplicationClinician.clinic_id.in_(list(clinic_ids)))
            .options(selectinload(ApplicationClinician.eligibility_inputs))
            .order_by(TrainingCohort.starts_on, Application.id, ApplicationClinician.id))
    out: dict[int, dict[str, Any]] = {}
    for clinician in db.session.execute(scope(stmt, ApplicationClinician, user)).scalars():
        person_id = clinician.person_id or by_email.get((clinician.clinic_id, (clinician.email or "").lower())) \
            or by_name.get((clinician.clinic_id, clinician.name.lower()))
        if person_id is None:
            continue
        values = {r.input_key: r.value for r in clinician.eligibility_inputs}
        crfs = values.get("crfs_mean")
        out[person_id] = {"crfs_mean": None if crfs is None else float(crfs), "experience": clinician.experience,
                          "degree_level": values.get("degree_level"), "degree_field": values.get("degree_field"),
                          "eligibility": overall_status(clinician), "application_id": clinician.application_id}
    return out
