"""The director's wave pages through the client: open a wave with the real form, copy links, download them as CSV,
close and re-score; bad input re-renders with field messages; other roles are kept out."""

import csv
import io
import re
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


URL = re.compile(r'<code class="token" id="link-(\d+)">http://mio\.test/s/([A-Za-z0-9_-]+)</code>')
HIDDEN = re.compile(r'<input type="hidden" name="token" value="([^"]+)">')


def _issued(page: str) -> dict[int, str]:
    return {int(number): token for number, token in URL.findall(page)}


def _csv(response) -> list[dict]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_director_opens_a_wave_and_gets_copyable_links_and_csv_once(client, login, director, clinic):
    """Issue 14 item 9: links are shown once, on the page that issues them; only their hashes are stored."""
    login(director)
    page = client.get("/readiness/surveys/new")
    assert page.status_code == 200 and b"shipped:oric@1.0.0" in page.data and b"SPR-1" in page.data
    response = client.post("/readiness/surveys/new", data=_form(clinic))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    assert "with 6 respondent links" in text and "These links are shown only now" in text
    wave = db.session.execute(sa.select(SurveyWave)).scalar_one()
    assert [i.key for i in wave.instruments] == ["oric", "aim"] and len(wave.links) == 6
    assert {i.source for i in db.session.execute(sa.select(Instrument)).scalars()} == {"shipped"}
    tokens = _issued(text)
    assert sorted(tokens) == list(range(1, 7)) and len(set(tokens.values())) == 6
    assert all(len(t) == 32 for t in tokens.values())  # token_urlsafe(24)
    assert 'data-copy="#link-1"' in text
    # the database holds the hashes only
    assert "token" not in sa.inspect(db.engine).get_columns("survey_link").__repr__().replace("token_hash", "")
    for link in wave.links:
        assert link.token_hash == services.token_hash(tokens[link.number])
    # the CSV of the page that issued them, from the tokens it posts back
    assert HIDDEN.findall(text) == [tokens[n] for n in sorted(tokens)]
    rows = _csv(client.post(f"/readiness/surveys/{wave.id}/links.csv", data={"token": HIDDEN.findall(text)}))
    assert [r["url"] for r in rows] == [f"http://mio.test/s/{tokens[n]}" for n in range(1, 7)]
    assert {r["status"] for r in rows} == {"not_started"} and rows[0]["clinic"] == "SPR-1"
    assert [r["link_number"] for r in rows] == [str(n) for n in range(1, 7)]
    forged = client.post(f"/readiness/surveys/{wave.id}/links.csv", data={"token": ["made-up-token"]})
    assert forged.status_code == 400
    # later, the wave page and its CSV show numbers and statuses, never a link
    later = client.get(f"/readiness/surveys/{wave.id}").get_data(as_text=True)
    assert "(0 of 6 links submitted" in later and "0%" in later
    assert not any(token in later for token in tokens.values()) and "/s/" not in later
    rows = _csv(client.get(f"/readiness/surveys/{wave.id}/links.csv"))
    assert "url" not in rows[0] and [r["link_number"] for r in rows] == [str(n) for n in range(1, 7)]
    listing = client.get("/readiness/surveys").data.decode()
    assert "Spring readiness" in listing and "oric, aim" in listing


def test_reissued_links_replace_the_old_ones_and_keep_the_drafts(client, login, director, make_wave, respond):
    wave = make_wave(refs=(AIM_REF,), n_links=4)
    old = dict(wave.issued_tokens)
    respond(old[1], [aim_answers(5)])  # submitted: never re-issued
    client.post(f"/s/{old[2]}", data={"role": "supervisor"})  # started: keeps her draft
    login(director)
    response = client.post(f"/readiness/surveys/{wave.id}/reissue", data={"numbers": ""})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    new = _issued(text)
    assert sorted(new) == [2, 3, 4] and "Re-issued 3 links" in text
    assert client.get(f"/s/{old[2]}").status_code == 404 and client.get(f"/s/{old[3]}").status_code == 404
    resumed = client.get(f"/s/{new[2]}")
    assert resumed.status_code == 200 and b"Welcome back" in resumed.data
    assert client.get(f"/s/{old[1]}").status_code == 200  # the submitted link still thanks
    one = _issued(client.post(f"/readiness/surveys/{wave.id}/reissue", data={"numbers": "4"}).get_data(as_text=True))
    assert sorted(one) == [4] and client.get(f"/s/{new[4]}").status_code == 404


def test_reissue_names_a_bad_link_number(client, login, director, make_wave, respond):
    wave = make_wave(refs=(AIM_REF,), n_links=3)
    respond(wave.issued_tokens[1], [aim_answers(5)])
    login(director)
    hashes = [link.token_hash for link in wave.links]
    for numbers, message in (("9", "This wave has no link number 9 (it has 1 to 3)."),
                             ("1", "Link 1 is already submitted; it is not re-issued."),
                             ("2-x", "“2-x” is not a link number or a range such as 3-5."),
                             ("3-2", "“3-2” is not a range from a lower to a higher link number.")):
        response = client.post(f"/readiness/surveys/{wave.id}/reissue", data={"numbers": numbers})
        assert response.status_code == 400 and message in response.get_data(as_text=True), numbers
    db.session.expire_all()
    assert [link.token_hash for link in db.session.get(SurveyWave, wave.id).links] == hashes  # nothing changed


def test_parse_link_numbers():
    assert services.parse_link_numbers(" 1, 3-5 ;7") == [1, 3, 4, 5, 7]
    assert services.parse_link_numbers("  ") is None


def test_response_rate_and_link_status_follow_respondents(client, login, director, make_wave, respond):
    wave = make_wave(n_links=4)
    respond(wave.issued_tokens[1], [oric_answers(4), aim_answers(4)])
    respond(wave.issued_tokens[2], [oric_answers(3), aim_answers(5)])
    client.post(f"/s/{wave.issued_tokens[3]}", data={"role": "clinician"})  # started, not submitted
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
    token = wave.issued_tokens[1]
    assert client.get(f"/s/{token}").status_code == 200
    login(director)
    assert client.post(f"/readiness/surveys/{wave.id}/close").status_code == 302
    assert db.session.get(SurveyWave, wave.id).closed_at is not None
    assert b"closed" in client.get(f"/readiness/surveys/{wave.id}").data
    assert client.get(f"/s/{token}").status_code == 410


def test_rescore_reproduces_identical_numbers_and_repairs_a_tampered_score(client, login, director, make_wave,
                                                                           respond):
    wave = make_wave(n_links=3)
    respond(wave.issued_tokens[1], [oric_answers(4, oric_01=5, oric_02=2), aim_answers(3, aim_01=5)])
    respond(wave.issued_tokens[2], [oric_answers(2, oric_05=99, oric_09=1), aim_answers(4)])
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
    """Managing waves is the director's; agency staff read only their own clinics' aggregated results and profiles
    (issue 16.6: tests/readiness/surveys/test_agency_results.py), never the links or the wave's page."""
    wave = make_wave(n_links=1)
    staff = create_user(Role.AGENCY_STAFF, agency=clinic.agency)
    login(staff)
    for url in ("/readiness/surveys", "/readiness/surveys/new", f"/readiness/surveys/{wave.id}",
                f"/readiness/surveys/{wave.id}/links.csv", "/readiness/instruments", "/readiness/instruments/import"):
        assert client.get(url).status_code == 403, url
    for url in (f"/readiness/surveys/{wave.id}/results", "/readiness/profiles"):
        assert client.get(url).status_code == 200, url
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
