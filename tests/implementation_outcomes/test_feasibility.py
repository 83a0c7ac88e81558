import statistics
from datetime import date, timedelta

import pytest

from implementation_outcomes.errors import SessionDataError
from implementation_outcomes.feasibility import (
    consultation_attendance,
    feasibility_summary,
    median_iqr,
    session_dose,
)

MOTHERS = [
    {"mother_id": "m1", "arm": "mio_tau", "randomized_on": "2025-01-01"},
    {"mother_id": "m2", "arm": "mio_tau", "randomized_on": "2025-01-10"},
    {"mother_id": "m3", "arm": "mio_tau", "randomized_on": "2025-02-01"},
]


def sessions():
    rows = []
    # m1: 9 attended sessions, first on 2025-01-08 (7 days), weekly; each 55 min; odd ones recorded
    for n in range(1, 10):
        day = date(2025, 1, 8) + timedelta(days=7 * (n - 1))
        rows.append({"mother_id": "m1", "session_number": n, "date": day.isoformat(),
                     "duration_minutes": 55, "recorded": n % 2 == 1})
    # m2: 2 attended (first on 2025-01-31: 21 days), one 45-min, one 60-min; one missed session
    rows += [
        {"mother_id": "m2", "session_number": 1, "date": "2025-01-31", "duration_minutes": 45, "recorded": True},
        {"mother_id": "m2", "session_number": 2, "date": "2025-02-07", "duration_minutes": 60, "recorded": False},
        {"mother_id": "m2", "session_number": 3, "date": "2025-02-14", "attended": False},
    ]
    return rows


def test_dose_and_summary_by_hand():
    assert session_dose(MOTHERS, sessions()) == {"m1": 9, "m2": 2, "m3": 0}
    s = feasibility_summary(MOTHERS, sessions())
    assert s["mean_dose"] == pytest.approx(11 / 3)
    assert s["completed"] == 1 and s["completion_share"] == pytest.approx(1 / 3)  # only m1 >= 8
    assert s["not_started"] == 1
    # 11 attended sessions: 9 x 55 min + 60 min in window, 45 min not -> 10/11
    assert s["share_in_duration_window"] == pytest.approx(10 / 11)
    # recorded: m1 sessions 1,3,5,7,9 (5) + m2 session 1 -> 6/11
    assert s["share_recorded"] == pytest.approx(6 / 11)
    # days to first session: m1 7, m2 21 -> median 14, q1 = 7 + .25*14 = 10.5, q3 = 17.5
    assert s["days_to_first_session"] == {"n": 2, "median": 14.0, "q1": 10.5, "q3": 17.5}
    assert feasibility_summary(MOTHERS, sessions(), completion_threshold=2)["completed"] == 2


def test_median_iqr_matches_statistics_inclusive():
    values = [3, 9, 14, 2, 30, 7, 21]
    q1, med, q3 = statistics.quantiles(values, n=4, method="inclusive")  # Hyndman-Fan type 7
    assert median_iqr(values) == {"n": 7, "median": med, "q1": q1, "q3": q3}
    assert median_iqr([])["median"] is None


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"mother_id": "m1", "session_number": 13, "date": "2025-02-01"}, r"session row 0, field 'session_number'"),
        ({"mother_id": "m1", "session_number": 0, "date": "2025-02-01"}, r"field 'session_number'"),
        ({"mother_id": "m1", "session_number": 1, "date": "2024-12-31"},
         r"session row 0, field 'date': 2024-12-31 is before 'm1' was randomized \(2025-01-01\)"),
        ({"mother_id": "m1", "session_number": 1, "date": "31/12/2024"}, r"session row 0, field 'date'"),
        ({"mother_id": "mX", "session_number": 1, "date": "2025-02-01"}, r"field 'mother_id': unknown mother"),
        ({"mother_id": "m1", "session_number": 1, "date": "2025-02-01", "duration_minutes": -5},
         r"field 'duration_minutes'"),
    ],
)
def test_bad_sessions_name_row_and_field(row, message):
    with pytest.raises(SessionDataError, match=message):
        session_dose(MOTHERS, [row])


def test_tau_mother_and_duplicate_sessions_are_errors():
    mothers = [*MOTHERS, {"mother_id": "t1", "arm": "tau", "randomized_on": "2025-01-01"}]
    rows = [{"mother_id": "t1", "session_number": 1, "date": "2025-01-02"},
            {"mother_id": "m1", "session_number": 1, "date": "2025-01-02"},
            {"mother_id": "m1", "session_number": 1, "date": "2025-01-09"}]
    with pytest.raises(SessionDataError) as info:
        session_dose(mothers, rows)
    assert any("TAU arm" in e for e in info.value.errors)
    assert any("session row 2" in e and "twice" in e for e in info.value.errors)


def test_consultation_attendance_threshold():
    calls = [{"counselor_id": "c1", "attended": i < 7} for i in range(10)]  # 7/10 = .70 meets
    calls += [{"counselor_id": "c2", "attended": i < 13} for i in range(20)]  # 13/20 = .65 does not
    out = consultation_attendance(calls)
    assert out["c1"] == {"calls": 10, "attended": 7, "attendance": 0.7, "meets_requirement": True}
    assert out["c2"]["attendance"] == 0.65 and not out["c2"]["meets_requirement"]
    with pytest.raises(SessionDataError, match="call row 0, field 'attended'"):
        consultation_attendance([{"counselor_id": "c1", "attended": "yes"}])


def test_dose_summary_and_duration_window_share_by_hand():
    from implementation_outcomes.feasibility import dose_summary, duration_window_share

    # doses 0, 4, 8, 12: mean 24/4 = 6.0; completed (>= 8) 2 of 4; one mother not started
    assert dose_summary([0, 4, 8, 12], 8) == {"n_mothers": 4, "mean_dose": 6.0, "completion_threshold": 8,
                                              "completed": 2, "completion_share": 0.5, "not_started": 1}
    assert dose_summary([], 8)["mean_dose"] is None and dose_summary([], 8)["completion_share"] is None
    # 49 min x3 (out), 50 x2, 60 x1 (in: bounds inclusive), 61 x4 (out): 3 of 10
    assert duration_window_share({49: 3, 50: 2, 60: 1, 61: 4}) == 0.3
    assert duration_window_share({}) is None
    with pytest.raises(SessionDataError, match="completion_threshold 13"):
        dose_summary([1], 13)
