"""The implementation director's side: review notes, status changes through :func:`workflow.transition`, and the
side-by-side comparison of agencies. Every change lands in the audit trail through the models."""

from __future__ import annotations

from typing import Any

from app.db import db
from readiness.application import content, eligibility_services, workflow
from readiness.application.models import Application, ApplicationNote
from readiness.application.services import display_value, now

NOTE_KIND_FOR_ACTION = {"return": "return", "accept": "decision", "conditionally_accept": "decision",
                        "decline": "decision", "reopen": "decision", "start_review": "review_note"}


def add_note(application: Application, body: str, user) -> ApplicationNote:
    note = ApplicationNote(application=application, author_id=user.id, kind="review_note", body=body.strip())
    db.session.add(note)
    db.session.commit()
    return note


def apply_action(application: Application, action: str, text: str | None, user) -> dict[str, Any]:
    """Take ``action`` (see :mod:`workflow`); the comments/reasons become a note the agency sees (internal for
    start_review). On acceptance, eligible clinicians get their counselor Person records
    (:func:`eligibility_services.link_counselor_people`). Raises :class:`workflow.TransitionError`."""
    target = workflow.transition(application.status, action, user.role, text)
    before = application.status
    body = (text or "").strip()
    if body or action != "start_review":
        db.session.add(ApplicationNote(application=application, author_id=user.id,
                                       kind=NOTE_KIND_FOR_ACTION[action],
                                       body=body or workflow.ACTIONS[action].label,
                                       status_from=before, status_to=target))
    application.status = target
    if target in (workflow.ACCEPTED, workflow.CONDITIONALLY_ACCEPTED, workflow.DECLINED):
        application.decided_at = now()
        application.decided_by_id = user.id
    elif target == workflow.UNDER_REVIEW and before != workflow.SUBMITTED:
        application.decided_at = application.decided_by_id = None
    db.session.flush()
    accepted = target in workflow.ACCEPTED_STATUSES
    linked = eligibility_services.link_and_announce(application, user) if accepted else []
    db.session.commit()
    return {"from": before, "to": target, "linked": linked}


def compare_table(applications: list[Application]) -> tuple[list[str], list[list[Any]]]:
    """Agencies side by side: one column per application, one row per organizational-assessment field, then the
    counts of supervisors and clinicians and the eligibility summary (``eligibility_services.summary_for``)."""
    headers = ["Item", *[f"{a.agency.code} · {a.cohort.name}" for a in applications]]
    rows: list[list[Any]] = [
        ["Agency", *[a.agency.name for a in applications]],
        ["Status", *[a.status_label for a in applications]],
        ["Submitted", *[a.submitted_at.strftime("%Y-%m-%d") if a.submitted_at else "—" for a in applications]],
    ]
    for spec in content.ORGANISATION:
        rows.append([spec.label, *[_cell(spec, getattr(a, spec.key), a) for a in applications]])
    summaries = [eligibility_services.summary_for(a) for a in applications]
    rows.append(["Supervisors listed", *[len(a.supervisors) for a in applications]])
    for key, label in (("proposed", "Clinicians proposed"), ("eligible", "Clinicians eligible"),
                       ("pending", "Clinicians pending"), ("not_eligible", "Clinicians not eligible")):
        rows.append([label, *[s[key] for s in summaries]])
    rows.append(["Acknowledgement signed",
                 *["yes" if content.acknowledgement_signed(_ack(a)) else "no" for a in applications]])
    return headers, rows


def _cell(spec: content.Field, value: Any, application: Application) -> Any:
    if spec.kind == "int":
        return value
    text = display_value(spec, value, application)
    return None if text == "—" else text


def _ack(application: Application) -> dict[str, Any]:
    return {s.key: getattr(application, s.key) for s in content.ACKNOWLEDGEMENT}
