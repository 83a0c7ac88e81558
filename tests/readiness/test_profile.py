"""Site readiness profile by R = MC^2 components (readiness/profile.py)."""

import pytest

from readiness.aggregation import clinic_summary
from readiness.instruments import load_instrument
from readiness.profile import BAND_RULE, ProfileInputError, band, build_site_profile


@pytest.mark.parametrize(("mean", "scale", "expected"), [
    (4.0, (1, 5), "strength"),
    (3.99, (1, 5), "developing"),
    (3.0, (1, 5), "developing"),
    (2.99, (1, 5), "concern"),
    (None, (1, 5), "not_reported"),
    # 0-4 scale: 1 + 4 (3 - 0) / 4 = 4 -> strength; 1 + 4 (1.9)/4 = 2.9 -> concern
    (3.0, (0, 4), "strength"),
    (1.9, (0, 4), "concern"),
    # TCU 10-50 scale: 1 + 4 (35 - 10)/40 = 3.5 -> developing
    (35.0, (10, 50), "developing"),
])
def test_band(mean, scale, expected):
    assert band(mean, *scale) == expected


def oric_rows(summary):
    oric = load_instrument("oric")
    return [{"instrument": "oric", "subscale": s["key"], "label": s["label"],
             "profile_component": s["profile_component"], **summary[s["key"]]} for s in oric["subscales"]]


def test_profile_from_clinic_summaries():
    commitment = clinic_summary({"north": [4.2, 4.6, 4.0, 4.4]},
                                {"north": [[4, 4, 5, 4, 4], [5, 5, 4, 4, 5], [4, 4, 4, 4, 4], [4, 5, 4, 5, 4]]}, 5)
    efficacy = clinic_summary({"north": [2.0, 4.0, 3.0, 5.0]},
                              {"north": [[1, 2, 3], [5, 4, 3], [1, 5, 3], [5, 3, 5]]}, 5)
    rows = oric_rows({"change_commitment": commitment["north"], "change_efficacy": efficacy["north"]})
    rows.append({"instrument": "fim", "subscale": "fim", "profile_component": "innovation_specific_capacity",
                 **clinic_summary({"north": [4.0, 5.0]}, {}, 5)["north"]})
    profile = build_site_profile("north", rows, invited=8, responded=4, eligible_counselors=3,
                                 admin_approvals=True, acknowledgement_signed=None)
    assert profile["band_rule"] == BAND_RULE and "heuristic" in BAND_RULE
    motivation = profile["components"]["motivation"]
    # mean (4.2 + 4.6 + 4.0 + 4.4)/4 = 4.3 -> strength
    assert [(e["subscale"], e["band"]) for e in motivation] == [("change_commitment", "strength")]
    assert motivation[0]["mean"] == pytest.approx(4.3)
    isc = profile["components"]["innovation_specific_capacity"]
    # efficacy mean (2+4+3+5)/4 = 3.5 -> developing, low agreement flagged not hidden
    assert isc[0]["band"] == "developing" and isc[0]["low_agreement"] is True
    # FIM with n = 2: mean suppressed
    assert isc[1]["mean"] is None and isc[1]["band"] == "not_reported"
    assert profile["components"]["general_capacity"] == []
    assert profile["data_quality"] == {"invited": 8, "responded": 4, "response_rate": 0.5,
                                       "suppressed": ["fim.fim"], "withheld_complementary": [],
                                      "low_agreement": ["oric.change_efficacy"]}
    gates = {g["key"]: g["status"] for g in profile["gates"]}
    # 3 eligible < 4 required -> fail; the signed acknowledgement not yet known -> pending
    assert gates == {"eligible_counselors": "fail", "admin_approvals": "pass", "acknowledgement_signed": "pending"}
    assert profile["gates_status"] == "not_met"


def test_gates_met_and_pending():
    assert build_site_profile("x", [], eligible_counselors=4, admin_approvals=True,
                              acknowledgement_signed=True)["gates_status"] == "met"
    assert build_site_profile("x", [])["gates_status"] == "pending"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"subscale_summaries": [{"instrument": "oric", "n": 3}]}, r"subscale_summaries\[0\]: missing subscale"),
    ({"subscale_summaries": [{"instrument": "a", "subscale": "b", "n": 3, "profile_component": "mood"}]},
     "unknown 'mood'"),
    ({"subscale_summaries": [], "invited": 3, "responded": 5}, r"responded \(5\) exceeds invited \(3\)"),
    ({"subscale_summaries": [], "eligible_counselors": -1}, "must be a count"),
])
def test_bad_profile_inputs(kwargs, message):
    with pytest.raises(ProfileInputError, match=message):
        build_site_profile("x", **kwargs)
