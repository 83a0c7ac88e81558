"""Counselor eligibility criteria of the MIO hybrid trial (readiness/eligibility.py)."""

import pytest

from readiness.eligibility import CRITERIA, EligibilityInputError, evaluate, overall_status

ALL_PASS = {
    "age_years": 34, "employed_as_addiction_counselor": True, "degree_level": "bachelor",
    "degree_field": "social_work", "approval_supervision": True, "approval_delivery": True,
    "planned_notice_or_leave": False, "willing_to_be_recorded": True, "crfs_mean": 4.5,
    "supervisor_judges_capable": True,
}


def by_key(results):
    return {r["key"]: r for r in results}


def test_criteria_cover_the_protocol_list():
    assert [c["key"] for c in CRITERIA] == [
        "age_21_or_older", "employed_addiction_counselor", "degree", "approval_supervision", "approval_delivery",
        "no_planned_leave", "willing_recorded", "crfs_mean_above_4", "supervisor_judges_capable"]
    assert by_key(CRITERIA)["crfs_mean_above_4"]["entered_by_role"] == "rater"
    assert by_key(CRITERIA)["supervisor_judges_capable"]["entered_by_role"] == "supervisor"


def test_all_pass_is_eligible():
    results = evaluate(ALL_PASS)
    assert {r["status"] for r in results} == {"pass"}
    assert overall_status(results) == "eligible"


@pytest.mark.parametrize(("change", "key"), [
    ({"age_years": 20}, "age_21_or_older"),
    ({"crfs_mean": 4}, "crfs_mean_above_4"),  # "greater than 4": exactly 4 fails
    ({"crfs_mean": -1}, "crfs_mean_above_4"),
    ({"degree_level": "associate"}, "degree"),
    ({"degree_field": "other"}, "degree"),
    ({"planned_notice_or_leave": True}, "no_planned_leave"),
    ({"supervisor_judges_capable": False}, "supervisor_judges_capable"),
    ({"approval_delivery": False}, "approval_delivery"),
])
def test_each_failure_makes_not_eligible(change, key):
    results = evaluate({**ALL_PASS, **change})
    assert [r["key"] for r in results if r["status"] == "fail"] == [key]
    assert overall_status(results) == "not_eligible"


def test_boundaries_that_pass():
    results = by_key(evaluate({**ALL_PASS, "age_years": 21, "crfs_mean": 4.01, "degree_level": "doctorate"}))
    assert results["age_21_or_older"]["status"] == "pass"
    assert results["crfs_mean_above_4"]["status"] == "pass"
    assert results["degree"]["status"] == "pass"


def test_missing_inputs_are_pending_and_fail_wins():
    inputs = {k: v for k, v in ALL_PASS.items() if k not in ("crfs_mean", "degree_field")}
    results = by_key(evaluate(inputs))
    assert results["crfs_mean_above_4"]["status"] == "pending"
    assert results["degree"]["reason"] == "waiting for degree_field"
    assert overall_status(list(results.values())) == "pending"
    assert overall_status(evaluate({**inputs, "age_years": 19})) == "not_eligible"
    assert overall_status(evaluate({})) == "pending"


def test_who_entered_each_input_is_kept():
    inputs = {**ALL_PASS, "crfs_mean": {"value": 5.25, "entered_by": "rater:17"}}
    result = by_key(evaluate(inputs))["crfs_mean_above_4"]
    assert result == {"key": "crfs_mean_above_4", "label": "Clinical Reflective Functioning Scale mean greater than 4",
                      "status": "pass", "reason": "crfs_mean: 5.25 (needs more than 4)", "entered_by_role": "rater",
                      "entered_by": ["rater:17"]}


@pytest.mark.parametrize(("change", "message"), [
    ({"crfs_mean": 9.5}, "crfs_mean: 9.5 is outside the scale range -1 to 9"),
    ({"crfs_mean": "5"}, "crfs_mean: '5' is not a number"),
    ({"age_years": True}, "age_years: True is not a number"),
    ({"willing_to_be_recorded": "yes"}, "willing_to_be_recorded: 'yes' must be true or false"),
    ({"degree_level": "phd"}, "degree_level: 'phd' is not one of"),
])
def test_bad_inputs_raise(change, message):
    with pytest.raises(EligibilityInputError, match=message):
        evaluate({**ALL_PASS, **change})
