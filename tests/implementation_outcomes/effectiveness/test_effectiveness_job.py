"""Beyond the inline limit the analyses run as a background job with progress, and the page then shows the job's
results, which equal the inline computation on the same data."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.db import db
from app.jobs import Job
from implementation_outcomes.effectiveness import analysis_services, measures, results
from implementation_outcomes.effectiveness.models import AssessmentVisit, OutcomeScore
from tests.implementation_outcomes.effectiveness.conftest import participant


def _trial(clinic, n=24):
    rng = random.Random(3)
    for i in range(n):
        arm = "mio_tau" if i % 3 else "tau"
        p = participant(clinic, f"JOB-{i:03d}", arm)
        for j, (tp, offset) in enumerate((("baseline", -3), ("end_of_treatment", 112), ("follow_up_3m", 203))):
            visit = AssessmentVisit(clinic_id=clinic.id, participant=p, time_point=tp, status="completed",
                                    assessed_on=p.randomized_on + timedelta(days=offset))
            total = max(0, min(63, round(20 - (4 * j if arm == "mio_tau" else j) + rng.gauss(0, 4))))
            visit.scores.append(OutcomeScore(clinic_id=clinic.id, measure="bdi_ii", values={"total": total},
                                             definitions_version="1.0.0", source="demo"))
            db.session.add(visit)
    db.session.commit()


def test_analyses_run_as_a_job_with_progress(client, switch, eff, monkeypatch):
    _trial(eff.clinic)
    inline = results.clean(analysis_services.estimates(eff.director, today=date.today()))
    monkeypatch.setattr(results, "INLINE_LIMIT", 0)
    switch(eff.director)
    pending = client.get("/effectiveness/results")
    assert pending.status_code == 200 and b"Run the analyses" in pending.data
    assert client.get("/effectiveness/results.csv").status_code == 409
    response = client.post("/effectiveness/results/run")
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    job = db.session.execute(sa.select(Job).where(Job.kind == results.JOB_KIND)).scalar_one()
    db.session.refresh(job)
    assert job.status == "done", job.error
    assert job.progress == job.total == len(measures.measures()) + 3
    bdi = next(r for r in job.result["aim1"] if r["measure"] == "bdi_ii")
    bdi_inline = next(r for r in inline["aim1"] if r["measure"] == "bdi_ii")
    assert [e["estimate"] for e in bdi["effects"]] == pytest.approx([e["estimate"] for e in bdi_inline["effects"]],
                                                                   abs=1e-9)
    page = client.get("/effectiveness/results")
    assert page.status_code == 200 and b"Results of the background run" in page.data
    assert b"Depressive symptoms (BDI-II)" in page.data
    switch(eff.assessor)
    assert client.post("/effectiveness/results/run").status_code == 403
