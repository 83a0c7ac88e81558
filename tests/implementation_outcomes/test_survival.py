"""Time to first session, Kaplan-Meier with never-started mothers censored: against statsmodels' SurvfuncRight
(product-limit, Greenwood SE, SAS-convention median and its cloglog Brookmeyer-Crowley CI) to 1e-9, and by hand."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import numpy as np
import pytest
from statsmodels.duration.survfunc import SurvfuncRight

from implementation_outcomes.errors import SessionDataError
from implementation_outcomes.survival import (
    first_attended,
    kaplan_meier,
    km_quantile,
    km_quantile_ci,
    time_to_first_session,
)


def _same(ours, theirs):
    if ours is None:
        return theirs is None or not math.isfinite(theirs)
    return theirs is not None and math.isfinite(theirs) and ours == pytest.approx(theirs, abs=1e-9)


def test_by_hand_small_example():
    # times 3, 5 (censored), 7, 7, 10 (censored): at 3: 5 at risk, 1 event, S = 4/5;
    # at 7: 3 at risk, 2 events, S = 4/5 * 1/3 = 4/15; Greenwood at 7: 1/(5*4) + 2/(3*1) = 0.05 + 0.6667
    curve = kaplan_meier([3, 5, 7, 7, 10], [True, False, True, True, False])
    assert [(r["time"], r["at_risk"], r["events"]) for r in curve] == [(3, 5, 1), (7, 3, 2)]
    assert curve[1]["survival"] == pytest.approx(4 / 15, abs=1e-12)
    assert curve[1]["se"] == pytest.approx(4 / 15 * math.sqrt(1 / 20 + 2 / 3), abs=1e-12)
    assert km_quantile(curve) == 7  # first time S < 0.5


def test_median_not_reached_when_most_never_start():
    curve = kaplan_meier([5, 30, 30, 30], [True, False, False, False])
    assert km_quantile(curve) is None


@pytest.mark.parametrize("seed", range(25))
def test_against_statsmodels_on_random_cohorts(seed):
    rng = random.Random(seed)
    n = rng.randint(5, 60)
    times = [float(rng.randint(0, 60)) for _ in range(n)]
    events = [rng.random() < rng.uniform(0.3, 0.95) for _ in range(n)]
    if not any(events):
        events[0] = True
    sf = SurvfuncRight(np.array(times), np.array(events, dtype=float))
    curve = kaplan_meier(times, events)
    assert [r["time"] for r in curve] == list(sf.surv_times)
    assert [r["survival"] for r in curve] == pytest.approx(list(sf.surv_prob), abs=1e-12)
    for ours, theirs in zip([r["se"] for r in curve], sf.surv_prob_se, strict=True):
        assert _same(ours, theirs)
    assert _same(km_quantile(curve), sf.quantile(0.5))
    low, high = km_quantile_ci(curve)
    with np.errstate(divide="ignore", invalid="ignore"):  # statsmodels takes log(0) where S reaches 0
        ref_low, ref_high = sf.quantile_ci(0.5)
    assert _same(low, ref_low) and _same(high, ref_high), (low, high, ref_low, ref_high)


def test_mothers_who_never_started_are_censored_at_the_cutoff():
    start = date(2026, 3, 2)
    mothers = [{"mother_id": f"M{i}", "randomized_on": start + timedelta(days=i)} for i in range(6)]
    sessions = [{"mother_id": "M0", "date": start + timedelta(days=10)},
                {"mother_id": "M0", "date": start + timedelta(days=3), "attended": False},
                {"mother_id": "M1", "date": start + timedelta(days=1 + 4)},
                {"mother_id": "M2", "date": start + timedelta(days=2 + 20)}]
    result = time_to_first_session(mothers, first_attended(sessions), start + timedelta(days=40))
    assert (result["n"], result["started"], result["never_started"]) == (6, 3, 3)
    # by hand: events at 4 (M1), 10 (M0), 20 (M2); M3..M5 censored at 37, 36, 35 days
    sf = SurvfuncRight(np.array([10, 4, 20, 37, 36, 35.0]), np.array([1, 1, 1, 0, 0, 0.0]))
    assert _same(result["median"], sf.quantile(0.5))
    assert result["median"] is None  # S(20) = 1/2 is not below 0.5: not reached
    assert result["censored_follow_up_median"] == 36
    # leaving out the never-started mothers, the median of the starters alone (10 days) looks shorter
    with pytest.raises(SessionDataError, match="M9"):
        time_to_first_session([{"mother_id": "M9", "randomized_on": "not a date"}], {}, start)
