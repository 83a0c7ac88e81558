"""Small-group suppression for every table of group summaries: primary and complementary, one rule for every output.

The rule (statistical disclosure control for magnitude tables; Hundepool et al. 2012, *Statistical Disclosure
Control*, ch. 4, "cell suppression"):

1. **Primary suppression**: a group with ``0 < n < threshold`` (3) shows its n only; its mean, SD, rwg(j) and band
   are withheld.
2. **Complementary suppression**: groups are cells of a hierarchy (clinic rows under their agency's pooled row, ...),
   and every figure shown is, for recovery purposes, a *total*: a mean and its n give the sum (n x mean), and an SD
   with them gives the sum of squares ((n - 1) SD^2 + n mean^2). Both add up from children to parent. So if the
   agency pooled row and all but one of its clinics are shown, the withheld clinic's sum and sum of squares follow
   by subtraction (for n = 2, both respondents' scores). More cells are withheld until **no withheld cell and no
   union of groups with fewer than ``threshold`` respondents lies in the linear span of the shown cells**, i.e. no
   sum or difference of shown totals, however combined, gives it.

Checked exactly (rational Gaussian elimination over the leaves of the hierarchy; n = 0 groups carry nothing and
are left out; each top-level tree alone, as trees share no respondent). Which cell is withheld next: among the shown cells whose withholding breaks the recovery, the
withheld group's parent first (clinic figures, the unit of analysis, are kept), then its siblings by smallest n,
then any other cell by smallest n (``prefer="sibling"`` puts siblings before parents). Deterministic for the same
input.

Not covered (stated where used): narrowing by the scale's bounds (a pooled mean at the scale maximum implies every
pooled respondent answered the maximum) and non-linear statistics across groups (an ICC is one ratio of between-
and within-group mean squares; it alone does not determine a group's sum and sum of squares).
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

#: groups smaller than this show their n only (the project's confidentiality rule)
MIN_GROUP_SIZE = 3
PRIMARY = "primary"
COMPLEMENTARY = "complementary"
#: one line stating the rule, for pages, export notes and the API
RULE_TEXT = (f"A group with fewer than {MIN_GROUP_SIZE} respondents shows its n only (primary suppression); further "
             "groups or pooled rows are withheld where needed so that no withheld figure, and no group of fewer "
             f"than {MIN_GROUP_SIZE} respondents, can be derived by adding or subtracting shown figures, here or in "
             "any other page or export (complementary suppression; a mean x n is a sum).")


class DisclosureError(ValueError):
    """A hierarchy the rule cannot judge (unknown parent, parent n not the sum of its children, cycle)."""


@dataclass(frozen=True)
class Cell:
    """One group summary: ``key`` (any hashable), respondents ``n``, and the key of the cell that pools it."""

    key: Hashable
    n: int
    parent: Hashable | None = None


class _Span:
    """Row space of 0/1 vectors over the leaves, in reduced echelon form with exact fractions."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.rows: list[tuple[int, list[Fraction]]] = []  # (pivot column, row)

    def _reduce(self, vector: Sequence[int | Fraction]) -> list[Fraction]:
        v = [Fraction(x) for x in vector]
        for pivot, row in self.rows:
            if v[pivot]:
                factor = v[pivot]
                v = [a - factor * b for a, b in zip(v, row, strict=True)]
        return v

    def add(self, vector: Sequence[int]) -> None:
        v = self._reduce(vector)
        pivot = next((i for i, x in enumerate(v) if x), None)
        if pivot is None:
            return
        v = [x / v[pivot] for x in v]
        self.rows = [(p, [a - r[pivot] * b for a, b in zip(r, v, strict=True)]) for p, r in self.rows]
        self.rows.append((pivot, v))

    def contains(self, vector: Sequence[int]) -> bool:
        return not any(self._reduce(vector))


class Hierarchy:
    """Cells with their leaves (the groups no other cell splits), checked once."""

    def __init__(self, cells: Iterable[Cell]) -> None:
        self.cells = {c.key: c for c in cells}
        self.children: dict[Hashable, list[Hashable]] = {k: [] for k in self.cells}
        for cell in self.cells.values():
            if cell.n < 0:
                raise DisclosureError(f"cell {cell.key!r}: n must not be negative, got {cell.n}")
            if cell.parent is not None:
                if cell.parent not in self.cells:
                    raise DisclosureError(f"cell {cell.key!r}: parent {cell.parent!r} is not a cell")
                self.children[cell.parent].append(cell.key)
        for key, kids in self.children.items():
            if kids and sum(self.cells[k].n for k in kids) != self.cells[key].n:
                raise DisclosureError(f"cell {key!r}: n = {self.cells[key].n} but its cells add up to "
                                      f"{sum(self.cells[k].n for k in kids)}; a pooled row must be their union")
        self.leaves = sorted((k for k, kids in self.children.items() if not kids and self.cells[k].n > 0), key=repr)
        self.index = {k: i for i, k in enumerate(self.leaves)}
        self.leaves_of: dict[Hashable, frozenset] = {}
        for key in self.cells:
            self.leaves_of[key] = frozenset(self._leaves_under(key, set()))

    def _leaves_under(self, key: Hashable, seen: set) -> list[Hashable]:
        if key in seen:
            raise DisclosureError(f"cell {key!r} is its own ancestor")
        kids = self.children[key]
        if not kids:
            return [key] if key in self.index else []
        return [leaf for k in kids for leaf in self._leaves_under(k, seen | {key})]

    def vector(self, leaves: Iterable[Hashable]) -> list[int]:
        v = [0] * len(self.leaves)
        for leaf in leaves:
            v[self.index[leaf]] = 1
        return v

    def span(self, shown: Iterable[Hashable]) -> _Span:
        space = _Span(len(self.leaves))
        for key in shown:
            if self.leaves_of[key]:
                space.add(self.vector(self.leaves_of[key]))
        return space

    def ancestors(self, key: Hashable) -> list[Hashable]:
        out, parent = [], self.cells[key].parent
        while parent is not None:
            out.append(parent)
            parent = self.cells[parent].parent
        return out


def _trees(h: Hierarchy) -> list[list[Cell]]:
    """The cells of each top-level tree. Trees share no leaf, so a total over one tree's leaves is a combination of
    shown totals only if it is one of that tree's shown totals (and a small union spanning trees has a small part
    in one tree): each tree is judged alone, which keeps the work linear in the number of trees."""
    root_of: dict[Hashable, Hashable] = {}
    for key in h.cells:
        chain = [key, *h.ancestors(key)]
        root_of[key] = chain[-1]
    trees: dict[Hashable, list[Cell]] = {}
    for key, cell in h.cells.items():
        trees.setdefault(root_of[key], []).append(cell)
    return list(trees.values())


def recoverable(cells: Iterable[Cell], withheld: Iterable[Hashable],
                threshold: int = MIN_GROUP_SIZE) -> list[tuple[str, frozenset]]:
    """What the shown cells (those not ``withheld``) give away: ``[(description, leaves)]`` for every withheld cell
    whose total lies in their span, and every union of leaf groups with ``0 < n < threshold`` that does.
    Empty when the table is safe. The audit :func:`suppress` satisfies, also used by the tests."""
    h = cells if isinstance(cells, Hierarchy) else Hierarchy(cells)
    hidden = set(withheld)
    trees = _trees(h)
    if len(trees) > 1:
        return [found for tree in trees for found in recoverable(Hierarchy(tree), hidden, threshold)]
    space = h.span(k for k in h.cells if k not in hidden)
    found = []
    for key in sorted(hidden, key=repr):
        leaves = h.leaves_of.get(key, frozenset())
        if leaves and space.contains(h.vector(leaves)):
            found.append((f"withheld cell {key!r} (n = {h.cells[key].n})", leaves))
    small = [leaf for leaf in h.leaves if h.cells[leaf].n < threshold]
    for size in range(1, len(small) + 1):
        any_under = False
        for group in itertools.combinations(small, size):
            total = sum(h.cells[leaf].n for leaf in group)
            if total >= threshold:
                continue
            any_under = True
            if size > 1 and space.contains(h.vector(group)):
                found.append((f"union of {sorted(map(repr, group))} (n = {total})", frozenset(group)))
        if not any_under:
            break
    return found


def _candidates(h: Hierarchy, shown: set, leaves: frozenset, prefer: str) -> list[Hashable]:
    """Shown cells to withhold for a recovery of ``leaves``, in the order of the module docstring."""
    parents, siblings = [], []
    for leaf in sorted(leaves, key=repr):
        for depth, ancestor in enumerate([leaf, *h.ancestors(leaf)]):
            parent = h.cells[ancestor].parent
            if parent is None:
                continue
            if parent in shown:
                parents.append((depth, repr(parent), parent))
            siblings.extend((h.cells[k].n, repr(k), k) for k in h.children[parent] if k in shown)
    ordered_parents = [k for *_, k in sorted(parents)]
    ordered_siblings = [k for *_, k in sorted(siblings)]
    first = (ordered_parents, ordered_siblings) if prefer == "parent" else (ordered_siblings, ordered_parents)
    rest = [k for *_, k in sorted((h.cells[k].n, repr(k), k) for k in shown)]
    out: list[Hashable] = []
    for key in (*first[0], *first[1], *rest):
        if key not in out:
            out.append(key)
    return out


def suppress(cells: Iterable[Cell], threshold: int = MIN_GROUP_SIZE,
             prefer: Literal["parent", "sibling"] = "parent") -> dict[Hashable, str | None]:
    """Status of every cell: ``"primary"`` (n below ``threshold``, n = 0 included), ``"complementary"`` (withheld
    so that nothing withheld can be derived) or None (shown). See the module docstring for the rule."""
    h = Hierarchy(cells)
    status: dict[Hashable, str | None] = {k: (PRIMARY if c.n < threshold else None) for k, c in h.cells.items()}
    if not any(0 < c.n < threshold for c in h.cells.values()):
        return status  # nothing under the threshold with respondents: nothing to protect, nothing more withheld
    trees = _trees(h)
    if len(trees) > 1:
        return {k: v for tree in trees for k, v in suppress(tree, threshold, prefer).items()}
    while True:
        hidden = {k for k, s in status.items() if s}
        problems = recoverable(h, hidden, threshold)
        if not problems:
            return status
        _, leaves = problems[0]
        shown = {k for k, s in status.items() if not s and h.leaves_of[k]}
        candidates = _candidates(h, shown, leaves, prefer)
        target = h.vector(leaves)
        choice = next((k for k in candidates if not h.span(shown - {k}).contains(target)), candidates[0])
        status[choice] = COMPLEMENTARY
