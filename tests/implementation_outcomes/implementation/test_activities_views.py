"""Implementation-activity pages through the client: the director's checklist, stage proportions and durations vs
hand-computed values, the comparison across clinics, exports, refusals and scoping."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from app.db import db
from implementation_outcomes.implementation import clinic_stages
from implementation_outcomes.implementation.models import ActivityCompletion
from implementation_outcomes.stages import load_activity_catalogue

COMPLETIONS = {  # the same dates as the pure test of stage_scores
    "outreach_contact": "2025-01-06",
    "information_session": "2025-01-20",
    "interest_confirmed": "2025-02-03",
    "readiness_application_received": "2025-02-10",
    "startup_meeting": "2025-05-01",
}


def save(client, clinic, dates: dict[str, str], notes: dict[str, str] | None = None):
    data = {f"date_{k}": v for k, v in dates.items()}
    data.update({f"note_{k}": v for k, v in (notes or {}).items()})
    return client.post(f"/implementation/clinics/{clinic.id}/stages/edit", data=data)


def completion_count() -> int:
    return db.session.execute(sa.select(sa.func.count(ActivityCompletion.id))).scalar()


def test_stage_proportions_and_durations_match_hand_computed(org, client, sign_in, read_csv):
    sign_in(org.director)
    response = save(client, org.a1, COMPLETIONS, {"startup_meeting": "with both supervisors"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "5 added, 0 changed, 0 removed" in page.get_data(as_text=True)
    stages = read_csv(client.get(f"/implementation/clinics/{org.a1.id}/tables/stages.csv"))
    by_stage = {r[0]: r[2:] for r in stages[1:]}
    # stage 1: 3 of 3 activities; Jan 6 -> Feb 3 = 25 days to Jan 31 + 3 = 28 days
    assert by_stage["1. Engagement"] == ["3", "3", "1.0", "2025-01-06", "2025-02-03", "28"]
    # stage 2: 1 of 4 = 0.25, a single activity lasts 0 days
    assert by_stage["2. Consideration of feasibility"] == ["4", "1", "0.25", "2025-02-10", "2025-02-10", "0"]
    # stage 3: nothing completed: proportion 0, no dates, no duration
    assert by_stage["3. Readiness planning"] == ["4", "0", "0.0", "", "", ""]
    # stage 6: 1 of 5 = 0.2
    assert by_stage["6. Services and consultation begin"][:3] == ["5", "1", "0.2"]
    phases = read_csv(client.get(f"/implementation/clinics/{org.a1.id}/tables/phases.csv"))
    # pre-implementation: 4 of 11 activities = 0.3636, Jan 6 -> Feb 10 = 35 days
    assert phases[1] == ["Pre-implementation", "1, 2, 3", "11", "4", "0.3636", "2025-01-06", "2025-02-10", "35"]
    timeline = read_csv(client.get(f"/implementation/clinics/{org.a1.id}/tables/timeline.csv"))
    assert [r[0] for r in timeline[1:]] == sorted(COMPLETIONS.values())
    assert timeline[-1][1:] == ["6. Services and consultation begin",
                                "Start-up meeting with clinicians and site leadership to initiate MIO delivery",
                                "with both supervisors"]
    html = client.get(f"/implementation/clinics/{org.a1.id}/stages").get_data(as_text=True)
    assert html.count("<circle") == 5 and 'role="img"' in html
    assert "the highest stage with a completed activity: <strong>6</strong>" in html
    scores = clinic_stages(org.a1.id, user=org.director)
    assert scores["current_stage"] == 6 and scores["stages"][0]["duration_days"] == 28
    assert clinic_stages(org.a1.id, user=org.staff_b) is None


def test_comparison_across_clinics(org, client, sign_in, read_csv):
    sign_in(org.director)
    save(client, org.a1, COMPLETIONS)
    save(client, org.b1, {"outreach_contact": "2025-03-01", "information_session": "2025-03-11"})
    progress = read_csv(client.get("/implementation/tables/clinic-progress.csv"))
    assert progress[0][:4] == ["Clinic", "Current stage", "Pre-implementation proportion",
                               "Pre-implementation duration (days)"]
    rows = {r[0]: r[1:] for r in progress[1:]}
    # B-1: 2 of 11 pre-implementation activities = 0.1818, Mar 1 -> Mar 11 = 10 days; current stage 1
    assert rows["AGB-1"][:3] == ["1", "0.1818", "10"]
    assert rows["AGA-2"] == ["", "0.0", "", "0.0", "", "0.0", ""]
    comparison = read_csv(client.get("/implementation/tables/stages-comparison.csv"))
    assert comparison[0][:3] == ["Stage", "AGA-1 proportion", "AGA-1 duration (days)"]
    assert comparison[1] == ["1. Engagement", "1.0", "28", "0.0", "", "0.6667", "10"]
    assert len(comparison) == 1 + 8
    # agency staff see their own clinics only, and cannot edit
    sign_in(org.staff_a)
    page = client.get("/implementation/stages").get_data(as_text=True)
    assert "AGA-1" in page and "AGB-1" not in page
    assert "Record completions" not in client.get(f"/implementation/clinics/{org.a1.id}/stages").get_data(as_text=True)
    assert client.get(f"/implementation/clinics/{org.a1.id}/stages/edit").status_code == 403
    assert save(client, org.a1, {"interest_confirmed": "2025-02-04"}).status_code == 403
    assert client.get(f"/implementation/clinics/{org.b1.id}/stages").status_code == 404
    assert client.get(f"/implementation/clinics/{org.b1.id}/tables/stages.xlsx").status_code == 404


def test_future_date_refused_and_nothing_saved(org, client, sign_in):
    sign_in(org.director)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    response = save(client, org.a1, {"outreach_contact": "2025-01-06", "training_agreement_signed": tomorrow})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f"Stage 3, “Training agreement and commitment to requirements signed”: {tomorrow} is in the future" in html
    assert completion_count() == 0
    garbled = save(client, org.a1, {"outreach_contact": "6 Jan"})
    assert garbled.status_code == 400 and "Not a valid date value." in garbled.get_data(as_text=True)
    assert completion_count() == 0


def test_clearing_a_date_removes_the_completion(org, client, sign_in):
    sign_in(org.director)
    save(client, org.a1, COMPLETIONS)
    form = client.get(f"/implementation/clinics/{org.a1.id}/stages/edit").get_data(as_text=True)
    assert 'value="2025-01-06"' in form  # the checklist shows what is recorded
    kept = dict(COMPLETIONS, startup_meeting="", information_session="2025-01-21")
    response = save(client, org.a1, kept)
    assert response.status_code == 302
    assert "0 added, 1 changed, 1 removed" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert completion_count() == 4


def test_catalogue_page_lists_every_activity(org, client, sign_in):
    sign_in(org.staff_a)
    html = client.get("/implementation/catalogue").get_data(as_text=True)
    keys = [a["key"] for s in load_activity_catalogue()["stages"] for a in s["activities"]]
    assert len(keys) == 34 and all(f"<code>{k}</code>" in html for k in keys)
    assert "Stage 8: Competency" in html
