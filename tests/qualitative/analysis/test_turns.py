"""Speaker turns found in a text as it is (for imported sources whose coded positions must not move)."""

from qualitative.analysis.turns import speaker_turns


def _quotes(text):
    return [(speaker, text[start:end]) for speaker, start, end in speaker_turns(text)]


def test_labelled_turns_continue_over_lines_and_blank_lines():
    text = "Interviewer: How was it?\n\nCounselor A: Hard at first.\nThen easier.\n\nmore of it\nInterviewer: ok"
    assert _quotes(text) == [("Interviewer", "How was it?"), ("Counselor A", "Hard at first.\nThen easier.\n\nmore of it"),
                             ("Interviewer", "ok")]


def test_label_alone_on_its_line_starts_at_the_next_text():
    text = "Interviewer:\n   Tell me more.  \nCounselor: Sure."
    assert _quotes(text) == [("Interviewer", "Tell me more."), ("Counselor", "Sure.")]


def test_text_without_labels_is_paragraphs_and_offsets_are_code_points():
    text = "Intro line 😀 here.\nsame paragraph\n\nsecond paragraph"
    assert _quotes(text) == [(None, "Intro line 😀 here.\nsame paragraph"), (None, "second paragraph")]


def test_times_and_urls_are_not_speakers():
    text = "Interviewer: we met at 10:30 and saw http://example.org\nthen: lowercase words are not a label"
    assert _quotes(text) == [("Interviewer", "we met at 10:30 and saw http://example.org\nthen: lowercase words are not "
                                             "a label")]


def test_empty_text_has_no_turns():
    assert speaker_turns("") == [] and speaker_turns("\n\n") == []
