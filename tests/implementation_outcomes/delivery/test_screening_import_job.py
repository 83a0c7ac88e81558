"""Large screening-log imports run as background jobs (issue 14 item 5: a 100,000-row log imported in one 43 s
request). Above SCREENING_IMPORT_JOB_ROWS the request only stages the file in the database storage and queues the
job; the job checks every row before saving any, saves all in one transaction or none, reports its progress, keeps
its outcome (rows added, or every problem by row and field) for the import page, audits the import and deletes the
staged file. Jobs run in-process here (JOBS_EAGER, tests/conftest.py) unless a test holds them back."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from app.db import db
from app.jobs import Job, JobStatus
from app.models import AuditEvent, Role
from app.storage import StoredFile
from implementation_outcomes.delivery.models import TrialParticipant
from implementation_outcomes.delivery.screening_log import COLUMNS, DEFAULT_JOB_ROWS, DEFAULT_MAX_ROWS
from implementation_outcomes.delivery.services import screening_import


def _csv(n: int, bad: dict[int, dict] | None = None, prefix: str = "WLK-") -> bytes:
    """``n`` valid declined rows (study IDs WLK-100000 ...); ``bad`` replaces fields of given 0-based rows."""
    lines = [",".join(COLUMNS)]
    for i in range(n):
        row = {"study_id": f"{prefix}{100000 + i}", "screened_on": "2026-03-02", "status": "declined",
               "reason": "Too busy / scheduling", **(bad or {}).get(i, {})}
        lines.append(",".join(row.get(c, "") for c in COLUMNS))
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.fixture
def staff(factories):
    agency = factories.agency(code="WLK")
    clinic = factories.clinic(agency, code="WLK-1")
    other = factories.clinic(factories.agency(code="OTH"), code="OTH-1")
    return {"clinic": clinic, "user": factories.user(Role.TRIAL_STAFF, agency=agency),
            "colleague": factories.user(Role.TRIAL_STAFF, agency=agency), "other_clinic": other}


def _post(client, clinic, data: bytes, name: str = "log.csv"):
    return client.post(f"/outcomes/clinics/{clinic.id}/screening-log/import",
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def _count(clinic) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(TrialParticipant.id))
                             .where(TrialParticipant.clinic_id == clinic.id))


def _staged() -> int:
    return db.session.scalar(sa.select(sa.func.count(StoredFile.key))
                             .where(StoredFile.key.startswith(screening_import.STAGING_PREFIX)))


def test_the_documented_bounds():
    assert DEFAULT_JOB_ROWS == 2_000 and DEFAULT_MAX_ROWS == 200_000


def test_a_10000_row_import_completes_as_a_job(client, login, staff, monkeypatch):
    clinic = staff["clinic"]
    reports: list[tuple[int, int, str]] = []
    original = screening_import.JobContext.progress

    def record(self, done, total=None, message=None):
        reports.append((done, total, message))
        original(self, done, total, message)

    monkeypatch.setattr(screening_import.JobContext, "progress", record)
    login(staff["user"])
    response = _post(client, clinic, _csv(10_000), "pooled-log.csv")
    assert response.status_code == 302
    job_id = re.search(r"/jobs/([0-9a-f-]{36})$", response.headers["Location"])[1]
    record_ = db.session.get(Job, job_id)
    db.session.refresh(record_)
    assert record_.kind == screening_import.JOB_KIND and record_.status == JobStatus.DONE
    assert record_.result == {"added": 10_000, "problem_count": 0, "problems": []}
    assert record_.progress == record_.total == 20_000 and record_.message == "Imported 10,000 rows into WLK-1"
    assert _count(clinic) == 10_000 and _staged() == 0
    # progress was reported while it ran: every 1,000 rows checked, then every 1,000 saved, in order
    dones = [done for done, _, _ in reports]
    assert dones == sorted(dones) and ("Checked 5,000 of 10,000 rows" in [m for _, _, m in reports])
    assert "Saved 5,000 of 10,000 rows" in [m for _, _, m in reports]
    # the job page and its JSON show it; its result link is this clinic's import page with the outcome
    status = client.get(f"/jobs/{job_id}.json").json
    assert status["status"] == "done" and status["percent"] == 100
    assert status["result_url"] == f"/outcomes/clinics/{clinic.id}/screening-log/import/{job_id}"
    page = client.get(status["result_url"]).get_data(as_text=True)
    assert "Imported 10,000 rows from pooled-log.csv into WLK-1." in page
    # audited: who imported how many rows of which file, beside each row's own create event
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "import")).scalar_one()
    assert event.user_id == staff["user"].id and event.entity == "screening_log"
    assert event.changes["rows"]["new"] == 10_000 and event.changes["file"]["new"] == "pooled-log.csv"


def test_a_job_import_with_errors_names_them_and_saves_nothing(client, login, staff):
    clinic = staff["clinic"]
    bad = {3: {"status": "maybe"}, 2_500: {"study_id": "WLK-100007"}, 2_900: {"screened_on": "2026-13-01"}}
    login(staff["user"])
    response = _post(client, clinic, _csv(3_000, bad))
    assert response.status_code == 302
    job_id = response.headers["Location"].rsplit("/", 1)[1]
    record = db.session.get(Job, job_id)
    db.session.refresh(record)
    assert record.status == JobStatus.DONE and record.result["added"] == 0 and record.result["problem_count"] == 3
    assert record.message == "Nothing was imported: 3 problems"
    assert _count(clinic) == 0 and _staged() == 0
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "import")) == 0
    page = client.get(f"/outcomes/clinics/{clinic.id}/screening-log/import/{job_id}").get_data(as_text=True)
    assert "Nothing was imported: 3 problems" in page
    assert "row 5, field &#39;status&#39;" in page  # spreadsheet rows: the header is row 1
    assert "row 2502, field &#39;study_id&#39;: WLK-100007 appears again (first on row 9" in page
    assert "row 2902, field &#39;screened_on&#39;" in page
    # the outcome names study IDs: reading it is audited like the screening log
    read = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "read")
                              .order_by(AuditEvent.id.desc())).scalars().first()
    assert read.entity == "delivery.screening_import_result" and read.user_id == staff["user"].id


def test_the_100000_row_case_answers_with_a_job_page_without_inserting(app, client, login, staff, monkeypatch):
    """The request reads the upload, stores it and queues the job: no screening-log row is inserted in it."""
    clinic = staff["clinic"]
    monkeypatch.setattr("app.jobs.runner.dispatch", lambda app, job_id: None)  # held back: a worker would run it
    inserts: list[str] = []

    def watch(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO TRIAL_PARTICIPANT"):
            inserts.append(statement)

    login(staff["user"])
    data = _csv(100_000)
    sa.event.listen(db.engine, "before_cursor_execute", watch)
    try:
        response = _post(client, clinic, data, "probe.csv")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", watch)
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    assert inserts == [] and _count(clinic) == 0
    record = db.session.execute(sa.select(Job).where(Job.kind == screening_import.JOB_KIND)).scalar_one()
    assert record.status == JobStatus.QUEUED and record.payload["rows"] == 100_000
    assert record.title == "Import 100,000 screening-log rows into WLK-1"
    staged = db.session.execute(sa.select(StoredFile).where(StoredFile.key == record.payload["key"])).scalar()
    assert staged is not None and staged.size == len(data)  # in the database storage, not the instance folder
    # until it has run, its outcome page sends the user to its progress page
    assert client.get(f"/outcomes/clinics/{clinic.id}/screening-log/import/{record.id}").headers["Location"] \
        .endswith(f"/jobs/{record.id}")


def test_above_the_maximum_the_file_is_refused_naming_the_limit(app, client, login, staff, monkeypatch):
    monkeypatch.setitem(app.config, "SCREENING_IMPORT_MAX_ROWS", 2_500)
    login(staff["user"])
    response = _post(client, staff["clinic"], _csv(3_000))
    assert response.status_code == 400
    assert "file: 3,000 data rows; one import takes at most 2,500 rows: split the file" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0 and _staged() == 0
    assert _count(staff["clinic"]) == 0


def test_small_imports_stay_in_the_request_and_are_audited(client, login, staff):
    login(staff["user"])
    response = _post(client, staff["clinic"], _csv(20), "small.csv")
    assert response.status_code == 302 and response.headers["Location"].endswith("/screening-log")
    assert _count(staff["clinic"]) == 20 and db.session.scalar(sa.select(sa.func.count(Job.id))) == 0
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "import")).scalar_one()
    assert event.user_id == staff["user"].id and event.changes["rows"]["new"] == 20


def test_an_import_outcome_is_seen_only_by_its_user_and_the_clinic(client, login, staff, factories, monkeypatch):
    monkeypatch.setattr("app.jobs.runner.dispatch", lambda app, job_id: None)
    login(staff["user"])
    job_url = _post(client, staff["clinic"], _csv(2_100)).headers["Location"]
    job_id = job_url.rsplit("/", 1)[1]
    client.post("/auth/logout")
    login(staff["colleague"])
    assert client.get(f"/outcomes/clinics/{staff['clinic'].id}/screening-log/import/{job_id}").status_code == 404
    assert client.get(f"/outcomes/clinics/{staff['other_clinic'].id}/screening-log/import/{job_id}").status_code \
        == 404
