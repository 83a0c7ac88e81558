"""Redaction proposals per category, applying them, and offset correctness afterwards."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualitative.deidentify import (
    OffsetMap,
    Redaction,
    RedactionError,
    apply_redactions,
    is_role_label,
    propose_redactions,
    speaker_pseudonyms,
)
from qualitative.parsers import TranscriptFormatError, parse_transcript


def parse(text: str):
    parsed = parse_transcript("t.txt", text.encode())
    return parsed.text, parsed.turns


def proposed(text: str, known_names=()):
    body, turns = parse(text)
    return {
        (r.kind, r.original, r.replacement_suggestion)
        for r in propose_redactions(body, turns, list(known_names))
    }


def test_speaker_labels_become_participants_and_roles_stay():
    text, turns = parse(
        "Facilitator: Welcome.\n\nRenée Alvarez: Thanks.\n\nMarcus Bell: Hi.\n\nRenée Alvarez: Okay."
    )
    redactions = propose_redactions(text, turns, [])
    speakers = [(r.original, r.replacement_suggestion) for r in redactions if r.kind == "speaker"]
    assert speakers == [
        ("Renée Alvarez", "Participant 1"),
        ("Marcus Bell", "Participant 2"),
        ("Renée Alvarez", "Participant 1"),
    ]
    new_text, new_turns, _ = apply_redactions(text, turns, redactions)
    assert [t.speaker for t in new_turns] == [
        "Facilitator",
        "Participant 1",
        "Participant 2",
        "Participant 1",
    ]
    assert new_text.startswith("Facilitator: Welcome.\n\nParticipant 1: Thanks.")


@pytest.mark.parametrize(
    ("label", "role"),
    [
        ("Interviewer", True),
        ("Participant 3", True),
        ("Counselor A", True),
        ("P2", True),
        ("Unknown Speaker", True),
        ("Ian", False),
        ("Mo", False),
        ("Renée Alvarez", False),
        ("Pam", False),
    ],
)
def test_role_labels(label, role):
    assert is_role_label(label) is role


def test_pseudonym_numbers_skip_existing_participant_labels():
    _, turns = parse("Participant 1: Hi.\n\nAna Ruiz: Hello.")
    assert speaker_pseudonyms(turns, ["Dana Whitfield", "Ana"]) == {
        "Ana Ruiz": 2,
        "Dana Whitfield": 3,
        "Ana": 2,
    }


def test_known_names_full_first_and_last():
    found = proposed(
        "Counselor: Sarah Kim listens to my tapes. Sarah is great, and Ms. Kim agrees. I hope so.",
        known_names=["Sarah Kim", "Hope Diaz"],
    )
    assert found == {
        ("participant_name", "Sarah Kim", "[P1]"),
        ("participant_name", "Sarah", "[P1]"),
        ("participant_name", "Kim", "[P1]"),
    }  # "hope" in lower case is the verb, not Hope Diaz


def test_speaker_first_name_in_text_uses_their_number():
    found = proposed("Facilitator: Tanya, go ahead.\n\nTanya Brooks: Thanks.")
    assert ("participant_name", "Tanya", "[P1]") in found


def test_other_capitalised_names():
    found = proposed(
        "Counselor: On Monday I talked to Dana about MIO on Zoom. Dana said the CFIR interview went fine. "
        "Dr. Patel and Maria de Souza came. Supervision is Thursday. I think supervision helps."
    )
    names = {original for kind, original, _ in found if kind == "name"}
    # Dana: mid-sentence once, so the sentence-initial "Dana" counts too; Patel after a title;
    # Monday, MIO, Zoom, CFIR, Thursday are domain/calendar words; "Supervision" is used in lower case elsewhere.
    assert names == {"Dana", "Patel", "Maria de Souza"}
    assert sum(1 for kind, o, _ in found if o == "Dana") == 1  # the set collapses the two occurrences
    body, turns = parse("Counselor: I asked Dana. Dana said yes.")
    assert [r.original for r in propose_redactions(body, turns, [])] == ["Dana", "Dana"]


def test_contractions_and_sentence_initial_words_are_not_names():
    assert proposed("Counselor: I'm tired. We'll see. Honestly, Caseloads are high.") == set()


@pytest.mark.parametrize(
    "phone",
    [
        "(555) 201-7788",
        "555-201-7788",
        "555.201.7788",
        "555 201 7788",
        "+1 555 201 7788",
        "1-555-201-7788",
        "5552017788",
        "555-0142",
    ],
)
def test_us_phone_numbers(phone):
    assert proposed(f"Counselor: Call me at {phone} tomorrow.") == {("phone", phone, "[PHONE]")}


@pytest.mark.parametrize(
    "text",
    [
        "We met 2023-01-15.",
        "She has 12 clients and 1990 dollars.",
        "Version 1.555.201.7788.5",
        "Call x12-3456",
    ],
)
def test_non_phones(text):
    assert not {k for k, *_ in proposed(f"Counselor: {text}") if k == "phone"}


def test_emails():
    found = proposed("Counselor: Write to ana.ruiz+mio@clinic-two.org or info@example.com.")
    assert {o for k, o, _ in found if k == "email"} == {"ana.ruiz+mio@clinic-two.org", "info@example.com"}


@pytest.mark.parametrize(
    ("sentence", "date"),
    [
        ("I was born on 3/4/1990 in town.", "3/4/1990"),
        ("Her DOB 1990-03-04 is on file.", "1990-03-04"),
        ("My date of birth: March 4, 1990.", "March 4, 1990"),
        ("D.O.B. 04-03-90", "04-03-90"),
        ("Her birthday is the 4th of March 1990.", "4th of March 1990"),
        ("Baby was born in March 2021.", "March 2021"),
    ],
)
def test_dates_of_birth(sentence, date):
    assert ("date_of_birth", date, "[DOB]") in proposed(f"Counselor: {sentence}")


def test_dates_without_birth_cue_are_left():
    assert not {k for k, *_ in proposed("Counselor: Training started 3/4/2024.") if k == "date_of_birth"}


def test_email_wins_over_name_inside_it():
    found = proposed("Counselor: Email Dana at Dana.Whitfield@clinic.org please.")
    assert ("email", "Dana.Whitfield@clinic.org", "[EMAIL]") in found


SAMPLE = (
    "Facilitator: Thanks, everyone. Tanya, you first.\n\n"
    "Tanya Brooks: Sure. My supervisor Dana Whitfield calls me at (555) 201-7788. I talked to Luis about it.\n\n"
    "Luis Ortega: I was born on 3/4/1990, email luis.o@example.org. Tanya knows."
)


def test_apply_all_removes_every_original_and_keeps_turns_right():
    text, turns = parse(SAMPLE)
    redactions = propose_redactions(text, turns, ["Dana Whitfield"])
    new_text, new_turns, offset_map = apply_redactions(text, turns, redactions)
    for original in [
        "Tanya",
        "Brooks",
        "Dana",
        "Whitfield",
        "Luis",
        "Ortega",
        "201-7788",
        "3/4/1990",
        "luis.o@",
    ]:
        assert original not in new_text
    assert new_text == (
        "Facilitator: Thanks, everyone. [P1], you first.\n\n"
        "Participant 1: Sure. My supervisor [P3] calls me at [PHONE]. I talked to [P2] about it.\n\n"
        "Participant 2: I was born on [DOB], email [EMAIL]. [P1] knows."
    )
    assert [new_text[t.start : t.end] for t in new_turns][
        2
    ] == "I was born on [DOB], email [EMAIL]. [P1] knows."
    assert [t.speaker for t in new_turns] == ["Facilitator", "Participant 1", "Participant 2"]
    # an offset after everything moves by the total change in length
    assert offset_map(len(text)) == len(new_text)


def test_edited_replacement_and_partial_acceptance():
    text, turns = parse(SAMPLE)
    phone = next(r for r in propose_redactions(text, turns, []) if r.kind == "phone")
    edited = Redaction(
        phone.start, phone.end, phone.kind, phone.original, phone.replacement_suggestion, "[CLINIC PHONE]"
    )
    new_text, new_turns, _ = apply_redactions(text, turns, [edited])
    assert "[CLINIC PHONE]" in new_text and "Tanya Brooks:" in new_text
    assert new_turns[0] == turns[0]


def test_offset_map_inside_and_around_a_span():
    # "ab[CDEF]gh": old span 2-6 ("CDEF") replaced by "X" at 2-3
    offset_map = OffsetMap(((2, 6),), ((2, 3),))
    assert [offset_map(i) for i in (0, 2, 6, 8)] == [0, 2, 3, 5]
    assert offset_map(4, "start") == 2 and offset_map(4, "end") == 3
    assert offset_map.span(3, 7) == (2, 4)


def test_overlapping_redactions_error():
    text, turns = parse("Counselor: Maria Lopez came.")
    start = text.index("Maria")
    a = Redaction(start, start + 11, "name", "Maria Lopez", "[NAME]")
    b = Redaction(start + 6, start + 11, "name", "Lopez", "[NAME]")
    with pytest.raises(RedactionError, match="overlap"):
        apply_redactions(text, turns, [a, b])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda t: Redaction(11, 16, "name", "Nope!", "[NAME]"), "stale"),
        (
            lambda t: Redaction(5, 14, "name", "elor: Mar", "[NAME]"),
            "inside one speaker label or one utterance",
        ),
        (lambda t: Redaction(11, 16, "name", "Maria", "[NAME]", ""), "non-empty"),
        (lambda t: Redaction(11, 999, "name", "x", "[NAME]"), "outside the text"),
    ],
)
def test_bad_redactions(make, message):
    text, turns = parse("Counselor: Maria Lopez came.")
    with pytest.raises(RedactionError, match=message):
        apply_redactions(text, turns, [make(text)])


@st.composite
def transcript_and_redactions(draw):
    words = st.sampled_from(["Ana", "😀", "café", "e\u0301", "supervision", "𠀀", "Zoë", "MIO", "call", "ok"])
    turns = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["Ana Ruiz", "Facilitator", "Bo Li"]), st.lists(words, min_size=1, max_size=8)
            ),
            min_size=1,
            max_size=5,
        )
    )
    parsed = parse_transcript("t.txt", "\n\n".join(f"{n}: {' '.join(w)}" for n, w in turns).encode())
    # random non-overlapping spans inside utterances, with random replacements
    chosen = []
    for turn in parsed.turns:
        cuts = sorted(set(draw(st.lists(st.integers(turn.start, turn.end), max_size=4))))
        for a, b in zip(cuts[::2], cuts[1::2], strict=False):
            if a < b:
                repl = draw(st.sampled_from(["[P1]", "[NAME]", "X", "👶 long replacement"]))
                chosen.append(Redaction(a, b, "name", parsed.text[a:b], repl))
    return parsed, chosen


@settings(max_examples=60, deadline=None)
@given(transcript_and_redactions())
def test_apply_keeps_offsets_right(case):
    parsed, redactions = case
    new_text, new_turns, offset_map = apply_redactions(parsed.text, parsed.turns, redactions)
    for old, new in zip(parsed.turns, new_turns, strict=True):
        # independent expectation: rebuild each utterance from its own pieces
        utterance, cursor = "", old.start
        for r in sorted(redactions, key=lambda r: r.start):
            if old.start <= r.start < old.end:
                utterance += parsed.text[cursor : r.start] + r.effective_replacement
                cursor = r.end
        utterance += parsed.text[cursor : old.end]
        assert new_text[new.start : new.end] == utterance
        assert new.speaker == old.speaker
        assert new_text[new.label_start : new.start] == old.speaker + ": "
    # every character outside the redactions keeps its place through the offset map
    covered = {i for r in redactions for i in range(r.start, r.end)}
    for i, ch in enumerate(parsed.text):
        if i not in covered:
            assert new_text[offset_map(i)] == ch


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["Ana Ruiz", "Facilitator", "P2"]), st.text(min_size=1, max_size=60)),
        min_size=1,
        max_size=4,
    ),
    st.lists(st.text(max_size=15), max_size=3),
)
def test_proposals_on_arbitrary_text_are_applicable(turns, known_names):
    source = "\n\n".join(f"{n}: {u.replace(chr(10), ' ').replace(chr(13), ' ')}" for n, u in turns)
    try:
        parsed = parse_transcript("t.txt", source.encode())
    except TranscriptFormatError:  # e.g. only control characters
        return
    redactions = propose_redactions(parsed.text, parsed.turns, known_names)
    assert all(parsed.text[r.start : r.end] == r.original for r in redactions)
    apply_redactions(parsed.text, parsed.turns, redactions)  # non-overlapping, inside turns: never raises
