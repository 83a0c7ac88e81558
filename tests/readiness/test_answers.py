"""Raw form strings -> typed answers (readiness/answers.py)."""

from pathlib import Path

import pytest

from readiness.answers import coerce_answers
from readiness.instruments import load_instrument
from readiness.redcap import parse_data_dictionary
from readiness.scoring import score_response, validate_answers


@pytest.fixture(scope="module")
def leadership():
    path = Path(__file__).parent / "data" / "team_leadership_dictionary.csv"
    return parse_data_dictionary(path.read_text(encoding="utf-8"))


def test_form_strings_become_typed_answers(leadership):
    raw = {"survey_date": " 2026-03-02 ", "role": "99", "role_other": "Peer coach", "years_agency": "4",
           "fte": "0.5", "credentials": ["1", "3"], "supervises": "0", "lead_plan": "4", "fim_x": "1",
           "intro": "ignored", "credential_year": ""}
    assert coerce_answers(leadership, raw) == {
        "survey_date": "2026-03-02", "role": 99, "role_other": "Peer coach", "years_agency": 4, "fte": 0.5,
        "credentials": [1, 3], "supervises": 0, "lead_plan": 4, "fim_x": "1", "credential_year": None}


def test_unparseable_text_is_left_for_validation(leadership):
    typed = coerce_answers(leadership, {"years_agency": "four", "role": "7", "fte": "nan"})
    assert typed == {"years_agency": "four", "role": "7", "fte": "nan"}
    errors = validate_answers(leadership, typed)
    assert errors["years_agency"] == "'four' is not a number"
    assert errors["role"].startswith("'7' is not one of the options")


def test_oric_form_post_scores_like_typed_answers():
    oric = load_instrument("oric")
    raw = {f"oric_{i:02d}": str(v) for i, v in enumerate([4, 5, 3, 4, 2, 5, 3, 4, 4, 3, 5, 99], 1)}
    typed = coerce_answers(oric, raw)
    assert typed["oric_12"] == 99 and validate_answers(oric, typed) == {}
    # efficacy without item 12: (4+3+2+3+4+3)/6 = 19/6
    assert score_response(oric, typed)["change_efficacy"]["score"] == pytest.approx(19 / 6)
