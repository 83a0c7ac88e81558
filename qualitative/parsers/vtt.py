"""WebVTT captions (W3C WebVTT): Zoom (payload ``Name: text``) and Microsoft Teams (``<v Name>text</v>``).

Teams cue identifiers are GUIDs and cues may be out of order: cues are sorted by start time (stable), then
consecutive cues of the same speaker merge into one turn (``assemble(merge_same_speaker=True)``). Cue text lines
join with a space; tags other than voices are dropped and character references (``&amp;``) decoded.
"""

from __future__ import annotations

import html
import re

from qualitative.parsers.cues import blocks, sort_by_start
from qualitative.parsers.model import Segment, TranscriptFormatError
from qualitative.parsers.plain import is_speaker_label, split_label
from qualitative.parsers.timecode import parse_cue_timing

_HEADER = re.compile(r"WEBVTT(?:[ \t].*)?$")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?[ \t]+([^>]*)>")
_VOICE_END = re.compile(r"</v\s*>")
_TAG = re.compile(r"</?[a-zA-Z0-9.:_-]*(?:[ \t][^>]*)?>|<\d[\d:.]*>")
_NON_CUE_BLOCKS = ("NOTE", "STYLE", "REGION")
_EXPECTED = "HH:MM:SS.mmm --> HH:MM:SS.mmm"


def has_vtt_header(text: str) -> bool:
    return _HEADER.match(text.split("\n", 1)[0]) is not None


def _clean(payload: str) -> str:
    """Drop tags, decode character references, join display lines with a space."""
    text = html.unescape(_TAG.sub("", payload))
    return " ".join(part.strip() for part in text.split("\n") if part.strip())


def _voices(payload: str) -> list[tuple[str | None, str]]:
    """``(speaker, text)`` spans of a payload with ``<v Name>`` tags; text before the first tag is speakerless."""
    payload = _VOICE_END.sub("", payload)
    spans: list[tuple[str | None, str]] = []
    matches = list(_VOICE.finditer(payload))
    if matches[0].start() > 0:
        spans.append((None, payload[: matches[0].start()]))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(payload)
        name = " ".join(html.unescape(match[1]).split()) or None
        spans.append((name, payload[match.end() : end]))
    return [(name, _clean(text)) for name, text in spans]


def parse_vtt(text: str, warnings: list[str]) -> tuple[list[Segment], str]:
    """Segments of a WebVTT file and its flavour: ``"teams_vtt"``, ``"zoom_vtt"`` or ``"vtt"`` (no speakers)."""
    if not has_vtt_header(text):
        raise TranscriptFormatError("line 1: a .vtt file must start with the header line 'WEBVTT'")
    raw_cues: list[tuple[int, int, int, str]] = []  # start_ms, end_ms, line, payload
    for block in blocks(text)[1:]:  # the first block is the header (WEBVTT plus header lines)
        head = block.lines[0].strip()
        if head.split(" ", 1)[0].split("\t", 1)[0] in _NON_CUE_BLOCKS and "-->" not in head:
            continue
        if "-->" in head:
            timing_index = 0
        elif len(block.lines) > 1 and "-->" in block.lines[1]:
            timing_index = 1  # the first line is a cue identifier (numbers in Zoom, GUIDs in Teams)
        else:
            warnings.append(f"line {block.first_line}: block without a cue timing skipped.")
            continue
        number = block.first_line + timing_index
        start, end = parse_cue_timing(block.lines[timing_index], number, _EXPECTED)
        raw_cues.append((start, end, number, "\n".join(block.lines[timing_index + 1 :])))

    teams = any(_VOICE.search(payload) for *_, payload in raw_cues)
    segments: list[Segment] = []
    if teams:
        for start, end, number, payload in raw_cues:
            if _VOICE.search(payload):
                segments.extend(Segment(n, t, start, end, number) for n, t in _voices(payload))
            else:
                segments.append(Segment(None, _clean(payload), start, end, number))
        flavour = "teams_vtt"
    else:
        cleaned = [(start, end, number, _clean(payload)) for start, end, number, payload in raw_cues]
        labelled = [split_label(t) for *_, t in cleaned]
        counts: dict[str, int] = {}
        for found in labelled:
            if found is not None:
                counts[found[0]] = counts.get(found[0], 0) + 1
        any_speaker = False
        for (start, end, number, cue_text), found in zip(cleaned, labelled, strict=True):
            if found is not None and is_speaker_label(found[0], counts[found[0]]):
                any_speaker = True
                segments.append(Segment(found[0], found[1], start, end, number))
            else:
                segments.append(Segment(None, cue_text, start, end, number))
        flavour = "zoom_vtt" if any_speaker else "vtt"
    return sort_by_start(segments, warnings), flavour
