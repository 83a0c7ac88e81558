"""The respondent's side, through the public pages at /s/<token>: no account, drafts, one submit, clear pages for
links that cannot be answered, server-side validation and branching."""

from datetime import UTC, datetime

import sqlalchemy as sa

from app.db import db
from readiness.surveys import library
from readiness.surveys import respond as respond_service
from readiness.surveys.models import Score, SurveyLink, SurveyResponse
from tests.load.driver import THANKS as LOAD_DRIVER_THANKS
from tests.readiness.surveys.support import AIM_REF, FIXTURE, ORIC_REF, aim_answers, oric_answers


def _responses(link_id=None):
    stmt = sa.select(SurveyResponse)
    if link_id:
        stmt = stmt.where(SurveyResponse.survey_link_id == link_id)
    return db.session.execute(stmt).scalars().all()


def test_welcome_page_shows_citation_licence_and_asks_role(client, make_wave):
    wave = make_wave()
    token = wave.issued_tokens[1]
    page = client.get(f"/s/{token}")
    assert page.status_code == 200
    text = page.data.decode()
    assert "Shea CM, Jacobs SR" in text and "CC BY" in text and "10.1186/1748-5908-9-7" in text
    assert "Weiner BJ" in text and "CC BY 4.0" in text
    assert 'name="role"' in text and "Supervisor" in text
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    missing = client.post(f"/s/{token}", data={})
    assert missing.status_code == 400 and b"Choose the role that fits best." in missing.data
    assert client.get(f"/s/{token}/1").status_code == 302  # no role yet: back to the welcome page
    wrong = client.post(f"/s/{token}", data={"role": "boss"})
    assert wrong.status_code == 400
    assert db.session.get(SurveyLink, wave.links[0].id).respondent_role is None


def test_draft_saved_and_restored_then_submitted_once(client, make_wave, respond):
    wave = make_wave()
    link = wave.links[0]
    token = wave.issued_tokens[1]
    assert client.post(f"/s/{token}", data={"role": "supervisor"}).status_code == 302
    # a partial draft: required questions may stay blank when saving for later
    saved = client.post(f"/s/{token}/1", data={"oric_01": "5", "oric_02": "99", "action": "save"})
    assert saved.status_code == 200 and b"Saved." in saved.data
    stored = _responses(link.id)
    assert len(stored) == 1 and stored[0].answers == {"oric_01": 5, "oric_02": 99} and stored[0].status == "draft"
    # coming back through the link shows the saved answers
    again = client.get(f"/s/{token}/1").data.decode()
    assert 'name="oric_01" value="5" checked' in again and 'name="oric_02" value="99" checked' in again
    # moving on needs every required answer
    incomplete = client.post(f"/s/{token}/1", data={"oric_01": "5", "action": "next"})
    assert incomplete.status_code == 400
    assert b"Please check 11 questions" in incomplete.data and b'href="#item-oric_12"' in incomplete.data
    assert _responses(link.id)[0].answers == {"oric_01": 5, "oric_02": 99}  # nothing half-saved
    assert client.post(f"/s/{token}/1", data={**oric_answers(4, oric_01=5), "action": "next"}).status_code == 302
    review = client.get(f"/s/{token}/review").data.decode()
    assert "ready" in review and "4 questions to answer or correct" in review
    refused = client.post(f"/s/{token}/submit")
    assert refused.status_code == 400 and b"Nothing was submitted" in refused.data
    assert db.session.get(SurveyLink, link.id).submitted_at is None
    assert client.post(f"/s/{token}/2", data={**aim_answers(3), "action": "next"}).headers["Location"].endswith(
        f"/s/{token}/review")
    done = client.post(f"/s/{token}/submit")
    assert done.status_code == 302
    thanks = client.get(f"/s/{token}")
    assert thanks.status_code == 200 and b"Thank you: your answers are in" in thanks.data
    assert LOAD_DRIVER_THANKS.encode() in thanks.data  # scripts/load-test.sh counts completions by this marker
    # a second submit (double click, back button) stores nothing new and thanks again
    second = client.post(f"/s/{token}/submit")
    assert second.status_code == 200 and b"Thank you: your answers are in" in second.data
    assert client.post(f"/s/{token}/1", data={**oric_answers(1), "action": "next"}).status_code == 200
    responses = _responses(link.id)
    assert len(responses) == 2 and {r.status for r in responses} == {"submitted"}
    oric = next(r for r in responses if r.instrument.key == "oric")
    assert oric.answers["oric_01"] == 5 and oric.answers["oric_02"] == 4  # the later POST changed nothing
    scores = {s.subscale: s for s in db.session.execute(sa.select(Score)).scalars()}
    assert scores["change_commitment"].score == 4.0 and scores["change_efficacy"].score == (5 + 4 * 6) / 7
    assert scores["aim"].score == 3.0 and scores["aim"].rule_version == "1.0"
    assert scores["aim"].instrument_version == "1.0.0" and scores["change_commitment"].n_answered == 5
    assert db.session.get(SurveyLink, link.id).respondent_role == "supervisor"


def test_out_of_range_and_unknown_answers_get_field_messages(client, make_wave):
    wave = make_wave(refs=(ORIC_REF,))
    token = wave.issued_tokens[1]
    client.post(f"/s/{token}", data={"role": "clinician"})
    bad = client.post(f"/s/{token}/1", data={**oric_answers(4, oric_03=7, oric_07="lots"), "action": "save"})
    assert bad.status_code == 400
    text = bad.data.decode()
    assert "Question 3: &#39;7&#39; is not one of the options [1, 2, 3, 4, 5, 99]" in text
    assert "Question 7: &#39;lots&#39; is not one of the options" in text
    assert 'id="f-oric_03-error"' in text and 'aria-invalid="true"' in text
    assert _responses() == []


def test_dont_know_counts_as_missing_in_scores(client, make_wave, respond):
    wave = make_wave(refs=(ORIC_REF,))
    respond(wave.issued_tokens[1], [oric_answers(5, oric_02=99, oric_04=99)])
    scores = {s.subscale: s for s in db.session.execute(sa.select(Score)).scalars()}
    # 2 of 5 commitment items unknown: 3 answered < ceil(0.8 * 5) = 4, so the subscale is missing, never 0
    assert scores["change_commitment"].score is None and scores["change_commitment"].n_answered == 3
    assert scores["change_efficacy"].score == 5.0


def test_links_that_cannot_be_answered_get_clear_pages(client, make_wave):
    closed = make_wave(n_links=1)
    closed.closed_at = datetime.now(UTC)
    expired = make_wave(n_links=1, opens_in=-20, closes_in=-1)
    scheduled = make_wave(n_links=1, opens_in=3, closes_in=10)
    db.session.commit()
    page = client.get(f"/s/{closed.issued_tokens[1]}")
    assert page.status_code == 410 and b"This survey is closed" in page.data
    assert client.post(f"/s/{closed.issued_tokens[1]}/1", data=oric_answers()).status_code == 410
    assert client.post(f"/s/{closed.issued_tokens[1]}/submit").status_code == 410
    page = client.get(f"/s/{expired.issued_tokens[1]}/1")
    assert page.status_code == 410 and b"closing date of this survey round has passed" in page.data
    page = client.get(f"/s/{scheduled.issued_tokens[1]}")
    assert page.status_code == 403 and b"This survey opens on" in page.data
    unknown = client.get("/s/not-a-real-token-at-all")
    assert unknown.status_code == 404 and b"This link is not valid" in unknown.data
    tampered = closed.issued_tokens[1][:-1] + ("A" if closed.issued_tokens[1][-1] != "A" else "B")
    assert client.get(f"/s/{tampered}").status_code == 404
    assert client.get("/s/" + "x" * 300).status_code == 404
    assert _responses() == []


def test_submitted_link_thanks_even_after_the_wave_closed(client, make_wave, respond):
    wave = make_wave(refs=(AIM_REF,))
    respond(wave.issued_tokens[1], [aim_answers(5)])
    wave.closed_at = datetime.now(UTC)
    db.session.commit()
    page = client.get(f"/s/{wave.issued_tokens[1]}")
    assert page.status_code == 200 and b"Thank you: your answers are in" in page.data


def test_branching_hidden_answers_are_ignored_by_the_server(client, make_wave, director):
    imported = library.import_dictionary(FIXTURE.read_text(encoding="utf-8"), user=director)
    wave = make_wave(refs=(f"db:{imported.id}",))
    token = wave.issued_tokens[1]
    client.post(f"/s/{token}", data={"role": "supervisor"})
    page = client.get(f"/s/{token}/1").data.decode()
    assert 'data-branching="[role] = &#39;99&#39;"' in page and "Record ID" not in page
    assert "<p>This survey asks how your team leader" in page and "&lt;p&gt;" not in page  # tags stripped
    answers = {"survey_date": "2026-03-02", "role": "1", "role_other": "should be dropped", "years_agency": "4",
               "supervises": "0", "n_supervisees": "3", "contact_ok": "0", "contact_email": "x@example.org",
               **{k: "3" for k in ("lead_plan", "lead_removes", "lead_knows", "lead_expert", "lead_recognizes",
                                   "lead_supports", "lead_persists", "lead_problems")}}
    # role_other is required, but hidden when role <> 99, so neither asked nor kept
    assert client.post(f"/s/{token}/1", data={**answers, "action": "next"}).status_code == 302
    stored = _responses()[0].answers
    assert "role_other" not in stored and "n_supervisees" not in stored and "contact_email" not in stored
    assert stored["role"] == 1 and stored["years_agency"] == 4 and stored["survey_date"] == "2026-03-02"
    # shown: role = 99 makes role_other required
    shown = client.post(f"/s/{token}/1", data={**answers, "role": "99", "role_other": "", "action": "next"})
    assert shown.status_code == 400 and b"role_other-error" in shown.data
    out_of_range = client.post(f"/s/{token}/1", data={**answers, "years_agency": "80", "action": "next"})
    assert out_of_range.status_code == 400 and b"80 is above the maximum 50" in out_of_range.data
    assert b'value="80"' in out_of_range.data  # what was typed stays in the field
    assert client.post(f"/s/{token}/submit").status_code == 302
    assert db.session.get(SurveyLink, wave.links[0].id).submitted_at is not None


def test_concurrent_submit_is_claimed_once(client, make_wave):
    """Two requests racing: the second holds a stale link (submitted_at still None in memory) and must not store."""
    wave = make_wave(refs=(AIM_REF,))
    link = wave.links[0]
    client.post(f"/s/{wave.issued_tokens[1]}", data={"role": "clinician"})
    client.post(f"/s/{wave.issued_tokens[1]}/1", data={**aim_answers(4), "action": "next"})
    link = db.session.get(SurveyLink, link.id)
    assert link.submitted_at is None
    db.session.execute(sa.update(SurveyLink).where(SurveyLink.id == link.id)  # the other request wins
                       .values(submitted_at=datetime.now(UTC)).execution_options(synchronize_session=False))
    assert respond_service.submit(link) is False
    assert db.session.execute(sa.select(sa.func.count(Score.id))).scalar() == 0
    assert [r.status for r in _responses(link.id)] == ["draft"]
