"""The screening log and the reach page through the client: entry form, duplicate study IDs, CSV import (all or
nothing, errors naming row and field), reach figures against hand counts, CONSORT SVG + table, downloads, and
trial-staff scoping to their own agency."""

from __future__ import annotations

import io
import re
from datetime import date

import openpyxl
import sqlalchemy as sa

from app.db import db
from app.models import AuditEvent
from implementation_outcomes.delivery.models import TrialParticipant

FORM = {"study_id": "SPR1-001", "screened_on": "2026-03-02", "status": "declined", "reason": "Too busy",
        "consented_on": "", "randomized_on": "", "arm": "", "counselor_id": "0", "mother_age": "29",
        "child_age_months": "14", "primary_substance": "opioids", "medication_treatment": "yes"}


def _count(clinic) -> int:
    return db.session.execute(sa.select(sa.func.count(TrialParticipant.id)).where(TrialParticipant.clinic_id == clinic.id)).scalar()


def test_entry_form_saves_and_duplicate_study_id_is_a_field_error(world, client_for):
    client = client_for(world.trial_a)
    url = f"/outcomes/clinics/{world.clinic_a.id}/screening-log/new"
    assert client.get(url).status_code == 200
    response = client.post(url, data=FORM)
    assert response.status_code == 302
    p = db.session.execute(sa.select(TrialParticipant)).scalar_one()
    assert (p.study_id, p.status, p.reason, p.mother_age, p.medication_treatment) == ("SPR1-001", "declined",
                                                                                       "Too busy", 29, True)
    assert db.session.execute(sa.select(AuditEvent).where(AuditEvent.entity == "trial_participant")).scalars().first()
    again = client.post(url, data={**FORM, "study_id": "spr1-001"})
    assert again.status_code == 400
    assert "spr1-001 is already in this clinic&#39;s screening log (duplicate study ID)" in again.get_data(as_text=True)
    assert _count(world.clinic_a) == 1
    # the same study ID in another agency's clinic is a different mother
    client_b = client_for(world.trial_b)
    assert client_b.post(f"/outcomes/clinics/{world.clinic_b.id}/screening-log/new", data=FORM).status_code == 302


def test_entry_form_rule_errors_name_the_field(world, client_for):
    client = client_for(world.trial_a)
    url = f"/outcomes/clinics/{world.clinic_a.id}/screening-log/new"
    response = client.post(url, data={**FORM, "reason": "", "status": "declined"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="reason-error"' in html and "a declined row needs a reason" in html
    response = client.post(url, data={**FORM, "status": "consented", "reason": "", "arm": "tau"})
    assert response.status_code == 400 and "a consented row cannot have an arm" in response.get_data(as_text=True)
    response = client.post(url, data={**FORM, "status": "randomized", "reason": "", "arm": "tau",
                                      "randomized_on": "2026-03-01"})
    assert "2026-03-01 is before the screening date 2026-03-02" in response.get_data(as_text=True)
    assert _count(world.clinic_a) == 0


def test_recording_an_outside_assignment(world, client_for):
    client = client_for(world.trial_a)
    response = client.post(f"/outcomes/clinics/{world.clinic_a.id}/screening-log/new",
                           data={**FORM, "status": "randomized", "reason": "", "consented_on": "2026-03-03",
                                 "randomized_on": "2026-03-04", "arm": "tau"})
    assert response.status_code == 302
    p = db.session.execute(sa.select(TrialParticipant)).scalar_one()
    assert (p.arm, p.allocation_source, p.allocation_index) == ("tau", "external", None)


CSV_OK = """study_id,screened_on,status,reason,consented_on,randomized_on,arm,mother_age,child_age_months,primary_substance,medication_treatment
SPR1-001,2026-03-02,excluded,No child aged 0-60 months,,,,33,75,alcohol,no
SPR1-002,2026-03-02,lost,,,,,,,,
SPR1-003,2026-03-03,declined,Too busy,,,,36,30,opioids,no
SPR1-004,2026-03-03,declined,Too busy,,,,34,26,alcohol,no
SPR1-005,2026-03-04,declined,Transportation,,,,32,28,opioids,yes
SPR1-006,2026-03-04,not_offered,,,,,30,20,stimulants,no
SPR1-007,2026-03-05,consented,,2026-03-06,,,27,10,opioids,yes
SPR1-008,2026-03-05,randomized,,2026-03-06,2026-03-09,mio_tau,28,12,opioids,yes
SPR1-009,2026-03-06,started,,2026-03-07,2026-03-09,mio_tau,25,8,polysubstance,yes
SPR1-010,2026-03-06,randomized,,2026-03-07,2026-03-10,tau,29,16,opioids,no
"""


def _import(client, clinic, text: str):
    return client.post(f"/outcomes/clinics/{clinic.id}/screening-log/import",
                       data={"file": (io.BytesIO(text.encode()), "log.csv")}, content_type="multipart/form-data")


def test_csv_import_then_reach_page_matches_hand_counts(world, client_for):
    client = client_for(world.trial_a)
    response = _import(client, world.clinic_a, CSV_OK)
    assert response.status_code == 302
    assert _count(world.clinic_a) == 10
    html = client.get(f"/outcomes/clinics/{world.clinic_a.id}/reach").get_data(as_text=True)
    # by hand: screened 10; excluded 1; lost 1; eligible 8 (1 not offered + 3 declined + 4 enrolled); offered 7;
    # enrolled 4 (consented, 2 randomized, 1 started); randomized 3; started 1.
    # reach = 4/7 = 57%; sensitivity 4/(7+1) = 50%; randomized 3/7 = 43% (3/8 = 38%); started 1/7 = 14% (1/8 = 12%)
    assert re.search(r"Consented \(enrolled\)</th><td class=\"num\">4</td><td class=\"num\">7</td>"
                     r"<td class=\"num\">1</td><td class=\"num\">57%</td><td class=\"num\">50%</td>", html)
    assert re.search(r"Randomized</th><td class=\"num\">3</td><td class=\"num\">7</td><td class=\"num\">1</td>"
                     r"<td class=\"num\">43%</td><td class=\"num\">38%</td>", html)
    assert re.search(r"Started MIO</th><td class=\"num\">1</td>.*?<td class=\"num\">14%</td><td class=\"num\">12%</td>",
                     html)
    # decline reasons: Too busy 2 of 3, Transportation 1 of 3
    assert re.search(r"Too busy</th><td class=\"num\">2</td><td class=\"num\">67%</td>", html)
    assert re.search(r"Transportation</th><td class=\"num\">1</td><td class=\"num\">33%</td>", html)
    # CONSORT: an accessible SVG and the table with the same numbers
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart consort"' in html and 'role="img"' in html
    assert "Allocated to MIO + TAU (n = 2)" in html and "Allocated to TAU (n = 1)" in html
    # representativeness: enrolled ages 27, 28, 25, 29 vs non-participants 36, 34, 32, 30
    # means 27.25 vs 33.0; SDs 1.708 and 2.582; SMD = -5.75 / sqrt((2.9167 + 6.6667) / 2) = -2.63
    assert re.search(r"Mother&#39;s age \(years\)</th><td class=\"num\">4</td><td>27.2 \(SD 1.7\)</td>"
                     r"<td class=\"num\">4</td><td>33.0 \(SD 2.6\)</td><td class=\"num\">-2.63</td><td>yes</td>", html)


def test_csv_import_is_all_or_nothing_and_names_rows_and_fields(world, client_for):
    client = client_for(world.trial_a)
    bad = CSV_OK.replace("SPR1-004,2026-03-03,declined,Too busy", "SPR1-004,2026-03-03,declined,") \
        .replace("SPR1-010,2026-03-06,randomized,,2026-03-07,2026-03-10,tau", "SPR1-001,2026-03-06,randomized,,2026-03-07,2026-03-10,")
    response = _import(client, world.clinic_a, bad)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Nothing was imported: 3 problems" in html
    assert "row 5, field &#39;reason&#39;: a declined row needs a reason" in html
    assert "row 11, field &#39;arm&#39;: None is not one of mio_tau, tau" in html
    assert "row 11, field &#39;study_id&#39;: SPR1-001 appears again (first on row 2; duplicate study ID)" in html
    assert _count(world.clinic_a) == 0
    missing = _import(client, world.clinic_a, "study_id,status\nSPR1-001,lost\n")
    assert missing.status_code == 400
    assert "row 1 (header): missing column(s) screened_on" in missing.get_data(as_text=True)
    assert _count(world.clinic_a) == 0
    # the import refuses study IDs already in the log
    assert _import(client, world.clinic_a, CSV_OK).status_code == 302
    again = _import(client, world.clinic_a, CSV_OK)
    assert again.status_code == 400 and "SPR1-001 is already in this clinic" in again.get_data(as_text=True)
    assert _count(world.clinic_a) == 10
    no_file = client.post(f"/outcomes/clinics/{world.clinic_a.id}/screening-log/import", data={},
                          content_type="multipart/form-data")
    assert no_file.status_code == 400 and "Choose a CSV file to import." in no_file.get_data(as_text=True)


def test_reach_tables_download_as_csv_and_excel(world, client_for):
    client = client_for(world.trial_a)
    _import(client, world.clinic_a, CSV_OK)
    base = f"/outcomes/clinics/{world.clinic_a.id}/tables"
    csv_text = client.get(f"{base}/reach/reach-summary.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0].lstrip("\ufeff") == ("Numerator,n,Eligible and offered,Lost / undetermined,"
                                                         "Reach %,Sensitivity reach %")
    # 4 / 7 = 57.1 % and 4 / 8 = 50 % by hand, written as whole percentages as on the page (app.formatting)
    assert csv_text.splitlines()[1] == "Consented (enrolled),4,7,1,57,50"
    response = client.get(f"{base}/reach/consort.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Box", "Section", "Mothers", "Reasons")
    assert ("Screened (assessed for eligibility)", "Enrollment", 10, None) in rows
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"{base}/reach.xlsx").data))
    assert book.sheetnames == ["reach-summary", "cascade", "decline-reasons", "exclusion-reasons",
                               "representativeness", "consort"]
    log = client.get(f"{base}/screening-log/screening-log.csv").get_data(as_text=True).splitlines()
    assert log[0].lstrip("\ufeff").startswith("study_id,screened_on,status,reason")
    assert len(log) == 11
    assert client.get(f"{base}/reach/nope.csv").status_code == 404
    assert client.get(f"{base}/reach/consort.pdf").status_code == 404
    assert client.get(f"{base}/fidelity/adequacy.csv").status_code == 403  # trial staff do not see fidelity


def test_trial_staff_cannot_see_or_post_to_another_agency(world, client_for, add_participant):
    mother_b = add_participant(world.clinic_b, "HFR1-001", "consented", mother_age=31)
    mine = add_participant(world.clinic_a, "SPR1-777", "lost")
    client = client_for(world.trial_a)
    b = world.clinic_b.id
    for url in (f"/outcomes/clinics/{b}/reach", f"/outcomes/clinics/{b}/screening-log",
                f"/outcomes/clinics/{b}/screening-log/new", f"/outcomes/participants/{mother_b.id}/edit",
                f"/outcomes/participants/{mother_b.id}/randomize", f"/outcomes/clinics/{b}/tables/reach/cascade.csv",
                f"/outcomes/clinics/{b}/screening-log/import", f"/outcomes/clinics/{b}/sessions",
                f"/outcomes/clinics/{b}/feasibility", f"/outcomes/clinics/{b}/training"):
        assert client.get(url).status_code == 404, url
    posts = {f"/outcomes/clinics/{b}/screening-log/new": FORM,
             f"/outcomes/participants/{mother_b.id}/edit": {**FORM, "study_id": "HFR1-001"},
             f"/outcomes/participants/{mother_b.id}/randomize": {"randomized_on": "2026-03-05"},
             f"/outcomes/participants/{mother_b.id}/delete": {}}
    for url, data in posts.items():
        assert client.post(url, data=data).status_code == 404, url
    assert _import(client, world.clinic_b, CSV_OK).status_code == 404
    db.session.expire_all()
    assert db.session.get(TrialParticipant, mother_b.id).status == "consented"
    assert _count(world.clinic_b) == 1
    index = client.get("/outcomes/").get_data(as_text=True)
    assert "SPR-1" in index and "HFR-1" not in index
    assert "SPR1-777" in client.get(f"/outcomes/clinics/{world.clinic_a.id}/screening-log").get_data(as_text=True)
    # the director sees both
    director = client_for(world.director)
    assert director.get(f"/outcomes/clinics/{b}/reach").status_code == 200
    assert "HFR-1" in director.get("/outcomes/").get_data(as_text=True)
    assert mine.screened_on == date(2026, 3, 2)


def test_delete_refused_for_randomized_mothers(world, client_for, add_participant):
    kept = add_participant(world.clinic_a, "SPR1-001", "randomized", arm="tau", randomized_on=date(2026, 3, 5))
    gone = add_participant(world.clinic_a, "SPR1-002", "lost")
    client = client_for(world.trial_a)
    client.post(f"/outcomes/participants/{kept.id}/delete")
    client.post(f"/outcomes/participants/{gone.id}/delete")
    assert [p.study_id for p in db.session.execute(sa.select(TrialParticipant)).scalars()] == ["SPR1-001"]
