"""Speaker turns of a plain text *as it is* (no normalisation), for transcripts arriving with coded positions that
must not move, e.g. REFI-QDA sources. Pure: text in, turns out.

Rule (the plain-transcript rule of ``qualitative.parsers.plain``): a line ``<label>: <text>`` whose label looks
like a speaker name starts a turn; following lines without a label continue it; before any speaker, or in a
text without labels, each paragraph (run of non-blank lines) is a speakerless turn. A turn's [start, end) spans
its utterance, from the first character after the label to the last non-blank character of its last line.
"""

from __future__ import annotations

from qualitative.parsers.plain import LABEL_LINE, is_speaker_label, label_counts

Turn = tuple[str | None, int, int]  # speaker, start, end (code points, end-exclusive)


def speaker_turns(text: str) -> list[Turn]:
    lines: list[tuple[int, str]] = []
    position = 0
    for raw in text.split("\n"):
        lines.append((position, raw))
        position += len(raw) + 1
    counts = label_counts([line for _, line in lines])
    verdicts: dict[str, bool] = {}
    turns: list[list] = []  # [speaker, start | None, end]
    current: list | None = None
    for offset, raw in lines:
        stripped = raw.strip()
        if not stripped:
            if current is not None and current[0] is None:
                current = None  # speakerless paragraphs end at a blank line
            continue
        lead = offset + len(raw) - len(raw.lstrip())
        end = lead + len(stripped)
        match = LABEL_LINE.match(stripped)
        label = " ".join(match["label"].split()) if match else None
        if label is not None and verdicts.setdefault(label, is_speaker_label(label, counts[label])):
            rest = match["rest"] or ""
            start = lead + match.start("rest") if rest.strip() else None
            if start is not None:
                start += len(rest) - len(rest.lstrip())
            current = [label, start, end if start is not None else None]
            turns.append(current)
        elif current is None:
            current = [None, lead, end]
            turns.append(current)
        else:
            if current[1] is None:
                current[1] = lead
            current[2] = end
    return [(speaker, start, end) for speaker, start, end in turns if start is not None and end > start]
