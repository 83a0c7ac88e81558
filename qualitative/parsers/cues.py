"""Blocks of cue files (WebVTT, SubRip): runs of non-blank lines with their 1-based line numbers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Block:
    first_line: int
    lines: list[str]


def blocks(text: str) -> list[Block]:
    """Split ``text`` into blocks separated by blank (or whitespace-only) lines."""
    found: list[Block] = []
    current: list[str] = []
    first = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            if not current:
                first = number
            current.append(line)
        elif current:
            found.append(Block(first, current))
            current = []
    if current:
        found.append(Block(first, current))
    return found


def sort_by_start(cues: list, warnings: list[str]) -> list:
    """Stable sort of cues by ``start_ms`` (Teams exports can be out of order); warns when order changed."""
    ordered = sorted(cues, key=lambda c: c.start_ms)
    moved = sum(1 for a, b in zip(cues, ordered, strict=True) if a is not b)
    if moved:
        warnings.append(f"Cues were out of order ({moved} moved); sorted by start time.")
    return ordered
