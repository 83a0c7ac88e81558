"""app.disclosure: primary and complementary suppression. The audit here is independent of the module's own
exact algebra: explicit differences between shown totals, and NumPy's matrix rank over the leaf groups."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.disclosure import COMPLEMENTARY, PRIMARY, Cell, DisclosureError, recoverable, suppress

THRESHOLD = 3


def _leaves(cells: list[Cell]) -> dict:
    children: dict = {c.key: [] for c in cells}
    for c in cells:
        if c.parent is not None:
            children[c.parent].append(c.key)
    by_key = {c.key: c for c in cells}

    def under(key):
        return {key} if not children[key] else set().union(*(under(k) for k in children[key]))

    return {c.key: frozenset(leaf for leaf in under(c.key) if by_key[leaf].n > 0) for c in cells}


def explicit_differences(cells: list[Cell], status: dict) -> list[tuple[frozenset, str]]:
    """Every pair of shown totals, and every shown total minus any set of disjoint shown totals inside it: the
    leaf groups whose total each difference reveals."""
    leaves = _leaves(cells)
    shown = [c.key for c in cells if not status[c.key] and leaves[c.key]]
    revealed = []
    for p, q in itertools.permutations(shown, 2):
        if leaves[q] < leaves[p]:
            revealed.append((leaves[p] - leaves[q], f"{p!r} - {q!r}"))
    for p in shown:
        inside = [q for q in shown if q != p and leaves[q] < leaves[p]]
        for size in range(2, len(inside) + 1):
            for subset in itertools.combinations(inside, size):
                sets = [leaves[q] for q in subset]
                if sum(len(s) for s in sets) == len(frozenset().union(*sets)):  # disjoint
                    revealed.append((leaves[p] - frozenset().union(*sets), f"{p!r} - {subset!r}"))
    return revealed


def rank_recoverable(cells: list[Cell], status: dict, target: frozenset) -> bool:
    """Is the total of ``target`` (leaf groups) a linear combination of the shown totals? (NumPy rank test.)"""
    leaves = _leaves(cells)
    order = sorted(frozenset().union(*leaves.values()), key=repr)
    index = {k: i for i, k in enumerate(order)}

    def vec(s):
        v = np.zeros(len(order))
        for leaf in s:
            v[index[leaf]] = 1
        return v

    rows = [vec(leaves[c.key]) for c in cells if not status[c.key] and leaves[c.key]]
    if not rows:
        return False
    a = np.array(rows)
    return np.linalg.matrix_rank(np.vstack([a, vec(target)])) == np.linalg.matrix_rank(a)


def assert_safe(cells: list[Cell], status: dict, check_primary: bool = True) -> None:
    """Nothing withheld (``status`` truthy) and no group of fewer than 3 follows from the shown cells."""
    by_key = {c.key: c for c in cells}
    leaves = _leaves(cells)
    for c in cells:  # primary rule exactly
        if check_primary:
            assert (status[c.key] == PRIMARY) == (c.n < THRESHOLD), c
        elif c.n < THRESHOLD:
            assert status[c.key], f"{c.key!r} with n = {c.n} is shown"
    withheld_sets = {leaves[k]: k for k, s in status.items() if s and leaves[k]}
    for group, how in explicit_differences(cells, status):
        if not group:
            continue
        n = sum(by_key[leaf].n for leaf in group)
        assert not (0 < n < THRESHOLD), f"{how} reveals {sorted(map(repr, group))} with n = {n}"
        assert group not in withheld_sets, f"{how} reveals withheld {withheld_sets[group]!r}"
    for key, s in status.items():
        if s and leaves[key]:
            assert not rank_recoverable(cells, status, leaves[key]), f"withheld {key!r} is a combination of shown"
    small = [leaf for leaf in frozenset().union(*leaves.values()) if by_key[leaf].n < THRESHOLD]
    for size in range(1, len(small) + 1):
        for group in itertools.combinations(small, size):
            if sum(by_key[leaf].n for leaf in group) < THRESHOLD:
                assert not rank_recoverable(cells, status, frozenset(group)), group


def test_issue_example_agency_pooled_row_is_withheld():
    # issue 12 item 1: FIM n = 2 at one clinic, 7 at the other, 9 pooled: agency total minus the other clinic
    # gave the withheld mean; the parent (pooled row) goes, the clinic figure stays
    cells = [Cell("agency", 9), Cell("c1", 2, "agency"), Cell("c2", 7, "agency")]
    status = suppress(cells)
    assert status == {"agency": COMPLEMENTARY, "c1": PRIMARY, "c2": None}
    assert_safe(cells, status)
    assert suppress(cells, prefer="sibling") == {"agency": None, "c1": PRIMARY, "c2": COMPLEMENTARY}
    # without complementary suppression the subtraction works: recoverable() names it
    assert recoverable(cells, {"c1"}) == [("withheld cell 'c1' (n = 2)", frozenset({"c1"}))]
    with pytest.raises(AssertionError, match="'agency' - 'c2' reveals"):  # the audit catches it too
        assert_safe(cells, {"agency": None, "c1": PRIMARY, "c2": None})


def test_two_small_groups_together_under_threshold_are_protected():
    cells = [Cell("a", 14), Cell("x", 1, "a"), Cell("y", 1, "a"), Cell("z", 12, "a")]
    # x + y (n = 2) = a - z: the pooled row must go
    assert suppress(cells) == {"a": COMPLEMENTARY, "x": PRIMARY, "y": PRIMARY, "z": None}
    # x (1) + y (2) = 3 respondents: their joint mean may be derived, neither alone; nothing more is withheld
    cells = [Cell("a", 13), Cell("x", 1, "a"), Cell("y", 2, "a"), Cell("z", 10, "a")]
    assert suppress(cells) == {"a": None, "x": PRIMARY, "y": PRIMARY, "z": None}


def test_three_levels_withholds_a_sibling_when_the_parent_follows_from_above():
    cells = [Cell("all", 20), Cell("A", 9, "all"), Cell("B", 11, "all"), Cell("a1", 2, "A"), Cell("a2", 7, "A"),
             Cell("b1", 5, "B"), Cell("b2", 6, "B")]
    status = suppress(cells)
    # withholding A alone would not do (A = all - B); withholding a2 breaks every route
    assert status == {"all": None, "A": None, "B": None, "a1": PRIMARY, "a2": COMPLEMENTARY, "b1": None, "b2": None}
    assert_safe(cells, status)


def test_bad_hierarchies_are_named():
    with pytest.raises(DisclosureError, match="'agency': n = 10 but its cells add up to 9"):
        suppress([Cell("agency", 10), Cell("c1", 2, "agency"), Cell("c2", 7, "agency")])
    with pytest.raises(DisclosureError, match="parent 'nowhere' is not a cell"):
        suppress([Cell("c1", 2, "nowhere")])
    with pytest.raises(DisclosureError, match="n must not be negative"):
        suppress([Cell("c1", -1)])


@st.composite
def hierarchies(draw):
    """Random agencies of clinics (n 0-9), sometimes under one all-agencies total."""
    cells = []
    agencies = draw(st.integers(1, 4))
    with_root = draw(st.booleans())
    for a in range(agencies):
        sizes = draw(st.lists(st.integers(0, 9), min_size=1, max_size=5))
        cells.append(Cell(f"A{a}", sum(sizes), "all" if with_root else None))
        cells += [Cell(f"A{a}c{i}", n, f"A{a}") for i, n in enumerate(sizes)]
    if with_root:
        cells.insert(0, Cell("all", sum(c.n for c in cells if c.parent == "all")))
    return cells


@settings(max_examples=150, deadline=None)
@given(hierarchies(), st.sampled_from(["parent", "sibling"]))
def test_random_hierarchies_reveal_nothing_under_threshold(cells, prefer):
    status = suppress(cells, prefer=prefer)
    assert_safe(cells, status)
    assert recoverable(cells, {k for k, s in status.items() if s}) == []


@settings(max_examples=60, deadline=None)
@given(hierarchies(), st.randoms(use_true_random=False))
def test_random_values_no_difference_of_shown_sums_equals_a_withheld_sum(cells, rnd):
    """With actual scores (1-5 in quarter steps): every difference of shown sums (n x mean) and sums of squares,
    compared with every withheld group's: none is determined, checked by the rank test above."""
    leaves = _leaves(cells)
    values = {c.key: [rnd.randint(4, 20) / 4 for _ in range(c.n)] for c in cells if leaves[c.key] == {c.key}}
    status = suppress(cells)
    total = {k: sum(sum(values[leaf]) for leaf in ls) for k, ls in leaves.items()}
    for group, how in explicit_differences(cells, status):
        # what the difference gives is the sum over `group`; it is never a withheld cell's or a small group's sum
        if not group:
            continue
        revealed = sum(sum(values[leaf]) for leaf in group)
        assert not any(status[k] and ls == group for k, ls in leaves.items()), how
        n = sum(len(values[leaf]) for leaf in group)
        assert n == 0 or n >= THRESHOLD, (how, revealed)
    for key, s in status.items():
        if not s:
            assert total[key] == sum(sum(values[leaf]) for leaf in leaves[key])
