"""Fidelity through the client: the scheme as configuration (JSON and form, path-named errors, versions), coding
assignments with a double-coded share to a second, different coder, the coder's queue and rating form (metadata only,
range errors), and the clinic fidelity page (coverage, adequacy, named ICC, run charts, self beside coder)."""

from __future__ import annotations

import json
import math
import re
from datetime import date, timedelta

import sqlalchemy as sa

from app.db import db
from implementation_outcomes.delivery.models import (
    CodingAssignment,
    FidelityRating,
    FidelityScheme,
    MioSession,
    TrainingCaseSession,
)
from implementation_outcomes.fidelity import load_fidelity_scheme

SCALES = [s["key"] for s in load_fidelity_scheme()["scales"]]


def _recorded_sessions(world, add_participant, n_mothers=4, per_mother=5, clinic=None, counselors=None, prefix="SPR1"):
    clinic = clinic or world.clinic_a
    counselors = counselors or world.counselors_a
    sessions = []
    for m in range(n_mothers):
        mother = add_participant(clinic, f"{prefix}-{m + 1:03d}", "started", arm="mio_tau",
                                 randomized_on=date(2026, 3, 2), mother_age=47, primary_substance="stimulants",
                                 medication_treatment=True)
        for k in range(per_mother):
            sessions.append(MioSession(
                clinic_id=clinic.id, participant_id=mother.id, counselor_id=counselors[m % len(counselors)].id,
                session_number=k + 1, session_date=date(2026, 3, 9) + timedelta(days=7 * k), duration_minutes=55,
                modality="in_person", status="attended", audio_recorded=k != per_mother - 1))  # last not recorded
    db.session.add_all(sessions)
    db.session.commit()
    return sessions


def test_scheme_json_editing_with_path_named_errors_and_versions(world, client_for):
    director = client_for(world.director)
    page = director.get("/outcomes/fidelity/scheme/edit").get_data(as_text=True)
    assert "mb_curious_stance" in page
    scheme = load_fidelity_scheme()
    broken = json.loads(json.dumps(scheme))
    broken["scales"][3]["group"] = "nope"
    broken["adequacy_rule"]["all_of"][0]["op"] = "=>"
    response = director.post("/outcomes/fidelity/scheme/edit", data={"scheme_json": json.dumps(broken), "note": ""})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "scales[3].group: &#39;nope&#39; is not a declared group" in html
    assert "adequacy_rule.all_of[0].op: must be one of" in html
    syntax = director.post("/outcomes/fidelity/scheme/edit", data={"scheme_json": '{"groups": [}'})
    assert syntax.status_code == 400 and "$ (line 1, column 13): Expecting value" in syntax.get_data(as_text=True)
    assert db.session.execute(sa.select(FidelityScheme)).first() is None
    changed = json.loads(json.dumps(scheme))
    changed["scales"][0]["label"] = "Warmth (revised)"
    assert director.post("/outcomes/fidelity/scheme/edit",
                         data={"scheme_json": json.dumps(changed), "note": "label"}).status_code == 302
    stored = db.session.execute(sa.select(FidelityScheme)).scalar_one()
    assert stored.version == 1 and stored.scheme["scales"][0]["label"] == "Warmth (revised)"
    assert "Warmth (revised)" in director.get("/outcomes/fidelity/scheme").get_data(as_text=True)


def test_scheme_structured_form(world, client_for):
    director = client_for(world.director)
    scheme = load_fidelity_scheme()
    form = {"title": "Scheme v2", "range_min": "1", "range_max": "5", "note": "threshold"}
    for g in scheme["groups"]:
        form[f"group_{g['key']}_label"] = g["label"]
    for s in scheme["scales"]:
        form[f"scale_{s['key']}_label"] = s["label"]
        form[f"scale_{s['key']}_group"] = s["group"]
    for i, _ in enumerate(scheme["adequacy_rule"]["all_of"]):
        form[f"rule_{i}_op"] = ">="
        form[f"rule_{i}_value"] = "3"
    form["rule_0_value"] = "3.5"
    assert director.get("/outcomes/fidelity/scheme/edit-form").status_code == 200
    bad = director.post("/outcomes/fidelity/scheme/edit-form", data={**form, "range_min": "5", "range_max": "1"})
    assert bad.status_code == 400 and "rating_range: must be {min, max} numbers with min &lt; max" in bad.get_data(as_text=True)
    nan = director.post("/outcomes/fidelity/scheme/edit-form", data={**form, "rule_1_value": "high"})
    assert nan.status_code == 400 and "adequacy_rule condition 2.value: &#39;high&#39; is not a number" in nan.get_data(as_text=True)
    assert director.post("/outcomes/fidelity/scheme/edit-form", data=form).status_code == 302
    stored = db.session.execute(sa.select(FidelityScheme)).scalar_one()
    assert stored.scheme["adequacy_rule"]["all_of"][0] == {"group": "mentalization_based", "statistic": "mean",
                                                          "op": ">=", "value": 3.5}
    assert stored.scheme["adequacy_rule"]["all_of"][2]["op"] == ">="
    coder = client_for(world.coder1)
    assert coder.get("/outcomes/fidelity/scheme").status_code == 200
    assert coder.get("/outcomes/fidelity/scheme/edit").status_code == 403
    assert coder.post("/outcomes/fidelity/scheme/edit-form", data=form).status_code == 403


def test_assignment_gives_each_recorded_session_a_coder_and_a_share_a_second_one(world, client_for, add_participant):
    sessions = _recorded_sessions(world, add_participant, n_mothers=4, per_mother=6)  # 24 sessions, 20 recorded
    training = TrainingCaseSession(clinic_id=world.clinic_a.id, counselor_id=world.counselors_a[0].id, training_case=1,
                                   case_label="TC-A", session_number=1, session_date=date(2025, 10, 6), modality="virtual",
                                   status="attended", duration_minutes=55, audio_recorded=True)
    db.session.add(training)
    db.session.commit()
    director = client_for(world.director)
    assert "21</strong> recorded sessions without a coder" in director.get("/outcomes/fidelity").get_data(as_text=True)
    response = director.post("/outcomes/fidelity/assign")
    assert response.status_code == 302
    page = director.get("/outcomes/fidelity").get_data(as_text=True)
    assert "Assigned 21 recorded sessions to coders (batch 1); 5 of them also to a second coder" in page  # ceil(.2 x 21)
    assignments = db.session.execute(sa.select(CodingAssignment)).scalars().all()
    primary = [a for a in assignments if a.role == "primary"]
    second = [a for a in assignments if a.role == "second"]
    assert len(primary) == 21 and len(second) == math.ceil(0.2 * 21)
    assert len({a.session_key for a in primary}) == 21
    recorded = {f"mio:{s.id}" for s in sessions if s.audio_recorded} | {f"training:{training.id}"}
    assert {a.session_key for a in primary} == recorded
    by_session = {a.session_key: a.coder_id for a in primary}
    assert all(a.coder_id != by_session[a.session_key] for a in second)
    assert abs(sum(a.coder_id == world.coder1.id for a in assignments)
               - sum(a.coder_id == world.coder2.id for a in assignments)) <= 1  # balanced
    workload = director.get("/outcomes/fidelity/tables/coder-workload.csv").get_data(as_text=True).splitlines()
    assert workload[0].lstrip("\ufeff") == "Coder,Primary,Second (double coding),Rated,Backlog"
    cells = [line.split(",") for line in workload[1:]]
    assert sum(int(c[1]) for c in cells) == 21 and sum(int(c[2]) for c in cells) == 5
    assert [int(c[1]) + int(c[2]) for c in cells] == [13, 13]  # 26 assignments shared evenly
    assert director.get("/outcomes/fidelity/tables/fidelity-coverage.xlsx").status_code == 200
    assert director.post("/outcomes/fidelity/assign").status_code == 302
    assert "Every recorded session already has a coder." in director.get("/outcomes/fidelity").get_data(as_text=True)
    assert client_for(world.coder1).get("/outcomes/fidelity/tables/coder-workload.csv").status_code == 403
    assert client_for(world.trial_a).post("/outcomes/fidelity/assign").status_code == 403


def test_double_coding_needs_two_coders(world, client_for, add_participant):
    world.coder2.active = False
    db.session.commit()
    _recorded_sessions(world, add_participant, n_mothers=2, per_mother=3)
    director = client_for(world.director)
    director.post("/outcomes/fidelity/assign")
    assert "double coding needs at least two active fidelity coders" in director.get("/outcomes/fidelity").get_data(
        as_text=True)
    assert db.session.execute(sa.select(CodingAssignment)).first() is None


def _scores(**overrides):
    values = dict.fromkeys(SCALES, "4")
    values.update({"pe_parenting_advice": "2", "pe_problem_solving": "2"})
    values.update({k: str(v) for k, v in overrides.items()})
    return values


def test_coder_queue_and_rating_form(world, client_for, add_participant):
    _recorded_sessions(world, add_participant, n_mothers=2, per_mother=3)
    client_for(world.director).post("/outcomes/fidelity/assign")
    coder = client_for(world.coder1)
    queue = coder.get("/outcomes/fidelity/queue").get_data(as_text=True)
    mine = db.session.execute(sa.select(CodingAssignment).where(CodingAssignment.coder_id == world.coder1.id)
                              ).scalars().all()
    assert f"To rate ({len(mine)})" in queue
    target = mine[0].mio_session
    url = f"/outcomes/fidelity/rate/mio/{target.id}"
    page = coder.get(url).get_data(as_text=True)
    main = re.sub(r'name="csrf_token"[^>]*>', "", page[page.index("<main"):page.index("</main>")])
    for shown in (target.participant.study_id, target.counselor.display_name, target.session_date.isoformat()):
        assert shown in main
    for hidden in ("stimulants", "Stimulants", "47", "2026-03-02", "MIO + TAU", "Main Street", "SPR-1 "):
        assert hidden not in main, hidden  # characteristics, randomization, arm and clinic are not shown
    out_of_range = coder.post(url, data=_scores(mb_curious_stance=7))
    assert out_of_range.status_code == 400
    assert "Curious, not-knowing therapeutic stance: rating 7 is outside 1..5" in out_of_range.get_data(as_text=True)
    missing = coder.post(url, data={**_scores(), "ab_warmth": ""})
    missing_html = missing.get_data(as_text=True)
    assert missing.status_code == 400 and "Warmth and empathic attunement: choose a rating" in missing_html
    assert "ab_warmth:" not in missing_html  # labels, never raw keys
    text = coder.post(url, data=_scores(ab_warmth="good"))
    assert text.status_code == 400 and "&#39;good&#39; is not a number" in text.get_data(as_text=True)
    assert db.session.execute(sa.select(FidelityRating)).first() is None
    assert coder.post(url, data=_scores()).status_code == 302
    rating = db.session.execute(sa.select(FidelityRating)).scalar_one()
    assert (rating.source, rating.coder_id, rating.scheme_version, rating.scores["ab_warmth"]) == ("coder",
                                                                                                   world.coder1.id, 0, 4)
    assert f"To rate ({len(mine) - 1})" in coder.get("/outcomes/fidelity/queue").get_data(as_text=True)
    # changing one's rating replaces it
    assert coder.post(url, data=_scores(ab_warmth=5)).status_code == 302
    assert db.session.execute(sa.select(FidelityRating.scores)).scalar_one()["ab_warmth"] == 5
    # another coder's session is not theirs to rate; other roles cannot rate at all
    mine_keys = {a.session_key for a in mine}
    theirs = next(a for a in db.session.execute(sa.select(CodingAssignment).where(
        CodingAssignment.coder_id == world.coder2.id)).scalars() if a.session_key not in mine_keys)
    assert coder.get(f"/outcomes/fidelity/rate/mio/{theirs.mio_session_id}").status_code == 403
    assert coder.post(f"/outcomes/fidelity/rate/mio/{theirs.mio_session_id}", data=_scores()).status_code == 403
    assert client_for(world.trial_a).get(url).status_code == 403
    assert client_for(world.director).get(url).status_code == 403
    # coders see neither the mothers' pages nor the clinic fidelity figures (blind double coding)
    for page_url in (f"/outcomes/clinics/{world.clinic_a.id}/reach", f"/outcomes/clinics/{world.clinic_a.id}/fidelity",
                     f"/outcomes/clinics/{world.clinic_a.id}/screening-log"):
        assert coder.get(page_url).status_code == 403


def test_clinic_fidelity_page(world, client_for, add_participant):
    sessions = _recorded_sessions(world, add_participant, n_mothers=2, per_mother=4)  # 8 attended, 6 recorded
    recorded = [s for s in sessions if s.audio_recorded]
    # coder 1 rates all 6; coder 2 double-codes 3; mentalization means chosen so 4 of 6 are adequate
    levels = [4, 4, 2, 4, 2, 4]
    for s, level in zip(recorded, levels, strict=True):
        scores = {k: (level if k.startswith("mb_") else 4 if k.startswith("ab_") else 2) for k in SCALES}
        db.session.add(FidelityRating(clinic_id=world.clinic_a.id, mio_session_id=s.id, source="coder",
                                      coder_id=world.coder1.id, scheme_version=0, scores=scores, rated_on=s.session_date))
        db.session.add(CodingAssignment(clinic_id=world.clinic_a.id, mio_session_id=s.id, coder_id=world.coder1.id,
                                        role="primary", batch=1))
    for s, level in zip(recorded[:3], (5, 4, 2), strict=True):
        scores = {k: (level if k.startswith("mb_") else 4 if k.startswith("ab_") else 2) for k in SCALES}
        db.session.add(FidelityRating(clinic_id=world.clinic_a.id, mio_session_id=s.id, source="coder",
                                      coder_id=world.coder2.id, scheme_version=0, scores=scores, rated_on=s.session_date))
    training = TrainingCaseSession(clinic_id=world.clinic_a.id, counselor_id=world.counselors_a[0].id, training_case=1,
                                   case_label="TC-A", session_number=1, session_date=date(2025, 10, 6),
                                   modality="virtual", status="attended", duration_minutes=55, audio_recorded=True)
    db.session.add(training)
    db.session.flush()
    db.session.add(FidelityRating(clinic_id=world.clinic_a.id, training_case_session_id=training.id, source="self",
                                  scheme_version=0, scores=dict.fromkeys(SCALES, 5), rated_on=date(2025, 10, 6)))
    db.session.add(FidelityRating(clinic_id=world.clinic_a.id, training_case_session_id=training.id, source="coder",
                                  coder_id=world.coder1.id, scheme_version=0, scores=dict.fromkeys(SCALES, 3),
                                  rated_on=date(2025, 10, 9)))
    db.session.commit()
    html = client_for(world.director).get(f"/outcomes/clinics/{world.clinic_a.id}/fidelity").get_data(as_text=True)
    n = '<td class="num">'
    # trial sessions: attended 8, recorded 6 (75%), coded 6 (100%), double-coded 3 (50%), backlog 0
    assert f"Trial sessions</th>{n}8</td>{n}6</td>{n}75%</td>{n}6</td>{n}100%</td>{n}3</td>{n}50%</td>{n}0</td>" in html
    # adequacy: 4 of 6 trial sessions (mb mean 4 >= 3) + the training session (all 3s: mb 3 >= 3, ab 3 >= 3, pe 3 <= 3)
    assert f"All counselors</th>{n}7</td>{n}5</td>{n}71%</td>" in html
    assert "ICC(2,1)</strong>: two-way random effects, absolute agreement, single rater (McGraw &amp; Wong ICC(A,1))" in html
    # ICC(2,1) of the mentalization means over the 3 double-coded sessions: rows (4,5), (4,4), (2,2)
    # grand mean 3.5; MSR = 2*((4.5-3.5)^2 + (4-3.5)^2 + (2-3.5)^2)/2 = 3.5; MSC = 3*((3.333-3.5)^2*2)/1 = 0.1667
    # SST = 7.5, SSE = 7.5 - 7 - 0.1667 = 0.3333, MSE = 0.1667; ICC = (3.5-.1667)/(3.5+.1667+2*(0)/3) = 0.909
    assert re.search(r"Mentalization-based \(MIO-specific\) interventions</th><td>group mean</td>"
                     rf"{n}3</td>{n}0.91</td>", html)
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart run-chart"' in html
    assert "Run chart data: Counselor A1" in html and "Run chart data: Counselor A2" in html
    # self beside coder, never pooled: training session self mean 5, coder mean 3 for every group
    assert re.search(rf"Counselor A1</th><td>TC-A \(1\)</td>{n}1</td><td>2025-10-06</td>"
                     rf"({n}5.00</td>){{3}}({n}3.00</td>){{3}}", html)
    assert re.search(rf"Counselor A1</th><td>Mentalization-based \(MIO-specific\) interventions</td>{n}1</td>"
                     rf"{n}5.00</td>{n}1</td>{n}3.00</td>{n}1</td>{n}2.00</td>", html)
    assert client_for(world.trial_a).get(f"/outcomes/clinics/{world.clinic_a.id}/fidelity").status_code == 403
    # a rated session cannot be deleted or made unrecorded
    trial = client_for(world.trial_a)
    rated = recorded[0]
    assert trial.post(f"/outcomes/mio-sessions/{rated.id}/delete").status_code == 302
    unrecord = trial.post(f"/outcomes/mio-sessions/{rated.id}/edit", data={
        "participant_id": str(rated.participant_id), "counselor_id": str(rated.counselor_id), "session_number": "1",
        "session_date": rated.session_date.isoformat(), "duration_minutes": "55", "modality": "in_person",
        "status": "attended"})
    assert unrecord.status_code == 400
    assert "this session has fidelity ratings of its recording" in unrecord.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(MioSession, rated.id).audio_recorded is True
    export = client_for(world.director).get(
        f"/outcomes/clinics/{world.clinic_a.id}/tables/fidelity/reliability.csv").get_data(as_text=True)
    # the download rounds as the page shows it (app.formatting: a coefficient to 2 decimals; 0.909 by hand above)
    assert "Mentalization-based (MIO-specific) interventions,group mean,3,0.91," in export
