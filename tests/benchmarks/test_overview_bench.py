"""The director's overview on a large database, as a ratio to the bare aggregate SQL query in the same run.

400 clinics (20 agencies), 4,000 counselors with adoption steps, 40,000 mothers, 480,000 MIO sessions and 40,000
coder fidelity ratings (a fifth of the rated sessions double-coded), written with SQLAlchemy Core ``executemany``
into a benchmark-only database (SQLite file, or its own PostgreSQL schema when TEST_DATABASE_URL is set). Timed:
``overview_rows()`` for every clinic vs ``SELECT clinic_id, count(*) FROM mio_session GROUP BY clinic_id``. The
ratio is reported (printed and in the benchmark's extra_info), not asserted.
Run: pytest tests/benchmarks/test_overview_bench.py -m benchmark --benchmark-enable -s
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app import create_app
from app.db import db
from app.models import Agency, Clinic, Person, User
from implementation_outcomes.adoption import COUNSELOR_STEPS
from implementation_outcomes.delivery.models import (
    CodingAssignment,
    FidelityRating,
    MioSession,
    TrialParticipant,
)
from implementation_outcomes.fidelity import load_fidelity_scheme
from implementation_outcomes.implementation.models import AdoptionStep
from tests.conftest import _database_url, _drop_schema

N_AGENCIES, N_CLINICS, N_COUNSELORS, N_MOTHERS, N_SESSIONS, N_RATINGS = 20, 400, 4_000, 40_000, 480_000, 40_000
START = date(2025, 1, 6)
CHUNK = 20_000


class _Everyone:
    role = "admin"
    is_authenticated = True
    agency_id = None
    id = None


def _insert(table, rows: list[dict]) -> None:
    for i in range(0, len(rows), CHUNK):
        db.session.execute(sa.insert(table), rows[i:i + CHUNK])


def _build() -> None:
    rng = random.Random(2026)
    scheme = load_fidelity_scheme()
    keys = [s["key"] for s in scheme["scales"]]
    _insert(Agency.__table__, [{"name": f"Agency {a}", "code": f"A{a:02d}"} for a in range(N_AGENCIES)])
    agency_ids = db.session.execute(sa.select(Agency.id).order_by(Agency.id)).scalars().all()
    _insert(Clinic.__table__, [{"agency_id": agency_ids[c % N_AGENCIES], "code": f"C{c:03d}", "name": f"Clinic {c}"}
                               for c in range(N_CLINICS)])
    clinic_ids = db.session.execute(sa.select(Clinic.id).order_by(Clinic.id)).scalars().all()
    _insert(Person.__table__, [{"clinic_id": clinic_ids[p % N_CLINICS], "kind": "counselor",
                                "display_name": f"Counselor {p}"} for p in range(N_COUNSELORS)])
    people = db.session.execute(sa.select(Person.id, Person.clinic_id).order_by(Person.id)).all()
    steps = []
    for pid, _cid in people:
        for k in range(rng.randint(1, len(COUNSELOR_STEPS))):
            steps.append({"person_id": pid, "step": COUNSELOR_STEPS[k], "reached_on": START + timedelta(days=7 * k)})
    _insert(AdoptionStep.__table__, steps)
    by_clinic: dict[int, list[int]] = {}
    for pid, cid in people:
        by_clinic.setdefault(cid, []).append(pid)
    _insert(User.__table__, [{"email": f"coder{i}@bench.example", "name": f"Coder {i}", "password_hash": "x",
                              "role": "fidelity_coder"} for i in (1, 2)])
    coders = db.session.execute(sa.select(User.id).order_by(User.id)).scalars().all()
    statuses = ["excluded", "lost", "not_offered", "declined", "consented", "randomized", "started"]
    mothers = []
    for m in range(N_MOTHERS):
        cid = clinic_ids[m % N_CLINICS]
        status = rng.choices(statuses, [15, 5, 5, 15, 5, 20, 35])[0]
        arm = "mio_tau" if status == "started" else (rng.choice(["mio_tau", "mio_tau", "tau"]) if status == "randomized"
                                                     else None)
        screened = START + timedelta(days=rng.randrange(300))
        mothers.append({"clinic_id": cid, "study_id": f"M{m:05d}", "screened_on": screened, "status": status,
                        "reason": "reason" if status in ("excluded", "declined") else None, "arm": arm,
                        "randomized_on": screened + timedelta(days=7) if arm else None,
                        "allocation_source": "external" if arm else None})
    _insert(TrialParticipant.__table__, mothers)
    mio = db.session.execute(sa.select(TrialParticipant.id, TrialParticipant.clinic_id, TrialParticipant.randomized_on)
                             .where(TrialParticipant.arm == "mio_tau")).all()
    sessions = []
    for s in range(N_SESSIONS):
        pid, cid, randomized = mio[s % len(mio)]
        status = rng.choices(["attended", "no_show", "cancelled"], [85, 10, 5])[0]
        sessions.append({"clinic_id": cid, "participant_id": pid, "counselor_id": rng.choice(by_clinic[cid]),
                         "session_number": 1 + (s // len(mio)) % 12, "session_date": randomized + timedelta(days=s % 90),
                         "duration_minutes": rng.randint(35, 70) if status == "attended" else None,
                         "modality": "in_person", "status": status, "audio_recorded": status == "attended"})
    _insert(MioSession.__table__, sessions)
    rated = db.session.execute(sa.select(MioSession.id, MioSession.clinic_id).where(MioSession.status == "attended")
                               .order_by(MioSession.id).limit(int(N_RATINGS / 1.2))).all()
    ratings, assignments = [], []
    for i, (sid, cid) in enumerate(rated):
        second = i % 5 == 0 and len(ratings) < N_RATINGS - 1
        for k, coder in enumerate(coders[:2] if second else coders[:1]):
            assignments.append({"clinic_id": cid, "coder_id": coder, "role": "primary" if k == 0 else "second",
                                "batch": 1, "mio_session_id": sid})
            ratings.append({"clinic_id": cid, "source": "coder", "coder_id": coder, "scheme_version": 0,
                            "scores": {key: rng.randint(1, 5) for key in keys}, "rated_on": START + timedelta(days=400),
                            "mio_session_id": sid})
    _insert(CodingAssignment.__table__, assignments)
    _insert(FidelityRating.__table__, ratings[:N_RATINGS])
    db.session.commit()


@pytest.fixture(scope="module")
def big_app():
    from flask_migrate import upgrade

    url, schema = _database_url()
    application = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with application.app_context():
        upgrade()
        started = time.perf_counter()
        _build()
        print(f"\nbuilt the benchmark database in {time.perf_counter() - started:.1f} s")
        db.session.remove()
    yield application
    with application.app_context():
        db.engine.dispose()
    if schema:
        _drop_schema(schema)


@pytest.mark.benchmark
def test_overview_vs_bare_aggregate_sql(benchmark, big_app):
    from implementation_outcomes.overview.services import overview_rows

    with big_app.app_context():
        counts = (sa.select(MioSession.clinic_id, sa.func.count()).group_by(MioSession.clinic_id))

        def baseline():
            return db.session.execute(counts).all()

        baseline_best = min(_timed(baseline) for _ in range(5))
        rows = benchmark.pedantic(overview_rows, kwargs={"user": _Everyone()}, rounds=3, iterations=1)
        overview_best = benchmark.stats.stats.min
        assert len(rows) == N_CLINICS and sum(r["mio_mothers"] for r in rows) > 0
        assert sum(r["rated_sessions"] for r in rows) > 0 and any(r["icc"] is not None for r in rows)
        ratio = overview_best / baseline_best
        benchmark.extra_info.update(baseline_seconds=baseline_best, overview_seconds=overview_best, ratio=ratio)
        print(f"\noverview of {N_CLINICS} clinics: {overview_best:.3f} s; bare GROUP BY over {N_SESSIONS} sessions: "
              f"{baseline_best:.3f} s; ratio {ratio:.1f}")


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started
