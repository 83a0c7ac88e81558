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
from implementation_outcomes.delivery.screening_log import (
    DEFAULT_STUDY_ID_PATTERN,
    check_entry,
    study_id_pattern_problem,
)
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


# --- the study's own study-ID pattern (set by the director on /outcomes/settings) --------------------------------

@pytest.mark.parametrize("pattern", [DEFAULT_STUDY_ID_PATTERN, r"^WLK-\d{4}$", r"(?:[A-Z]{2}-)?\d{3}",
                                     r"^(SPR|HFR)\d-\d{3}$", r"(?:-[0-9]{3}){1,2}"])
def test_study_id_patterns_a_study_would_use_are_accepted(pattern):
    assert study_id_pattern_problem(pattern) is None


@pytest.mark.parametrize(("pattern", "message"), [
    (r".*", "accepts 'Jane_Doe_1990-01-01', which is a name"),
    (r"[A-Za-z_]+", "accepts 'Jane_Doe', which is a name"),
    (r"[A-Za-z]+(\d{4}-\d\d-\d\d)?", "accepts 'JaneDoe', which is a name"),
    (r"[A-Z][a-z]+[ ,_-]+[A-Z][a-z]+", "accepts 'Jane_Doe', which is a name"),
    (r"([0-9", "is not a regular expression: unterminated character set"),
    (r"(?P<x>1)(?P<x>2)", "is not a regular expression: redefinition of group name"),
    ("S" * 201, "is 201 characters long; at most 200"),
    (r"(a+)+b", "can take exponential time"),  # the OWASP ReDoS example
    (r"(?:[A-Z]+-)*\d+", "can take exponential time"),
    (r"(a|aa)*$", "can take exponential time"),
])
def test_bad_study_id_patterns_are_refused_with_the_reason(pattern, message):
    assert message in study_id_pattern_problem(pattern)


def _settings(pattern: str) -> dict:
    return {"completion_threshold": "8", "double_coding_share": "0.2", "study_id_pattern": pattern}


def test_the_directors_pattern_takes_effect_for_the_form_and_the_import(app, populated, login, client):
    from implementation_outcomes.delivery.models import DeliverySettings, TrialParticipant
    from implementation_outcomes.delivery.screening_log import COLUMNS

    for participant in db.session.execute(sa.select(TrialParticipant)).scalars():
        participant.study_id = "WLK-0900"  # the walk's entry, given an ID both patterns below accept
    db.session.commit()
    director, staff = populated["users"][Role.DIRECTOR], populated["users"][Role.TRIAL_STAFF]
    login(director)
    assert client.get("/outcomes/settings").status_code == 200
    # a name-accepting pattern, a broken one and a pattern the logged WLK-0900 does not follow: 400, naming the field
    for pattern, message in [(r"[A-Za-z_]+\d*", "accepts &#39;Jane_Doe_19900101&#39;"), (r"^WLK-(\d{4}", "is not a regular"),
                             (r"^SPR\d-\d{3}$", "rejects 1 study ID(s) already in the screening log (WLK-0900)")]:
        refused = client.post("/outcomes/settings", data=_settings(pattern))
        text = refused.get_data(as_text=True)
        assert refused.status_code == 400 and "Study-ID pattern" in text and message in text, pattern
    db.session.rollback()
    assert db.session.scalar(sa.select(DeliverySettings.study_id_pattern)) is None  # nothing saved
    assert client.post("/outcomes/settings", data=_settings(r"^WLK-\d{4}$")).status_code == 302
    db.session.rollback()
    assert db.session.scalar(sa.select(DeliverySettings.study_id_pattern)) == r"^WLK-\d{4}$"

    client.post("/auth/logout")
    login(staff)
    url = f"/outcomes/clinics/{populated['clinic'].id}/screening-log/new"
    assert "following this study&#39;s pattern ^WLK-\\d{4}$" in client.get(url).get_data(as_text=True)
    form = {"screened_on": "2026-03-01", "status": "declined", "counselor_id": "0", "arm": "",
            "primary_substance": "", "medication_treatment": "", "reason": "Too busy / scheduling"}
    refused = client.post(url, data={**form, "study_id": "SPR1-001"})  # the deployment default would accept it
    assert refused.status_code == 400 and "pattern ^WLK-\\d{4}$" in refused.get_data(as_text=True)
    assert client.post(url, data={**form, "study_id": "WLK-0001"}).status_code == 302
    body = ",".join(COLUMNS) + "\r\n" + "SPR1-002,2026-03-02,declined,Too busy / scheduling" + "," * 7 + "\r\n"
    imported = client.post(f"/outcomes/clinics/{populated['clinic'].id}/screening-log/import",
                           data={"file": (io.BytesIO(body.encode()), "log.csv")}, content_type="multipart/form-data")
    assert imported.status_code == 400 and "pattern ^WLK-\\d{4}$" in imported.get_data(as_text=True)
    db.session.rollback()
    assert sorted(db.session.execute(sa.select(TrialParticipant.study_id)).scalars()) == ["WLK-0001", "WLK-0900"]


def test_an_empty_pattern_falls_back_to_the_deployment_setting(app, populated, login, client, monkeypatch):
    from implementation_outcomes.delivery.services.common import save_settings, study_id_pattern

    assert study_id_pattern() == DEFAULT_STUDY_ID_PATTERN
    monkeypatch.setitem(app.config, "STUDY_ID_PATTERN", r"^M\d{5}$")
    assert study_id_pattern() == r"^M\d{5}$"
    save_settings(8, 0.2, r"^walk.*\d$", populated["users"][Role.DIRECTOR])  # the walk's generic ID is walk...
    assert study_id_pattern() == r"^walk.*\d$"
    save_settings(8, 0.2, "  ", populated["users"][Role.DIRECTOR])
    assert study_id_pattern() == r"^M\d{5}$"


def test_fidelity_notes_on_a_session_are_read_by_the_detector():
    from implementation_outcomes.delivery.services.fidelity import parse_notes

    scheme = {"scales": [{"key": "warmth"}]}
    notes, session_note, errors = parse_notes(scheme, {"note_warmth": "Warm with her at 1234 North Elm Street",
                                                       "session_note": "born on March 4, 1990"})
    assert "a street address" in errors["note_warmth"] and "a date of birth" in errors["session_note"]
    assert parse_notes(scheme, {"note_warmth": "Warm; named the baby's cue"})[2] == {}


# --- fuzz: the pattern check and the name detector take any text ------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REGEX_BITS = st.sampled_from(["(", ")", "[", "]", "a", "Z", "0", "-", "_", "+", "*", "?", "{2,}", "|", "\\d", "\\",
                              "^", "$", ".", "(?:", "(?P<x>", "{", "}", "[^a-z]", "\\b", "(?=", "(?i)"])


@FUZZ
@given(st.lists(REGEX_BITS, max_size=30).map("".join))
def test_any_pattern_text_gets_a_verdict_and_an_accepted_one_is_safe(pattern):
    """Never raises; an accepted pattern compiles, accepts no name-like ID and matches a 40-character ID quickly."""
    import re
    import time

    from implementation_outcomes.delivery.screening_log import NAME_LIKE_IDS

    problem = study_id_pattern_problem(pattern)
    if problem is None:
        compiled = re.compile(pattern)
        assert not any(compiled.fullmatch(n) for n in NAME_LIKE_IDS)
        started = time.perf_counter()
        for probe in ("a" * 39 + "!", "0" * 39 + "!", "aZ0-_" * 8):
            compiled.fullmatch(probe)
        assert time.perf_counter() - started < 1.0


@FUZZ
@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80),
       st.lists(st.sampled_from(["Jane Smith", "Renée", "Ana de la Cruz", "O'Neil"]), max_size=3))
def test_the_name_detector_takes_any_name(name, known):
    """Findings lie inside the name, in order, without overlap; the redacted name no longer holds a known name."""
    from qualitative.deidentify.detectors import identifiers_in_name, redacted_name

    found = identifiers_in_name(name, known)
    assert all(0 <= f.start < f.end <= len(name) and name[f.start:f.end] == f.text for f in found)
    assert all(a.end <= b.start for a, b in zip(found, found[1:]))
    assert not [f for f in identifiers_in_name(redacted_name(name, found), known) if f.certain and f.kind == "name"]
