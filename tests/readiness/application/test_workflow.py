"""The review workflow's transitions (readiness/application/workflow.py): every allowed path, every refusal."""

import pytest

from readiness.application import workflow as wf
from readiness.application.workflow import TextMissing, TransitionError, allowed_actions, transition

EXPECTED = {  # (from, action) -> to, as in the module's table
    ("draft", "submit"): "submitted", ("returned", "submit"): "submitted",
    ("submitted", "start_review"): "under_review",
    ("submitted", "return"): "returned", ("under_review", "return"): "returned",
    ("submitted", "accept"): "accepted", ("under_review", "accept"): "accepted",
    ("conditionally_accepted", "accept"): "accepted",
    ("submitted", "conditionally_accept"): "conditionally_accepted",
    ("under_review", "conditionally_accept"): "conditionally_accepted",
    ("submitted", "decline"): "declined", ("under_review", "decline"): "declined",
    ("conditionally_accepted", "decline"): "declined",
    ("accepted", "reopen"): "under_review", ("conditionally_accepted", "reopen"): "under_review",
    ("declined", "reopen"): "under_review",
}


def _role(action):
    return "agency_staff" if action == "submit" else "director"


@pytest.mark.parametrize(("status", "action"), sorted(EXPECTED))
def test_allowed_transitions(status, action):
    assert transition(status, action, _role(action), "because") == EXPECTED[(status, action)]
    assert transition(status, action, "admin", "because") == EXPECTED[(status, action)]  # admins pass every gate


def test_every_other_pair_is_refused_with_the_allowed_statuses_named():
    refused = 0
    for status in wf.STATUSES:
        for action in wf.ACTIONS:
            if (status, action) in EXPECTED:
                continue
            with pytest.raises(TransitionError, match="only when"):
                transition(status, action, "admin", "text")
            refused += 1
    assert refused == len(wf.STATUSES) * len(wf.ACTIONS) - len(EXPECTED) == 33


def test_roles_are_enforced():
    with pytest.raises(TransitionError, match="taken by the implementation director"):
        transition("submitted", "accept", "agency_staff", "fine")
    with pytest.raises(TransitionError, match="taken by agency staff"):
        transition("draft", "submit", "director")
    with pytest.raises(TransitionError):
        transition("submitted", "start_review", "analyst")


@pytest.mark.parametrize("action", ["return", "accept", "conditionally_accept", "decline"])
def test_returns_and_decisions_need_text(action):
    for text in (None, "", "   "):
        with pytest.raises(TextMissing, match="needs"):
            transition("under_review", action, "director", text)


def test_start_review_and_submit_need_no_text():
    assert transition("submitted", "start_review", "director") == "under_review"
    assert transition("draft", "submit", "agency_staff") == "submitted"


def test_unknown_status_and_action():
    with pytest.raises(TransitionError, match="unknown status"):
        transition("approved", "accept", "director", "x")
    with pytest.raises(TransitionError, match="unknown action"):
        transition("submitted", "approve", "director", "x")
    with pytest.raises(TransitionError, match="unknown status"):
        allowed_actions("nope", "director")


def test_allowed_actions_per_role():
    assert [a.key for a in allowed_actions("submitted", "director")] == [
        "start_review", "return", "accept", "conditionally_accept", "decline"]
    assert [a.key for a in allowed_actions("submitted", "agency_staff")] == []
    assert [a.key for a in allowed_actions("returned", "agency_staff")] == ["submit"]
    assert [a.key for a in allowed_actions("accepted", "director")] == ["reopen"]


def test_only_draft_and_returned_are_editable_by_the_agency():
    assert {s for s in wf.STATUSES if wf.agency_may_edit(s)} == {"draft", "returned"}
