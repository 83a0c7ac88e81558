"""The pure effectiveness modules: the measures file, range checks, the schedule rules, the blinding rule.
Expected values are worked by hand from the rules in the module docstrings."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from implementation_outcomes.effectiveness import blinding, measures, schedule


def test_packaged_measures_file_is_valid_and_complete():
    data = measures.load_definitions()
    measures.validate_definitions(data)
    keys = {m["key"] for m in data["measures"]}
    assert keys == {"pdi_rf", "psi_4_sf", "ncast_teaching", "bdi_ii", "bsi_gsi", "urine_toxicology", "days_of_use"}
    assert [tp["key"] for tp in data["time_points"]] == ["baseline", "end_of_treatment", "follow_up_3m"]
    # licensed instruments store scores only; primary outcomes are RF and parenting stress at end of treatment
    for key in ("psi_4_sf", "bdi_ii", "bsi_gsi", "ncast_teaching", "pdi_rf"):
        assert measures.measure(key)["stores"] == "scores"
    primary = {m["key"] for m in data["measures"] if m["outcome"] == "primary"}
    assert primary == {"pdi_rf", "psi_4_sf"}
    assert all(measures.measure(k)["primary_time_point"] == "end_of_treatment" for k in primary)
    rf = measures.measure("pdi_rf")["fields"][0]
    assert (rf["min"], rf["max"]) == (-1, 9)


def test_a_malformed_file_names_every_problem():
    data = copy.deepcopy(measures.load_definitions())
    data["version"] = "one"
    data["measures"][0]["fields"][0]["type"] = "slider"
    data["measures"][1]["time_points"] = ["baseline", "week_99"]
    with pytest.raises(measures.MeasureDefinitionError) as err:
        measures.validate_definitions(data)
    text = str(err.value)
    assert "version" in text and "measures[0].fields[0].type" in text and "measures[1].time_points" in text


def test_parse_values_in_range_and_typed():
    psi = measures.measure("psi_4_sf")
    values = measures.parse_values(psi, {"total_stress": "100", "parental_distress": "30",
                                         "parent_child_dysfunctional_interaction": "35", "difficult_child": "35"})
    assert values == {"total_stress": 100, "parental_distress": 30, "parent_child_dysfunctional_interaction": 35,
                      "difficult_child": 35}
    gsi = measures.parse_values(measures.measure("bsi_gsi"), {"gsi": "1.236"})
    assert gsi == {"gsi": 1.24}


def test_parse_values_refuses_out_of_range_and_names_each_field():
    with pytest.raises(measures.MeasureValueError) as err:
        measures.parse_values(measures.measure("pdi_rf"), {"rf_overall": "10"})
    assert "rf_overall" in err.value.fields and "outside -1 to 9" in err.value.fields["rf_overall"]
    with pytest.raises(measures.MeasureValueError) as err:
        measures.parse_values(measures.measure("bdi_ii"), {"total": "12.5", "items": "3"})
    assert set(err.value.fields) == {"total", "items"}  # a whole number; and no items for a licensed instrument
    with pytest.raises(measures.MeasureValueError) as err:
        measures.parse_values(measures.measure("bsi_gsi"), {})
    assert "required" in err.value.fields["gsi"]


def test_totals_must_equal_their_parts():
    psi = measures.measure("psi_4_sf")
    with pytest.raises(measures.MeasureValueError) as err:
        measures.parse_values(psi, {"total_stress": "101", "parental_distress": "30",
                                    "parent_child_dysfunctional_interaction": "35", "difficult_child": "35"})
    assert "not the sum of its parts (100)" in err.value.fields["total_stress"]
    days = measures.measure("days_of_use")
    with pytest.raises(measures.MeasureValueError) as err:
        measures.parse_values(days, {"any_drug_days": "3", "opioid_days": "5", "stimulant_days": "0",
                                     "cannabis_days": "0", "alcohol_days": "0", "other_days": "0"})
    assert "fewer than the days of one substance" in err.value.fields["any_drug_days"]
    with pytest.raises(measures.MeasureValueError) as err:
        measures.parse_values(days, {"any_drug_days": "31", "opioid_days": "0", "stimulant_days": "0",
                                     "cannabis_days": "0", "alcohol_days": "0", "other_days": "0"})
    assert "outside 0 to 30" in err.value.fields["any_drug_days"]


def _tox(**results):
    base = dict.fromkeys(("opioids", "fentanyl", "cocaine", "amphetamines", "benzodiazepines", "cannabis"),
                         "negative")
    return {**base, **results}


def test_toxicology_binary_outcome_ignores_prescribed_moud():
    tox = measures.measure("urine_toxicology")
    assert measures.outcome_value(tox, measures.parse_values(tox, _tox())) == 0.0
    assert measures.outcome_value(tox, measures.parse_values(tox, _tox(buprenorphine="positive"))) == 0.0
    assert measures.outcome_value(tox, measures.parse_values(tox, _tox(cocaine="POS"))) == 1.0
    assert measures.outcome_value(tox, measures.parse_values(tox, _tox(fentanyl="not tested"))) is None
    with pytest.raises(measures.MeasureValueError) as err:
        measures.parse_values(tox, _tox(cannabis="maybe"))
    assert "cannabis" in err.value.fields


TPS = measures.time_points()


def test_schedule_targets_and_windows_by_hand():
    # consent 2026-01-05, randomized 2026-01-12; EOT target = 2026-01-12 + 112 d = 2026-05-04, window -14/+42
    entries = schedule.mother_schedule(TPS, consented_on=date(2026, 1, 5), screened_on=date(2026, 1, 2),
                                       randomized_on=date(2026, 1, 12), today=date(2026, 5, 10),
                                       recorded={"baseline": "completed"})
    by = {e["time_point"]: e for e in entries}
    assert by["baseline"]["status"] == "completed"
    # baseline window closes on randomization day (2026-01-26 would be consent + 7 + 14)
    assert by["baseline"]["closes"] == date(2026, 1, 12)
    assert by["end_of_treatment"]["target"] == date(2026, 5, 4)
    assert by["end_of_treatment"]["opens"] == date(2026, 4, 20)
    assert by["end_of_treatment"]["closes"] == date(2026, 6, 15)
    assert by["end_of_treatment"]["status"] == "overdue"  # target passed, window open
    assert by["follow_up_3m"]["target"] == date(2026, 8, 3)  # + 203 days
    assert by["follow_up_3m"]["status"] == "upcoming"


@pytest.mark.parametrize(("today", "recorded", "withdrawn", "expected"), [
    (date(2026, 4, 19), None, None, "upcoming"),
    (date(2026, 4, 20), None, None, "due"),
    (date(2026, 5, 4), None, None, "due"),
    (date(2026, 5, 5), None, None, "overdue"),
    (date(2026, 6, 15), None, None, "overdue"),
    (date(2026, 6, 16), None, None, "window_closed"),
    (date(2026, 6, 16), "missed", None, "missed"),
    (date(2026, 6, 16), None, date(2026, 3, 1), "withdrawn"),
    (date(2026, 6, 16), None, date(2026, 6, 16), "window_closed"),  # withdrew after the window closed
])
def test_status_rules(today, recorded, withdrawn, expected):
    tp = next(t for t in TPS if t["key"] == "end_of_treatment")
    win = schedule.window(tp, date(2026, 1, 5), None, date(2026, 1, 12))
    assert schedule.entry_status(win, today, recorded, withdrawn) == expected


def test_not_randomized_has_only_a_baseline_and_windows_can_be_overridden():
    entries = schedule.mother_schedule(TPS, consented_on=None, screened_on=date(2026, 1, 2), randomized_on=None,
                                       today=date(2026, 1, 9))
    assert [e["status"] for e in entries] == ["due", "not_scheduled", "not_scheduled"]
    # no consent date: the screening date anchors the baseline; target a week later, window to day 21
    assert (entries[0]["opens"], entries[0]["target"], entries[0]["closes"]) == (
        date(2026, 1, 2), date(2026, 1, 9), date(2026, 1, 23))
    merged = schedule.merge_windows(TPS, {"end_of_treatment": {"offset_days": 84, "window_after_days": -3}})
    eot = next(t for t in merged if t["key"] == "end_of_treatment")
    assert eot["offset_days"] == 84 and eot["window_after_days"] == 42  # a negative override is ignored


def test_status_counts():
    s1 = schedule.mother_schedule(TPS, consented_on=date(2026, 1, 5), screened_on=None,
                                  randomized_on=date(2026, 1, 12), today=date(2026, 5, 10))
    s2 = schedule.mother_schedule(TPS, consented_on=date(2026, 1, 5), screened_on=None, randomized_on=None,
                                  today=date(2026, 5, 10))
    counts = schedule.status_counts([s1, s2], [t["key"] for t in TPS])
    assert counts["baseline"]["window_closed"] == 2
    assert counts["end_of_treatment"]["overdue"] == 1 and counts["end_of_treatment"]["not_scheduled"] == 1


def test_blinding_drops_every_allocation_field_unless_unblinded():
    row = {"participant_id": 7, "study_id": "S-1", "arm": "tau", "arm_label": "TAU", "counselor": "C",
           "status": "started", "sessions_attended": 9}
    assert blinding.blind_row(row, blinded=True) == {"participant_id": 7, "study_id": "S-1"}
    assert blinding.blind_row(row, blinded=False) == row
    assert blinding.blind_rows([row], blinded=True, unblinded_ids=[7]) == [row]
    assert blinding.blind_columns(["study_id", "arm", "value"], blinded=True) == [0, 2]
    assert blinding.is_blinded("outcome_assessor") and not blinding.is_blinded("director")
