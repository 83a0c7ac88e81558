"""Audited reads (issue 14, item 6): downloading screening logs, REDCap records, survey links, coded segments, the
audit trail and transcripts, and API reads, left no audit row, and sign-ins were recorded as "anonymous". Now every
download, every API read and every participant-level page writes one row: who, what, filters, row count."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from app.audit_reads import PARTICIPANT_READS
from app.db import db
from app.models import AuditEvent, Role
from tests.security.test_downloads import walk_downloads

#: downloads of blank import templates (example rows, no one's data), not built by app.exports
BLANK_TEMPLATES = {"delivery.screening_template", "effectiveness.import_template"}


def _events(action: str | None = None) -> list[AuditEvent]:
    stmt = sa.select(AuditEvent).order_by(AuditEvent.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    db.session.expire_all()
    return list(db.session.execute(stmt).scalars())


def _new(event: AuditEvent) -> dict:
    return {k: v["new"] for k, v in event.changes.items()}


def test_every_listed_participant_page_exists(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(PARTICIPANT_READS) <= endpoints, set(PARTICIPANT_READS) - endpoints


def test_every_download_writes_one_export_row_with_its_user_and_row_count(app, populated, login, client):
    director = populated["users"][Role.DIRECTOR]
    login(director)
    before = len(_events("export"))
    fetched, failures = walk_downloads(app, client, populated["ids"])
    assert not failures
    ok = [(endpoint, url, r) for endpoint, hits in fetched.items() for url, r in hits if r.status_code == 200
          and not url.startswith("/api/") and endpoint not in PARTICIPANT_READS]
    not_attachments = sorted({e for e, _u, r in ok if "attachment" not in r.headers.get("Content-Disposition", "")})
    assert not_attachments == [], not_attachments
    exports = _events("export")[before:]
    assert len(exports) == len(ok) > 20
    assert {e.actor for e in exports} == {director.email} and {e.user_id for e in exports} == {director.id}
    assert {e.entity for e in exports} == {endpoint for endpoint, _u, _r in ok}
    # the row count is the number of data rows the CSV carried (header and BOM excluded)
    by_path = {}
    for event in exports:
        by_path.setdefault(_new(event)["path"], []).append(_new(event))
    for endpoint, url, response in ok:
        if response.mimetype != "text/csv" or "?" in url:
            continue
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
        data_rows = [r for r in rows if not (r and r[0].startswith("#"))][1:]  # comment lines, then the header
        recorded = {v["rows"] for v in by_path[url]}
        if endpoint in BLANK_TEMPLATES:  # example rows written by hand, no data: no count
            assert recorded == {None}
            continue
        assert recorded == {len(data_rows)}, (url, recorded, len(data_rows))


def test_screening_log_download_names_user_filters_and_rows(app, populated, login, client):
    from implementation_outcomes.delivery.models import TrialParticipant

    staff = populated["users"][Role.TRIAL_STAFF]
    login(staff)
    clinic = populated["clinic"]
    n = db.session.scalar(sa.select(sa.func.count()).select_from(TrialParticipant)
                          .where(TrialParticipant.clinic_id == clinic.id))
    response = client.get(f"/outcomes/clinics/{clinic.id}/tables/screening-log/screening-log.csv", query_string={"x": "1"})
    assert response.status_code == 200
    event = _events("export")[-1]
    values = _new(event)
    assert (event.actor, event.user_id, event.entity) == (staff.email, staff.id, "delivery.table_export")
    assert event.entity_id.startswith(f"clinic_id={clinic.id}")
    assert values["filters"] == {"x": "1"} and values["rows"] == n


def test_participant_pages_write_a_read_row(app, populated, login, client):
    from flask import url_for

    from tests.security.conftest import fill

    login(populated["users"][Role.DIRECTOR])
    read = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in PARTICIPANT_READS or "GET" not in rule.methods:
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **fill(rule, populated["ids"]))
        before = len(_events("read"))
        response = client.get(url)
        after = _events("read")[before:]
        if response.status_code == 200:
            assert len(after) == 1, url
            assert after[0].entity == rule.endpoint and _new(after[0])["what"] == PARTICIPANT_READS[rule.endpoint]
            read.append(rule.endpoint)
        else:
            assert after == [], url
    assert {"delivery.screening_log", "admin.audit", "readiness_surveys.wave", "analysis.segments"} <= set(read)


def test_an_ordinary_page_and_a_refused_read_write_no_row(app, populated, login, client):
    login(populated["users"][Role.ANALYST])
    before = _events()
    assert client.get("/").status_code == 200
    assert client.get(f"/outcomes/clinics/{populated['clinic'].id}/screening-log").status_code == 403
    assert [e for e in _events() if e.action in ("read", "export")] == [e for e in before
                                                                          if e.action in ("read", "export")]


def test_api_reads_are_audited_with_the_token_owner_and_rows(app, populated, client):
    from app.security import issue_api_token

    director = populated["users"][Role.DIRECTOR]
    _token, bearer = issue_api_token(director, "script")
    db.session.commit()
    response = client.get("/api/v1/clinics", headers={"Authorization": f"Bearer {bearer}"})
    assert response.status_code == 200
    event = _events("read")[-1]
    assert (event.actor, event.user_id, event.entity) == (director.email, director.id, "api.clinics")
    assert _new(event)["rows"] == len(response.get_json()["clinics"])
    refused = client.get("/api/v1/clinics", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401 and _events("read")[-1].id == event.id


def test_sign_in_is_recorded_with_the_user_never_anonymous(app, populated, login, client):
    user = populated["users"][Role.DIRECTOR]
    before = _events()
    login(user)
    new = _events()[len(before):]
    sign_ins = [e for e in new if e.action == "sign_in"]
    assert len(sign_ins) == 1 and (sign_ins[0].user_id, sign_ins[0].actor) == (user.id, user.email)
    assert all(e.actor != "anonymous" for e in new), [(e.action, e.entity, e.actor) for e in new]


def test_the_audit_trail_filters_by_the_new_actions(app, populated, login, client):
    login(populated["users"][Role.DIRECTOR])
    client.get("/admin/audit.csv")
    page = client.get("/admin/audit", query_string={"action": "export"})
    assert page.status_code == 200 and "admin.audit_csv" in page.get_data(as_text=True)
    text = client.get("/admin/audit.csv", query_string={"action": "sign_in"}).get_data(as_text=True)
    assert "sign_in" in text
