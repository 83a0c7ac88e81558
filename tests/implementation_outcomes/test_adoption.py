import pytest

from implementation_outcomes.adoption import (
    COUNSELOR_STEPS,
    adoption_funnel,
    penetration,
    setting_adoption,
    staff_adoption,
)
from implementation_outcomes.errors import AdoptionDataError


def counselor(cid, steps_reached):
    return {"counselor_id": cid, **{s: "2025-01-01" for s in COUNSELOR_STEPS[:steps_reached]}}


def team():
    # furthest steps: 9 (delivering), 9, 7 (consultation_70pct), 2 (eligible), 1 (invited)
    return [counselor("c1", 9), counselor("c2", 9), counselor("c3", 7), counselor("c4", 2), counselor("c5", 1)]


def test_funnel_counts():
    funnel = adoption_funnel(team())
    assert [f["count"] for f in funnel] == [5, 4, 3, 3, 3, 3, 3, 2, 2]
    assert funnel[1]["pct_of_previous"] == pytest.approx(4 / 5)
    assert funnel[-1]["pct_of_invited"] == pytest.approx(2 / 5)


def test_staff_adoption_both_denominators_and_penetration():
    s = staff_adoption(team())
    assert s["adoption_of_eligible"] == pytest.approx(2 / 4)  # delivering 2 / eligible 4
    assert s["adoption_of_invited"] == pytest.approx(2 / 5)
    p = penetration(team())
    assert p == {"trained": 3, "delivering": 2, "penetration": pytest.approx(2 / 3)}


def test_skipped_step_is_named():
    row = counselor("c9", 3)
    row["delivering"] = True
    with pytest.raises(AdoptionDataError, match=r"counselor 'c9' \(row 0\), field 'delivering'.*'didactic_complete'"):
        adoption_funnel([row])
    assert adoption_funnel([row], strict=False)[2]["count"] == 1


def test_setting_adoption():
    clinics = [{"clinic": c, "approached": True, "taking_part": c != "D"} for c in "ABCD"]
    assert setting_adoption(clinics) == {"approached": 4, "taking_part": 3, "adoption": 0.75}
    with pytest.raises(AdoptionDataError, match="clinic 'X'"):
        setting_adoption([{"clinic": "X", "approached": False, "taking_part": True}])
