"""Trial staff's next step is offered where they stand (issue 16.8): randomization to MIO + TAU leads straight to
assigning her counselor; a screening, consent or randomization date in the future is refused naming the field (the
log records what has happened); a saved row is shown where it lands (the page of the log holding it, anchored and
highlighted)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa

from app.db import db
from implementation_outcomes.delivery.models import TrialParticipant
from implementation_outcomes.delivery.screening_log import check_entry, parse_screening_csv
from tests.implementation_outcomes.delivery.test_reach_views import FORM


def _randomize_until(client, world, add_participant, arm: str) -> TrialParticipant:
    """Randomize consented mothers one by one until one lands in ``arm`` (the sequence is concealed)."""
    for i in range(1, 20):
        mother = add_participant(world.clinic_a, f"SPR1-{i:03d}", "consented", consented_on=date(2026, 3, 3))
        response = client.post(f"/outcomes/participants/{mother.id}/randomize", data={"randomized_on": "2026-03-09"})
        assert response.status_code == 302
        db.session.refresh(mother)
        if mother.arm == arm:
            return mother, response
    raise AssertionError(f"no mother randomized to {arm}")


def test_randomized_to_mio_the_counselor_is_assigned_right_there(world, client_for, add_participant):
    client = client_for(world.trial_a)
    mother, response = _randomize_until(client, world, add_participant, "mio_tau")
    assert response.headers["Location"].endswith(f"/outcomes/participants/{mother.id}/counselor")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"{mother.study_id} was randomized to MIO + TAU. Next: assign her counselor." in page
    assert f"Assign the counselor of {mother.study_id}" in page
    for c in world.counselors_a:
        assert f">{c.display_name}</option>" in page
    assert "Counselor B1" not in page  # another agency's counselors are not offered
    refused = client.post(f"/outcomes/participants/{mother.id}/counselor",
                          data={"counselor_id": str(world.counselors_b[0].id)})
    assert refused.status_code == 400 and "Not a valid choice" in refused.get_data(as_text=True)
    assert db.session.get(TrialParticipant, mother.id).counselor_id is None
    chosen = world.counselors_a[1]
    saved = client.post(f"/outcomes/participants/{mother.id}/counselor", data={"counselor_id": str(chosen.id)})
    assert saved.status_code == 302 and f"added={mother.id}" in saved.headers["Location"]
    assert saved.headers["Location"].endswith(f"#participant-{mother.id}")
    assert db.session.get(TrialParticipant, mother.id).counselor_id == chosen.id
    log = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert f"{chosen.display_name} is the counselor of {mother.study_id}." in log
    # another agency's trial staff cannot reach the step
    assert client_for(world.trial_b).get(f"/outcomes/participants/{mother.id}/counselor").status_code == 404


def test_randomized_to_tau_goes_back_to_the_log_and_mio_mothers_without_a_counselor_are_offered_one(
        world, client_for, add_participant):
    client = client_for(world.trial_a)
    tau, response = _randomize_until(client, world, add_participant, "tau")
    assert f"added={tau.id}" in response.headers["Location"]
    assert client.get(f"/outcomes/participants/{tau.id}/counselor").status_code == 302  # not a MIO mother
    waiting = add_participant(world.clinic_a, "SPR1-500", "randomized", arm="mio_tau", randomized_on=date(2026, 3, 9))
    log = client.get(f"/outcomes/clinics/{world.clinic_a.id}/screening-log").get_data(as_text=True)
    assert f'href="/outcomes/participants/{waiting.id}/counselor">Assign counselor' in log


def test_future_dates_are_refused_naming_the_field(world, client_for):
    client = client_for(world.trial_a)
    url = f"/outcomes/clinics/{world.clinic_a.id}/screening-log/new"
    tomorrow = date.today() + timedelta(days=1)
    response = client.post(url, data={**FORM, "screened_on": tomorrow.isoformat()})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert (f"{tomorrow.isoformat()} is in the future (today is {date.today().isoformat()}): log the screening once "
            "it has happened") in html
    assert 'id="screened_on-error"' in html or "screened_on" in html
    assert db.session.execute(sa.select(TrialParticipant)).first() is None
    assert client.post(url, data={**FORM, "screened_on": date.today().isoformat()}).status_code == 302  # today is fine
    # the pure rule, for each dated event, and only when today is given (the CSV import passes it too)
    values = {"study_id": "SPR1-002", "screened_on": date(2026, 3, 2), "status": "randomized", "arm": "tau",
              "consented_on": date(2026, 3, 20), "randomized_on": date(2026, 3, 21)}
    problems = check_entry(values, today=date(2026, 3, 10))
    assert problems["consented_on"] == ("2026-03-20 is in the future (today is 2026-03-10): log consent once it has "
                                        "happened")
    assert problems["randomized_on"].startswith("2026-03-21 is in the future")
    assert "consented_on" not in check_entry(values)
    csv = "study_id,screened_on,status\nSPR1-003,2026-03-11,lost\n"
    try:
        parse_screening_csv(csv, today=date(2026, 3, 10))
        raise AssertionError("a future screening date was imported")
    except Exception as exc:  # ScreeningLogError names the row and the field
        assert "row 2" in str(exc) and "screened_on" in str(exc) and "in the future" in str(exc)


def test_a_saved_row_is_shown_on_the_page_where_it_lands(world, client_for, add_participant):
    for i in range(1, 251):
        if i != 180:
            add_participant(world.clinic_a, f"SPR1-{i:03d}", "lost")
    client = client_for(world.trial_a)
    url = f"/outcomes/clinics/{world.clinic_a.id}/screening-log/new"
    response = client.post(url, data={**FORM, "study_id": "SPR1-180"})
    new = db.session.execute(sa.select(TrialParticipant).where(TrialParticipant.study_id == "SPR1-180")).scalar_one()
    # 179 rows come before it in study-ID order: page 2 of 100-row pages
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/outcomes/clinics/{world.clinic_a.id}/screening-log?page=2&added={new.id}#participant-{new.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved SPR1-180." in page and "Rows 101–200 of 250, page 2 of 3" in page
    assert re.search(rf'<tr id="participant-{new.id}" class="just-saved">\s*<th scope="row">SPR1-180 '
                     r'<span class="badge ok">just saved</span>', page)
    assert page.count("just-saved") == 1
    first = client.get(f"/outcomes/clinics/{world.clinic_a.id}/screening-log").get_data(as_text=True)
    assert "SPR1-180" not in first and "Rows 1–100 of 250" in first
    # an edit lands the same way
    edited = client.post(f"/outcomes/participants/{new.id}/edit", data={**FORM, "study_id": "SPR1-180",
                                                                       "reason": "Transportation"})
    assert "page=2" in edited.headers["Location"] and f"added={new.id}" in edited.headers["Location"]


def test_home_page_leads_to_the_counselor_step(world, client_for, add_participant):
    waiting = add_participant(world.clinic_a, "SPR1-501", "randomized", arm="mio_tau", randomized_on=date(2026, 3, 9))
    home = client_for(world.trial_a).get("/").get_data(as_text=True)
    assert f'href="/outcomes/participants/{waiting.id}/counselor">Assign a counselor to SPR1-501' in home


def test_the_platform_randomizes_only_as_of_today_or_earlier(world, client_for, add_participant):
    mother = add_participant(world.clinic_a, "SPR1-600", "consented", consented_on=date(2026, 3, 3))
    tomorrow = date.today() + timedelta(days=1)
    response = client_for(world.trial_a).post(f"/outcomes/participants/{mother.id}/randomize",
                                              data={"randomized_on": tomorrow.isoformat()})
    assert response.status_code == 400
    assert f"{tomorrow.isoformat()} is in the future" in response.get_data(as_text=True)
    db.session.refresh(mother)
    assert (mother.arm, mother.status) == (None, "consented")  # no allocation used
