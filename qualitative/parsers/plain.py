"""Plain "Speaker: text" transcripts (.txt, and the paragraphs of a .docx).

Rule: a line ``<label>: <text>`` starts a new turn when the label looks like a speaker name (see
``is_speaker_label``). Lines without a label continue the current speaker's turn (also across blank lines, as
long answers run over several paragraphs); before any speaker, or in a file with no labels at all, each paragraph
(run of non-blank lines) is a speakerless turn.
"""

from __future__ import annotations

import re
from collections import Counter

from qualitative.parsers.model import Segment

# A name of up to 63 characters (the common limit of transcription tools) before the colon, starting with a
# letter, followed by whitespace or the end of the line (so "http://..." and "10:30" are not labels).
LABEL_LINE = re.compile(r"(?P<label>[^\W\d_][^:\n]{0,62}):(?:[ \t]+(?P<rest>.*)|[ \t]*)$")
_NAME_PARTICLES = frozenset(
    "de da del della der di do dos du la le van von y bin ibn al el of the and".split()
)
_NOT_IN_NAMES = frozenset('?!;"“”…')
MAX_LABEL_WORDS = 6


def _word_looks_like_name(word: str) -> bool:
    first = word[0]
    return first.isupper() or first.isdigit() or first in "([&-" or word in _NAME_PARTICLES


def is_speaker_label(label: str, repeats: int = 1) -> bool:
    """Heuristic: every word capitalised (particles like "de", "van" allowed), or the label is used >= 2 times.

    "Interviewer", "Participant 3", "Dr. Ana de la Cruz", "COUNSELOR A" pass; "I told her" does not, unless the
    same text starts two or more lines (lower-case speaker names, e.g. "interviewer:").
    """
    label = label.strip()
    if not label or len(label) > 63 or any(ch in _NOT_IN_NAMES for ch in label):
        return False
    words = label.split()
    if len(words) > MAX_LABEL_WORDS:
        return False
    if all(_word_looks_like_name(w) for w in words):
        return True
    return repeats >= 2 and len(words) <= 3


def split_label(line: str) -> tuple[str, str] | None:
    """``(label, rest)`` when ``line`` has the ``<label>: <text>`` shape (not yet judged a speaker)."""
    match = LABEL_LINE.match(line)
    if match is None:
        return None
    return " ".join(match["label"].split()), (match["rest"] or "")


def label_counts(lines: list[str]) -> Counter[str]:
    """How many lines start with each candidate label."""
    counts: Counter[str] = Counter()
    for line in lines:
        found = split_label(line.strip())
        if found is not None:
            counts[found[0]] += 1
    return counts


def _judged(label: str, counts: Counter[str], verdicts: dict[str, bool]) -> bool:
    """``is_speaker_label`` once per distinct label."""
    if label not in verdicts:
        verdicts[label] = is_speaker_label(label, counts[label])
    return verdicts[label]


def parse_plain(text: str, warnings: list[str], first_line: int = 1) -> list[Segment]:
    """Segments of a "Speaker: text" transcript (see the module docstring for the rule)."""
    lines = text.split("\n")
    counts = label_counts(lines)
    verdicts: dict[str, bool] = {}
    segments: list[Segment] = []
    current: Segment | None = None
    any_speaker = False
    for number, raw in enumerate(lines, start=first_line):
        line = raw.strip()
        if not line:
            if current is not None and current.speaker is None:
                current = None  # speakerless paragraphs end at a blank line
            continue
        found = split_label(line)
        if found is not None and _judged(found[0], counts, verdicts):
            any_speaker = True
            current = Segment(found[0], found[1], line=number)
            segments.append(current)
        elif current is None:
            current = Segment(None, line, line=number)
            segments.append(current)
        else:
            current.add_line(line)
    if segments and not any_speaker:
        warnings.append("No speaker labels found; each paragraph became a turn without a speaker.")
    return segments
