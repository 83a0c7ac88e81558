import copy
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from implementation_outcomes.errors import FidelitySchemeError, RatingError
from implementation_outcomes.fidelity import (
    adequacy_mask,
    double_coding_sample,
    evaluate_adequacy,
    fidelity_coverage,
    load_fidelity_scheme,
    validate_rating,
    validate_scheme,
)


@pytest.fixture(scope="module")
def scheme():
    return load_fidelity_scheme()


def rating(scheme, alliance=4, psychoed=2, mentalization=4):
    value = {"alliance_building": alliance, "psychoeducation": psychoed, "mentalization_based": mentalization}
    return {s["key"]: value[s["group"]] for s in scheme["scales"]}


def test_shipped_scheme(scheme):
    assert len(scheme["scales"]) == 10
    groups = {s["group"] for s in scheme["scales"]}
    assert groups == {"alliance_building", "psychoeducation", "mentalization_based"}
    assert "placeholder" in scheme["note"].lower()
    assert scheme["rating_range"] == {"min": 1, "max": 5}


def test_validate_scheme_names_paths(scheme):
    bad = copy.deepcopy(scheme)
    bad["scales"][3]["group"] = "nope"
    bad["scales"][4]["key"] = bad["scales"][0]["key"]
    bad["adequacy_rule"]["all_of"][1]["op"] = "=>"
    bad["adequacy_rule"]["all_of"][2] = {"group": "alliance_building", "scale": "ab_warmth", "op": ">=", "value": 1}
    with pytest.raises(FidelitySchemeError) as info:
        validate_scheme(bad)
    errors = info.value.errors
    assert "scales[3].group: 'nope' is not a declared group" in errors
    assert any(e.startswith("scales[4].key: duplicate") for e in errors)
    assert any(e.startswith("adequacy_rule.all_of[1].op") for e in errors)
    assert any(e.startswith("adequacy_rule.all_of[2]: a condition names exactly one") for e in errors)
    with pytest.raises(FidelitySchemeError, match="rating_range"):
        validate_scheme({**scheme, "rating_range": {"min": 5, "max": 1}})


def test_validate_rating_names_scale(scheme):
    r = rating(scheme)
    r["mb_curious_stance"] = 6
    r["pe_parenting_advice"] = None
    r["extra_scale"] = 3
    with pytest.raises(RatingError) as info:
        validate_rating(scheme, r)
    text = str(info.value)
    assert "scale 'mb_curious_stance': rating 6 is outside 1..5" in text
    assert "scale 'pe_parenting_advice': missing rating" in text
    assert "scale 'extra_scale': not in scheme" in text


def test_evaluate_adequacy_with_reasons(scheme):
    ok = evaluate_adequacy(scheme, rating(scheme))
    assert ok["adequate"] is True and len(ok["reasons"]) == 3
    assert ok["group_means"] == {"alliance_building": 4, "psychoeducation": 2, "mentalization_based": 4}
    # MIO-specific mean 2.6 < 3: fails; differentiation 4 > 3: fails
    r = rating(scheme, psychoed=4)
    for key, v in zip(["mb_mother_mental_states", "mb_child_mental_states", "mb_affect_regulation",
                       "mb_linking_states_behaviour", "mb_curious_stance"], [2, 2, 3, 3, 3], strict=True):
        r[key] = v
    bad = evaluate_adequacy(scheme, r)
    assert bad["adequate"] is False
    assert "mentalization_based mean 2.60 fails >= 3" in bad["reasons"]
    assert "psychoeducation mean 4.00 fails <= 3" in bad["reasons"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(1, 5), min_size=10, max_size=10), min_size=1, max_size=8))
def test_vectorised_mask_matches_scalar_rule(rows):
    scheme = load_fidelity_scheme()
    keys = [s["key"] for s in scheme["scales"]]
    ratings = [dict(zip(keys, r, strict=True)) for r in rows]
    mask = adequacy_mask(scheme, {k: np.array([r[k] for r in ratings]) for k in keys})
    assert list(mask) == [evaluate_adequacy(scheme, r)["adequate"] for r in ratings]


def test_any_of_rule(scheme):
    s = copy.deepcopy(scheme)
    s["adequacy_rule"] = {"any_of": [{"scale": "ab_warmth", "op": ">", "value": 4},
                                     {"scale": "mb_curious_stance", "statistic": "min", "op": "==", "value": 1}]}
    validate_scheme(s)
    assert evaluate_adequacy(s, rating(s, alliance=5))["adequate"] is True
    assert evaluate_adequacy(s, rating(s, alliance=4))["adequate"] is False


def test_double_coding_sample_deterministic():
    ids = [f"s{i}" for i in range(23)]
    sample = double_coding_sample(ids, 0.2, seed=7)
    assert len(sample) == math.ceil(0.2 * 23) == 5
    assert sample == double_coding_sample(list(reversed(ids)), 0.2, seed=7)  # input order irrelevant
    assert set(sample) <= set(ids) and sample == sorted(sample)
    assert double_coding_sample(ids, 0.2, seed=8) != sample
    assert len(double_coding_sample([f"s{i}" for i in range(10)], 0.2, 1)) == 2  # exactly 2, not 3
    with pytest.raises(RatingError, match="share"):
        double_coding_sample(ids, 1.5, 1)


def test_fidelity_coverage_by_hand():
    sessions = [{"session_id": f"s{i}", "recorded": i < 8} for i in range(10)]
    sessions.append({"session_id": "s10", "attended": False})
    ratings = [
        {"session_id": "s0", "coder_id": "A"}, {"session_id": "s0", "coder_id": "B"},
        {"session_id": "s1", "coder_id": "A"}, {"session_id": "s1", "coder_id": "A"},
        {"session_id": "s2", "coder_id": "B"},
        {"session_id": "s3", "coder_id": "counselor", "source": "self"},  # self-rating never counts
    ]
    cov = fidelity_coverage(sessions, ratings)
    # attended 10, recorded 8, coded 3 (s0 s1 s2), double-coded 1 (s0), backlog 8 - 3 = 5
    assert cov == {"attended": 10, "recorded": 8, "coded": 3, "double_coded": 1, "share_recorded": 0.8,
                   "share_coded": 3 / 8, "share_double_coded": 1 / 3, "backlog": 5}
    with pytest.raises(RatingError, match="rating row 0, field 'session_id'"):
        fidelity_coverage(sessions, [{"session_id": "s9", "coder_id": "A"}])
    # the same figures from counts (many clinics counted in the database): 10 attended, 8 recorded, coders 2, 1, 1
    from implementation_outcomes.fidelity import coverage_from_counts

    assert coverage_from_counts(10, 8, [2, 1, 1]) == cov
    with pytest.raises(RatingError, match="recorded"):
        coverage_from_counts(5, 8, [])
    with pytest.raises(RatingError, match="coded"):
        coverage_from_counts(10, 2, [1, 1, 1])


def test_adequacy_of_ratings_many_ratings_still_name_each_bad_one():
    """The column-wise fast path agrees with evaluate_adequacy one by one, and a bad rating anywhere is still
    reported by index and scale (bool, missing, out of range)."""
    from implementation_outcomes.fidelity import adequacy_of_ratings, evaluate_adequacy, load_fidelity_scheme

    scheme = load_fidelity_scheme()
    lo, hi = scheme["rating_range"]["min"], scheme["rating_range"]["max"]
    keys = [s["key"] for s in scheme["scales"]]
    ratings = [{k: lo + (i * 7 + j) % (hi - lo + 1) for j, k in enumerate(keys)} for i in range(60)]
    assert adequacy_of_ratings(scheme, ratings) == [evaluate_adequacy(scheme, r)["adequate"] for r in ratings]
    bad = [*ratings[:3], {**ratings[3], keys[0]: True}, {k: v for k, v in ratings[4].items() if k != keys[1]},
           {**ratings[5], keys[2]: hi + 1}]
    with pytest.raises(RatingError) as info:
        adequacy_of_ratings(scheme, bad)
    text = "; ".join(info.value.errors)
    assert f"rating 3, scale '{keys[0]}'" in text and f"rating 4, scale '{keys[1]}': missing" in text
    assert f"rating 5, scale '{keys[2]}': rating {hi + 1} is outside" in text
