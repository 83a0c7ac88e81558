"""Tests for qualitative.autocode: lexicon hits widened to turns, valence cues, determinism, quality by hand."""

import math

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from qualitative.autocode import (
    RULE_VERSION,
    AutocodeInputError,
    Autocoder,
    Suggestion,
    interviewee_turn,
    lower_same_length,
    suggestion_quality,
)
from qualitative.codebook import load_cfir_codebook

SMALL = [
    {"key": "II", "codable": False, "lexicon": []},
    {"key": "II.F", "codable": True, "lexicon": ["reimbursement", "bill", "grant", "insurance"]},
    {"key": "III.J.2", "codable": True, "lexicon": ["room", "private space", "office"]},
]


def turns_of(lines):
    """Join lines with "\n" and return (text, turn spans)."""
    spans, pos = [], 0
    for line in lines:
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return "\n".join(lines), spans


@pytest.fixture(scope="module")
def small():
    return Autocoder(SMALL)


@pytest.fixture(scope="module")
def cfir():
    return Autocoder(load_cfir_codebook())


def test_hits_widened_to_turn_and_merged_per_code(small):
    text, turns = turns_of([
        "We had no luck with billing, and the grant ran out.",
        "Honestly the weather was fine.",
        "She found a Private Space in the back office.",
    ])
    got = small.suggest(text, turns)
    assert [(s.code_key, s.start, s.end) for s in got] == [("II.F", *turns[0]), ("III.J.2", *turns[2])]
    assert got[0].matched_terms == ["bill", "grant"]  # "billing" matched through its lemma
    assert [text[a:b] for a, b in got[0].term_spans] == ["billing", "grant"]
    assert got[1].matched_terms == ["private space", "office"]
    assert [text[a:b] for a, b in got[1].term_spans] == ["Private Space", "office"]
    # score = 1 - exp(-E) (module docstring), by hand: N = 3 turns, each term in one of them, idf = ln 4 / ln 4 = 1.
    # Turn 1: "bill" 1 + "grant" 1, "grant" 4 tokens after "billing" (within CUE_WINDOW 5): + 0.5 -> E = 2.5.
    # Turn 3: "private space" (2 tokens: 1 + 1/2 = 1.5) + "office" 1, 3 tokens apart: + 0.5 -> E = 3.0.
    assert got[0].score == round(1 - math.exp(-2.5), 6) == 0.917915
    assert got[1].score == round(1 - math.exp(-3.0), 6) == 0.950213
    assert all(s.rule_version == RULE_VERSION for s in got)


def test_valence_from_cues(small):
    text, turns = turns_of([
        "Insurance didn't cover it at all.",  # "n't" -> lemma "not": barrier
        "The grant really helped us start.",  # "helped" -> "help": facilitator
        "We talked about insurance.",  # no cue: neutral
        "There was a lack of rooms for sessions.",  # "lack of": barrier
    ])
    # min_score=0: "insurance" in two of four turns scores under the floor; valence is what is tested here
    got = small.suggest(text, turns, min_score=0)
    assert [s.valence for s in got] == ["barrier", "facilitator", "neutral", "barrier"]


def test_cue_window(small):
    far = "No. " + "we " * 10 + "used the office"
    assert small.suggest(far)[0].valence == "neutral"  # cue 12 tokens away: outside CUE_WINDOW = 5
    assert small.suggest("No office was free")[0].valence == "barrier"


def test_vader_fallback():
    ac = Autocoder(SMALL, use_vader=True)
    text = "The office is wonderful and amazing."
    compound = SentimentIntensityAnalyzer().polarity_scores(text)["compound"]  # source: vaderSentiment
    assert compound >= 0.05
    assert ac.suggest(text)[0].valence == "facilitator"
    assert ac.suggest("The office is awful and depressing.")[0].valence == "barrier"


def test_deterministic_and_stored_fields(cfir):
    text, turns = turns_of([
        "Our supervisor said billing for MIO sessions is not possible without a grant.",
        "The counselors share one office, so finding a private room to record is hard.",
        "Mothers love the sessions; they feel heard.",
    ])
    first = cfir.suggest(text, turns)
    again = cfir.suggest(text, turns)
    assert first == again and first
    rebuilt = Autocoder(load_cfir_codebook()).suggest(text, turns)
    assert [s.as_dict() for s in rebuilt] == [s.as_dict() for s in first]
    keys = {s.code_key for s in first}
    assert {"II.F", "III.J.2"} <= keys
    # role words alone ("supervisor", "counselors", "mothers") mention who, and stay under the floor
    assert not any(k.startswith("IV.ROLE.") for k in keys)
    assert {"IV.ROLE.B", "IV.ROLE.H", "IV.ROLE.I"} <= {s.code_key for s in cfir.suggest(text, turns, min_score=0)}
    for s in first:
        d = s.as_dict()
        assert d["rule_version"] == RULE_VERSION and d["matched_terms"]
        assert set(d) == {"code_key", "start", "end", "matched_terms", "valence", "score", "term_spans",
                          "rule_version"}


def test_unicode_lowercasing_keeps_offsets(small):
    s = "İİ ROOM"
    assert "İ".lower() != "i" and len("İ".lower()) == 2  # why a plain lower() would shift offsets
    assert lower_same_length(s) == "ii room" and len(lower_same_length(s)) == len(s)
    text, turns = turns_of(["İstanbul İİİ: the Room was free", "ΣΑΣ office"])
    got = small.suggest(text, turns)
    assert [text[a:b] for s in got for a, b in s.term_spans] == ["Room", "office"]


def test_bad_input(small):
    with pytest.raises(AutocodeInputError, match=r"turns\[1\]: \(5, 99\) is not inside the text of length 10"):
        small.suggest("0123456789", [(0, 5), (5, 99)])
    with pytest.raises(AutocodeInputError, match=r"codebook_entries\[0\] \(key 'X'\): 'lexicon' must be a list"):
        Autocoder([{"key": "X", "lexicon": "room"}])
    with pytest.raises(AutocodeInputError, match=r"codebook_entries\[0\]: missing 'key'"):
        Autocoder([{"lexicon": ["room"]}])


def test_suggestion_quality_by_hand():
    turns = [(0, 10), (10, 20), (20, 30), (30, 40)]
    sugg = [
        Suggestion("II.F", 0, 10, ["bill"], "neutral", 0.5),
        Suggestion("II.F", 10, 20, ["grant"], "neutral", 0.5),
        Suggestion("III.J.2", 20, 30, ["room"], "neutral", 0.5),
    ]
    analyst = {"II.F": [(2, 5), (31, 35)], "V.A": [(12, 14)]}
    q = suggestion_quality(sugg, analyst, turns)
    # II.F: suggested turns {0, 1}, analyst turns {0, 3}: tp = 1, fp = 1, fn = 1 -> P = 1/2, R = 1/2, F1 = 1/2
    assert q["II.F"] == {"tp": 1, "fp": 1, "fn": 1, "precision": 0.5, "recall": 0.5, "f1": 0.5}
    # III.J.2: suggested {2}, analyst none: tp 0, fp 1 -> P = 0, R undefined
    assert q["III.J.2"] == {"tp": 0, "fp": 1, "fn": 0, "precision": 0.0, "recall": None, "f1": None}
    # V.A: analyst {1}, nothing suggested: P undefined, R = 0
    assert q["V.A"] == {"tp": 0, "fp": 0, "fn": 1, "precision": None, "recall": 0.0, "f1": None}


ROLES = [
    {"key": "II.F", "codable": True, "lexicon": ["bill", "grant"]},
    {"key": "III.J.2", "codable": True, "lexicon": ["room", "office"]},
    {"key": "V.A", "codable": True, "lexicon": ["office"]},  # "office" shared by two codes
    {"key": "IV.ROLE.I", "codable": True, "lexicon": ["mother", "mom"]},
]


def test_score_idf_mention_shared_and_floor():
    ac = Autocoder(ROLES)
    text, turns = turns_of([
        "The grant paid for it.",  # "grant" in 2 of 4 turns
        "We asked about the grant again.",
        "The mother came to the office.",  # role word; "office" shared by III.J.2 and V.A
        "Nothing here.",
    ])
    got = {(s.code_key, s.start): s.score for s in ac.suggest(text, turns, min_score=0)}
    # by hand: N = 4; idf(grant) = ln(1 + 4/2) / ln(1 + 4) = ln 3 / ln 5 = 0.682606; E = 1 x idf
    idf_grant = math.log(3) / math.log(5)
    assert got[("II.F", 0)] == got[("II.F", turns[1][0])] == round(1 - math.exp(-idf_grant), 6) == 0.494702
    # "mother" alone: strength 1 x MENTION_WEIGHT 0.3, idf 1 -> 1 - e^-0.3 = 0.259182
    assert got[("IV.ROLE.I", turns[2][0])] == 0.259182
    # "office" in two codes: strength 1/2 each -> 1 - e^-0.5 = 0.393469
    assert got[("III.J.2", turns[2][0])] == got[("V.A", turns[2][0])] == 0.393469
    # the default floor MIN_SCORE = 0.5 drops every one of these weak suggestions
    assert ac.suggest(text, turns) == []
    # a term used in one turn only is strong: 1 - e^-1 = 0.632121 >= 0.5
    text2, turns2 = turns_of(["The grant paid for it.", "Nothing here.", "Nor here."])
    assert [(s.code_key, s.score) for s in ac.suggest(text2, turns2)] == [("II.F", 0.632121)]


def test_context_bonus_needs_a_second_term_nearby():
    ac = Autocoder(ROLES)
    near = ac.suggest("the bill and the grant")[0]  # 3 tokens apart: E = 1 + 1 + 0.5
    far = ac.suggest("the bill " + "and so on " * 3 + "the grant")[0]  # 10 tokens apart: no bonus
    assert near.score == round(1 - math.exp(-2.5), 6) and far.score == round(1 - math.exp(-2.0), 6)
    repeated = ac.suggest("the grant and the grant")[0]  # the same term twice: counted once, no bonus
    assert repeated.score == round(1 - math.exp(-1.0), 6)


@pytest.mark.parametrize(("speaker", "participant_id", "expected"), [
    ("Interviewer", None, False), ("Facilitator 2", None, False), ("moderator", None, False),
    ("Note-taker", None, False), ("Researcher", None, False), ("Counselor A", None, True), (None, None, True),
    ("Interviewer", 7, True),  # explicitly mapped to a participant: the analyst's mapping wins
    ("Supervisor", 3, True),
])
def test_interviewee_turn(speaker, participant_id, expected):
    assert interviewee_turn(speaker, participant_id) is expected
