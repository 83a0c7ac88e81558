"""Scoring an imported REDCap instrument in the UI: subscales saved as a new version (validated like the shipped
files, errors naming the field, nothing half-saved), answers collected through wave links and scored by hand,
waves of the unscored version moved onto it and re-scored, the subscales in wave results and the readiness profile,
the audit trail, and the page closed to staff roles."""

import csv
import io

import pytest
import sqlalchemy as sa

from app.db import db
from app.models import AuditEvent, Role
from readiness.instruments import InstrumentDefinitionError, scorable_items
from readiness.scoring import score_response
from readiness.surveys import instrument_versions, library
from readiness.surveys.models import Instrument, Score, SurveyResponse
from readiness.surveys.profile_service import wave_results
from readiness.surveys.results import n_options, score_range
from tests.readiness.surveys.support import FIXTURE

KEY = "team_leadership_survey"
PLANNING = ("lead_plan", "lead_removes", "lead_knows", "lead_expert")
SUPPORT = ("lead_recognizes", "lead_supports", "lead_persists", "lead_problems")
OTHER_ANSWERS = {"survey_date": "2026-03-02", "role": "1", "years_agency": "4", "supervises": "0",
                 "contact_ok": "0"}


def _leadership(planning, support) -> dict:
    return {**OTHER_ANSWERS, **{k: str(v) for k, v in zip(PLANNING + SUPPORT, (*planning, *support), strict=True)}}


def _scoring_form(**overrides) -> dict:
    """The page's fields for two subscales: planning (4 items, no reverse item, mean, 0.75 -> 3 of 4 needed,
    innovation-specific capacity) and support (4 items, lead_problems reverse-scored, mean, 0.8 -> 4 of 4 needed,
    general capacity)."""
    data = {"dont_know_code": "", "changes": "",
            "sub1_key": "planning", "sub1_label": "Leader planning", "sub1_items": list(PLANNING),
            "sub1_method": "mean", "sub1_min_answered_share": "0.75",
            "sub1_profile_component": "innovation_specific_capacity",
            "sub2_key": "support", "sub2_label": "Leader support", "sub2_items": list(SUPPORT),
            "sub2_reverse_items": ["lead_problems"], "sub2_method": "mean", "sub2_min_answered_share": "0.8",
            "sub2_profile_component": "general_capacity",
            "sub3_key": "", "sub3_label": "", "sub3_method": "mean", "sub3_min_answered_share": "0.8"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _count(model) -> int:
    return db.session.execute(sa.select(sa.func.count(model.id))).scalar()


def _scores(wave) -> dict[int, dict[str, float | None]]:
    """{link number: {subscale: score}} of the wave's imported-instrument responses."""
    out: dict[int, dict] = {}
    for link in wave.links:
        for response in link.responses:
            if response.instrument.key == KEY:
                out[link.number] = {s.subscale: s.score for s in response.scores}
    return out


def test_define_scoring_collect_and_profile(client, login, director, make_wave, respond):
    login(director)
    imported = library.import_dictionary(FIXTURE.read_text(), user=director)
    assert imported.version == "1.0.0" and imported.definition["subscales"] == []
    # a wave asks the unscored version: its answers are stored, never scored
    old_wave = make_wave(refs=(f"db:{imported.id}",), n_links=3, title="Before scoring")
    for token in old_wave.issued_tokens.values():
        respond(token, [_leadership((3, 3, 3, 3), (3, 3, 3, 3))])
    assert _count(Score) == 0

    page = client.get(f"/readiness/instruments/{KEY}/1.0.0/scoring")
    assert page.status_code == 200
    html = page.data.decode()
    assert 'name="sub1_items" type="checkbox" value="lead_plan"' in html
    assert 'value="role_other"' not in html  # a text item is not offered
    response = client.post(f"/readiness/instruments/{KEY}/1.0.0/scoring", data=_scoring_form())
    assert response.status_code == 302, response.data.decode()[:3000]
    assert response.headers["Location"].endswith(f"/readiness/instruments/{KEY}/1.1.0/waves")

    # a new version; the version the old answers were collected with is unchanged
    db.session.expire_all()
    versions = db.session.execute(sa.select(Instrument).where(Instrument.key == KEY).order_by(Instrument.id)).scalars().all()
    assert [v.version for v in versions] == ["1.0.0", "1.1.0"]
    assert versions[0].definition["subscales"] == []
    scored = versions[1]
    assert scored.definition["items"] == versions[0].definition["items"]
    assert [(s["key"], s["items"], s["reverse_items"], s["score"], s["profile_component"])
            for s in scored.definition["subscales"]] == [
        ("planning", list(PLANNING), [], {"method": "mean", "min_answered_share": 0.75}, "innovation_specific_capacity"),
        ("support", list(SUPPORT), ["lead_problems"], {"method": "mean", "min_answered_share": 0.8},
         "general_capacity")]
    assert scored.definition["history"][-1]["version"] == "1.1.0" and scored.imported_by_id == director.id
    # the audit trail has the new version, by the director
    event = db.session.execute(sa.select(AuditEvent).where(
        AuditEvent.entity == "instrument", AuditEvent.entity_id == str(scored.id))).scalar_one()
    assert event.action == "create" and event.user_id == director.id
    assert event.changes["version"]["new"] == "1.1.0"

    # new waves are offered the new version only
    form = client.get("/readiness/surveys/new").data.decode()
    assert f'value="db:{scored.id}"' in form and f'value="db:{imported.id}"' not in form

    # answers collected through wave links, scored at submission; by hand (rule 1.0, items 0-4):
    #   planning = mean of the 4 items; support = mean with lead_problems reversed as 4 + 0 - x
    wave = make_wave(refs=(f"db:{scored.id}",), n_links=3, title="After scoring")
    answers = [((4, 3, 2, 1), (4, 4, 3, 0)),   # planning 10/4 = 2.5;  support (4+4+3+(4-0))/4 = 15/4 = 3.75
               ((2, 2, 2, 2), (1, 2, 3, 4)),   # planning 8/4 = 2.0;   support (1+2+3+(4-4))/4 = 6/4 = 1.5
               ((0, 1, 3, 4), (3, 3, 3, 2))]   # planning 8/4 = 2.0;   support (3+3+3+(4-2))/4 = 11/4 = 2.75
    for token, (planning, support) in zip(wave.issued_tokens.values(), answers, strict=True):
        assert respond(token, [_leadership(planning, support)]).status_code == 302
    db.session.expire_all()
    assert _scores(wave) == {1: {"planning": 2.5, "support": 3.75}, 2: {"planning": 2.0, "support": 1.5},
                             3: {"planning": 2.0, "support": 2.75}}
    # wave results: clinic means (2.5 + 2 + 2)/3 = 13/6 and (3.75 + 1.5 + 2.75)/3 = 8/3
    rows = {r["subscale"]: r for r in wave_results(wave, director)[0]["subscales"]}
    assert rows["planning"]["n"] == 3 and rows["planning"]["mean"] == pytest.approx(13 / 6)
    assert rows["support"]["mean"] == pytest.approx(8 / 3)
    results = client.get(f"/readiness/surveys/{wave.id}/results").data.decode()
    assert "Leader planning" in results and "Leader support" in results

    # the readiness profile: one row per subscale, under its R = MC^2 component; band on the 0-4 range
    # (13/6 on 0-4 is 1 + 4 * (13/6)/4 = 3.17 on 1-5: developing)
    export = client.get("/readiness/profiles/export.csv").data.decode("utf-8-sig")
    profile = {(r["Level"], r["Subscale key"]): r
               for r in csv.DictReader(io.StringIO(export)) if r["Instrument"] == KEY}
    planning_row, support_row = profile[("clinic", "planning")], profile[("clinic", "support")]
    assert planning_row["Component"] == "innovation_specific_capacity" and planning_row["n scored"] == "3"
    assert float(planning_row["Mean"]) == pytest.approx(13 / 6) and planning_row["Band (heuristic)"] == "developing"
    assert support_row["Component"] == "general_capacity" and float(support_row["Mean"]) == pytest.approx(8 / 3)
    assert planning_row["Wave id"] == str(wave.id)

    # the wave of the unscored version asked the same items: offered, then moved and re-scored through the
    # rescore service; all answers 3: planning 3, support (3+3+3+(4-3))/4 = 2.5
    versions_page = client.get(f"/readiness/instruments/{KEY}/1.1.0/waves").data.decode()
    assert "Before scoring" in versions_page and "asked version 1.0.0, 3 submitted responses" in versions_page
    moved = client.post(f"/readiness/instruments/{KEY}/1.1.0/waves", data={"waves": [str(old_wave.id)]})
    assert moved.status_code == 302
    db.session.expire_all()
    assert _scores(old_wave) == {n: {"planning": 3.0, "support": 2.5} for n in (1, 2, 3)}
    assert {r.instrument_id for r in db.session.execute(
        sa.select(SurveyResponse)).scalars()} == {scored.id}
    assert {i.id for i in old_wave.instruments} == {scored.id}
    assert versions[0].definition["subscales"] == []  # still the definition it was


def test_bad_scoring_inputs_are_400_naming_the_field_and_save_nothing(client, login, director):
    login(director)
    library.import_dictionary(FIXTURE.read_text(), user=director)
    url = f"/readiness/instruments/{KEY}/1.0.0/scoring"
    cases = [
        ({"sub1_items": ["lead_plan", "role_other"]}, "sub1_items",
         "subscales[0].items[1]: item &#39;role_other&#39; of type text cannot be scored"),
        ({"sub2_reverse_items": ["lead_plan"]}, "sub2_reverse_items",
         "subscales[1].reverse_items[0]: &#39;lead_plan&#39; is not an item of this subscale"),
        ({"sub1_key": "Bad Key"}, "sub1_key", "subscales[0].key: &#39;Bad Key&#39; must be lower-case"),
        ({"sub2_key": "planning"}, "sub2_key", "subscales[1].key: duplicate subscale key"),
        ({"sub2_label": ""}, "sub2_label", "subscales[1].label: must not be empty"),
        ({"sub1_items": []}, "sub1_items", "subscales[0].items: must list at least one item"),
        ({"sub1_profile_component": "charisma"}, "sub1_profile_component",
         "subscales[0].profile_component: unknown component &#39;charisma&#39;"),
        ({"sub2_method": "median"}, "sub2_method", "subscales[1].score.method: unknown method &#39;median&#39;"),
        ({"sub1_min_answered_share": "1.5"}, "sub1_min_answered_share",
         "subscales[0].score.min_answered_share: must be in (0, 1]"),
        ({"sub1_min_answered_share": ""}, "sub1_min_answered_share",
         "subscales[0].score.min_answered_share: must be int or float"),
        ({"dont_know_code": "dk"}, "dont_know_code", "dont_know_code: must be an integer code or null"),
        ({"sub1_key": "", "sub1_label": "", "sub1_items": [], "sub2_key": "", "sub2_label": "", "sub2_items": [],
          "sub2_reverse_items": []}, "sub1_key", "define at least one subscale"),
    ]
    for overrides, field, message in cases:
        response = client.post(url, data=_scoring_form(**overrides))
        html = response.data.decode()
        assert response.status_code == 400, (overrides, html[:2000])
        assert f'id="{field}-error"' in html and message in html, (field, message)
        assert "Nothing was saved." in html
    assert _count(Instrument) == 1
    # the same scoring twice is refused as no change; an older version cannot be the base
    assert client.post(url, data=_scoring_form()).status_code == 302
    again = client.post(f"/readiness/instruments/{KEY}/1.1.0/scoring", data=_scoring_form())
    assert again.status_code == 400 and "the same as version 1.1.0" in again.data.decode()
    stale = client.post(url, data=_scoring_form(sub1_label="Planning"))
    assert stale.status_code == 400 and "define the scoring on version 1.1.0" in stale.data.decode()
    assert _count(Instrument) == 2
    # shipped instruments are not scored here; unknown versions are 404
    assert client.get("/readiness/instruments/oric/1.0.0/scoring").status_code == 404
    assert client.get(f"/readiness/instruments/{KEY}/9.9.9/scoring").status_code == 404
    assert client.get(f"/readiness/instruments/{KEY}/1.0.0/scoring?blocks=99").status_code == 400


@pytest.mark.parametrize("role", [Role.AGENCY_STAFF, Role.TRIAL_STAFF, Role.ANALYST, Role.FIDELITY_CODER])
def test_staff_roles_cannot_reach_the_scoring_pages(client, login, director, create_user, role):
    library.import_dictionary(FIXTURE.read_text(), user=director)
    login(create_user(role))
    for url in (f"/readiness/instruments/{KEY}/1.0.0/scoring", f"/readiness/instruments/{KEY}/1.0.0/waves"):
        assert client.get(url).status_code in (403, 404)
        assert client.post(url, data=_scoring_form()).status_code in (403, 404)
    assert _count(Instrument) == 1


def test_waves_that_asked_other_items_are_explained_not_moved(client, login, director, make_wave, respond):
    login(director)
    first = library.import_dictionary(FIXTURE.read_text(), user=director)
    wave = make_wave(refs=(f"db:{first.id}",), n_links=3, title="First edition")
    respond(wave.issued_tokens[1], [_leadership((1, 1, 1, 1), (1, 1, 1, 1))])
    changed = FIXTURE.read_text().replace("clears obstacles", "removes obstacles")
    library.import_dictionary(changed, user=director)  # 2.0.0: lead_removes reworded
    assert client.post(f"/readiness/instruments/{KEY}/2.0.0/scoring", data=_scoring_form()).status_code == 302
    page = client.get(f"/readiness/instruments/{KEY}/2.1.0/waves").data.decode()
    assert "cannot be re-scored under version 2.1.0" in page and "items that differ: lead_removes" in page
    refused = client.post(f"/readiness/instruments/{KEY}/2.1.0/waves", data={"waves": [str(wave.id)]})
    assert refused.status_code == 400 and "whose items differ (lead_removes)" in refused.data.decode()
    assert _count(Score) == 0
    db.session.expire_all()
    assert {i.id for i in wave.instruments} == {first.id}


def test_dont_know_choice_of_an_imported_radio_item_is_missing_and_outside_the_range(app_ctx, director):
    """A dictionary item ``0..4 | 9, Don't know``: with dont_know_code 9, 9 is missing (not a value), the range
    for reverse keying is 0-4 (not 0-9), and the 0.75 rule counts it as unanswered."""
    imported = library.import_dictionary(FIXTURE.read_text().replace(
        '"0, Not at all | 1, Slight extent | 2, Moderate extent | 3, Great extent | 4, Very great extent"',
        '"0, Not at all | 1, Slight extent | 2, Moderate extent | 3, Great extent | 4, Very great extent | '
        '9, Don\'t know"'), user=director)
    assert {i["key"] for i in scorable_items(imported.definition)} >= set(PLANNING)
    subscales = [{"key": "planning", "label": "Planning", "items": list(PLANNING), "reverse_items": ["lead_expert"],
                  "score": {"method": "mean", "min_answered_share": 0.75}, "profile_component": "motivation"}]
    row = instrument_versions.define_scoring(imported, subscales, 9, user=director)
    d = row.definition
    # by hand: 4, 3, 9 (missing), lead_expert 1 reversed as 4 + 0 - 1 = 3 -> (4 + 3 + 3)/3 = 10/3, 3 of 4 >= ceil(3)
    result = score_response(d, {"lead_plan": 4, "lead_removes": 3, "lead_knows": 9, "lead_expert": 1})["planning"]
    assert result["score"] == pytest.approx(10 / 3) and result["n_answered"] == 3
    # two don't-knows: 2 of 4 answered < 3 -> missing, never 0 or 9
    assert score_response(d, {"lead_plan": 4, "lead_removes": 9, "lead_knows": 9, "lead_expert": 1})[
        "planning"]["score"] is None
    # the subscale's range (its band) and its number of options (rwg(j)) leave the code out: 0-4, 5 options
    assert score_range(d, d["subscales"][0]) == (0.0, 4.0) and n_options(d, d["subscales"][0]) == 5
    # the validator behind the page names the field
    with pytest.raises(InstrumentDefinitionError, match=r"subscales\[0\]\.label: must not be empty"):
        instrument_versions.scoring_definition(d, [{**subscales[0], "label": " "}], 9)
