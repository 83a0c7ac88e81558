"""Data types shared by the transcript parsers, and the one place that lays turns out as text.

Layout of ``ParsedTranscript.text`` (the rule every parser follows, see ``assemble``):

* one block per turn, blocks separated by a blank line (``"\\n\\n"``);
* a turn with a speaker is written ``"<speaker>: <utterance>"``; a speakerless turn is just ``"<utterance>"``;
* ``Turn.start``/``Turn.end`` are code-point offsets, zero-based and end-exclusive, of the *utterance only*:
  the speaker label and its ``": "`` are outside ``[start, end)``. The label sits at
  ``[turn.label_start, turn.start - 2)``.
* utterances are stripped, never empty and never contain ``"\\n\\n"`` (so the blank line is unambiguous).

Offsets follow the REFI-QDA convention for plain-text selections (code points, zero-based, end-exclusive;
QDA-XML 1.0 ``PlainTextSelection``), which is how the platform stores codings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TURN_SEPARATOR = "\n\n"
LABEL_SEPARATOR = ": "


class TranscriptFormatError(ValueError):
    """A transcript file cannot be read; the message says what is wrong and where (line, byte, member)."""


@dataclass(frozen=True, slots=True)
class Turn:
    """One speaker turn: ``text[start:end]`` is the utterance; ``timestamp_ms`` is when it starts in the recording."""

    speaker: str | None
    start: int
    end: int
    timestamp_ms: int | None = None
    end_ms: int | None = None

    @property
    def label_start(self) -> int | None:
        """Offset where the ``"<speaker>: "`` label begins (None for a speakerless turn)."""
        if self.speaker is None:
            return None
        return self.start - len(self.speaker) - len(LABEL_SEPARATOR)


@dataclass(frozen=True, slots=True)
class ParsedTranscript:
    """A transcript normalised to one plain text (NFC, ``"\\n"`` line ends, no BOM) and its turns."""

    text: str
    turns: list[Turn]
    format: str
    encoding: str
    warnings: list[str] = field(default_factory=list)

    @property
    def speakers(self) -> list[str]:
        """Distinct speaker names in order of first appearance."""
        return list(dict.fromkeys(t.speaker for t in self.turns if t.speaker is not None))


@dataclass(slots=True)
class Segment:
    """An utterance as a parser found it, before layout (a cue, an Otter block, a paragraph)."""

    speaker: str | None
    text: str
    start_ms: int | None = None
    end_ms: int | None = None
    line: int = 0
    more_lines: list[str] = field(default_factory=list)  # appended lines (a list: no quadratic concatenation)

    def add_line(self, line: str) -> None:
        self.more_lines.append(line)

    @property
    def full_text(self) -> str:
        return "\n".join([self.text, *self.more_lines]) if self.more_lines else self.text


def assemble(segments: list[Segment], *, merge_same_speaker: bool) -> tuple[str, list[Turn]]:
    """Lay segments out as text and turns (see the module docstring for the layout rule).

    With ``merge_same_speaker`` (cue formats: vtt), consecutive segments of the same named speaker become one turn,
    their texts joined by a space; speakerless segments are never merged.
    Empty utterances are dropped.
    """
    merged: list[tuple[Segment, list[str]]] = []  # first segment of a turn, utterances to join with a space
    for seg in segments:
        # Strip every line and drop blank ones, so an utterance never holds the turn separator.
        utterance = "\n".join(line.strip() for line in seg.full_text.split("\n") if line.strip())
        if not utterance:
            continue
        if merge_same_speaker and merged and seg.speaker is not None and merged[-1][0].speaker == seg.speaker:
            first, parts = merged[-1]
            parts.append(utterance)
            if seg.end_ms is not None:
                first.end_ms = seg.end_ms
            continue
        merged.append((Segment(seg.speaker, "", seg.start_ms, seg.end_ms, seg.line), [utterance]))

    pieces: list[str] = []
    turns: list[Turn] = []
    position = 0
    for index, (seg, parts) in enumerate(merged):
        utterance = " ".join(parts)
        if index:
            pieces.append(TURN_SEPARATOR)
            position += len(TURN_SEPARATOR)
        if seg.speaker is not None:
            label = seg.speaker + LABEL_SEPARATOR
            pieces.append(label)
            position += len(label)
        pieces.append(utterance)
        turns.append(Turn(seg.speaker, position, position + len(utterance), seg.start_ms, seg.end_ms))
        position += len(utterance)
    return "".join(pieces), turns
