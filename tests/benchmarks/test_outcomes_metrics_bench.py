"""Per-clinic overview (reach, dose, share adequate fidelity) at scale, as a ratio to a bare groupby count.

400 clinics, 4,000 counselors, 40,000 mothers, 480,000 sessions, 40,000 fidelity ratings. The baseline is
``sessions_df.groupby("mother_id")["attended"].count()`` over the same 480,000 session rows, timed in the
same run; the ratio (overview time / baseline time) is reported, never asserted.
Run: pytest tests/benchmarks/test_outcomes_metrics_bench.py -m benchmark --benchmark-enable
"""

import timeit

import numpy as np
import pandas as pd
import pytest

from implementation_outcomes.fidelity import load_fidelity_scheme
from implementation_outcomes.overview import overview_frame

N_CLINICS, N_COUNSELORS, N_MOTHERS, N_SESSIONS, N_RATINGS = 400, 4_000, 40_000, 480_000, 40_000


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(2025)
    scheme = load_fidelity_scheme()
    clinic = rng.integers(0, N_CLINICS, N_MOTHERS)
    statuses = np.array(["excluded", "lost", "not_offered", "declined", "consented", "randomized", "started"])
    status = statuses[rng.choice(7, N_MOTHERS, p=[0.15, 0.05, 0.05, 0.15, 0.05, 0.2, 0.35])]
    arm = np.where(status == "started", "mio_tau",
                   np.where(status == "randomized", rng.choice(["mio_tau", "tau"], N_MOTHERS, p=[2 / 3, 1 / 3]), None))
    mothers = pd.DataFrame({
        "mother_id": np.char.add("m", np.arange(N_MOTHERS).astype(str)),
        "clinic": np.char.add("clinic-", clinic.astype(str)),
        "counselor_id": clinic * 10 + rng.integers(0, N_COUNSELORS // N_CLINICS, N_MOTHERS),
        "status": status,
        "arm": arm,
    })
    mio_ids = mothers.loc[mothers["arm"] == "mio_tau", "mother_id"].to_numpy()
    session_mother = rng.choice(mio_ids, N_SESSIONS)
    sessions = pd.DataFrame({
        "mother_id": session_mother,
        "session_number": rng.integers(1, 13, N_SESSIONS),
        "attended": rng.random(N_SESSIONS) < 0.85,
        "duration_minutes": rng.integers(35, 70, N_SESSIONS),
    })
    keys = [s["key"] for s in scheme["scales"]]
    ratings = pd.DataFrame(rng.integers(1, 6, (N_RATINGS, len(keys))), columns=keys)
    ratings.insert(0, "mother_id", rng.choice(mio_ids, N_RATINGS))
    ratings["source"] = "coder"
    return mothers, sessions, ratings, scheme


@pytest.mark.benchmark
def test_overview_frame_vs_groupby_count(benchmark, frames):
    mothers, sessions, ratings, scheme = frames

    def baseline():
        return sessions.groupby("mother_id")["attended"].count()

    baseline_best = min(timeit.repeat(baseline, number=1, repeat=7))
    result = benchmark(overview_frame, mothers, sessions, ratings, scheme)
    ratio = benchmark.stats.stats.min / baseline_best
    benchmark.extra_info["baseline_groupby_count_s"] = baseline_best
    benchmark.extra_info["ratio_to_groupby_count"] = ratio
    print(f"\noverview_frame / groupby count (min times): {ratio:.2f}x (baseline {baseline_best * 1e3:.1f} ms)")
    assert len(result) == N_CLINICS  # correctness of shape, not speed
    assert result["rated_sessions"].sum() == N_RATINGS
