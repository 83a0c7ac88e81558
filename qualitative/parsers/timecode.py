"""Cue timestamps: WebVTT ``[HH:]MM:SS.mmm`` (W3C WebVTT 4.1), SubRip ``HH:MM:SS,mmm``, Otter ``[H:]M:SS``."""

from __future__ import annotations

import re

from qualitative.parsers.model import TranscriptFormatError

_CUE_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})[.,](\d{1,3})"
CUE_TIMING = re.compile(rf"\s*{_CUE_TIME}\s*-->\s*{_CUE_TIME}(?:\s.*)?$")
OTTER_TIME = re.compile(r"(?:(\d{1,3}):)?(\d{1,3}):(\d{1,3})$")


def _ms(hours: str | None, minutes: str, seconds: str, fraction: str, line: int, source: str) -> int:
    h = int(hours) if hours else 0
    m, s = int(minutes), int(seconds)
    if m >= 60 or s >= 60:
        raise TranscriptFormatError(
            f"line {line}: malformed timestamp in {source!r} (minutes and seconds must be below 60)"
        )
    return ((h * 60 + m) * 60 + s) * 1000 + int(fraction.ljust(3, "0"))


def parse_cue_timing(line_text: str, line: int, expected: str) -> tuple[int, int]:
    """``(start_ms, end_ms)`` of a cue timing line; TranscriptFormatError naming the line when malformed."""
    match = CUE_TIMING.match(line_text)
    if match is None:
        raise TranscriptFormatError(
            f"line {line}: malformed cue timing {line_text.strip()[:80]!r}; expected {expected}"
        )
    g = match.groups()
    start = _ms(g[0], g[1], g[2], g[3], line, line_text.strip())
    end = _ms(g[4], g[5], g[6], g[7], line, line_text.strip())
    if end < start:
        raise TranscriptFormatError(f"line {line}: cue ends before it starts ({line_text.strip()[:80]!r})")
    return start, end


def parse_otter_time(value: str, line: int) -> int:
    """Milliseconds of an Otter ``M:SS`` or ``H:MM:SS`` stamp."""
    match = OTTER_TIME.match(value)
    if match is None:
        raise TranscriptFormatError(f"line {line}: malformed timestamp {value!r}; expected M:SS or H:MM:SS")
    hours, minutes, seconds = match.groups()
    if hours is None:  # M:SS may run past 59 minutes
        if int(seconds) >= 60:
            raise TranscriptFormatError(
                f"line {line}: malformed timestamp {value!r} (seconds must be below 60)"
            )
        return (int(minutes) * 60 + int(seconds)) * 1000
    return _ms(hours, minutes, seconds, "0", line, value)
