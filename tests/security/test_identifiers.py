"""Identifiers typed where only study IDs belong (issue 14, item 4): the screening log accepted
``Jane_Doe_1990-01-01`` as a study ID and a street address as a decline reason. Study IDs now follow the study's
pattern (``STUDY_ID_PATTERN``, shown in the refusal) and hold no date; free text of a participant record is read by
the de-identification detector and refused while it holds an e-mail, phone number, street address or birth date."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa

from app.db import db
from app.models import Role
from implementation_outcomes.delivery.screening_log import DEFAULT_STUDY_ID_PATTERN, check_entry
from qualitative.deidentify.detectors import identifiers_in

BASE = {"screened_on": date(2026, 3, 1), "status": "declined"}


@pytest.mark.parametrize("study_id", ["SPR1-001", "HFR1-042", "M00001", "WLK-0042", "S-1"])
def test_study_ids_of_the_pattern_are_accepted(study_id):
    assert "study_id" not in check_entry({**BASE, "study_id": study_id, "reason": "Too busy / scheduling"},
                                         DEFAULT_STUDY_ID_PATTERN)


def test_a_name_and_birth_date_as_study_id_is_refused_naming_the_date():
    problems = check_entry({**BASE, "study_id": "Jane_Doe_1990-01-01"}, DEFAULT_STUDY_ID_PATTERN)
    assert "holds a date ('1990-01-01')" in problems["study_id"]


def test_a_name_as_study_id_is_refused_showing_the_pattern():
    problems = check_entry({**BASE, "study_id": "JaneDoe"}, DEFAULT_STUDY_ID_PATTERN)
    assert f"study-ID pattern {DEFAULT_STUDY_ID_PATTERN}" in problems["study_id"]
    custom = check_entry({**BASE, "study_id": "SPR1-001"}, r"^MIO-\d{4}$")
    assert "pattern ^MIO-\\d{4}$" in custom["study_id"]


@pytest.mark.parametrize(("reason", "kind"), [
    ("Lives at 1234 North Elm Street", "street address"),
    ("moved to 12 Oak Ave. with her mother", "street address"),
    ("call her at (555) 123-4567", "phone number"),
    ("wrote from jane.doe@example.org", "e-mail address"),
    ("declined, born on March 4, 1990", "date of birth"),
])
def test_identifiers_in_a_decline_reason_are_refused(reason, kind):
    assert kind in [k for k, _ in identifiers_in(reason)]
    problems = check_entry({**BASE, "study_id": "SPR1-001", "reason": reason}, DEFAULT_STUDY_ID_PATTERN)
    assert f"a {kind}" in problems["reason"]


@pytest.mark.parametrize("reason", ["Too busy / scheduling", "No child aged 0-60 months", "Moved out of state",
                                    "Declined after 2 sessions of TAU", "Works 12 hour shifts"])
def test_ordinary_reasons_pass(reason):
    assert identifiers_in(reason) == []


def test_the_form_refuses_and_saves_nothing(app, populated, login, client, monkeypatch):
    from implementation_outcomes.delivery.models import TrialParticipant

    monkeypatch.setitem(app.config, "STUDY_ID_PATTERN", r"^WLK-\d{4}$")
    login(populated["users"][Role.TRIAL_STAFF])
    url = f"/outcomes/clinics/{populated['clinic'].id}/screening-log/new"
    form = {"screened_on": "2026-03-01", "status": "declined", "counselor_id": "0", "arm": "",
            "primary_substance": "", "medication_treatment": ""}
    before = db.session.scalar(sa.select(sa.func.count()).select_from(TrialParticipant))
    bad_id = client.post(url, data={**form, "study_id": "Jane_Doe", "reason": "Too busy / scheduling"})
    assert bad_id.status_code == 400 and "pattern ^WLK-\\d{4}$" in bad_id.get_data(as_text=True)
    address = client.post(url, data={**form, "study_id": "WLK-0001", "reason": "Lives at 1234 North Elm Street"})
    assert address.status_code == 400 and "a street address" in address.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrialParticipant)) == before
    ok = client.post(url, data={**form, "study_id": "WLK-0001", "reason": "Too busy / scheduling"})
    assert ok.status_code == 302


def test_the_import_refuses_with_row_and_field(app, populated, login, client):
    from implementation_outcomes.delivery.screening_log import COLUMNS

    login(populated["users"][Role.TRIAL_STAFF])
    rows = [{"study_id": "Jane_Doe_1990-01-01", "screened_on": "2026-03-02", "status": "declined",
             "reason": "Too busy / scheduling"},
            {"study_id": "SPR1-002", "screened_on": "2026-03-02", "status": "declined",
             "reason": "Lives at 1234 North Elm Street"}]
    body = "\r\n".join([",".join(COLUMNS), *(",".join(r.get(c, "") for c in COLUMNS) for r in rows)]) + "\r\n"
    response = client.post(f"/outcomes/clinics/{populated['clinic'].id}/screening-log/import",
                           data={"file": (io.BytesIO(body.encode()), "log.csv")}, content_type="multipart/form-data")
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "row 2, field &#39;study_id&#39;" in text or "row 2, field 'study_id'" in text
    assert "a street address" in text
