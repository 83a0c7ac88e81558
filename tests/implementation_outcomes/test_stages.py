import copy
import json
import re
from datetime import date
from importlib import resources

import pytest

from implementation_outcomes.errors import CatalogueError
from implementation_outcomes.stages import load_activity_catalogue, stage_scores, validate_catalogue


@pytest.fixture(scope="module")
def catalogue():
    return load_activity_catalogue()


def test_shipped_catalogue_shape(catalogue):
    assert [p["key"] for p in catalogue["phases"]] == ["pre_implementation", "implementation", "sustainability"]
    assert [s["number"] for s in catalogue["stages"]] == list(range(1, 9))
    assert [s["phase"] for s in catalogue["stages"]] == ["pre_implementation"] * 3 + ["implementation"] * 4 + [
        "sustainability"]
    assert all(3 <= len(s["activities"]) <= 6 for s in catalogue["stages"])
    assert "Chamberlain" in catalogue["modelled_on"]
    raw = resources.files("implementation_outcomes").joinpath("data/activity_catalogue.json").read_text("utf-8")
    assert not re.search(r"\bSIC\b", raw)  # licensed name not used


def test_stage_scores_by_hand(catalogue):
    completions = {
        "outreach_contact": "2025-01-06",
        "information_session": date(2025, 1, 20),
        "interest_confirmed": "2025-02-03",  # stage 1 complete: 3/3, Jan 6 -> Feb 3 = 28 days
        "readiness_application_received": "2025-02-10",  # stage 2: 1/4, duration 0
        "startup_meeting": "2025-05-01",  # stage 6 reached out of order
        "first_consent": None,  # not done
    }
    result = stage_scores(catalogue, completions)
    s1, s2, s3 = result["stages"][:3]
    assert (s1["n_completed"], s1["proportion"], s1["duration_days"]) == (3, 1.0, 28)
    assert (s2["n_completed"], s2["proportion"], s2["duration_days"]) == (1, 0.25, 0)
    assert (s3["n_completed"], s3["duration_days"], s3["first_date"]) == (0, None, None)
    assert result["current_stage"] == 6
    pre = result["phases"][0]
    assert pre["n_activities"] == 11 and pre["n_completed"] == 4 and pre["duration_days"] == 35  # Jan 6 -> Feb 10
    assert [r["activity_key"] for r in result["timeline"]] == [
        "outreach_contact", "information_session", "interest_confirmed", "readiness_application_received",
        "startup_meeting"]
    assert stage_scores(catalogue, {})["current_stage"] is None


def test_errors_name_key_and_path(catalogue):
    with pytest.raises(CatalogueError, match="completion 'nope'"):
        stage_scores(catalogue, {"nope": "2025-01-01"})
    with pytest.raises(CatalogueError, match="completion 'outreach_contact', field 'date'"):
        stage_scores(catalogue, {"outreach_contact": "soon"})
    bad = copy.deepcopy(catalogue)
    bad["stages"][2]["number"] = 9
    bad["stages"][4]["activities"][1]["key"] = "outreach_contact"
    bad["stages"][5]["phase"] = "later"
    with pytest.raises(CatalogueError) as info:
        validate_catalogue(bad)
    assert "stages[2].number: expected 3, got 9" in info.value.errors
    assert "stages[4].activities[1].key: duplicate activity 'outreach_contact'" in info.value.errors
    assert "stages[5].phase: 'later' is not a declared phase" in info.value.errors
    json.dumps(bad)  # catalogue stays plain JSON data
