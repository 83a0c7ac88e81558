"""Redaction proposals for a parsed transcript (see the package docstring)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from qualitative.deidentify import detectors
from qualitative.deidentify.wordlists import COMMON_WORDS, TITLES
from qualitative.parsers.model import LABEL_SEPARATOR, Turn

REPLACEMENTS = {"name": "[NAME]", "phone": "[PHONE]", "email": "[EMAIL]", "date_of_birth": "[DOB]"}
# Overlapping proposals: the lower number wins (an email holds name-like tokens; a participant's name is more
# specific than the generic capitalised-name heuristic).
_PRIORITY = {"email": 0, "phone": 1, "date_of_birth": 2, "speaker": 3, "participant_name": 4, "name": 5}
_ROLE_LABEL = re.compile(
    r"(?:unknown\s+)?(?:speaker|interviewer|facilitator|co-?facilitator|moderator|note-?taker|participant|"
    r"respondent|interviewee|counselou?r|clinician|therapist|supervisor|mother|mom|staff|researcher)"
    r"(?:(?:\s+|\s*[-#]\s*)(?:[a-z]\d{0,3}|\d{1,3})|\d{1,3})?"
    r"|[ipfrmc]\d{0,3}",  # P2, I, R1
    re.IGNORECASE,
)


class RedactionError(ValueError):
    """Redactions that cannot be applied: overlapping, stale, outside one turn, or with a bad replacement."""


@dataclass(frozen=True, slots=True)
class Redaction:
    """A span ``[start, end)`` of code points to replace. ``replacement`` (set when a person accepts it, possibly
    edited) wins over ``replacement_suggestion``."""

    start: int
    end: int
    kind: str  # speaker | participant_name | name | phone | email | date_of_birth
    original: str
    replacement_suggestion: str
    replacement: str | None = None

    @property
    def effective_replacement(self) -> str:
        return self.replacement if self.replacement is not None else self.replacement_suggestion


def is_role_label(speaker: str) -> bool:
    """True for labels that name a role, not a person: "Interviewer", "Participant 3", "Counselor A", "P2"."""
    return _ROLE_LABEL.fullmatch(speaker.strip()) is not None


def speaker_pseudonyms(turns: Sequence[Turn], known_names: Iterable[str] = ()) -> dict[str, int]:
    """Person number for each named speaker (order of first appearance), then each further known name.

    Role labels ("Facilitator", "Speaker 2") get no number. A known name and a speaker are the same person when
    one is the other's first name ("Renée" and "Renée Alvarez").
    """
    # Numbers already used by role labels such as "Participant 3" are skipped, so pseudonyms never collide.
    taken = {
        int(m[1]) for t in turns if t.speaker and (m := re.fullmatch(r"participant\s*(\d+)", t.speaker, re.I))
    }
    numbers: dict[str, int] = {}

    def next_number() -> int:
        n = max([0, *numbers.values()]) + 1
        while n in taken:
            n += 1
        return n

    for turn in turns:
        if turn.speaker is not None and not is_role_label(turn.speaker) and turn.speaker not in numbers:
            numbers[turn.speaker] = next_number()
    folded = {name.casefold(): n for name, n in numbers.items()}
    first_names = {parts[0].casefold(): n for name, n in numbers.items() if (parts := _name_parts(name))}
    for name in known_names:
        name = " ".join(name.split())
        if not name or name.casefold() in folded:
            continue
        first = _name_parts(name)[0] if _name_parts(name) else ""
        if first.casefold() in folded:  # "Renée Alvarez" when "Renée" speaks
            numbers[name] = folded[first.casefold()]
        elif name.casefold() in first_names:  # "Renée" when "Renée Alvarez" speaks
            numbers[name] = first_names[name.casefold()]
        else:
            numbers[name] = next_number()
        folded[name.casefold()] = numbers[name]
    return numbers


def _name_parts(name: str) -> list[str]:
    return [w for w in name.replace(",", " ").split() if w.rstrip(".").casefold() not in TITLES]


def _name_variants(name: str) -> list[str]:
    """The full name, the first name and (for two or more words) the last name."""
    parts = _name_parts(name)
    variants = [name]
    if parts:
        variants.append(parts[0])
        if len(parts) > 1:
            variants.append(parts[-1])
    return [v for v in variants if len(v) >= 2]


def _regions(turns: Sequence[Turn]) -> list[tuple[int, int]]:
    return [(t.start, t.end) for t in turns]


def _participant_names(
    text: str, regions: list[tuple[int, int]], persons: dict[str, int]
) -> list[tuple[int, int, int]]:
    """(start, end, person) spans of known people's names, full names first; case-insensitive, but a one-word
    variant must be capitalised in the text ("Hope" the person, not "I hope")."""
    variant_person: dict[str, int] = {}
    for name, number in persons.items():
        for variant in _name_variants(name):
            variant_person.setdefault(variant.casefold(), number)
    if not variant_person:
        return []
    ordered = sorted(variant_person, key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(v) for v in ordered) + r")(?!\w)", re.IGNORECASE)
    found = []
    for start, end in regions:
        for match in pattern.finditer(text, start, end):
            if " " not in match[0] and not match[0][0].isupper():
                continue
            found.append((match.start(), match.end(), variant_person[match[0].casefold()]))
    return found


def propose_redactions(
    text: str, turns: Sequence[Turn], known_names: Sequence[str], *, extra_common_words: Iterable[str] = ()
) -> list[Redaction]:
    """Proposed redactions, sorted by start and non-overlapping (see the package docstring for the kinds).

    Speaker labels of people become "Participant N"; their names in utterances "[PN]" (N from
    ``speaker_pseudonyms``); other names "[NAME]", phones "[PHONE]", emails "[EMAIL]", dates of birth "[DOB]".
    """
    persons = speaker_pseudonyms(turns, known_names)
    regions = _regions(turns)
    candidates: list[tuple[int, int, str, str]] = []
    for turn in turns:
        if turn.speaker is not None and turn.speaker in persons:
            start = turn.start - len(LABEL_SEPARATOR) - len(turn.speaker)
            label = f"Participant {persons[turn.speaker]}"
            candidates.append((start, start + len(turn.speaker), "speaker", label))
    for start, end in regions:
        segment = text[start:end]
        for kind, finder in (
            ("email", detectors.emails),
            ("phone", detectors.phones),
            ("date_of_birth", detectors.dates_of_birth),
        ):
            candidates.extend((start + a, start + b, kind, REPLACEMENTS[kind]) for a, b in finder(segment))
    candidates.extend(
        (a, b, "participant_name", f"[P{n}]") for a, b, n in _participant_names(text, regions, persons)
    )
    common = COMMON_WORDS | frozenset(w.casefold() for w in extra_common_words)
    candidates.extend(
        (a, b, "name", REPLACEMENTS["name"]) for a, b in detectors.capitalised_names(text, regions, common)
    )

    ranked = sorted(candidates, key=lambda c: (_PRIORITY[c[2]], c[0] - c[1], c[0]))
    chosen = _first_non_overlapping(ranked, len(text))
    return [Redaction(a, b, kind, text[a:b], suggestion) for a, b, kind, suggestion in chosen]


def _first_non_overlapping(
    ranked: list[tuple[int, int, str, str]], text_length: int
) -> list[tuple[int, int, str, str]]:
    """Keep candidates in rank order unless they overlap one already kept; return them sorted by start."""
    occupied = bytearray(text_length)
    kept: list[tuple[int, int, str, str]] = []
    for candidate in ranked:
        start, end = candidate[0], candidate[1]
        if 1 in occupied[start:end]:
            continue
        occupied[start:end] = b"\x01" * (end - start)
        kept.append(candidate)
    return sorted(kept)
