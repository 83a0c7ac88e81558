"""Queries over coded transcripts: text search, Boolean and proximity code queries, same-turn co-occurrence, and
the co-occurrence network drawn as SVG. Pure: plain data in, plain data out.

The unit is the speaker turn (as in turn-level agreement): a turn "has" a code when a coding of that code overlaps
it by at least one character (s < turn end and e > turn start), whoever coded it (the caller filters coders).
Rules, for codes A and B:
- ``A AND B``: turns that have both A and B;
- ``A NOT B``: turns that have A and not B;
- ``A OR B``: turns that have A or B;
- ``A NEAR B`` within n turns: turns that have A with a turn of the same document having B at most n turns away
  (|i - j| <= n; n = 0 is AND). NVivo's "near" coding query and MAXQDA's "near" / "followed by" complex coding
  search work on characters or paragraphs; here the unit is the turn, stated on the page.
Co-occurrence (same-turn convention): the count for codes A and B is the number of turns that have both; the
diagonal holds the turns that have the code; n is the number of turns considered.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

OPERATORS = ("AND", "NOT", "OR", "NEAR")
MAX_NEAR = 50  # turns; a wider window is a document-level question

TurnKey = tuple[int, int]  # (document id, turn index)


class QueryInputError(ValueError):
    """Bad query input; ``field`` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Unit:
    """A speaker turn: its document, index in the document, and [start, end) offsets."""

    document_id: int
    index: int
    start: int
    end: int


def codes_per_turn(units: Sequence[Unit], codings: Iterable[tuple[int, int, int, int]]) -> dict[TurnKey, set[int]]:
    """{(document id, turn index): codes} from codings (document id, code id, start, end) overlapping each turn."""
    by_doc: dict[int, list[Unit]] = {}
    for u in units:
        by_doc.setdefault(u.document_id, []).append(u)
    out: dict[TurnKey, set[int]] = {(u.document_id, u.index): set() for u in units}
    for doc_id, code_id, start, end in codings:
        for u in by_doc.get(doc_id, ()):
            if start < u.end and end > u.start:
                out[(doc_id, u.index)].add(code_id)
    return out


def code_query(per_turn: Mapping[TurnKey, set[int]], op: str, a: int, b: int | None = None,
               near: int = 1) -> list[TurnKey]:
    """Turns matching ``A op B`` (see the module docstring), in document and turn order."""
    if op not in OPERATORS:
        raise QueryInputError(f"operator must be one of {', '.join(OPERATORS)}, got {op!r}", "op")
    if b is None:
        raise QueryInputError("choose the second code (B)", "code_b")
    if op == "NEAR" and not (0 <= near <= MAX_NEAR):
        raise QueryInputError(f"near must be between 0 and {MAX_NEAR} turns, got {near}", "near")
    keys = sorted(per_turn)
    if op == "AND":
        return [k for k in keys if a in per_turn[k] and b in per_turn[k]]
    if op == "NOT":
        return [k for k in keys if a in per_turn[k] and b not in per_turn[k]]
    if op == "OR":
        return [k for k in keys if a in per_turn[k] or b in per_turn[k]]
    with_b: dict[int, list[int]] = {}
    for doc_id, index in keys:
        if b in per_turn[(doc_id, index)]:
            with_b.setdefault(doc_id, []).append(index)
    return [(doc_id, index) for doc_id, index in keys if a in per_turn[(doc_id, index)]
            and any(abs(index - j) <= near for j in with_b.get(doc_id, ()))]


def text_hits(text: str, start: int, end: int, needle: str) -> list[tuple[int, int]]:
    """Case-insensitive occurrences of ``needle`` inside text[start:end], as offsets into ``text`` (casefold
    compares per character so offsets stay valid; an empty needle finds nothing)."""
    needle = needle.strip()
    if not needle:
        return []
    hay = "".join(ch.lower()[0] for ch in text[start:end])
    low = "".join(ch.lower()[0] for ch in needle)
    out, at = [], hay.find(low)
    while at >= 0:
        out.append((start + at, start + at + len(low)))
        at = hay.find(low, at + len(low))
    return out


def cooccurrence(per_turn: Mapping[TurnKey, set[int]], code_ids: Sequence[int]) -> dict:
    """Same-turn co-occurrence of ``code_ids``: {"n": turns, "counts": {(a, b): turns with both}} with a == b the
    turns with the code; pairs are stored both ways round."""
    wanted = set(code_ids)
    counts: dict[tuple[int, int], int] = {}
    for codes in per_turn.values():
        present = sorted(codes & wanted)
        for i, a in enumerate(present):
            for b in present[i:]:
                counts[(a, b)] = counts.get((a, b), 0) + 1
                if a != b:
                    counts[(b, a)] = counts.get((b, a), 0) + 1
    return {"n": len(per_turn), "counts": counts}


def network_svg(labels: Mapping[int, str], counts: Mapping[tuple[int, int], int], size: int = 640,
                title: str = "Code co-occurrence network") -> str:
    """An SVG of the co-occurrence network: codes on a circle (in the order given), a node's area proportional to
    its turns, an edge's width to the turns two codes share; counts written on the edges. Drawn on the server, no
    script, no external resource."""
    nodes = [c for c in labels if counts.get((c, c), 0) > 0]
    centre, radius = size / 2, size / 2 - 110
    top = max([counts.get((c, c), 0) for c in nodes] or [1])
    top_edge = max([v for (a, b), v in counts.items() if a < b and a in labels and b in labels] or [1])
    pos = {}
    for i, c in enumerate(nodes):
        angle = 2 * math.pi * i / max(len(nodes), 1) - math.pi / 2
        pos[c] = (centre + radius * math.cos(angle), centre + radius * math.sin(angle))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" role="img" '
             f'aria-labelledby="net-title" class="network"><title id="net-title">{escape(title)}</title>']
    for i, a in enumerate(nodes):
        for b in nodes[i + 1:]:
            v = counts.get((a, b), 0)
            if not v:
                continue
            (x1, y1), (x2, y2) = pos[a], pos[b]
            width = 1 + 7 * v / top_edge
            parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#5b6b7f" '
                         f'stroke-opacity="0.55" stroke-width="{width:.1f}"><title>{escape(labels[a])} and '
                         f'{escape(labels[b])}: {v} turn{"s" if v != 1 else ""}</title></line>')
            parts.append(f'<text x="{(x1 + x2) / 2:.1f}" y="{(y1 + y2) / 2:.1f}" font-size="11" '
                         f'text-anchor="middle" fill="#1f2933">{v}</text>')
    for c in nodes:
        x, y = pos[c]
        n = counts.get((c, c), 0)
        r = 6 + 18 * math.sqrt(n / top)
        anchor = "start" if x >= centre else "end"
        dx = r + 4 if x >= centre else -(r + 4)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="#2f6f9f"><title>{escape(labels[c])}: '
                     f'{n} turn{"s" if n != 1 else ""}</title></circle>')
        parts.append(f'<text x="{x + dx:.1f}" y="{y + 4:.1f}" font-size="12" text-anchor="{anchor}" '
                     f'fill="#1f2933">{escape(labels[c])} ({n})</text>')
    parts.append("</svg>")
    return "".join(parts)
