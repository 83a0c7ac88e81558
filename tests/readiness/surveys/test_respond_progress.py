"""Respondents see where they are and what they answered (issue 16.7): a progress indicator on surveys of several
parts (part n of N, a progress bar, the steps with aria-current), and a review page that lists every question asked
with the answer as the respondent read it, each part linking back to change it, before anything is submitted."""

from __future__ import annotations

import re

from readiness.surveys import library
from readiness.surveys.layout import NOT_ANSWERED, answer_summary
from tests.readiness.surveys.support import AIM_REF, FIXTURE, ORIC_REF, aim_answers, oric_answers


def _steps(html: str) -> list[str]:
    nav = html[html.index('<nav class="survey-progress"'):]
    nav = nav[:nav.index("</nav>")]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", li)).strip()
            for li in re.findall(r"<li[^>]*>(.*?)</li>", nav, re.S)]


def test_progress_shows_the_part_the_steps_and_what_is_ready(client, make_wave):
    wave = make_wave(refs=(ORIC_REF, AIM_REF))
    token = wave.issued_tokens[1]
    client.post(f"/s/{token}", data={"role": "clinician"})
    first = client.get(f"/s/{token}/1").data.decode()
    assert "Spring wave · part 1 of 2" in first
    assert '<progress max="3" value="1" aria-labelledby="progress-label">step 1 of 3</progress>' in first
    assert re.search(r'<li class="current" aria-current="step">', first)
    assert _steps(first) == [
        "1 Organizational Readiness for Implementing Change (ORIC) (this part)",
        "2 Acceptability of Intervention Measure (AIM) (not finished)",
        "3 Review and submit"]
    assert client.post(f"/s/{token}/1", data={**oric_answers(4), "action": "next"}).status_code == 302
    second = client.get(f"/s/{token}/2").data.decode()
    assert "part 2 of 2" in second and 'value="2" aria-labelledby' in second
    assert _steps(second)[0] == "✓ Organizational Readiness for Implementing Change (ORIC) (ready)"
    assert _steps(second)[1].endswith("(this part)")
    review = client.get(f"/s/{token}/review").data.decode()
    assert "review: 1 of 2 parts ready" in review and 'value="3" aria-labelledby' in review
    assert _steps(review)[-1] == "3 Review and submit"
    assert review.count('aria-current="step"') == 1


def test_a_single_part_survey_has_no_step_list(client, make_wave):
    wave = make_wave(refs=(AIM_REF,))
    token = wave.issued_tokens[1]
    client.post(f"/s/{token}", data={"role": "clinician"})
    page = client.get(f"/s/{token}/1").data.decode()
    assert "part 1 of 1" in page and "<progress" not in page and "survey-steps" not in page


def test_review_lists_questions_and_answers_with_links_back_before_submit(client, make_wave):
    wave = make_wave(refs=(ORIC_REF, AIM_REF))
    token = wave.issued_tokens[1]
    client.post(f"/s/{token}", data={"role": "supervisor"})
    client.post(f"/s/{token}/1", data={**oric_answers(4, oric_01=5, oric_02=99), "action": "next"})
    client.post(f"/s/{token}/2", data={"aim_01": "2", "action": "save"})  # a draft: three AIM answers missing
    review = client.get(f"/s/{token}/review").data.decode()
    answers = review[review.index("<h2>Your answers</h2>"):]
    # ORIC's labels (agreement_oric_5) and its don't-know label, as the respondent read them on the page
    assert re.search(r"<dt><span class=\"item-number\">1\.</span> People who work here feel confident that the "
                     r"organization can get people invested in implementing this change\.</dt>\s*<dd>Agree</dd>",
                     answers)
    assert "<dd>Don&#39;t know / not applicable</dd>" in answers
    assert answers.count("<dd>Somewhat agree</dd>") == 10
    # AIM (agreement_weiner_5): one answer, three not answered and marked required
    assert re.search(r"MIO meets my approval\.</dt>\s*<dd>Disagree</dd>", answers)
    assert answers.count(f'<dd class="unanswered">{NOT_ANSWERED} (required)</dd>') == 3
    for number in (1, 2):
        assert f'href="/s/{token}/{number}">Change answers in part {number}<span class="visually-hidden">' in answers
    assert answers.index("Organizational Readiness") < answers.index("Acceptability of Intervention")
    # the review shows; nothing is submitted until the respondent says so
    refused = client.post(f"/s/{token}/submit")
    assert refused.status_code == 400 and b"Nothing was submitted" in refused.data
    assert b"<h2>Your answers</h2>" in refused.data  # the answers stay in view beside the refusal
    client.post(f"/s/{token}/2", data={**aim_answers(3), "action": "next"})
    assert client.post(f"/s/{token}/submit").status_code == 302


def test_answer_summary_leaves_out_hidden_and_descriptive_items_and_joins_checkboxes(director, app_ctx):
    """On the REDCap dictionary fixture: ``role_other`` shows only when role = 99 (branching), descriptive text is
    not a question, a yes/no reads Yes/No."""
    definition = library.import_dictionary(FIXTURE.read_text(encoding="utf-8"), user=director).definition
    rows = {r["key"]: r for r in answer_summary(definition, {"role": 1, "supervises": 0, "lead_plan": 3})}
    assert "role_other" not in rows and "n_supervisees" not in rows
    assert all(item["key"] in rows or item["type"] in ("descriptive", "data") or item.get("branching")
               or item["key"] == "record_id" for item in definition["items"])
    assert rows["supervises"]["answer"] == "No" and rows["years_agency"]["answer"] == NOT_ANSWERED
    role = next(i for i in definition["items"] if i["key"] == "role")
    assert rows["role"]["answer"] == next(c["label"] for c in role["choices"] if str(c["value"]) == "1")
    shown = {r["key"] for r in answer_summary(definition, {"role": 99})}
    assert "role_other" in shown
    checkbox = {"key": "cb", "text": "Which apply?", "type": "checkbox",
                "choices": [{"value": 1, "label": "<b>One</b>"}, {"value": 2, "label": "Two"}]}
    rows = answer_summary({"items": [checkbox]}, {"cb": [1, 2]})
    assert rows == [{"key": "cb", "number": None, "question": "Which apply?", "answer": "One; Two", "answered": True}]
