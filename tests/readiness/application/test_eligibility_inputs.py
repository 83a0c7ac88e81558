"""Eligibility input groups, parsing and summaries (readiness/application/eligibility_inputs.py)."""

import pytest

from readiness.application.eligibility_inputs import (
    INPUTS,
    display_value,
    form_value,
    group_of,
    inputs_by_group,
    may_enter,
    parse_input,
    summarise,
)
from readiness.eligibility import CRITERIA, EligibilityInputError


def test_every_criterion_input_has_a_spec_and_one_group():
    keys = [k for c in CRITERIA for k in c["inputs"]]
    assert sorted(keys) == sorted(INPUTS)
    groups = inputs_by_group()
    assert sorted(k for ks in groups.values() for k in ks) == sorted(keys)
    assert groups["rater"] == ["crfs_mean"]
    assert groups["supervisor"] == ["supervisor_judges_capable"]
    assert groups["clinic_administrator"] == ["employed_as_addiction_counselor", "approval_supervision",
                                              "approval_delivery"]
    assert group_of("age_years") == "counselor"
    with pytest.raises(EligibilityInputError):
        group_of("shoe_size")


def test_who_may_enter_what():
    assert may_enter("rater", "director") and may_enter("rater", "admin")
    assert not may_enter("rater", "agency_staff")
    for group in ("supervisor", "clinic_administrator", "counselor"):
        assert may_enter(group, "agency_staff") and may_enter(group, "admin")
        assert not may_enter(group, "director") and not may_enter(group, "trial_staff")


@pytest.mark.parametrize(("key", "raw", "value"), [
    ("crfs_mean", "4.5", 4.5), ("crfs_mean", " -1 ", -1.0), ("crfs_mean", "9", 9.0), ("crfs_mean", "", None),
    ("age_years", "21", 21), ("approval_delivery", "yes", True), ("approval_delivery", "no", False),
    ("degree_level", "master", "master"), ("willing_to_be_recorded", None, None),
])
def test_parse_input(key, raw, value):
    assert parse_input(key, raw) == value


@pytest.mark.parametrize(("key", "raw", "message"), [
    ("crfs_mean", "9.5", "from -1 to 9"), ("crfs_mean", "-2", "from -1 to 9"), ("crfs_mean", "high", "Enter a number"),
    ("crfs_mean", "nan", "from -1 to 9"), ("age_years", "4.5", "whole number"), ("age_years", "150", "from 16 to 100"),
    ("approval_delivery", "maybe", "yes or no"), ("degree_field", "astrology", "Choose one"),
])
def test_parse_input_refuses(key, raw, message):
    with pytest.raises(EligibilityInputError, match=message):
        parse_input(key, raw)


def test_form_and_display_values():
    assert form_value("crfs_mean", 4.0) == "4" and form_value("approval_delivery", False) == "no"
    assert form_value("age_years", None) == ""
    assert display_value("degree_level", "master") == "Master's degree"
    assert display_value("willing_to_be_recorded", True) == "yes"
    assert display_value("crfs_mean", None) == "not entered"


def test_summarise():
    assert summarise(["eligible", "pending", "eligible", "not_eligible"]) == {
        "proposed": 4, "eligible": 2, "pending": 1, "not_eligible": 1}
    assert summarise([]) == {"proposed": 0, "eligible": 0, "pending": 0, "not_eligible": 0}
    with pytest.raises(EligibilityInputError):
        summarise(["maybe"])
