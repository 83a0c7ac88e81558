"""Timing helper shared by the benchmarks: the best of a few runs (the least disturbed by other load), used as the
numerator or the baseline of a ratio measured in the same run."""

import time


def best_of(fn, rounds: int = 3) -> float:
    """The shortest wall time, in seconds, of ``rounds`` calls of ``fn``."""
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)
