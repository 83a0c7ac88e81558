"""Versioned scoring (readiness/scoring.py): hand-computed scores, the 80% rule, don't-know, reverse keying,
the vectorised path and answer validation."""

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from readiness.instruments import InstrumentDefinitionError, load_instrument, validate_definition
from readiness.redcap import parse_data_dictionary
from readiness.scoring import (
    SCORING_RULE_VERSION,
    ScoringError,
    answered_rule,
    min_answered,
    score_matrix,
    score_response,
    validate_answers,
)

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def oric():
    return load_instrument("oric")


def oric_answers(values):
    return {f"oric_{i:02d}": v for i, v in enumerate(values, 1)}


def test_min_answered_is_ceil_of_80_percent():
    # ceil(0.8*4)=ceil(3.2)=4, ceil(0.8*5)=4, ceil(0.8*7)=ceil(5.6)=6, ceil(0.8*12)=ceil(9.6)=10
    assert [min_answered(0.8, k) for k in (4, 5, 7, 12)] == [4, 4, 6, 10]


def test_oric_hand_computed(oric):
    #            1  2  3  4  5  6  7  8  9 10 11 12
    answers = oric_answers([4, 5, 3, 4, 2, 5, 3, 4, 4, 3, 5, 2])
    result = score_response(oric, answers)
    # commitment items 2,4,6,9,11: 5+4+5+4+5 = 23 / 5 = 4.6
    assert result["change_commitment"]["score"] == pytest.approx(4.6)
    # efficacy items 1,3,5,7,8,10,12: 4+3+2+3+4+3+2 = 21 / 7 = 3.0
    assert result["change_efficacy"]["score"] == pytest.approx(3.0)
    assert result["change_efficacy"]["n_answered"] == 7 and result["change_efficacy"]["n_items"] == 7
    assert result["change_commitment"]["rule_version"] == SCORING_RULE_VERSION
    assert result["change_commitment"]["instrument_version"] == "1.0.0"


def test_dont_know_is_missing_and_80_percent_rule(oric):
    answers = oric_answers([4, 99, 3, None, 2, 5, 3, 4, 4, 3, 5, 99])
    result = score_response(oric, answers)
    # commitment: item 2 don't know, item 4 blank -> 3 of 5 answered < 4 needed -> missing
    assert result["change_commitment"] == {**result["change_commitment"], "score": None, "missing": True,
                                           "n_answered": 3}
    # efficacy: item 12 don't know -> 6 of 7 answered >= 6 -> (4+3+2+3+4+3)/6 = 19/6; never scored as 0 or 99
    assert result["change_efficacy"]["score"] == pytest.approx(19 / 6)
    assert not result["change_efficacy"]["missing"]


def reversed_definition():
    return validate_definition({
        "key": "demo", "version": "1.0.0", "title": "Demo", "citation": "-", "license": "-", "instructions": "-",
        "response_scales": {"five": [{"value": v, "label": str(v)} for v in range(1, 6)]},
        "items": [{"key": f"q{i}", "text": f"q{i}", "type": "likert", "scale": "five", "required": False}
                  for i in range(1, 5)] + [{"key": "q5", "text": "q5", "type": "integer", "min": 0, "max": 4,
                                            "reverse": True}],
        "subscales": [
            {"key": "a", "label": "A", "items": ["q1", "q2", "q3", "q4"], "reverse_items": ["q2"],
             "score": {"method": "mean", "min_answered_share": 0.8}},
            {"key": "tcu", "label": "T", "items": ["q1", "q2", "q3", "q4"], "reverse_items": ["q2"],
             "score": {"method": "mean_x10", "min_answered_share": 0.8}},
            {"key": "total", "label": "S", "items": ["q1", "q3", "q5"], "reverse_items": [],
             "score": {"method": "sum", "min_answered_share": 0.6}},
        ],
        "scoring_version": "1.0",
    })


def test_reverse_keying_and_methods():
    d = reversed_definition()
    result = score_response(d, {"q1": 5, "q2": 2, "q3": 4, "q4": 3, "q5": 1})
    # q2 reversed on 1..5: 5 + 1 - 2 = 4 -> (5 + 4 + 4 + 3) / 4 = 4.0
    assert result["a"]["score"] == pytest.approx(4.0)
    assert result["tcu"]["score"] == pytest.approx(40.0)
    # q5 reversed on 0..4 by its item flag: 4 + 0 - 1 = 3; sum = 5 + 4 + 3 = 12
    assert result["total"]["score"] == pytest.approx(12.0)
    # prorated sum with q3 missing: 2 of 3 answered >= ceil(0.6*3)=2: mean (5+3)/2 = 4 x 3 = 12
    assert score_response(d, {"q1": 5, "q5": 1})["total"]["score"] == pytest.approx(12.0)


def test_out_of_range_answer_is_rejected(oric):
    with pytest.raises(ScoringError, match="item oric_03: answer 6 is not one of the options"):
        score_response(oric, oric_answers([4, 4, 6, 4, 4, 4, 4, 4, 4, 4, 4, 4]))
    with pytest.raises(ScoringError, match="not a number"):
        score_response(oric, {"oric_01": "4"})


def test_rescoring_with_stored_rule_version_is_identical(oric):
    rng = np.random.default_rng(7)
    wave = [oric_answers([int(v) if v < 6 else 99 for v in rng.integers(1, 7, 12)]) for _ in range(30)]
    stored = json.loads(json.dumps([score_response(oric, a) for a in wave]))  # as a service would store it
    rescored = [score_response(oric, a, rule_version=s["change_efficacy"]["rule_version"])
                for a, s in zip(wave, stored, strict=True)]
    assert json.loads(json.dumps(rescored)) == stored  # exact equality, not approx
    with pytest.raises(ScoringError, match="unknown scoring rule version '0.1'"):
        score_response(oric, wave[0], rule_version="0.1")


def test_score_matrix_equals_score_response(oric):
    rng = np.random.default_rng(3)
    matrix = rng.integers(1, 6, size=(200, 12)).astype(float)
    matrix[rng.random(matrix.shape) < 0.12] = np.nan
    matrix[rng.random(matrix.shape) < 0.05] = 99
    vectorised = score_matrix(oric, matrix)
    keys = [item["key"] for item in oric["items"]]
    for row in range(matrix.shape[0]):
        answers = {k: (None if np.isnan(v) else int(v)) for k, v in zip(keys, matrix[row], strict=True)}
        one = score_response(oric, answers)
        for sub in ("change_commitment", "change_efficacy"):
            expected = one[sub]["score"]
            got = vectorised[sub][row]
            assert (expected is None and np.isnan(got)) or got == pytest.approx(expected)
    assert np.isnan(vectorised["change_efficacy"]).any()  # the data do exercise the missing rule


def test_score_matrix_reverse_and_errors():
    d = reversed_definition()
    scores = score_matrix(d, [[5, 2, 4, 3, 1]])
    assert scores["a"][0] == pytest.approx(4.0) and scores["total"][0] == pytest.approx(12.0)
    with pytest.raises(ScoringError, match=r"must be n x 5"):
        score_matrix(d, [[5, 2, 4]])
    with pytest.raises(ScoringError, match=r"row index 1 \(0-based\), item q2: answer 7 is not one of"):
        score_matrix(d, [[5, 2, 4, 3, 1], [5, 7, 4, 3, 1]])


def test_validate_answers_likert(oric):
    answers = oric_answers([4] * 12)
    assert validate_answers(oric, answers) == {}
    answers.update(oric_01=99, oric_02=0, oric_03=None, extra=1)
    assert validate_answers(oric, answers) == {
        "extra": "not an item of this instrument",
        "oric_02": "0 is not one of the options [1, 2, 3, 4, 5, 99]",
        "oric_03": "required",
    }


@pytest.fixture(scope="module")
def leadership():
    return parse_data_dictionary((DATA / "team_leadership_dictionary.csv").read_text(encoding="utf-8"))


def complete_leadership(**changes):
    answers = {"survey_date": "2026-03-02", "role": 1, "years_agency": 4, "supervises": 0,
               **{k: 3 for k in ("lead_plan", "lead_removes", "lead_knows", "lead_expert", "lead_recognizes",
                                 "lead_supports", "lead_persists", "lead_problems")}}
    answers.update(changes)
    return answers


def test_validate_answers_honours_branching(leadership):
    assert validate_answers(leadership, complete_leadership()) == {}
    # role 99 shows role_other, which is required
    assert validate_answers(leadership, complete_leadership(role=99)) == {"role_other": "required"}
    # contact_email shows only when contact_ok = 1
    assert validate_answers(leadership, complete_leadership(contact_ok=1)) == {"contact_email": "required"}
    errors = validate_answers(leadership, complete_leadership(contact_ok=1, contact_email="not-an-address"))
    assert errors == {"contact_email": "'not-an-address' is not an e-mail address"}


def test_validate_answers_types_and_bounds(leadership):
    errors = validate_answers(leadership, complete_leadership(
        survey_date="2023-12-31", years_agency=51, fte=1.5, credentials=[1, 9], credential_year=2.5,
        supervises=2, lead_plan=5))
    assert errors == {
        "survey_date": "'2023-12-31' is below the minimum '2024-01-01'",
        "years_agency": "51 is above the maximum 50",
        "fte": "1.5 is above the maximum 1.0",
        "credentials": "[9] are not options of this item",
        "credential_year": "2.5 is not a whole number",
        "supervises": "2 must be 1 or 0",
        "lead_plan": "5 is not one of the options [0, 1, 2, 3, 4]",
    }
    assert validate_answers(leadership, complete_leadership(survey_date="2026-02-30")) == {
        "survey_date": "'2026-02-30' is not a date YYYY-MM-DD"}
    # credential_year is hidden unless credential 1 is ticked, so a bad value there is not checked
    assert validate_answers(leadership, complete_leadership(credentials=[2], credential_year=2.5)) == {}


def test_definition_not_mutated_by_scoring(oric):
    before = copy.deepcopy(oric)
    score_response(oric, oric_answers([5] * 12))
    score_matrix(oric, np.full((3, 12), 5.0))
    assert oric == before


def test_numpy_integers_are_accepted(oric):
    answers = {k: np.int64(v) for k, v in oric_answers([4, 5, 3, 4, 2, 5, 3, 4, 4, 3, 5, 2]).items()}
    assert score_response(oric, answers)["change_commitment"]["score"] == pytest.approx(4.6)


def test_missing_data_rule_is_read_from_the_data_file(oric):
    # shipped: don't know is not answered (the data file says so, and scoring reads it)
    assert oric["missing_data"] == {**oric["missing_data"], "dont_know_counts_as_answered": False}
    fim = load_instrument("fim")
    one_dk = {"fim_01": 4, "fim_02": 5, "fim_03": 4, "fim_04": 99}
    assert score_response(fim, one_dk)["fim"]["score"] is None  # 3 of 4 answered < ceil(0.8 * 4) = 4
    assert answered_rule(fim, fim["subscales"][0]) == (
        "scored when at least 4 of its 4 items are answered (80% rule); a blank is not answered; "
        "'Don't know / not applicable' (99) is not answered")
    # the other choice, stated in the file: a don't-know counts toward the 80% but never enters the mean
    counting = copy.deepcopy(fim)
    counting["missing_data"]["dont_know_counts_as_answered"] = True
    validate_definition(counting)
    assert score_response(counting, one_dk)["fim"]["score"] == pytest.approx(13 / 3)  # (4 + 5 + 4) / 3
    assert score_response(counting, {"fim_01": 4, "fim_02": 99, "fim_03": 99, "fim_04": None})["fim"]["score"] is None
    assert score_response(counting, {k: 99 for k in one_dk})["fim"]["score"] is None  # nothing to average
    assert "counts as answered but never enters the mean" in answered_rule(counting, counting["subscales"][0])
    # the vectorised path follows the same file
    rng = np.random.default_rng(12)
    matrix = rng.integers(1, 6, size=(300, 4)).astype(float)
    matrix[rng.random(matrix.shape) < 0.15] = 99
    matrix[rng.random(matrix.shape) < 0.05] = np.nan
    for definition in (fim, counting):
        vectorised = score_matrix(definition, matrix)["fim"]
        for row in range(matrix.shape[0]):
            answers = {f"fim_0{j + 1}": (None if np.isnan(v) else int(v)) for j, v in enumerate(matrix[row])}
            expected = score_response(definition, answers)["fim"]["score"]
            assert (expected is None and np.isnan(vectorised[row])) or vectorised[row] == pytest.approx(expected)
    assert np.isnan(score_matrix(fim, matrix)["fim"]).sum() > np.isnan(score_matrix(counting, matrix)["fim"]).sum()


@pytest.mark.parametrize(("missing", "path"), [
    ("yes", "missing_data"),
    ({"dont_know_counts_as_answered": "no"}, "missing_data.dont_know_counts_as_answered"),
    ({"answered": "x"}, "missing_data.dont_know_counts_as_answered"),
    ({"dont_know_counts_as_answered": False, "extra": 1}, "missing_data.extra"),
    ({"dont_know_counts_as_answered": False, "answered": 3}, "missing_data.answered"),
])
def test_missing_data_field_is_validated(missing, path):
    definition = copy.deepcopy(load_instrument("fim"))
    definition["missing_data"] = missing
    with pytest.raises(InstrumentDefinitionError) as caught:
        validate_definition(definition)
    assert caught.value.path == path
