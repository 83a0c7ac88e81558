"""Otter.ai text exports: a header line ``Name  M:SS`` (or ``H:MM:SS``), the text, a blank line.

A header is only looked for on the first line of a paragraph, so a sentence ending in a time ("we met at 3:45")
inside a block is never taken for a header. A header with a time but no name gives a speakerless turn.
"""

from __future__ import annotations

import re

from qualitative.parsers.model import Segment
from qualitative.parsers.timecode import parse_otter_time

# Name (up to 63 characters) then whitespace then a time, alone on the line. Digits are matched loosely here
# and validated by parse_otter_time, so "Ana  1:75" is reported as a malformed timestamp, not as text.
OTTER_HEADER = re.compile(r"(?:(?P<name>\S.{0,62}?)\s+)?(?P<time>\d{1,3}:\d{1,3}(?::\d{1,3})?)\s*$")


def _paragraph_first_lines(lines: list[str]) -> list[int]:
    firsts = []
    previous_blank = True
    for index, line in enumerate(lines):
        blank = not line.strip()
        if not blank and previous_blank:
            firsts.append(index)
        previous_blank = blank
    return firsts


def looks_like_otter(text: str) -> bool:
    """True when at least half of the paragraphs (and at least one) open with an Otter header line."""
    lines = text.split("\n")
    firsts = _paragraph_first_lines(lines)
    headers = sum(
        1
        for i in firsts
        if OTTER_HEADER.match(lines[i].strip()) and i + 1 < len(lines) and lines[i + 1].strip()
    )
    return headers >= 1 and headers * 2 >= len(firsts)


def parse_otter(text: str, warnings: list[str]) -> list[Segment]:
    """Segments of an Otter transcript, one per header block."""
    lines = text.split("\n")
    firsts = set(_paragraph_first_lines(lines))
    segments: list[Segment] = []
    current: Segment | None = None
    for index, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            continue
        number = index + 1
        header = OTTER_HEADER.match(line) if index in firsts else None
        if header is not None:
            name = " ".join((header["name"] or "").split()) or None
            current = Segment(name, "", parse_otter_time(header["time"], number), None, number)
            segments.append(current)
        elif current is None:
            warnings.append(f"line {number}: text before the first Otter header became a speakerless turn.")
            current = Segment(None, line, line=number)
            segments.append(current)
        else:
            current.add_line(line)
    return segments
