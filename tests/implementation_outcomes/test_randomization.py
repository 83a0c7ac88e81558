from collections import Counter

import pytest

from implementation_outcomes.errors import AllocationError
from implementation_outcomes.randomization import (
    generate_allocation_sequence,
    new_allocation_seed,
    next_assignment,
)

SEED = "0123456789abcdef0123456789abcdef"


def test_every_completed_block_is_exactly_two_to_one():
    seq = generate_allocation_sequence("CLINIC-A", SEED, 600)
    blocks: dict[int, list[dict]] = {}
    for entry in seq:
        blocks.setdefault(entry["block"], []).append(entry)
    complete = [b for b in blocks.values() if len(b) == b[0]["block_size"]]
    assert len(complete) >= len(blocks) - 1
    sizes = Counter(b[0]["block_size"] for b in complete)
    assert set(sizes) == {3, 6}  # both block sizes are used
    for block in complete:
        arms = Counter(e["arm"] for e in block)
        assert arms["mio_tau"] == 2 * arms["tau"]
        assert [e["position_in_block"] for e in block] == list(range(len(block)))


def test_deterministic_prefix_and_stratified():
    a = generate_allocation_sequence("CLINIC-A", SEED, 50)
    assert a == generate_allocation_sequence("CLINIC-A", SEED, 50)
    assert generate_allocation_sequence("CLINIC-A", SEED, 80)[:50] == a
    assert [e["arm"] for e in generate_allocation_sequence("CLINIC-B", SEED, 50)] != [e["arm"] for e in a]
    other = generate_allocation_sequence("CLINIC-A", SEED[::-1], 50)
    assert [e["arm"] for e in other] != [e["arm"] for e in a]
    assert [e["index"] for e in a] == list(range(50))


def test_next_assignment():
    seq = generate_allocation_sequence("C", SEED, 3)
    assert next_assignment(seq, 2) == seq[2]
    with pytest.raises(AllocationError, match="index 3: allocation sequence has only 3"):
        next_assignment(seq, 3)
    with pytest.raises(AllocationError, match="index"):
        next_assignment(seq, -1)


def test_bad_arguments():
    with pytest.raises(AllocationError, match="seed"):
        generate_allocation_sequence("C", "short", 3)
    with pytest.raises(AllocationError, match="clinic_code"):
        generate_allocation_sequence(" ", SEED, 3)
    with pytest.raises(AllocationError, match="n:"):
        generate_allocation_sequence("C", SEED, -1)


def test_new_seed_is_secret_grade():
    s1, s2 = new_allocation_seed(), new_allocation_seed()
    assert len(s1) == 64 and int(s1, 16) >= 0 and s1 != s2
