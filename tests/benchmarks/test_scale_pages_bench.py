"""p50 and p95 server time of the heavy pages on the ``mio generate-scale`` dataset, each as a ratio to baselines
measured in the same run, interleaved with it (same machine load):

- ``/healthz``, the trivial endpoint on the same stack (routing, session, one ``SELECT 1``);
- the bare aggregate SQL query the page is built on (for example ``count(*) ... GROUP BY clinic_id`` over the
  sessions for the director's overview), run on the same engine.

Pages: the director's overview (every clinic), the fidelity page of every clinic, a clinic drill-down, the readiness profile (every clinic, and one
clinic), the coding workspace (one transcript), agreement (one project, both analysts) and the .qdpx export (one
project). Each round picks the next clinic, transcript or project in a fixed rotation, so the figures are not one
cached row. Requests go through Flask's test client, the full WSGI stack minus the socket: what is timed is the
server's work. Nothing is asserted about time; every response is checked for status and content.

The dataset is ``spec_for(MIO_BENCH_SCALE)`` (default ``1``: 100 agencies, 400 clinics, 4,000 counselors, 60,000
mothers, 480,000 sessions, 40,000 fidelity ratings, 20,000 survey responses, 2,000 transcripts, 200,000 codings),
written into its own PostgreSQL schema when TEST_DATABASE_URL is set (the production database), else a SQLite file.
MIO_BENCH_ROUNDS (default 20) sets the samples per page. The summary table is printed and written to
``$MIO_ARTIFACTS/benchmarks/scale-pages-<dialect>.json`` (default ``artifacts/``).

Run: TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
     pytest tests/benchmarks/test_scale_pages_bench.py -m benchmark --benchmark-enable -s
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.audit import acting_as
from app.db import db
from app.models import Role, User
from app.scale.bulk import SCALE_AGENCY_PREFIX, SCALE_EMAIL_DOMAIN
from app.scale.generate import generate, spec_for
from app.security import hash_password
from tests.conftest import own_database_app

PASSWORD = "bench-scale-password-2026"
ROUNDS = int(os.environ.get("MIO_BENCH_ROUNDS", "20"))
ROTATION = 20  # distinct clinics / transcripts / projects cycled through
RESULTS: dict[str, dict] = {}


@dataclass
class Scale:
    app: object
    engine: sa.Engine
    counts: dict[str, int]
    clinics: list[tuple[int, str]]  # (id, code), spread over the agencies
    documents: list[int]
    projects: list[int]
    analysts: list[int]
    build_seconds: float


def _spread(values: list, n: int) -> list:
    step = max(1, len(values) // n)
    return values[::step][:n]


@pytest.fixture(scope="module")
def scale():
    config = {"TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False}
    with own_database_app(config) as application:
        with application.app_context():
            started = time.perf_counter()
            with acting_as("bench:generate-scale"):
                counts = generate(spec_for(os.environ.get("MIO_BENCH_SCALE", "1")))
                db.session.commit()
            build = time.perf_counter() - started
            # what production keeps up to date as ratings are saved (a bulk load bypasses the services): the stored
            # fidelity figures, as `mio outcomes refresh-fidelity-summaries` writes them after a load
            from implementation_outcomes.delivery.services.summaries import refresh_all

            started = time.perf_counter()
            with acting_as("bench:refresh-fidelity-summaries"):
                refresh_all()
                db.session.commit()
            print(f"\nstored fidelity figures in {time.perf_counter() - started:.1f} s")
            print(f"\ngenerated {sum(counts.values()):,} rows in {build:.0f} s "
                  f"({db.engine.dialect.name}): " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))
            t = db.metadata.tables
            clinics = db.session.execute(sa.select(t["clinic"].c.id, t["clinic"].c.code)
                                         .where(t["clinic"].c.code.startswith(SCALE_AGENCY_PREFIX))
                                         .order_by(t["clinic"].c.id)).all()
            documents = db.session.execute(sa.select(t["qual_document"].c.id).order_by(t["qual_document"].c.id)).scalars()
            projects = db.session.execute(sa.select(t["qual_project"].c.id).order_by(t["qual_project"].c.id)).scalars()
            analysts = db.session.execute(sa.select(User.id).where(User.email.like(f"analyst%{SCALE_EMAIL_DOMAIN}"))
                                          .order_by(User.id)).scalars().all()
            with acting_as("bench:users"):
                director = User(email="director@bench.example", name="Bench Director", role=Role.DIRECTOR,
                                password_hash=hash_password(PASSWORD))
                manager = User(email="manager@bench.example", name="Bench Analyst", role=Role.ANALYST,
                               password_hash=hash_password(PASSWORD))
                db.session.add_all([director, manager])
                db.session.flush()
                project_ids = _spread(list(projects), ROTATION)
                db.session.execute(sa.insert(t["qual_project_member"]), [
                    {"project_id": pid, "user_id": manager.id, "privilege": "manage"} for pid in project_ids])
                db.session.commit()
            data = Scale(application, db.engine, counts, [tuple(c) for c in _spread(clinics, ROTATION)],
                         _spread(list(documents), ROTATION), project_ids, list(analysts), build)
            db.session.remove()
        yield data
        _write_summary(data)

def _client(scale: Scale, email: str):
    client = scale.app.test_client()
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, f"login failed for {email}"
    return client


def _percentiles(seconds: list[float]) -> tuple[float, float]:
    """p50 and p95 by the inclusive method (the same as numpy.percentile's default, linear interpolation)."""
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return statistics.median(seconds), cuts[94]


SQL = {
    "overview": "SELECT clinic_id, count(*) FROM mio_session GROUP BY clinic_id",
    "clinic": "SELECT status, count(*) FROM mio_session WHERE clinic_id = :clinic GROUP BY status",
    "fidelity": "SELECT status, audio_recorded, count(*) FROM mio_session GROUP BY status, audio_recorded",
    "profile": ("SELECT w.clinic_id, s.subscale, avg(s.score) FROM score s "
                "JOIN survey_response r ON r.id = s.survey_response_id JOIN survey_link l ON l.id = r.survey_link_id "
                "JOIN survey_wave w ON w.id = l.survey_wave_id GROUP BY w.clinic_id, s.subscale"),
    "profile_clinic": ("SELECT s.subscale, avg(s.score) FROM score s "
                       "JOIN survey_response r ON r.id = s.survey_response_id "
                       "JOIN survey_link l ON l.id = r.survey_link_id JOIN survey_wave w ON w.id = l.survey_wave_id "
                       "WHERE w.clinic_id = :clinic GROUP BY s.subscale"),
    "workspace": "SELECT code_id, count(*) FROM qual_coding WHERE document_id = :document GROUP BY code_id",
    "project": ("SELECT c.coder_id, c.code_id, count(*) FROM qual_coding c JOIN qual_document d "
                "ON d.id = c.document_id WHERE d.project_id = :project GROUP BY c.coder_id, c.code_id"),
}


def _measure(benchmark, scale: Scale, name: str, who: str, request: Callable[[object, int], object],
             sql: str, params: Callable[[int], dict]) -> None:
    """Interleave per round: /healthz, the bare SQL, then the page (timed by pytest-benchmark)."""
    client = _client(scale, who)
    health_s, sql_s = [], []
    state = {"round": 0}
    statement = sa.text(sql)

    def baselines():
        i = state["round"]
        state["round"] += 1
        started = time.perf_counter()
        assert client.get("/healthz").status_code == 200
        health_s.append(time.perf_counter() - started)
        with scale.engine.connect() as conn:
            started = time.perf_counter()
            rows = conn.execute(statement, params(i)).all()
            sql_s.append(time.perf_counter() - started)
        assert rows
        return (client, i), {}

    request(client, 0)  # warm-up: templates compiled, the database's caches filled
    benchmark.pedantic(request, setup=baselines, rounds=ROUNDS, iterations=1)
    page_s = list(benchmark.stats.stats.data)
    p50, p95 = _percentiles(page_s)
    h50, h95 = _percentiles(health_s)
    s50, s95 = _percentiles(sql_s)
    row = {"rounds": len(page_s), "p50_ms": 1000 * p50, "p95_ms": 1000 * p95, "healthz_p50_ms": 1000 * h50,
           "healthz_p95_ms": 1000 * h95, "sql_p50_ms": 1000 * s50, "sql_p95_ms": 1000 * s95,
           "p50_ratio_healthz": p50 / h50, "p95_ratio_healthz": p95 / h95, "p50_ratio_sql": p50 / s50,
           "p95_ratio_sql": p95 / s95, "sql": sql}
    RESULTS[name] = row
    benchmark.extra_info.update({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()})
    print(f"\n{name}: p50 {row['p50_ms']:.0f} ms, p95 {row['p95_ms']:.0f} ms; "
          f"x/healthz {row['p50_ratio_healthz']:.0f} / {row['p95_ratio_healthz']:.0f}; "
          f"x/SQL {row['p50_ratio_sql']:.1f} / {row['p95_ratio_sql']:.1f}")


def _get(path: Callable[[int], str], must_contain: bytes):
    def request(client, i):
        response = client.get(path(i))
        assert response.status_code == 200, (path(i), response.status_code)
        assert must_contain in response.data, (path(i), must_contain)
        return response
    return request


@pytest.mark.benchmark
def test_directors_overview(benchmark, scale):
    n = len(scale.clinics)
    _measure(benchmark, scale, "director's overview (all clinics)", "director@bench.example",
             _get(lambda i: "/outcomes/overview/", scale.clinics[-1][1].encode()), SQL["overview"], lambda i: {})
    assert n == min(ROTATION, scale.counts["clinic"])


@pytest.mark.benchmark
def test_fidelity_all_clinics(benchmark, scale):
    _measure(benchmark, scale, "fidelity, all clinics", "director@bench.example",
             _get(lambda i: "/outcomes/fidelity", b"Coder reliability"), SQL["fidelity"], lambda i: {})


@pytest.mark.benchmark
def test_clinic_drill_down(benchmark, scale):
    clinics = scale.clinics
    _measure(benchmark, scale, "clinic drill-down", "director@bench.example",
             _get(lambda i: f"/outcomes/overview/clinics/{clinics[i % len(clinics)][0]}", b"Fidelity"),
             SQL["clinic"], lambda i: {"clinic": clinics[i % len(clinics)][0]})


@pytest.mark.benchmark
def test_readiness_profile_all_clinics(benchmark, scale):
    _measure(benchmark, scale, "readiness profile (all clinics)", "director@bench.example",
             _get(lambda i: "/readiness/profiles", scale.clinics[-1][1].encode()), SQL["profile"], lambda i: {})


@pytest.mark.benchmark
def test_readiness_profile_one_clinic(benchmark, scale):
    clinics = scale.clinics
    _measure(benchmark, scale, "readiness profile (one clinic)", "director@bench.example",
             _get(lambda i: f"/readiness/profiles?clinic={clinics[i % len(clinics)][1]}", b"rwg"),
             SQL["profile_clinic"], lambda i: {"clinic": clinics[i % len(clinics)][0]})


@pytest.mark.benchmark
def test_coding_workspace(benchmark, scale):
    documents = scale.documents
    # the scale analysts code every project; sign in as the first to open any transcript
    with scale.app.app_context():
        analyst = db.session.get(User, scale.analysts[0])
        analyst.password_hash, analyst.must_change_password = hash_password(PASSWORD), False
        email = analyst.email
        db.session.commit()
    _measure(benchmark, scale, "coding workspace (one transcript)", email,
             _get(lambda i: f"/qualitative/documents/{documents[i % len(documents)]}", b"Interviewer"),
             SQL["workspace"], lambda i: {"document": documents[i % len(documents)]})


@pytest.mark.benchmark
def test_agreement(benchmark, scale):
    projects, (first, second) = scale.projects, scale.analysts[:2]
    _measure(benchmark, scale, "agreement (one project)", "manager@bench.example",
             _get(lambda i: f"/qualitative/projects/{projects[i % len(projects)]}/agreement?coder_id={first}"
                            f"&coder_id={second}", b"Krippendorff"),
             SQL["project"], lambda i: {"project": projects[i % len(projects)]})


@pytest.mark.benchmark
def test_qdpx_export(benchmark, scale):
    projects = scale.projects

    def export(client, i):
        response = client.post(f"/qualitative/projects/{projects[i % len(projects)]}/exchange/qdpx", data={})
        assert response.status_code == 200, response.status_code
        assert response.data[:2] == b"PK"  # a zip archive, written synchronously below QDPX_SYNC_CODINGS
        return response

    _measure(benchmark, scale, ".qdpx export (one project)", "manager@bench.example", export, SQL["project"],
             lambda i: {"project": projects[i % len(projects)]})


def _write_summary(scale: Scale) -> None:
    if not RESULTS:
        return
    dialect = scale.engine.dialect.name
    header = (f"{'page':36} {'p50 ms':>8} {'p95 ms':>8} {'/healthz p50':>12} {'p95':>6} {'/SQL p50':>9} {'p95':>6}")
    lines = [f"scale dataset on {dialect}: {sum(scale.counts.values()):,} rows (built in {scale.build_seconds:.0f} s), "
             f"{ROUNDS} rounds per page", header]
    for name, r in RESULTS.items():
        lines.append(f"{name:36} {r['p50_ms']:8.0f} {r['p95_ms']:8.0f} {r['p50_ratio_healthz']:12.0f} "
                     f"{r['p95_ratio_healthz']:6.0f} {r['p50_ratio_sql']:9.1f} {r['p95_ratio_sql']:6.1f}")
    print("\n" + "\n".join(lines))
    out = Path(os.environ.get("MIO_ARTIFACTS", "artifacts")) / "benchmarks" / f"scale-pages-{dialect}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"dialect": dialect, "rounds": ROUNDS, "counts": scale.counts,
                               "build_seconds": scale.build_seconds, "pages": RESULTS}, indent=2))
    print(f"written to {out}")
