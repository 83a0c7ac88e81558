"""Entry by form, missed assessments, withdrawals, unblinding, the schedule and its CSV, reliability, windows."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import sqlalchemy as sa

from app.db import db
from app.models import AuditEvent
from implementation_outcomes.effectiveness import services
from implementation_outcomes.effectiveness.models import AssessmentVisit, OutcomeScore, Unblinding, Withdrawal


def _url(p, tp, measure, slot=None):
    return f"/effectiveness/participants/{p.id}/{tp}/{measure}" + (f"?slot={slot}" if slot else "")


def test_assessor_enters_a_score_by_form_and_it_is_audited(client, switch, eff):
    switch(eff.assessor)
    page = client.get(_url(eff.tau, "baseline", "pdi_rf"))
    assert page.status_code == 200 and b"Overall RF score" in page.data and b"-1 to 9" in page.data
    response = client.post(_url(eff.tau, "baseline", "pdi_rf"), data={"assessed_on": "2026-01-08", "rf_overall": "3"})
    assert response.status_code == 302
    score = db.session.execute(sa.select(OutcomeScore)).scalar_one()
    assert score.values == {"rf_overall": 3} and score.coder_slot == "primary" and not score.entered_unblinded
    assert score.visit.assessed_on == date(2026, 1, 8) and score.visit.status == "completed"
    assert score.definitions_version == "1.0.0"
    audit = db.session.execute(sa.select(AuditEvent).where(AuditEvent.entity == "outcome_score")).scalar_one()
    assert audit.user_id == eff.assessor.id


def test_out_of_range_is_refused_naming_the_field_and_nothing_is_saved(client, switch, eff):
    switch(eff.assessor)
    response = client.post(_url(eff.tau, "end_of_treatment", "psi_4_sf"), data={
        "assessed_on": "2026-05-01", "total_stress": "200", "parental_distress": "61",
        "parent_child_dysfunctional_interaction": "30", "difficult_child": "abc"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "200 is outside 36 to 180" in text and "61 is outside 12 to 60" in text and "is not a number" in text
    assert db.session.execute(sa.select(sa.func.count(AssessmentVisit.id))).scalar() == 0


def test_dates_follow_the_trial(client, switch, eff):
    switch(eff.assessor)
    late_baseline = client.post(_url(eff.tau, "baseline", "bdi_ii"), data={"assessed_on": "2026-01-20", "total": "9"})
    assert late_baseline.status_code == 400 and b"a baseline precedes randomization" in late_baseline.data
    future = client.post(_url(eff.tau, "follow_up_3m", "bdi_ii"), data={"assessed_on": "2999-01-01", "total": "9"})
    assert future.status_code == 400 and b"in the future" in future.data
    not_randomized = client.get(_url(eff.consented, "end_of_treatment", "bdi_ii"))
    assert not_randomized.status_code == 200  # the page opens; saving is refused
    refused = client.post(_url(eff.consented, "end_of_treatment", "bdi_ii"),
                          data={"assessed_on": "2026-05-01", "total": "9"})
    assert refused.status_code == 400 and b"not randomized yet" in refused.data


def test_who_may_enter_follows_the_measures_file(client, switch, eff):
    switch(eff.trial)
    assert client.get(_url(eff.tau, "baseline", "bdi_ii")).status_code == 403  # assessors only
    tox = {"assessed_on": "2026-01-08", "opioids": "negative", "fentanyl": "positive", "cocaine": "negative",
           "amphetamines": "negative", "benzodiazepines": "negative", "cannabis": "negative"}
    assert client.post(_url(eff.tau, "baseline", "urine_toxicology"), data=tox).status_code == 302
    assert client.get(_url(eff.tau, "baseline", "bdi_ii", slot="second")).status_code == 403
    switch(eff.assessor)
    assert client.get(_url(eff.tau, "baseline", "bdi_ii", slot="second")).status_code == 400  # not a coded measure
    assert client.get(_url(eff.tau, "baseline", "nonsense")).status_code == 404


def test_missed_assessment_records_why(client, switch, eff):
    switch(eff.trial)
    url = f"/effectiveness/participants/{eff.tau.id}/end_of_treatment/missed"
    assert client.post(url, data={"missed_reason": "other"}).status_code == 400  # other needs a note
    assert client.post(url, data={"missed_reason": "unreachable"}).status_code == 302
    visit = db.session.execute(sa.select(AssessmentVisit)).scalar_one()
    assert (visit.status, visit.missed_reason, visit.assessed_on) == ("missed", "unreachable", None)
    page = client.get(f"/effectiveness/participants/{eff.tau.id}")
    assert b"Missed: Could not be reached" in page.data


def test_withdrawal_by_trial_staff_stops_later_entries(client, switch, eff):
    switch(eff.assessor)
    assert client.get(f"/effectiveness/participants/{eff.tau.id}/withdraw").status_code == 403
    switch(eff.trial)
    response = client.post(f"/effectiveness/participants/{eff.tau.id}/withdraw",
                           data={"withdrawn_on": "2026-03-01", "data_use": "may_use", "reason": "moved"})
    assert response.status_code == 302
    assert db.session.execute(sa.select(Withdrawal)).scalar_one().data_use == "may_use"
    switch(eff.assessor)
    refused = client.post(_url(eff.tau, "end_of_treatment", "bdi_ii"), data={"assessed_on": "2026-05-01", "total": "9"})
    assert refused.status_code == 400 and b"withdrew on 2026-03-01" in refused.data
    schedule = client.get(f"/effectiveness/clinics/{eff.clinic.id}/schedule")
    assert b"withdrawn 2026-03-01" in schedule.data


def test_unblinding_is_explicit_audited_and_flags_later_entries(client, switch, eff):
    switch(eff.assessor)
    page = client.get(f"/effectiveness/participants/{eff.mio.id}")
    assert b"blinded" in page.data and b"MIO + TAU" not in page.data
    short = client.post(f"/effectiveness/participants/{eff.mio.id}/unblind", data={"reason": "why"})
    assert short.status_code == 400
    response = client.post(f"/effectiveness/participants/{eff.mio.id}/unblind",
                           data={"reason": "Serious adverse event: the DSMB chair asked for the arm"})
    assert response.status_code == 302
    row = db.session.execute(sa.select(Unblinding)).scalar_one()
    assert row.user_id == eff.assessor.id and row.participant_id == eff.mio.id
    audit = db.session.execute(sa.select(AuditEvent).where(AuditEvent.entity == "unblinding")).scalar_one()
    assert audit.user_id == eff.assessor.id and "DSMB" in str(audit.changes)
    assert b"MIO + TAU" in client.get(f"/effectiveness/participants/{eff.mio.id}").data
    assert b"MIO + TAU" not in client.get(f"/effectiveness/participants/{eff.tau.id}").data  # only that mother
    client.post(_url(eff.mio, "end_of_treatment", "bdi_ii"), data={"assessed_on": "2026-05-01", "total": "9"})
    assert db.session.execute(sa.select(OutcomeScore)).scalar_one().entered_unblinded is True
    switch(eff.director)
    assert b"Serious adverse event" in client.get("/effectiveness/unblindings").data
    assert client.post(f"/effectiveness/participants/{eff.mio.id}/unblind", data={"reason": "x" * 20}
                       ).status_code == 403  # the director is not blinded


def test_schedule_shows_the_arm_to_trial_staff_only(client, switch, eff):
    switch(eff.trial)
    page = client.get(f"/effectiveness/clinics/{eff.clinic.id}/schedule")
    assert page.status_code == 200 and b"MIO + TAU" in page.data and b"SPR1-003" in page.data
    csv = client.get(f"/effectiveness/clinics/{eff.clinic.id}/schedule.csv").get_data(as_text=True)
    assert "arm" in csv.splitlines()[1] and "mio_tau" in csv
    switch(eff.assessor)
    page = client.get(f"/effectiveness/clinics/{eff.clinic.id}/schedule")
    assert page.status_code == 200 and b"SPR1-001" in page.data and b"MIO + TAU" not in page.data
    csv = client.get(f"/effectiveness/clinics/{eff.clinic.id}/schedule.csv").get_data(as_text=True)
    assert "arm" not in csv.splitlines()[1].split(",") and "mio_tau" not in csv and "SPR1-001" in csv
    assert client.get(f"/effectiveness/clinics/{eff.clinic.id}/schedule?status=bogus").status_code == 400


def test_index_counts_per_clinic(client, switch, eff, monkeypatch):
    switch(eff.director)
    page = client.get("/effectiveness/")
    assert page.status_code == 200
    rows = services.clinic_summaries([eff.clinic], date(2026, 5, 10), user=eff.director)
    counts = rows[0]["counts"]
    # 3 scheduled mothers; on 2026-05-10 the two randomized ones are overdue at end of treatment (target 05-04)
    assert rows[0]["mothers"] == 3
    assert counts["end_of_treatment"]["overdue"] == 2 and counts["end_of_treatment"]["not_scheduled"] == 1
    assert counts["baseline"]["window_closed"] == 3


def _icc11_by_hand(pairs):
    """ICC(1,1) = (MSR - MSW) / (MSR + (k-1) MSW), k = 2 (Shrout & Fleiss 1979, case 1)."""
    x = np.asarray(pairs, float)
    n, k = x.shape
    grand = x.mean()
    msr = k * ((x.mean(axis=1) - grand) ** 2).sum() / (n - 1)
    msw = ((x - x.mean(axis=1, keepdims=True)) ** 2).sum() / (n * (k - 1))
    return (msr - msw) / (msr + (k - 1) * msw)


def test_double_coding_reliability_of_pdi_rf(client, switch, eff, factories):
    from tests.implementation_outcomes.effectiveness.conftest import participant

    switch(eff.assessor)
    pairs = [(3, 3), (5, 4), (7, 7), (2, 3), (6, 5)]
    for i, (first, second) in enumerate(pairs):
        p = participant(eff.clinic, f"SPR1-1{i:02d}", "tau")
        for slot, value in (("primary", first), ("second", second)):
            response = client.post(_url(p, "baseline", "pdi_rf", slot), data={"assessed_on": "2026-01-08",
                                                                               "rf_overall": str(value)})
            assert response.status_code == 302
    rows = {r["measure"]["key"]: r for r in services.reliability(user=eff.director)}
    assert rows["pdi_rf"]["pairs"] == 5
    assert rows["pdi_rf"]["icc"]["value"] == pytest.approx(_icc11_by_hand(pairs), abs=1e-12)
    assert rows["ncast_teaching"]["icc"] is None
    page = client.get("/effectiveness/reliability")
    assert page.status_code == 200 and b"ICC(1,1)" in page.data


def test_director_sets_the_study_windows(client, switch, eff):
    switch(eff.director)
    data = {f"{tp}__{f}": v for tp in ("baseline", "end_of_treatment", "follow_up_3m")
            for f, v in (("offset_days", "7"), ("window_before_days", "7"), ("window_after_days", "14"))}
    data["end_of_treatment__offset_days"] = "84"
    assert client.post("/effectiveness/windows", data=data).status_code == 302
    assert next(t for t in services.time_points() if t["key"] == "end_of_treatment")["offset_days"] == 84
    data["follow_up_3m__window_after_days"] = "-1"
    bad = client.post("/effectiveness/windows", data=data)
    assert bad.status_code == 400 and b"follow_up_3m__window_after_days" in bad.data
    switch(eff.trial)
    assert client.get("/effectiveness/windows").status_code == 403


def test_identifiers_in_notes_and_reasons_are_refused_and_nothing_saved(client, switch, eff):
    """Issue 14.4: free text of a participant record goes through the identifier detector (as the screening log's
    decline reason does): a missed-visit note, a withdrawal reason and an unblinding reason."""
    switch(eff.trial)
    missed = client.post(f"/effectiveness/participants/{eff.tau.id}/end_of_treatment/missed",
                         data={"missed_reason": "other", "note": "call her sister at (555) 123-4567"})
    assert missed.status_code == 400 and "a phone number" in missed.get_data(as_text=True)
    withdrawn = client.post(f"/effectiveness/participants/{eff.tau.id}/withdraw",
                            data={"withdrawn_on": "2026-03-01", "data_use": "may_use",
                                  "reason": "moved to 12 Oak Ave. with her mother"})
    assert withdrawn.status_code == 400 and "a street address" in withdrawn.get_data(as_text=True)
    switch(eff.assessor)
    unblind = client.post(f"/effectiveness/participants/{eff.mio.id}/unblind",
                          data={"reason": "She wrote from jane.doe@example.org asking for her arm"})
    assert unblind.status_code == 400 and "e-mail address (&#39;jane.doe@example.org&#39;)" in unblind.get_data(
        as_text=True)
    db.session.rollback()
    for model in (AssessmentVisit, Withdrawal, Unblinding):
        assert db.session.execute(sa.select(model)).first() is None, model
