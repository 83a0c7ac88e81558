"""Benchmark: start-up of ``mio --help`` as a ratio to ``python -c "import flask"``, both measured in the same run as
fresh processes, interleaved (issue 15: within 3x of importing Flask; it was ~17x when every heavy library was
imported at start). ``mio routes`` (which builds the whole app) is reported beside them. No time is asserted.

Run: pytest tests/benchmarks/test_cli_startup_bench.py -m benchmark --benchmark-enable -s
"""

import os
import subprocess
import sys
import time

import numpy as np
import pytest

MIO = os.path.join(os.path.dirname(sys.executable), "mio")
REPEATS = 7


def _seconds(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env={**os.environ, "DATABASE_URL": "sqlite://"})
    return time.perf_counter() - start


@pytest.mark.benchmark
def test_mio_help_against_importing_flask(benchmark):
    flask, help_, routes = [], [], []
    for _ in range(REPEATS):  # interleaved, so load on the machine falls on all three alike
        flask.append(_seconds([sys.executable, "-c", "import flask"]))
        help_.append(_seconds([MIO, "--help"]))
        routes.append(_seconds([MIO, "routes"]))
    benchmark.pedantic(_seconds, args=([MIO, "--help"],), rounds=1, iterations=1)
    base = float(np.median(flask))
    figures = {"import_flask_s": base, "mio_help_s": float(np.median(help_)), "mio_routes_s": float(np.median(routes))}
    benchmark.extra_info.update(figures)
    benchmark.extra_info["ratio_help_to_flask"] = figures["mio_help_s"] / base
    benchmark.extra_info["ratio_routes_to_flask"] = figures["mio_routes_s"] / base
    print(
        f"\nimport flask {base:.3f} s; mio --help {figures['mio_help_s']:.3f} s "
        f"({figures['mio_help_s'] / base:.2f}x); mio routes {figures['mio_routes_s']:.3f} s "
        f"({figures['mio_routes_s'] / base:.2f}x) (medians of {REPEATS})"
    )
