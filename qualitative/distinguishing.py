"""Which CFIR constructs distinguish high- from low-implementation clinics (pure: plain data in and out).

Source: Damschroder LJ, Lowery JC (2013) Evaluation of a large-scale weight management program using the
consolidated framework for implementation research (CFIR). Implement Sci 8:51. Constructs are rated per case
(+2..-2, mixed "X", or missing = not discussed); a construct *strongly* distinguishes high from low
implementation cases when their ratings differ by two points or more, consistently, and *weakly* when by one.

Rule as computed here ("consistently" = for every pair of a high and a low clinic):
    H = numeric ratings of the high-implementation clinics, L = those of the low-implementation clinics
    (mixed "X" and missing ratings are not numbers on the scale and are left out);
    gap = min(H) - max(L) when every high rating exceeds every low one (direction "high"),
          min(L) - max(H) when every low rating exceeds every high one (direction "low"), else 0;
    gap >= 2: "strong"; gap == 1: "weak"; gap == 0: "none"; no rating in H or in L: "insufficient".
A distinction that rests on one clinic in either group (``rests_on_one``) says so wherever it is shown
(``Distinction.label``): with one case a group's "consistent" difference is that one clinic's rating, so it is
reported as "strongly distinguishing, resting on one low-implementation clinic", never plainly as "strongly".
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

MIXED = "X"
GROUPS = ("high", "low")
STRENGTHS = ("strong", "weak", "none", "insufficient")

__all__ = ["GROUPS", "MIXED", "STRENGTHS", "Distinction", "DistinguishingInputError", "distinguishes"]


class DistinguishingInputError(ValueError):
    """Bad input; the message names the clinic and value."""


@dataclass(frozen=True)
class Distinction:
    strength: str  # one of STRENGTHS
    gap: int | None  # points separating the groups (None when insufficient)
    direction: str | None  # "high": higher in high-implementation clinics; "low": the reverse; None
    high: tuple[int, ...]  # numeric ratings used, high group
    low: tuple[int, ...]  # numeric ratings used, low group
    left_out: int  # clinics of either group whose rating is mixed or missing

    @property
    def rests_on_one(self) -> bool:
        """True when a distinction is claimed from a single clinic in the high or the low group."""
        return self.strength in ("strong", "weak") and (len(self.high) < 2 or len(self.low) < 2)

    @property
    def caveat(self) -> str | None:
        """The plain caveat of ``rests_on_one`` (None otherwise): which group has one clinic."""
        if not self.rests_on_one:
            return None
        groups = [name for name, values in (("high", self.high), ("low", self.low)) if len(values) < 2]
        return ("rests on one " + " and one ".join(f"{g}-implementation clinic" for g in groups)
                + ": needs at least two clinics in each group to show a consistent difference")

    @property
    def label(self) -> str:
        """How the page names the result: "strongly distinguishing", or with the caveat when it rests on one."""
        if self.strength not in ("strong", "weak"):
            return {"none": "does not distinguish", "insufficient": "insufficient ratings"}[self.strength]
        base = f"{self.strength}ly distinguishing"
        return f"{base}, {self.caveat}" if self.rests_on_one else base


def distinguishes(ratings: Mapping[Hashable, int | str | None], groups: Mapping[Hashable, str]) -> Distinction:
    """Classify one construct. ``ratings`` maps clinic -> -2..+2, "X" (mixed) or None (not discussed);
    ``groups`` maps clinic -> "high" or "low" (clinics in neither are ignored). See the module for the rule."""
    high: list[int] = []
    low: list[int] = []
    left_out = 0
    for clinic, group in groups.items():
        if group not in GROUPS:
            raise DistinguishingInputError(f"clinic {clinic!r}: group {group!r} is not one of {GROUPS}")
        value = ratings.get(clinic)
        if value is None or value == MIXED:
            left_out += 1
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not -2 <= value <= 2:
            raise DistinguishingInputError(f"clinic {clinic!r}: rating {value!r} is not -2..+2, 'X' or None")
        (high if group == "high" else low).append(value)
    if not high or not low:
        return Distinction("insufficient", None, None, tuple(high), tuple(low), left_out)
    if min(high) > max(low):
        gap, direction = min(high) - max(low), "high"
    elif min(low) > max(high):
        gap, direction = min(low) - max(high), "low"
    else:
        gap, direction = 0, None
    strength = "strong" if gap >= 2 else "weak" if gap == 1 else "none"
    return Distinction(strength, gap, direction, tuple(high), tuple(low), left_out)
