"""Sessions, training cases, consultation calls and the feasibility page through the client: the bad-input cases
(before randomization, session 13, the same session twice, a TAU mother), 'started' kept in step with sessions,
feasibility figures against hand computation, the director's completion threshold, and role/agency scoping."""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa

from app.db import db
from implementation_outcomes.delivery.models import (
    ConsultationCall,
    MioSession,
    TrainingCaseSession,
    TrialParticipant,
)


def _session_form(world, mother, **values):
    data = {"participant_id": str(mother.id), "counselor_id": str(world.counselors_a[0].id), "session_number": "1",
            "session_date": "2026-03-16", "duration_minutes": "55", "modality": "in_person", "status": "attended",
            "audio_recorded": "y"}
    data.update({k: str(v) for k, v in values.items()})
    if values.get("audio_recorded") is False:
        data.pop("audio_recorded")
    return data


def _mio_mother(add_participant, world, study_id="SPR1-001", randomized_on=date(2026, 3, 9)):
    return add_participant(world.clinic_a, study_id, "randomized", arm="mio_tau", randomized_on=randomized_on)


def test_recording_sessions_and_bad_input(world, client_for, add_participant):
    mother = _mio_mother(add_participant, world)
    tau = add_participant(world.clinic_a, "SPR1-002", "randomized", arm="tau", randomized_on=date(2026, 3, 9))
    client = client_for(world.trial_a)
    url = f"/outcomes/clinics/{world.clinic_a.id}/sessions/new"
    form_page = client.get(url).get_data(as_text=True)
    assert "SPR1-001" in form_page and "SPR1-002" not in form_page  # only MIO + TAU mothers can have sessions
    assert client.post(url, data=_session_form(world, mother)).status_code == 302
    db.session.expire_all()
    assert db.session.get(TrialParticipant, mother.id).status == "started"
    assert db.session.get(TrialParticipant, mother.id).counselor_id == world.counselors_a[0].id

    def refused(response, fragment):
        assert response.status_code == 400
        assert fragment in response.get_data(as_text=True), fragment

    refused(client.post(url, data=_session_form(world, mother, session_number=2, session_date="2026-03-02")),
            "2026-03-02 is before &#39;SPR1-001&#39; was randomized (2026-03-09)")
    refused(client.post(url, data=_session_form(world, mother, session_number=13)), "13 is not an integer 1..12")
    refused(client.post(url, data=_session_form(world, mother)), "session 1 of &#39;SPR1-001&#39; recorded twice")
    refused(client.post(url, data=_session_form(world, tau)), "choose a mother of this clinic randomized to MIO + TAU")
    refused(client.post(url, data=_session_form(world, mother, session_number=2, status="no_show")),
            "a session that did not take place has no duration")
    refused(client.post(url, data=_session_form(world, mother, session_number=2, counselor_id=world.counselors_b[0].id)),
            "choose a counselor of this clinic")
    refused(client.post(url, data=_session_form(world, mother, session_number=2, session_date="2099-01-01")),
            "2099-01-01 is in the future")
    # a no-show of session 2 and then session 2 attended are both fine
    assert client.post(url, data=_session_form(world, mother, session_number=2, status="no_show",
                                               duration_minutes="", audio_recorded=False)).status_code == 302
    assert client.post(url, data=_session_form(world, mother, session_number=2, session_date="2026-03-23"))\
        .status_code == 302
    assert db.session.execute(sa.select(sa.func.count(MioSession.id))).scalar() == 3
    page = client.get(f"/outcomes/clinics/{world.clinic_a.id}/sessions?study_id=SPR1-001").get_data(as_text=True)
    assert page.count("<th scope=\"row\">SPR1-001</th>") == 3
    # deleting the only attended sessions turns 'started' back into 'randomized'
    for s in db.session.execute(sa.select(MioSession)).scalars().all():
        assert client.post(f"/outcomes/mio-sessions/{s.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(TrialParticipant, mother.id).status == "randomized"


def test_editing_a_session_validates_against_the_other_sessions(world, client_for, add_participant):
    mother = _mio_mother(add_participant, world)
    client = client_for(world.trial_a)
    url = f"/outcomes/clinics/{world.clinic_a.id}/sessions/new"
    client.post(url, data=_session_form(world, mother))
    client.post(url, data=_session_form(world, mother, session_number=2, session_date="2026-03-23"))
    second = db.session.execute(sa.select(MioSession).where(MioSession.session_number == 2)).scalar_one()
    edit = f"/outcomes/mio-sessions/{second.id}/edit"
    assert client.get(edit).status_code == 200
    assert client.post(edit, data=_session_form(world, mother, session_number=1)).status_code == 400
    assert client.post(edit, data=_session_form(world, mother, session_number=2, duration_minutes=62,
                                                session_date="2026-03-23")).status_code == 302
    db.session.expire_all()
    assert db.session.get(MioSession, second.id).duration_minutes == 62


def _seed_feasibility(world, add_participant):
    """Three MIO mothers and one TAU mother; sessions chosen so the figures are easy to compute by hand."""
    c1, c2 = world.counselors_a
    m1 = _mio_mother(add_participant, world, "SPR1-001", date(2026, 3, 2))
    m2 = _mio_mother(add_participant, world, "SPR1-002", date(2026, 3, 4))
    _mio_mother(add_participant, world, "SPR1-003", date(2026, 3, 6))  # never starts
    add_participant(world.clinic_a, "SPR1-004", "randomized", arm="tau", randomized_on=date(2026, 3, 6))
    rows = []
    for n in range(1, 9):  # m1: 8 attended sessions, first on day 7, all 55 minutes, 6 recorded
        rows.append(MioSession(clinic_id=world.clinic_a.id, participant_id=m1.id, counselor_id=c1.id, session_number=n,
                               session_date=date(2026, 3, 9) + timedelta(days=7 * (n - 1)),
                               duration_minutes=55, modality="in_person", status="attended", audio_recorded=n <= 6))
    for n, minutes in ((1, 45), (2, 60), (3, 70)):  # m2: 3 attended, first on day 14; 45 and 70 are outside 50-60
        rows.append(MioSession(clinic_id=world.clinic_a.id, participant_id=m2.id, counselor_id=c2.id, session_number=n,
                               session_date=date(2026, 3, 18) + timedelta(days=7 * (n - 1)), duration_minutes=minutes,
                               modality="virtual",
                               status="attended", audio_recorded=True))
    rows.append(MioSession(clinic_id=world.clinic_a.id, participant_id=m2.id, counselor_id=c2.id, session_number=4,
                           session_date=date(2026, 4, 8), modality="virtual", status="no_show"))
    m1.status = m2.status = "started"
    m1.counselor_id, m2.counselor_id = c1.id, c2.id
    db.session.add_all(rows)
    calls = [(c1, True), (c1, True), (c1, False), (c2, True), (c2, False), (c2, False)]
    db.session.add_all(ConsultationCall(clinic_id=world.clinic_a.id, counselor_id=c.id, call_date=date(2026, 1, 5 + i),
                                        attended=a) for i, (c, a) in enumerate(calls))
    db.session.commit()


def test_feasibility_page_against_hand_computation(world, client_for, add_participant):
    _seed_feasibility(world, add_participant)
    client = client_for(world.trial_a)
    html = client.get(f"/outcomes/clinics/{world.clinic_a.id}/feasibility").get_data(as_text=True)
    # doses 8, 3, 0 -> mean 11/3 = 3.67; completed (>= 8): 1 of 3 = 33%; not started 1
    # attended 11 sessions; 50-60 minutes: 8 (m1) + 1 (60) = 9 of 11 = 82%; recorded 6 + 3 = 9 of 11 = 82%
    # days to first session: 7 (m1) and 14 (m2): median 10.5, IQR 8.75-12.25 (type 7 quartiles)
    assert re.search(r"Mean dose \(sessions attended\)</th><td class=\"num\">3.67</td>", html)
    assert re.search(r"Completed \(≥ 8 sessions\)</th><td class=\"num\">1</td><td class=\"num\">33%</td>", html)
    assert re.search(r"Sessions of 50-60 minutes</th><td class=\"num\">.*?</td><td class=\"num\">82%</td>", html)
    assert re.search(r"Days randomization → first session, median of starters only</th><td class=\"num\">10.50</td>"
                     r".*?IQR 8.75-12.25, n = 2", html)
    # Kaplan-Meier with SPR1-003 (never started) censored at the cut-off: at day 7, 3 at risk, S = 2/3; at day 14,
    # 2 at risk, S = 1/3 < 0.5, so the median is 14 days (not 10.5, which leaves her out)
    assert re.search(r"Kaplan-Meier median</th><td class=\"num\">14.00</td>.*?n = 3 mothers, 1 not started", html)
    n = '<td class="num">'
    assert (f"SPR1-002</th><td>Counselor A2</td><td>2026-03-04</td><td>2026-03-18</td>{n}14</td>{n}3</td>{n}1</td>"
            f"{n}0</td>{n}3</td><td>no</td>") in html
    assert "SPR1-004" not in html  # TAU mothers have no dose
    # consultation: A1 2 of 3 = 67% (below 70 %), A2 1 of 3 = 33%
    assert re.search(r"Counselor A1</th><td class=\"num\">3</td><td class=\"num\">2</td><td class=\"num\">67%</td>"
                     r"<td>no</td>", html)
    assert "staff have not answered the FIM in a readiness survey wave yet" in html
    # the director lowers the completion threshold to 3: m1 and m2 complete -> 2 of 3 = 67%
    director = client_for(world.director)
    bad = director.post("/outcomes/settings", data={"completion_threshold": "13", "double_coding_share": "0.2"})
    assert bad.status_code == 400 and "Number must be between 1 and 12." in bad.get_data(as_text=True)
    assert director.post("/outcomes/settings", data={"completion_threshold": "3", "double_coding_share": "0.2"})\
        .status_code == 302
    html = client.get(f"/outcomes/clinics/{world.clinic_a.id}/feasibility").get_data(as_text=True)
    assert re.search(r"Completed \(≥ 3 sessions\)</th><td class=\"num\">2</td><td class=\"num\">67%</td>", html)
    assert client.get("/outcomes/settings").status_code == 403  # trial staff cannot change settings
    csv_text = client.get(f"/outcomes/clinics/{world.clinic_a.id}/tables/feasibility/dose.csv").get_data(as_text=True)
    assert "SPR1-001,Counselor A1,2026-03-02,2026-03-09,7,8,0,0,6,yes" in csv_text


def test_training_cases_self_ratings_and_calls(world, client_for):
    staff = client_for(world.staff_a)
    counselor = world.counselors_a[0]
    url = f"/outcomes/clinics/{world.clinic_a.id}/training/new"
    data = {"counselor_id": str(counselor.id), "training_case": "1", "case_label": "TC-A", "session_number": "1",
            "session_date": "2025-10-06", "duration_minutes": "55", "modality": "in_person", "status": "attended",
            "audio_recorded": "y"}
    assert staff.post(url, data=data).status_code == 302
    dup = staff.post(url, data=data)
    assert dup.status_code == 400 and "session 1 of &#39;TC-A&#39; recorded twice" in dup.get_data(as_text=True)
    relabel = staff.post(url, data={**data, "session_number": "2", "case_label": "TC-Z"})
    assert relabel.status_code == 400 and "is labelled &#39;TC-A&#39;; use the same label" in relabel.get_data(as_text=True)
    thirteen = staff.post(url, data={**data, "session_number": "13"})
    assert thirteen.status_code == 400 and "13 is not an integer 1..12" in thirteen.get_data(as_text=True)
    session = db.session.execute(sa.select(TrainingCaseSession)).scalar_one()
    rate = f"/outcomes/training-case-sessions/{session.id}/self-rating"
    page = staff.get(rate).get_data(as_text=True)
    assert "Self-reflection rating" in page and "TC-A (training case 1)" in page
    scores = {"ab_warmth": "4", "ab_collaboration": "4", "ab_session_structure": "3", "pe_parenting_advice": "2",
              "pe_problem_solving": "2", "mb_mother_mental_states": "4", "mb_child_mental_states": "5",
              "mb_affect_regulation": "4", "mb_linking_states_behaviour": "4", "mb_curious_stance": "6"}
    out = staff.post(rate, data=scores)
    assert out.status_code == 400 and "rating 6 is outside 1..5" in out.get_data(as_text=True)
    assert staff.post(rate, data={**scores, "mb_curious_stance": "5"}).status_code == 302
    assert "Edit<span class=\"visually-hidden\"> self-reflection" in staff.get(
        f"/outcomes/clinics/{world.clinic_a.id}/training").get_data(as_text=True)
    call_url = f"/outcomes/clinics/{world.clinic_a.id}/consultation-calls/new"
    assert staff.post(call_url, data={"counselor_id": str(counselor.id), "call_date": "2025-10-07",
                                      "attended": "y"}).status_code == 302
    again = staff.post(call_url, data={"counselor_id": str(counselor.id), "call_date": "2025-10-07"})
    assert again.status_code == 400 and "already has a call on 2025-10-07" in again.get_data(as_text=True)
    # agency staff see training cases but not mothers' data; nor another agency's training cases
    assert staff.get(f"/outcomes/clinics/{world.clinic_a.id}/sessions").status_code == 403
    assert staff.get(f"/outcomes/clinics/{world.clinic_a.id}/reach").status_code == 403
    assert staff.get(f"/outcomes/clinics/{world.clinic_b.id}/training").status_code == 404
    assert staff.post(f"/outcomes/clinics/{world.clinic_b.id}/training/new",
                      data={**data, "counselor_id": str(world.counselors_b[0].id)}).status_code == 404
    assert db.session.execute(sa.select(sa.func.count(TrainingCaseSession.id))).scalar() == 1


def test_trial_staff_cannot_touch_another_agencys_sessions(world, client_for, add_participant):
    mother_b = add_participant(world.clinic_b, "HFR1-001", "randomized", arm="mio_tau", randomized_on=date(2026, 3, 2))
    session = MioSession(clinic_id=world.clinic_b.id, participant_id=mother_b.id, counselor_id=world.counselors_b[0].id,
                         session_number=1, session_date=date(2026, 3, 9), modality="virtual", status="attended",
                         duration_minutes=50, audio_recorded=True)
    db.session.add(session)
    db.session.commit()
    client = client_for(world.trial_a)
    assert client.get(f"/outcomes/mio-sessions/{session.id}/edit").status_code == 404
    assert client.post(f"/outcomes/mio-sessions/{session.id}/delete").status_code == 404
    response = client.post(f"/outcomes/clinics/{world.clinic_a.id}/sessions/new",
                           data=_session_form(world, mother_b, counselor_id=world.counselors_a[0].id))
    assert response.status_code == 400  # B's mother is not a choice in A's clinic
    assert db.session.execute(sa.select(sa.func.count(MioSession.id))).scalar() == 1
