"""The overview's rows equal the clinic pages' own service figures (same period), the date range and agency filters
restrict what they should, and bad filters are refused with the field named."""

from __future__ import annotations

from datetime import date

import pytest

from implementation_outcomes.delivery.services import clinic_feasibility, clinic_fidelity, clinic_reach
from implementation_outcomes.implementation import clinic_adoption, clinic_stages
from implementation_outcomes.overview.services import FilterError, Filters, clinic_overview, overview_rows
from tests.implementation_outcomes.overview.conftest import as_user


def _expected(clinic_id: int, period: dict) -> dict:
    reach = clinic_reach(clinic_id, **period)
    feas = clinic_feasibility(clinic_id, **period)["summary"]
    fid = clinic_fidelity(clinic_id, **period)
    adoption = clinic_adoption(clinic_id)
    return {
        "screened": reach["cascade"]["screened"], "enrolled": reach["cascade"]["enrolled"],
        "reach": reach["reach"]["enrolled"]["main"], "reach_sensitivity": reach["reach"]["enrolled"]["sensitivity"],
        "eligible": adoption["staff_adoption"]["eligible"], "delivering": adoption["staff_adoption"]["delivering"],
        "adoption": adoption["staff_adoption"]["adoption_of_eligible"],
        "penetration": adoption["penetration"]["penetration"],
        "mio_mothers": feas["n_mothers"], "mean_dose": feas["mean_dose"], "completion_share": feas["completion_share"],
        "share_50_60": feas["share_in_duration_window"],
        "rated_sessions": fid["adequacy"]["rated"], "adequate_share": fid["adequacy"]["share"],
        "icc": fid["reliability"]["headline"]["value"], "icc_pairs": fid["reliability"]["headline"]["n"],
        "current_stage": clinic_stages(clinic_id)["current_stage"],
    }


@pytest.mark.parametrize("period", [{}, {"date_from": date(2026, 4, 1), "date_to": date(2026, 6, 30)}],
                         ids=["all dates", "April-June 2026"])
def test_each_row_equals_the_clinic_pages_figures(demo, period):
    director = demo.user("director@mio.example")
    with as_user(director):
        rows = overview_rows(Filters(date_from=period.get("date_from"), date_to=period.get("date_to")))
        assert [r["clinic"] for r in rows] == ["HFR-1", "HFR-2", "SPR-1", "SPR-2"]
        for row in rows:
            expected = _expected(row["clinic_id"], period)
            assert {k: row[k] for k in expected} == pytest.approx(expected), row["clinic"]
            assert row["icc_form"] == "ICC(2,1)"
            drill = clinic_overview(row["clinic_id"], Filters(**period))["figures"]
            assert drill == pytest.approx({k: v for k, v in row.items()
                                           if k not in ("clinic_id", "clinic", "clinic_name", "agency")})
    # the clinics differ (the demo is built so), and every outcome is defined for every clinic over all dates
    if not period:
        assert len({r["mean_dose"] for r in rows}) == 4
        assert all(r[k] is not None for r in rows for k in ("reach", "adoption", "penetration", "mean_dose",
                                                            "completion_share", "share_50_60", "adequate_share", "icc"))


def test_date_range_restricts_screening_sessions_and_ratings(demo):
    with as_user(demo.user("director@mio.example")):
        everything = {r["clinic"]: r for r in overview_rows()}
        later = {r["clinic"]: r for r in overview_rows(Filters(date_from=date(2026, 5, 1)))}
        nothing = overview_rows(Filters(date_to=date(2020, 1, 1)))
    for code, row in later.items():
        assert row["screened"] < everything[code]["screened"]
        assert row["rated_sessions"] < everything[code]["rated_sessions"]
    for row in nothing:  # undefined shares are None, never 0
        assert row["screened"] == row["mio_mothers"] == row["rated_sessions"] == 0
        assert row["reach"] is None and row["mean_dose"] is None and row["adequate_share"] is None and row["icc"] is None


def test_agency_bound_users_and_the_agency_filter(demo):
    trial_spr = demo.user("trial.spr@mio.example")
    with as_user(trial_spr):
        assert [r["clinic"] for r in overview_rows()] == ["SPR-1", "SPR-2"]
        with pytest.raises(FilterError, match="agency: no agency with code 'HFR'"):
            overview_rows(Filters(agency="HFR"))
    with as_user(demo.user("director@mio.example")):
        assert [r["clinic"] for r in overview_rows(Filters(agency="HFR"))] == ["HFR-1", "HFR-2"]
        assert [r["clinic"] for r in overview_rows(Filters(clinic="SPR-2"))] == ["SPR-2"]
        with pytest.raises(FilterError, match="clinic: no clinic with code 'SPR-2' in agency HFR"):
            overview_rows(Filters(agency="HFR", clinic="SPR-2"))


@pytest.mark.parametrize(("values", "message"), [
    ({"from": "2026-13-01"}, "from: '2026-13-01' is not a date"),
    ({"to": "yesterday"}, "to: 'yesterday' is not a date"),
    ({"from": "2026-05-01", "to": "2026-04-01"}, "to: 2026-04-01 is before the start 2026-05-01"),
])
def test_bad_filters_name_the_field(values, message):
    with pytest.raises(FilterError, match=message):
        Filters.parse(values)
