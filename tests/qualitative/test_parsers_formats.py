"""Each transcript format parses to the expected speakers, turns, timestamps and text layout."""

from __future__ import annotations

import pytest

from qualitative.parsers import ParsedTranscript, parse_transcript


def utterances(parsed: ParsedTranscript) -> list[str]:
    return [parsed.text[t.start : t.end] for t in parsed.turns]


def assert_layout(parsed: ParsedTranscript) -> None:
    """The documented layout: "Speaker: utterance" blocks joined by a blank line, offsets on the utterance."""
    blocks = [
        f"{t.speaker}: {u}" if t.speaker else u for t, u in zip(parsed.turns, utterances(parsed), strict=True)
    ]
    assert parsed.text == "\n\n".join(blocks)
    for turn in parsed.turns:
        if turn.speaker is not None:
            assert parsed.text[turn.label_start : turn.start] == turn.speaker + ": "


@pytest.mark.parametrize(
    ("name", "fmt", "speakers", "n_turns"),
    [
        ("focus_group_zoom.vtt", "zoom_vtt", ["Facilitator", "Renée Alvarez", "Marcus Bell"], 5),
        ("focus_group_teams.vtt", "teams_vtt", ["Facilitator", "Keisha Moreno", "José Núñez"], 4),
        ("focus_group.srt", "srt", [], 3),
        ("focus_group_otter.txt", "otter_txt", ["Facilitator", "Tanya Brooks", "Luis Ortega"], 5),
        ("focus_group_plain.txt", "plain_txt", ["Interviewer", "Counselor"], 6),
        ("focus_group.docx", "docx", ["Facilitator", "Counselor A", "Counselor B"], 4),
    ],
)
def test_sample_files(sample_bytes, name, fmt, speakers, n_turns):
    parsed = parse_transcript(name, sample_bytes(name))
    assert parsed.format == fmt
    assert parsed.speakers == speakers
    assert len(parsed.turns) == n_turns
    assert_layout(parsed)


def test_zoom_merges_consecutive_cues_of_one_speaker_and_decodes_entities(sample_bytes):
    parsed = parse_transcript("focus_group_zoom.vtt", sample_bytes("focus_group_zoom.vtt"))
    renee = parsed.turns[1]
    assert renee.speaker == "Renée Alvarez"
    assert utterances(parsed)[1] == (
        "For me the hardest part was recording sessions. Some moms didn't want the recorder on the table at first. "
        "Once I explained where the audio is stored, most of them were okay with it."
    )
    # 00:00:06.100 = 6100 ms; the merged turn ends with the second cue at 00:00:16.000
    assert (renee.timestamp_ms, renee.end_ms) == (6100, 16000)
    assert "replace & not add" in utterances(parsed)[4]


def test_teams_cues_sorted_by_start_then_merged(sample_bytes):
    parsed = parse_transcript("focus_group_teams.vtt", sample_bytes("focus_group_teams.vtt"))
    keisha = parsed.turns[1]
    assert utterances(parsed)[1] == (
        "Honestly it's the best part. My supervisor listens to the tape with me and she helped me see what the mom "
        "was feeling, not just what she was doing."
    )
    assert keisha.timestamp_ms == 8500  # the 00:00:08.500 cue came second in the file but starts first
    assert any("out of order" in w for w in parsed.warnings)
    assert [t.timestamp_ms for t in parsed.turns] == sorted(t.timestamp_ms for t in parsed.turns)


def test_teams_cue_with_two_voices():
    data = b"WEBVTT\n\nx/1-0\n00:00:01.000 --> 00:00:02.000\n<v Ana>Hi.</v> <v Bo Li>Hello.</v>\n"
    parsed = parse_transcript("call.vtt", data)
    assert [(t.speaker, u) for t, u in zip(parsed.turns, utterances(parsed), strict=True)] == [
        ("Ana", "Hi."),
        ("Bo Li", "Hello."),
    ]


def test_srt_has_no_speakers_and_comma_milliseconds(sample_bytes):
    parsed = parse_transcript("focus_group.srt", sample_bytes("focus_group.srt"))
    assert all(t.speaker is None for t in parsed.turns)
    assert [t.timestamp_ms for t in parsed.turns] == [1000, 4900, 10000]
    assert parsed.turns[2].end_ms == 15750  # 00:00:15,750
    assert utterances(parsed)[1] == "The moms got used to it faster than we did."  # <i> dropped
    assert utterances(parsed)[2] == "Supervision on Thursdays is where we listen to the tapes together."


def test_otter_timestamps(sample_bytes):
    parsed = parse_transcript("focus_group_otter.txt", sample_bytes("focus_group_otter.txt"))
    # "0:24" = 24 s; "1:02:15" = (1*60 + 2)*60 + 15 = 3735 s
    assert [t.timestamp_ms for t in parsed.turns] == [2000, 9000, 21000, 24000, 3735000]


def test_otter_header_without_name_is_speakerless_and_minutes_past_59():
    parsed = parse_transcript("o.txt", b"0:05\nHello there.\n\nAna Ruiz  75:10\nHi.\n")
    assert parsed.format == "otter_txt"
    assert [(t.speaker, t.timestamp_ms) for t in parsed.turns] == [(None, 5000), ("Ana Ruiz", 4510000)]


def test_plain_continuation_lines_and_paragraphs(sample_bytes):
    parsed = parse_transcript("focus_group_plain.txt", sample_bytes("focus_group_plain.txt"))
    assert utterances(parsed)[1] == (
        "I'm a substance use counselor. I've been here about six years, and I started MIO last spring.\n"
        "Before that I mostly ran groups."
    )
    # the paragraph after a blank line without a label continues the counselor's answer
    assert utterances(parsed)[3].endswith(
        "Sometimes it's hard to hear myself, but it helps.\n"
        "She also reminds me that the moms are doing their best."
    )


def test_plain_sentence_with_colon_is_not_a_speaker():
    data = b"Ana: I told her: stop.\nAnd then she said: fine.\n\nBo: Okay."
    parsed = parse_transcript("t.txt", data)
    assert parsed.speakers == ["Ana", "Bo"]
    assert utterances(parsed)[0] == "I told her: stop.\nAnd then she said: fine."


def test_plain_lowercase_labels_count_when_repeated():
    parsed = parse_transcript(
        "t.txt", b"interviewer: hi\n\nmom two: hello\n\ninterviewer: bye\n\nmom two: ok"
    )
    assert parsed.speakers == ["interviewer", "mom two"]


def test_plain_without_labels_gives_speakerless_paragraphs():
    parsed = parse_transcript("notes.txt", b"first paragraph\nstill first\n\nsecond one")
    assert [(t.speaker, u) for t, u in zip(parsed.turns, utterances(parsed), strict=True)] == [
        (None, "first paragraph\nstill first"),
        (None, "second one"),
    ]
    assert any("No speaker labels" in w for w in parsed.warnings)


def test_plain_label_at_63_characters_but_not_64():
    name63 = "A" * 63
    assert parse_transcript("t.txt", f"{name63}: hi".encode()).speakers == [name63]
    assert parse_transcript("t.txt", f"{'A' * 64}: hi".encode()).speakers == []


def test_docx_paragraphs_and_speaker_table(make_docx):
    data = make_docx(
        ["Interviewer: How is the recorder working?", "Mom: Fine."],
        table_rows=[["Counselor", "We keep it in a locked drawer."], ["Interviewer", "Good."]],
    )
    parsed = parse_transcript("interview.docx", data)
    assert parsed.format == "docx"
    assert [t.speaker for t in parsed.turns] == ["Interviewer", "Mom", "Counselor", "Interviewer"]
    assert utterances(parsed)[2] == "We keep it in a locked drawer."


def test_docx_continuation_paragraph(sample_bytes):
    parsed = parse_transcript("focus_group.docx", sample_bytes("focus_group.docx"))
    # the title paragraph has no label and comes first: a speakerless turn
    assert parsed.turns[0].speaker is None
    assert utterances(parsed)[2] == (
        "We listen to recordings now. At first I hated hearing my own voice.\nIt got easier after a few weeks."
    )


def test_docx_in_otter_layout(make_docx):
    data = make_docx(["Ana Ruiz  0:03", "Hello.", "", "Bo Li  0:09", "Hi."])
    parsed = parse_transcript("otter.docx", data)
    assert parsed.format == "otter_docx"
    assert [(t.speaker, t.timestamp_ms) for t in parsed.turns] == [("Ana Ruiz", 3000), ("Bo Li", 9000)]


@pytest.mark.parametrize(
    ("name", "data", "fmt", "warning"),
    [
        ("t.txt", b"WEBVTT\n\n00:01.000 --> 00:02.000\nAna: hi\n", "zoom_vtt", "WebVTT"),
        ("t.txt", b"1\n00:00:01,000 --> 00:00:02,000\nhi\n", "srt", "SubRip"),
        ("t.srt", b"WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n", "vtt", "WebVTT"),
    ],
)
def test_content_overrides_extension_with_warning(name, data, fmt, warning):
    parsed = parse_transcript(name, data)
    assert parsed.format == fmt
    assert any(warning in w for w in parsed.warnings)


def test_vtt_skips_note_and_style_blocks():
    data = (
        b"WEBVTT - meeting\nKind: captions\n\nNOTE recorded at Clinic 2\n\nSTYLE\n::cue { color: red }\n\n"
        b"1\n00:00:01.000 --> 00:00:02.000 align:start\n<c.yellow>Ana:</c> <b>hi</b> <00:00:01.500>there\n"
    )
    parsed = parse_transcript("m.vtt", data)
    assert parsed.text == "Ana: hi there"
