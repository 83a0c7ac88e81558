"""Apply accepted redactions: new text, shifted turns, renamed speakers, and a map from old to new offsets."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from qualitative.deidentify.propose import Redaction, RedactionError
from qualitative.parsers.model import LABEL_SEPARATOR, Turn


@dataclass(frozen=True, slots=True)
class OffsetMap:
    """Old-text offsets -> new-text offsets after replacing ``old_spans[i]`` by text at ``new_spans[i]``.

    Outside redactions an offset moves by the total length change of the redactions before it. An offset strictly
    inside a redacted span maps to the start of its replacement (``side="start"``) or the end (``side="end"``), so a
    coding that covered part of a name covers the whole pseudonym.
    """

    old_spans: tuple[tuple[int, int], ...]
    new_spans: tuple[tuple[int, int], ...]
    _old_ends: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_old_ends", tuple(end for _, end in self.old_spans))

    def __call__(self, offset: int, side: Literal["start", "end"] = "start") -> int:
        i = bisect.bisect_right(self._old_ends, offset)  # number of spans ending at or before offset
        shift = self.new_spans[i - 1][1] - self.old_spans[i - 1][1] if i else 0
        if i < len(self.old_spans) and self.old_spans[i][0] < offset:  # strictly inside span i
            return self.new_spans[i][0] if side == "start" else self.new_spans[i][1]
        return offset + shift

    def span(self, start: int, end: int) -> tuple[int, int]:
        """New ``[start, end)`` of an old span (a coding, a quote)."""
        return self(start, "start"), self(end, "end")


def _check(
    text: str, regions: list[tuple[int, int]], region_starts: list[int], index: int, r: Redaction
) -> None:
    where = f"redaction {index + 1} ({r.kind} at {r.start}-{r.end})"
    if not 0 <= r.start < r.end <= len(text):
        raise RedactionError(f"{where}: span is empty or outside the text (0..{len(text)})")
    if text[r.start : r.end] != r.original:
        raise RedactionError(
            f"{where}: the text there is {text[r.start : r.end]!r}, not {r.original!r} (stale)"
        )
    replacement = r.effective_replacement
    if not replacement.strip() or "\n" in replacement:
        raise RedactionError(f"{where}: replacement {replacement!r} must be non-empty and on one line")
    i = bisect.bisect_right(region_starts, r.start) - 1
    if i < 0 or r.end > regions[i][1]:
        raise RedactionError(f"{where}: must lie inside one speaker label or one utterance")


def apply_redactions(
    text: str, turns: Sequence[Turn], accepted: Sequence[Redaction]
) -> tuple[str, list[Turn], OffsetMap]:
    """Replace each accepted span by its replacement; return (new text, new turns, offset map).

    Turn offsets move with ``OffsetMap``; a speaker label that was redacted becomes the new speaker name
    (e.g. "Participant 1"), so the ``"Speaker: utterance"`` layout still holds. Raises RedactionError on
    overlapping, stale or out-of-turn redactions.
    """
    regions: list[tuple[int, int]] = []
    for turn in turns:
        if turn.speaker is not None:
            regions.append(
                (turn.start - len(LABEL_SEPARATOR) - len(turn.speaker), turn.start - len(LABEL_SEPARATOR))
            )
        regions.append((turn.start, turn.end))
    regions.sort()
    ordered = sorted(enumerate(accepted), key=lambda pair: (pair[1].start, pair[1].end))
    region_starts = [start for start, _ in regions]
    for index, redaction in ordered:
        _check(text, regions, region_starts, index, redaction)
    for (i, a), (j, b) in zip(ordered, ordered[1:], strict=False):
        if b.start < a.end:
            raise RedactionError(
                f"redactions {i + 1} ({a.start}-{a.end}, {a.original!r}) and {j + 1} ({b.start}-{b.end}, "
                f"{b.original!r}) overlap; accept only one"
            )

    pieces: list[str] = []
    old_spans: list[tuple[int, int]] = []
    new_spans: list[tuple[int, int]] = []
    cursor = length = 0
    for _, redaction in ordered:
        pieces.append(text[cursor : redaction.start])
        length += redaction.start - cursor
        replacement = redaction.effective_replacement
        pieces.append(replacement)
        old_spans.append((redaction.start, redaction.end))
        new_spans.append((length, length + len(replacement)))
        length += len(replacement)
        cursor = redaction.end
    pieces.append(text[cursor:])
    new_text = "".join(pieces)
    offset_map = OffsetMap(tuple(old_spans), tuple(new_spans))

    new_turns: list[Turn] = []
    for turn in turns:
        start, end = offset_map.span(turn.start, turn.end)
        speaker = turn.speaker
        if speaker is not None:
            label_start = offset_map(turn.start - len(LABEL_SEPARATOR) - len(speaker))
            speaker = new_text[label_start : start - len(LABEL_SEPARATOR)]
        new_turns.append(Turn(speaker, start, end, turn.timestamp_ms, turn.end_ms))
    return new_text, new_turns, offset_map
