"""Benchmark: the joint display, determinants and agreement pages on the demo data (``mio seed-demo``: four clinics,
about 1,000 trial sessions, 1,400 fidelity ratings, one qualitative project), each against the bare aggregate SQL
query over the data it shows, measured in the same run and interleaved with it.

Per round: the bare query on the same engine, then the page through Flask's test client (the full WSGI stack minus
the socket). Both the wall time and the process CPU time of the page are kept: on a shared machine the wall time
carries other processes' load, the CPU time is the server's own work (SQLite runs in the process, so its work is
included; on PostgreSQL the database server's share is not). Nothing is asserted about time; every response is
checked for status and content. The table is printed and written to ``$MIO_ARTIFACTS/benchmarks/demo-pages-
<dialect>.json``.

The joint display took about two seconds in the browser on these four clinics: per clinic it computed the whole
fidelity page (coverage, ICC reliability, run charts, self-ratings over ORM objects) and the whole feasibility page
(with the readiness profiles of every clinic rebuilt for one FIM figure) to show five numbers; it now asks
``clinic_fidelity(adequacy_only=True)`` (plain rows) and ``clinic_feasibility(core_only=True)``.

Run: pytest tests/benchmarks/test_demo_pages_bench.py -m benchmark --benchmark-enable -s
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.db import db
from app.demo import demo_password
from tests.conftest import own_database_app

ROUNDS = int(os.environ.get("MIO_BENCH_ROUNDS", "20"))
RESULTS: dict[str, dict] = {}

SQL = {
    # what the joint display and determinants read: sessions, fidelity ratings and codings per clinic
    "clinics": ("SELECT s.clinic_id, s.status, count(*), count(r.id) FROM mio_session s "
                "LEFT JOIN fidelity_rating r ON r.mio_session_id = s.id GROUP BY s.clinic_id, s.status"),
    "project": ("SELECT c.coder_id, c.code_id, count(*) FROM qual_coding c JOIN qual_document d "
                "ON d.id = c.document_id WHERE d.project_id = :project GROUP BY c.coder_id, c.code_id"),
}


@pytest.fixture(scope="module")
def demo():
    from app.demo import seed
    from app.models import User
    from qualitative.models import QualProject

    config = {"TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False}
    with own_database_app(config, seed=seed, actor="bench:seed-demo") as application:
        with application.app_context():
            project = db.session.execute(sa.select(QualProject.id).order_by(QualProject.id)).scalars().first()
            analysts = db.session.execute(sa.select(User.id).where(
                User.email.in_(("analyst@mio.example", "analyst2@mio.example"))).order_by(User.email)).scalars().all()
            db.session.remove()
        yield application, project, analysts
        _write_summary(application)


def _percentiles(seconds: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return statistics.median(seconds), cuts[94]


def _measure(benchmark, application, name: str, email: str, path: str, must_contain: bytes, sql: str,
             params: dict) -> None:
    client = application.test_client()
    assert client.post("/auth/login", data={"email": email, "password": demo_password(email)}).status_code == 302
    with application.app_context():
        engine = db.engine
    statement = sa.text(sql)
    sql_s, cpu_s = [], []

    def page():
        started = time.process_time()
        response = client.get(path)
        cpu_s.append(time.process_time() - started)
        assert response.status_code == 200, (path, response.status_code)
        assert must_contain in response.data, (path, must_contain)

    def baseline():
        with engine.connect() as conn:
            started = time.perf_counter()
            rows = conn.execute(statement, params).all()
            sql_s.append(time.perf_counter() - started)
        assert rows
        return (), {}

    page()  # warm-up: templates compiled, lazy imports done, the database's caches filled
    cpu_s.clear()
    benchmark.pedantic(page, setup=baseline, rounds=ROUNDS, iterations=1)
    wall = list(benchmark.stats.stats.data)
    p50, p95 = _percentiles(wall)
    c50, c95 = _percentiles(cpu_s)
    s50, s95 = _percentiles(sql_s)
    row = {"rounds": len(wall), "p50_ms": 1000 * p50, "p95_ms": 1000 * p95, "cpu_p50_ms": 1000 * c50,
           "cpu_p95_ms": 1000 * c95, "sql_p50_ms": 1000 * s50, "sql_p95_ms": 1000 * s95,
           "p50_ratio_sql": p50 / s50, "p95_ratio_sql": p95 / s95, "sql": sql}
    RESULTS[name] = row
    benchmark.extra_info.update({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()})
    print(f"\n{name}: p50 {row['p50_ms']:.0f} ms (CPU {row['cpu_p50_ms']:.0f}), p95 {row['p95_ms']:.0f} ms "
          f"(CPU {row['cpu_p95_ms']:.0f}); bare SQL p50 {row['sql_p50_ms']:.1f} ms; x/SQL {row['p50_ratio_sql']:.0f}")


@pytest.mark.benchmark
def test_joint_display(benchmark, demo):
    application, project, _analysts = demo
    _measure(benchmark, application, "joint display (4 clinics)", "director@mio.example",
             f"/integration/projects/{project}/joint", b"Sessions with adequate fidelity", SQL["clinics"], {})


@pytest.mark.benchmark
def test_determinants(benchmark, demo):
    application, project, _analysts = demo
    _measure(benchmark, application, "determinants (4 clinics)", "director@mio.example",
             f"/integration/projects/{project}/determinants", b"CRFS", SQL["clinics"], {})


@pytest.mark.benchmark
def test_agreement(benchmark, demo):
    application, project, (first, second) = demo
    _measure(benchmark, application, "agreement (demo project, 2 analysts)", "analyst@mio.example",
             f"/qualitative/projects/{project}/agreement?coder_id={first}&coder_id={second}", b"Krippendorff",
             SQL["project"], {"project": project})


def _write_summary(application) -> None:
    if not RESULTS:
        return
    with application.app_context():
        dialect = db.engine.dialect.name
    lines = [f"demo data on {dialect}, {ROUNDS} rounds per page",
             f"{'page':40} {'p50 ms':>7} {'CPU p50':>8} {'p95 ms':>7} {'CPU p95':>8} {'SQL p50':>8} {'/SQL':>6}"]
    for name, r in RESULTS.items():
        lines.append(f"{name:40} {r['p50_ms']:7.0f} {r['cpu_p50_ms']:8.0f} {r['p95_ms']:7.0f} {r['cpu_p95_ms']:8.0f} "
                     f"{r['sql_p50_ms']:8.2f} {r['p50_ratio_sql']:6.0f}")
    print("\n" + "\n".join(lines))
    out = Path(os.environ.get("MIO_ARTIFACTS", "artifacts")) / "benchmarks" / f"demo-pages-{dialect}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"dialect": dialect, "rounds": ROUNDS, "pages": RESULTS}, indent=2))
    print(f"written to {out}")
