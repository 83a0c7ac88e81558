"""Benchmark: score and aggregate 100,000 ORIC responses across 400 clinics, reported as a ratio to a plain
NumPy row mean (np.nanmean over the same n x 12 answer matrix) measured in the same run. No time is asserted.

Run: pytest tests/benchmarks/test_readiness_scoring_bench.py -m benchmark --benchmark-enable
"""

import time

import numpy as np
import pytest

from readiness.aggregation import iccs, summarise_groups
from readiness.instruments import load_instrument
from readiness.scoring import score_matrix

N_RESPONSES, N_CLINICS = 100_000, 400


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(2024)
    answers = rng.integers(1, 6, size=(N_RESPONSES, 12)).astype(float)
    answers[rng.random(answers.shape) < 0.03] = np.nan  # blanks
    answers[rng.random(answers.shape) < 0.02] = 99  # don't know
    clinics = rng.integers(0, N_CLINICS, N_RESPONSES)
    return load_instrument("oric"), answers, clinics


def score_and_aggregate(definition, answers, clinics):
    scores = score_matrix(definition, answers)
    items = np.where(answers == 99, np.nan, answers)
    out = {}
    for sub in definition["subscales"]:
        columns = [int(k.split("_")[1]) - 1 for k in sub["items"]]
        out[sub["key"]] = {
            "clinics": summarise_groups(scores[sub["key"]], clinics, items[:, columns], 5),
            "icc": iccs(scores[sub["key"]], clinics),
        }
    return out


def _median_seconds(fn, repeats=7):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


@pytest.mark.benchmark
def test_score_and_aggregate_100k_oric(benchmark, data):
    definition, answers, clinics = data
    result = benchmark(score_and_aggregate, definition, answers, clinics)
    assert result["change_efficacy"]["clinics"]["labels"].size == N_CLINICS
    baseline = _median_seconds(lambda: np.nanmean(answers, axis=1))
    pipeline = benchmark.stats.stats.median
    benchmark.extra_info["numpy_nanmean_median_s"] = baseline
    benchmark.extra_info["ratio_to_numpy_nanmean"] = pipeline / baseline
    print(f"\nscore+aggregate median {pipeline:.4f} s; np.nanmean {baseline:.4f} s; ratio {pipeline / baseline:.1f}x")
