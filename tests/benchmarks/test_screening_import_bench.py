"""Benchmark: a large screening-log import (issue 14 item 5: a 100,000-row log took one 43 s request). The request
that receives a 100,000-row file only stages it and queues the job; the job then checks and saves the rows. Reports
the request's time and the job's time (rows per second) for 10,000 rows; asserts nothing about time.

Run: pytest tests/benchmarks/test_screening_import_bench.py -m benchmark -s
"""

from __future__ import annotations

import io
import time

import pytest
import sqlalchemy as sa

from app.db import db
from app.jobs import Job, run_job
from app.models import Role
from implementation_outcomes.delivery.models import TrialParticipant
from tests.implementation_outcomes.delivery.test_screening_import_job import _csv


@pytest.mark.benchmark
def test_a_100000_row_request_and_a_10000_row_job(app, client, login, factories, monkeypatch):
    agency = factories.agency(code="WLK")
    clinic = factories.clinic(agency, code="WLK-1")
    login(factories.user(Role.TRIAL_STAFF, agency=agency))
    monkeypatch.setattr("app.jobs.runner.dispatch", lambda app, job_id: None)
    url = f"/outcomes/clinics/{clinic.id}/screening-log/import"
    data = _csv(100_000)
    start = time.perf_counter()
    response = client.post(url, data={"file": (io.BytesIO(data), "probe.csv")}, content_type="multipart/form-data")
    request_s = time.perf_counter() - start
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    small = _csv(10_000)  # the 100,000 rows above are not saved: their job is held back
    response = client.post(url, data={"file": (io.BytesIO(small), "ten.csv")}, content_type="multipart/form-data")
    job_id = response.headers["Location"].rsplit("/", 1)[1]
    start = time.perf_counter()
    run_job(job_id)
    job_s = time.perf_counter() - start
    assert db.session.get(Job, job_id).result["added"] == 10_000
    assert db.session.scalar(sa.select(sa.func.count(TrialParticipant.id))) == 10_000
    print(f"\n100,000-row upload ({len(data) / 1e6:.1f} MB): request {request_s * 1000:,.0f} ms (staged, queued, "
          f"no row inserted); 10,000-row job {job_s:,.1f} s ({10_000 / job_s:,.0f} rows/s)")
