"""Transcript import: bytes of a .txt, .vtt, .srt or .docx file -> one normalised text with speaker turns.

``parse_transcript`` is the entry point. Formats (see ``reference/implementation-science.md``, "Transcript
formats analysts bring"): plain "Speaker: text" (.txt, .docx), Otter.ai (.txt, .docx), Zoom and Teams WebVTT,
SubRip. The format is chosen from the extension *and* the content (a .txt holding an Otter export or WebVTT is
read as such, with a warning when the content overrides the extension).

Output layout and offsets: see ``qualitative.parsers.model``. For every turn, ``text[turn.start:turn.end]`` is the
utterance (label excluded); offsets are code points, zero-based, end-exclusive.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass

from qualitative.parsers.docx import read_docx_lines
from qualitative.parsers.model import (
    LABEL_SEPARATOR,
    TURN_SEPARATOR,
    ParsedTranscript,
    Segment,
    TranscriptFormatError,
    Turn,
    assemble,
)
from qualitative.parsers.normalise import decode_text, normalise_text
from qualitative.parsers.otter import looks_like_otter, parse_otter
from qualitative.parsers.plain import parse_plain
from qualitative.parsers.srt import looks_like_srt, parse_srt
from qualitative.parsers.vtt import has_vtt_header, parse_vtt

__all__ = [
    "DEFAULT_MAX_BYTES",
    "TranscriptLimits",
    "LABEL_SEPARATOR",
    "SUPPORTED_EXTENSIONS",
    "TURN_SEPARATOR",
    "ParsedTranscript",
    "TranscriptFormatError",
    "Turn",
    "limit_problem",
    "parse_transcript",
]

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class TranscriptLimits:
    """What one transcript may hold, so one import, its document page and its speakers page stay bounded work
    (issue 14: an 8 MB file of 300,000 one-line turns took 40 s to import and its page was 165 MB of HTML). An
    interview of two hours runs to some 2,000 turns, 10 speakers and 150,000 characters; the defaults leave
    ten times that. The app's values come from ``QUAL_MAX_TRANSCRIPT_TURNS``, ``_SPEAKERS`` and ``_CHARS``."""

    turns: int = 20_000
    speakers: int = 100
    chars: int = 2_000_000
SUPPORTED_EXTENSIONS = (".txt", ".vtt", ".srt", ".docx")
_ZIP_MAGIC = b"PK\x03\x04"


def _extension(filename: str) -> str:
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return os.path.splitext(base)[1].lower()


def _parse_text(text: str, extension: str, warnings: list[str]) -> tuple[list[Segment], str, bool]:
    """Segments, format name and whether consecutive same-speaker segments merge."""
    if extension == ".vtt":
        segments, flavour = parse_vtt(text, warnings)
        return segments, flavour, True
    if has_vtt_header(text):
        warnings.append(f"The {extension} file holds WebVTT captions; read as WebVTT.")
        segments, flavour = parse_vtt(text, warnings)
        return segments, flavour, True
    if extension == ".srt" or looks_like_srt(text):
        if extension != ".srt":
            warnings.append(f"The {extension} file holds SubRip (.srt) captions; read as SubRip.")
        return parse_srt(text, warnings), "srt", False
    if looks_like_otter(text):
        return parse_otter(text, warnings), "otter_txt", False
    return parse_plain(text, warnings), "plain_txt", False


def parse_transcript(filename: str, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES,
                     limits: TranscriptLimits = TranscriptLimits()) -> ParsedTranscript:
    """Read one transcript file into normalised text and turns.

    Raises TranscriptFormatError (a ValueError) with a message naming the problem and, where it applies, the line:
    unsupported extension, empty or oversized file, undecodable text, binary or corrupt file, zip bomb, missing
    WEBVTT header, malformed timestamp, no transcript text.
    """
    extension = _extension(filename)
    if extension == ".doc":
        raise TranscriptFormatError(f"{filename}: old Word .doc files are not supported; save it as .docx")
    if extension not in SUPPORTED_EXTENSIONS:
        raise TranscriptFormatError(
            f"{filename}: unsupported file type {extension or '(none)'!r}; use one of {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    if not data:
        raise TranscriptFormatError(f"{filename}: the file is empty")
    if len(data) > max_bytes:
        raise TranscriptFormatError(f"{filename}: {len(data):,} bytes is over the {max_bytes:,}-byte limit")

    warnings: list[str] = []
    if extension == ".docx":
        lines = read_docx_lines(data, filename, max_bytes)
        text = normalise_text("\n".join(lines), filename, warnings)
        encoding = "utf-8"
        if looks_like_otter(text):
            segments, fmt = parse_otter(text, warnings), "otter_docx"
        else:
            segments, fmt = parse_plain(text, warnings), "docx"
        merge = False
    else:
        if data.startswith(_ZIP_MAGIC):
            raise TranscriptFormatError(
                f"{filename}: is a zip archive (perhaps a Word .docx), not a {extension} text file"
            )
        decoded, encoding, warnings = decode_text(data, filename)
        text = normalise_text(decoded, filename, warnings)
        segments, fmt, merge = _parse_text(text, extension, warnings)

    for segment in segments:
        if segment.speaker is not None:
            segment.speaker = unicodedata.normalize("NFC", " ".join(segment.speaker.split())) or None
    final_text, turns = assemble(segments, merge_same_speaker=merge)
    if not turns:
        raise TranscriptFormatError(f"{filename}: contains no transcript text")
    parsed = ParsedTranscript(final_text, turns, fmt, encoding, warnings)
    _check_limits(filename, parsed, limits)
    return parsed


def _check_limits(filename: str, parsed: ParsedTranscript, limits: TranscriptLimits) -> None:
    problem = (limit_problem(filename, len(parsed.text), 0, 0, limits)
               or limit_problem(filename, 0, len(parsed.turns), len(parsed.speakers), limits))
    if problem:
        raise TranscriptFormatError(problem)


def limit_problem(label: str, chars: int, turns: int, speakers: int, limits: TranscriptLimits) -> str | None:
    """The refusal of a transcript (named ``label``: a file name, or a REFI-QDA source) over one of ``limits``,
    characters first (they can be counted before the turns are), or ``None``. Every transcript import uses it."""
    if chars > limits.chars:
        return (f"{label}: {chars:,} characters is over the {limits.chars:,}-character limit of one transcript; "
                "split it into parts")
    if turns > limits.turns:
        return f"{label}: {turns:,} turns is over the {limits.turns:,}-turn limit of one transcript; split it into parts"
    if speakers > limits.speakers:
        return (f"{label}: {speakers:,} different speaker labels is over the {limits.speakers:,}-speaker limit; are "
                "the lines' first words read as speakers? Label turns as “Name: text”")
    return None
