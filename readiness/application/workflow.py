"""The review workflow of a Training & Learning Collaborative application, as plain data and one pure function.

Statuses: draft -> submitted -> under review -> accepted | conditionally accepted | declined, with "returned for
changes" sending the application back to the agency (who edit and resubmit). Who may take an action:

=====================  =================================================  ======================  ==============
action                 from                                               to                      by
=====================  =================================================  ======================  ==============
submit                 draft, returned                                    submitted               agency staff
start_review           submitted                                          under_review            director
return                 submitted, under_review                            returned                director
accept                 submitted, under_review, conditionally_accepted    accepted                director
conditionally_accept   submitted, under_review                            conditionally_accepted  director
decline                submitted, under_review, conditionally_accepted    declined                director
reopen                 accepted, conditionally_accepted, declined         under_review            director
=====================  =================================================  ======================  ==============

Administrators may take every action (they pass every role gate on the platform). Returning requires comments for
the agency; every decision (accept, conditionally accept, decline, reopen) requires reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

DRAFT = "draft"
SUBMITTED = "submitted"
UNDER_REVIEW = "under_review"
RETURNED = "returned"
ACCEPTED = "accepted"
CONDITIONALLY_ACCEPTED = "conditionally_accepted"
DECLINED = "declined"

STATUS_LABELS: dict[str, str] = {
    DRAFT: "Draft",
    SUBMITTED: "Submitted",
    UNDER_REVIEW: "Under review",
    RETURNED: "Returned for changes",
    ACCEPTED: "Accepted",
    CONDITIONALLY_ACCEPTED: "Conditionally accepted",
    DECLINED: "Declined",
}
STATUSES: tuple[str, ...] = tuple(STATUS_LABELS)
#: badge class per status (app.css: ok / warn / bad / info)
STATUS_BADGES: dict[str, str] = {
    DRAFT: "info", SUBMITTED: "info", UNDER_REVIEW: "warn", RETURNED: "warn",
    ACCEPTED: "ok", CONDITIONALLY_ACCEPTED: "ok", DECLINED: "bad",
}
#: statuses in which the agency may edit the application's content
AGENCY_EDITABLE: frozenset[str] = frozenset({DRAFT, RETURNED})
#: statuses in which the agency takes part in training (adoption tracking may start)
ACCEPTED_STATUSES: frozenset[str] = frozenset({ACCEPTED, CONDITIONALLY_ACCEPTED})

AGENCY = "agency_staff"
DIRECTOR = "director"
ADMIN = "admin"


@dataclass(frozen=True)
class Action:
    key: str
    label: str
    sources: frozenset[str]
    target: str
    role: str  # AGENCY or DIRECTOR; ADMIN may take any action
    text_required: str | None  # what the free text is called when it is required ("comments", "reasons")


ACTIONS: dict[str, Action] = {a.key: a for a in (
    Action("submit", "Submit the application", frozenset({DRAFT, RETURNED}), SUBMITTED, AGENCY, None),
    Action("start_review", "Start the review", frozenset({SUBMITTED}), UNDER_REVIEW, DIRECTOR, None),
    Action("return", "Return to the agency for changes", frozenset({SUBMITTED, UNDER_REVIEW}), RETURNED, DIRECTOR,
           "comments for the agency"),
    Action("accept", "Accept", frozenset({SUBMITTED, UNDER_REVIEW, CONDITIONALLY_ACCEPTED}), ACCEPTED, DIRECTOR,
           "reasons for the decision"),
    Action("conditionally_accept", "Accept with conditions", frozenset({SUBMITTED, UNDER_REVIEW}),
           CONDITIONALLY_ACCEPTED, DIRECTOR, "conditions and reasons"),
    Action("decline", "Decline", frozenset({SUBMITTED, UNDER_REVIEW, CONDITIONALLY_ACCEPTED}), DECLINED, DIRECTOR,
           "reasons for the decision"),
    Action("reopen", "Reopen the review", frozenset({ACCEPTED, CONDITIONALLY_ACCEPTED, DECLINED}), UNDER_REVIEW,
           DIRECTOR, "reasons for reopening"),
)}


class TransitionError(ValueError):
    """An action that is not allowed from the current status, by this role, or without its required text."""


class TextMissing(TransitionError):
    """The action is allowed but needs comments or reasons that were not given."""


def _may(action: Action, role: str) -> bool:
    return role == ADMIN or role == action.role


def allowed_actions(status: str, role: str) -> list[Action]:
    """The actions ``role`` may take on an application in ``status``, in table order."""
    if status not in STATUS_LABELS:
        raise TransitionError(f"unknown status {status!r}")
    return [a for a in ACTIONS.values() if status in a.sources and _may(a, role)]


def transition(status: str, action: str, role: str, text: str | None = None) -> str:
    """The status after ``role`` takes ``action`` on an application in ``status`` (see the module table).

    Raises :class:`TransitionError` naming what is wrong: an unknown status or action, an action not open from this
    status, a role that may not take it, or missing comments/reasons."""
    if status not in STATUS_LABELS:
        raise TransitionError(f"unknown status {status!r}")
    spec = ACTIONS.get(action)
    if spec is None:
        raise TransitionError(f"unknown action {action!r}")
    if status not in spec.sources:
        allowed = ", ".join(STATUS_LABELS[s].lower() for s in sorted(spec.sources, key=STATUSES.index))
        raise TransitionError(
            f"“{spec.label}” is not possible while the application is {STATUS_LABELS[status].lower()} "
            f"(only when {allowed}).")
    if not _may(spec, role):
        who = "agency staff" if spec.role == AGENCY else "the implementation director"
        raise TransitionError(f"“{spec.label}” is taken by {who}.")
    if spec.text_required and not (text or "").strip():
        raise TextMissing(f"“{spec.label}” needs {spec.text_required}.")
    return spec.target


def agency_may_edit(status: str) -> bool:
    return status in AGENCY_EDITABLE
