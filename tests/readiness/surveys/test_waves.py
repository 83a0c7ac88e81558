"""The director's wave pages through the client: open a wave with the real form, copy links, download them as CSV,
close and re-score; bad input re-renders with field messages; other roles are kept out."""

import csv
import io
from datetime import timedelta

import sqlalchemy as sa

from app.db import db
from app.models import Role
from readiness.surveys import services
from readiness.surveys.models import Instrument, Score, SurveyLink, SurveyWave
from tests.readiness.surveys.support import AIM_REF, ORIC_REF, aim_answers, oric_answers


def _form(clinic, **overrides):
    today = services.survey_today()
    data = {"clinic_id": clinic.id, "title": "Spring readiness", "instruments": [ORIC_REF, AIM_REF],
            "opens_on": today.isoformat(), "closes_on": (today + timedelta(days=14)).isoformat(), "n_links": "6"}
    data.update(overrides)
    return data


def test_director_opens_a_wave_and_gets_copyable_links_and_csv(client, login, director, clinic):
    login(director)
    page = client.get("/readiness/surveys/new")
    assert page.status_code == 200 and b"shipped:oric@1.0.0" in page.data and b"SPR-1" in page.data
    response = client.post("/readiness/surveys/new", data=_form(clinic))
    assert response.status_code == 302
    wave = db.session.execute(sa.select(SurveyWave)).scalar_one()
    assert [i.key for i in wave.instruments] == ["oric", "aim"] and len(wave.links) == 6
    assert {i.source for i in db.session.execute(sa.select(Instrument)).scalars()} == {"shipped"}
    tokens = [link.token for link in wave.links]
    assert len(set(tokens)) == 6 and all(len(t) == 32 for t in tokens)  # token_urlsafe(24)
    page = client.get(response.headers["Location"]).data.decode()
    for token in tokens:
        assert f"http://mio.test/s/{token}" in page
    assert 'data-copy="#link-1"' in page and "0%" in page and "(0 of 6 links submitted" in page
    download = client.get(f"/readiness/surveys/{wave.id}/links.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert [r["url"] for r in rows] == [f"http://mio.test/s/{t}" for t in tokens]
    assert {r["status"] for r in rows} == {"not_started"} and rows[0]["clinic"] == "SPR-1"
    assert [r["link_number"] for r in rows] == [str(n) for n in range(1, 7)]
    listing = client.get("/readiness/surveys").data.decode()
    assert "Spring readiness" in listing and "oric, aim" in listing


def test_response_rate_and_link_status_follow_respondents(client, login, director, make_wave, respond):
    wave = make_wave(n_links=4)
    respond(wave.links[0].token, [oric_answers(4), aim_answers(4)])
    respond(wave.links[1].token, [oric_answers(3), aim_answers(5)])
    client.post(f"/s/{wave.links[2].token}", data={"role": "clinician"})  # started, not submitted
    login(director)
    page = client.get(f"/readiness/surveys/{wave.id}").data.decode()
    assert "50%" in page and "(2 of 4 links submitted; 1 in progress)" in page
    rows = list(csv.DictReader(io.StringIO(client.get(f"/readiness/surveys/{wave.id}/links.csv").data
                                           .decode("utf-8-sig"))))
    assert [r["status"] for r in rows] == ["submitted", "submitted", "in_progress", "not_started"]
    assert "Respondents by role" not in page  # fewer than 3 submitted: no role counts
    assert services.wave_stats(wave).response_rate == 0.5


def test_bad_wave_input_rerenders_with_field_messages(client, login, director, clinic):
    login(director)
    today = services.survey_today()
    cases = [
        ({"instruments": []}, b"Choose at least one instrument."),
        ({"closes_on": (today - timedelta(days=1)).isoformat()}, b"The closing date must be on or after"),
        ({"n_links": "0"}, b"Issue between 1 and 300 links."),
        ({"n_links": "many"}, b"Not a valid integer value."),
        ({"opens_on": "next week"}, b"Give an opening date"),
        ({"clinic_id": "0"}, b"Choose a clinic."),
        ({"instruments": ["shipped:nope@1.0.0"]}, b"&#39;shipped:nope@1.0.0&#39; is not a valid choice"),
    ]
    for overrides, message in cases:
        response = client.post("/readiness/surveys/new", data=_form(clinic, **overrides))
        assert response.status_code == 400, overrides
        assert message in response.data, (overrides, response.data.decode()[:3000])
    assert db.session.execute(sa.select(sa.func.count(SurveyWave.id))).scalar() == 0
    assert db.session.execute(sa.select(sa.func.count(SurveyLink.id))).scalar() == 0


def test_closing_a_wave_stops_its_links(client, login, director, make_wave):
    wave = make_wave(n_links=2)
    token = wave.links[0].token
    assert client.get(f"/s/{token}").status_code == 200
    login(director)
    assert client.post(f"/readiness/surveys/{wave.id}/close").status_code == 302
    assert db.session.get(SurveyWave, wave.id).closed_at is not None
    assert b"closed" in client.get(f"/readiness/surveys/{wave.id}").data
    assert client.get(f"/s/{token}").status_code == 410


def test_rescore_reproduces_identical_numbers_and_repairs_a_tampered_score(client, login, director, make_wave,
                                                                           respond):
    wave = make_wave(n_links=3)
    respond(wave.links[0].token, [oric_answers(4, oric_01=5, oric_02=2), aim_answers(3, aim_01=5)])
    respond(wave.links[1].token, [oric_answers(2, oric_05=99, oric_09=1), aim_answers(4)])
    before = {(s.survey_response_id, s.subscale): (s.score, s.n_answered, s.rule_version)
              for s in db.session.execute(sa.select(Score)).scalars()}
    assert len(before) == 6
    login(director)
    response = client.post(f"/readiness/surveys/{wave.id}/rescore", follow_redirects=True)
    assert b"Re-scored 4 responses from their raw answers: 6 of 6 scores identical, 0 changed" in response.data
    db.session.expire_all()
    after = {(s.survey_response_id, s.subscale): (s.score, s.n_answered, s.rule_version)
             for s in db.session.execute(sa.select(Score)).scalars()}
    assert after == before
    tampered = db.session.execute(sa.select(Score).where(Score.subscale == "aim")).scalars().first()
    tampered.score = 1.0
    db.session.commit()
    response = client.post(f"/readiness/surveys/{wave.id}/rescore", follow_redirects=True)
    assert b"5 of 6 scores identical, 1 changed" in response.data
    db.session.expire_all()
    assert {(s.survey_response_id, s.subscale): (s.score, s.n_answered, s.rule_version)
            for s in db.session.execute(sa.select(Score)).scalars()} == before


def test_wave_pages_are_for_directors_and_admins_only(client, login, create_user, make_wave, clinic):
    wave = make_wave(n_links=1)
    staff = create_user(Role.AGENCY_STAFF, agency=clinic.agency)
    login(staff)
    for url in ("/readiness/surveys", "/readiness/surveys/new", f"/readiness/surveys/{wave.id}",
                f"/readiness/surveys/{wave.id}/links.csv", f"/readiness/surveys/{wave.id}/results",
                "/readiness/profiles", "/readiness/instruments", "/readiness/instruments/import"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/readiness/surveys/{wave.id}/close").status_code == 403
    home = client.get("/").data
    assert b"Readiness surveys" not in home and b"Instruments" not in home


def test_nav_shows_readiness_pages_to_the_director(client, login, director):
    login(director)
    home = client.get("/").data.decode()
    for label, url in (("Readiness surveys", "/readiness/surveys"), ("Readiness profiles", "/readiness/profiles"),
                       ("Instruments", "/readiness/instruments")):
        assert f'<a href="{url}">{label}</a>' in home


def test_admin_sees_waves_and_unknown_wave_is_404(client, login, create_user, make_wave):
    wave = make_wave(n_links=1)
    login(create_user(Role.ADMIN))
    assert client.get(f"/readiness/surveys/{wave.id}").status_code == 200
    assert client.get(f"/readiness/surveys/{wave.id + 100}").status_code == 404
    other = db.session.execute(sa.select(Instrument).where(Instrument.key == "aim")).scalar_one()
    assert client.get(f"/readiness/surveys/{wave.id}/instruments/{other.id + 50}/redcap-records.csv").status_code \
        == 404
