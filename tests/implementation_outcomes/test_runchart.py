import pytest

from implementation_outcomes.errors import RatingError
from implementation_outcomes.runchart import run_chart, run_charts_by_counselor


def test_shift_ignores_points_on_median():
    # median of these 13 values is 3; six values below 3 with one on-median point in between
    scores = [4, 5, 4, 5, 4, 5, 3, 2, 2, 3, 1, 2, 2, 1]
    chart = run_chart(scores)
    assert chart["median"] == 3.0
    below = [s for s in chart["shifts"] if s["direction"] == "below"]
    # below-median points at indices 7, 8, 10, 11, 12, 13 (index 9 is on the median): a shift of 6
    assert below == [{"direction": "below", "start": 7, "end": 13, "length": 6}]
    assert chart["shifts"][0] == {"direction": "above", "start": 0, "end": 5, "length": 6}
    assert chart["drift"] is True
    # runs: above(0-5), below(7-13) -> 2 runs over 12 useful observations
    assert chart["runs"] == 2 and chart["useful_observations"] == 12


def test_trend_counts_repeated_values_once():
    chart = run_chart([1, 2, 3, 3, 4, 5, 3, 4])
    # 1,2,3,(3),4,5 -> 5 distinct rising points = trend up
    assert chart["trends"] == [{"direction": "up", "start": 0, "end": 5, "length": 5}]
    assert chart["drift"] is False
    down = run_chart([5, 4, 4, 3, 2, 1])
    assert down["trends"][0]["direction"] == "down" and down["drift"] is True


def test_no_signal_in_alternating_series():
    chart = run_chart([3, 4, 3, 4, 3, 4, 3, 4])
    assert chart["shifts"] == [] and chart["trends"] == [] and chart["drift"] is False
    assert chart["runs"] == 8


def test_baseline_median_and_by_counselor():
    chart = run_chart([4, 4, 4, 2, 2, 2, 2, 2, 2], baseline_points=3)
    assert chart["median"] == 4 and chart["drift"] is True
    rows = [{"counselor_id": "c1", "order": 2, "score": 3, "session_id": "b"},
            {"counselor_id": "c1", "order": 1, "score": 4, "session_id": "a"},
            {"counselor_id": "c2", "order": 1, "score": 2}]
    charts = run_charts_by_counselor(rows)
    assert [p["session_id"] for p in charts["c1"]["points"]] == ["a", "b"]
    assert charts["c2"]["median"] == 2
    with pytest.raises(RatingError, match="row 0, field 'score'"):
        run_charts_by_counselor([{"counselor_id": "c1", "order": 1}])
