"""SubRip (.srt): numbered cues, ``HH:MM:SS,mmm --> HH:MM:SS,mmm``, text lines, blank line. No speaker field.

Each cue becomes a speakerless turn carrying its start time (cues are not merged: there is no speaker to merge
on). A dot instead of the comma before milliseconds is accepted.
"""

from __future__ import annotations

import re

from qualitative.parsers.cues import blocks, sort_by_start
from qualitative.parsers.model import Segment, TranscriptFormatError
from qualitative.parsers.timecode import parse_cue_timing

_FORMATTING = re.compile(r"</?(?:i|b|u|s|font)(?:\s[^>]*)?>|\{\\[^}]*\}", re.IGNORECASE)
_EXPECTED = "HH:MM:SS,mmm --> HH:MM:SS,mmm"


def looks_like_srt(text: str) -> bool:
    """True when the first block is a cue number followed by a timing line."""
    found = blocks(text)
    if not found or len(found[0].lines) < 2:
        return False
    first = found[0].lines
    return first[0].strip().isdigit() and "-->" in first[1]


def parse_srt(text: str, warnings: list[str]) -> list[Segment]:
    """Speakerless segments, one per cue."""
    segments: list[Segment] = []
    stray = 0
    for block in blocks(text):
        lines = block.lines
        if "-->" in lines[0]:
            timing_index = 0
        elif len(lines) > 1 and lines[0].strip().isdigit() and "-->" in lines[1]:
            timing_index = 1
        elif segments:
            # A blank line inside a cue's text: keep the text with the cue before it.
            segments[-1].more_lines.extend(lines)
            stray += 1
            continue
        else:
            raise TranscriptFormatError(
                f"line {block.first_line}: expected a cue number followed by a timing line ({_EXPECTED})"
            )
        number = block.first_line + timing_index
        start, end = parse_cue_timing(lines[timing_index], number, _EXPECTED)
        body = _FORMATTING.sub("", "\n".join(lines[timing_index + 1 :]))
        segments.append(
            Segment(None, " ".join(p.strip() for p in body.split("\n") if p.strip()), start, end, number)
        )
    if stray:
        warnings.append(f"{stray} block(s) without a timing were kept with the cue before them.")
    return sort_by_start(segments, warnings)
