"""Property tests (Hypothesis): arbitrary bytes only ever raise TranscriptFormatError, and for generated valid
transcripts in every format text[turn.start:turn.end] is the (NFC) utterance."""

from __future__ import annotations

import os
import unicodedata
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualitative.parsers import TranscriptFormatError, parse_transcript

EXTENSIONS = [".txt", ".vtt", ".srt", ".docx", ".md"]
# FUZZ_EXAMPLES raises the example count for a long local run (default kept small: shared CPUs).
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(extension=st.sampled_from(EXTENSIONS), data=st.binary(max_size=400))
def test_arbitrary_bytes_raise_only_format_errors(extension, data):
    try:
        parse_transcript("upload" + extension, data)
    except TranscriptFormatError:
        pass


PREFIXES = [
    b"WEBVTT\n\n",
    b"WEBVTT\n\n1\n00:00:01.000 --> ",
    b"1\n00:00:01,000 --> 00:00:02,000\n",
    b"Ana Ruiz  0:0",
    b"Ana: ",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"PK\x03\x04",
]
LINES = st.lists(
    st.sampled_from(
        [
            b"",
            b"WEBVTT",
            b"00:00:01.000 --> 00:00:02.000",
            b"<v Ana>hi</v>",
            b"Bo: hello",
            b"2",
            b"0:03",
            b"NOTE x",
            b"-->",
            b"\xc3\xa9",
            b"\r",
            b"\x00",
            b"Ana  1:75",
            b"99:99:99,999 --> 0:0,0",
        ]
    )
    | st.binary(max_size=12),
    max_size=12,
)


@FUZZ
@given(extension=st.sampled_from(EXTENSIONS), prefix=st.sampled_from(PREFIXES), lines=LINES)
def test_structured_garbage_raises_only_format_errors(extension, prefix, lines):
    data = prefix + b"\n".join(lines)
    try:
        parsed = parse_transcript("upload" + extension, data)
    except TranscriptFormatError:
        return
    for turn in parsed.turns:
        assert 0 <= turn.start < turn.end <= len(parsed.text)


# --- generated valid transcripts ---------------------------------------------------------------------------------
NAMES = [
    "Ana Ruiz",
    "Renée",
    "José Núñez",
    "Zoë O'Brien",
    "Nguyễn Thị Lan",
    "Anne-Marie",
    "Counselor 3",
    "Dr. Bo Li",
    "Facilitator",
]
# Letters, marks (combining accents that NFC composes), numbers, punctuation, symbols (emoji, astral plane), spaces.
UTTERANCE_CHARS = st.characters(
    whitelist_categories=(
        "Lu",
        "Ll",
        "Lt",
        "Lm",
        "Lo",
        "Mn",
        "Mc",
        "Nd",
        "No",
        "Po",
        "Pd",
        "Ps",
        "Pe",
        "Sm",
        "So",
        "Sc",
        "Zs",
    ),
    blacklist_characters="<>&\\{}-:",
)
SEEDS = ["e\u0301", "\U0001f476", "\U0001f469\u200d\U0001f467", "ñ", "\U00020000", "a\u0308\u0301", "😀"]


@st.composite
def utterance(draw) -> str:
    parts = draw(
        st.lists(st.text(UTTERANCE_CHARS, max_size=12) | st.sampled_from(SEEDS), min_size=1, max_size=5)
    )
    text = " ".join(parts).strip()
    # An utterance must show something after NFC and stripping; it must not start with a mark
    # (it would combine with the space of the label in a real file too) or look like an Otter header.
    if (
        not text
        or not unicodedata.normalize("NFC", text).strip()
        or unicodedata.category(text[0]).startswith("M")
    ):
        return "Okay " + text
    return text


turns_strategy = st.lists(st.tuples(st.sampled_from(NAMES), utterance()), min_size=1, max_size=6)


def ms(t: int, sep: str) -> str:
    return f"{t // 3_600_000:02d}:{t // 60_000 % 60:02d}:{t // 1000 % 60:02d}{sep}{t % 1000:03d}"


def expected_turns(turns, *, merge: bool, speakers: bool = True):
    expected: list[tuple[str | None, str]] = []
    for name, text in turns:
        text = unicodedata.normalize("NFC", text).strip()
        speaker = name if speakers else None
        if merge and expected and speaker is not None and expected[-1][0] == speaker:
            expected[-1] = (speaker, expected[-1][1] + " " + text)
        else:
            expected.append((speaker, text))
    return expected


def render(fmt: str, turns, build_docx) -> tuple[str, bytes]:
    if fmt == "plain":
        return "t.txt", "\n\n".join(f"{n}: {u}" for n, u in turns).encode("utf-8")
    if fmt == "otter":
        return "t.txt", "\n\n".join(f"{n}  {i}:{i % 60:02d}\n{u}" for i, (n, u) in enumerate(turns)).encode()
    if fmt == "zoom":
        cues = [
            f"{i + 1}\n{ms(i * 1000, '.')} --> {ms(i * 1000 + 900, '.')}\n{n}: {u}"
            for i, (n, u) in enumerate(turns)
        ]
        return "t.vtt", ("WEBVTT\n\n" + "\n\n".join(cues)).encode("utf-8-sig")
    if fmt == "teams":
        cues = [
            f"{uuid.uuid4()}/{i}-0\n{ms(i * 1000, '.')} --> {ms(i * 1000 + 900, '.')}\n<v {n}>{u}</v>"
            for i, (n, u) in enumerate(turns)
        ]
        cues.reverse()  # out of order on purpose
        return "t.vtt", ("WEBVTT\n\n" + "\n\n".join(cues)).encode("utf-16")
    if fmt == "srt":
        cues = [
            f"{i + 1}\n{ms(i * 1000, ',')} --> {ms(i * 1000 + 900, ',')}\n{u}"
            for i, (_, u) in enumerate(turns)
        ]
        return "t.srt", "\r\n\r\n".join(cues).encode("utf-8")
    assert fmt == "docx"
    return "t.docx", build_docx([f"{n}: {u}" for n, u in turns])


# make_docx is a pure builder function, safe to share between examples.
@settings(
    max_examples=max(EXAMPLES // 2, 25),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(fmt=st.sampled_from(["plain", "otter", "zoom", "teams", "srt", "docx"]), turns=turns_strategy)
def test_offsets_hold_for_generated_transcripts(make_docx, fmt, turns):
    filename, data = render(fmt, turns, make_docx)
    parsed = parse_transcript(filename, data)
    expected = expected_turns(turns, merge=fmt in ("zoom", "teams"), speakers=fmt != "srt")
    got = [(t.speaker, parsed.text[t.start : t.end]) for t in parsed.turns]
    assert got == expected
    assert unicodedata.is_normalized("NFC", parsed.text)
    for turn in parsed.turns:
        if turn.speaker is not None:
            assert parsed.text[turn.label_start : turn.start] == turn.speaker + ": "
