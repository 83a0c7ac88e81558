"""2:1 permuted-block randomization (MIO + TAU vs TAU), stratified by clinic.

Blocks of 3 (2 MIO+TAU, 1 TAU) or 6 (4, 2), block size drawn at random with equal probability, order
shuffled within each block, so every completed block holds exactly twice as many MIO+TAU as TAU and the
next assignment cannot be guessed from block boundaries. The sequence is a pure function of
(seed, clinic code): ``random.Random`` seeded with SHA-256 of both, so the same seed always regenerates
the same list (audit), and sequences of different lengths share their prefix.
The seed itself must be secret and come from ``new_allocation_seed`` (``secrets``), stored server-side.
Sources: Schulz KF, Grimes DA (2002) Generation of allocation sequences in randomised trials: chance, not
choice. Lancet 359:515-519; Moher et al. 2010 CONSORT items 8-10 (sequence generation, concealment).
"""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Sequence
from typing import Any

from implementation_outcomes.errors import AllocationError

ARM_MIO_TAU = "mio_tau"
ARM_TAU = "tau"
BLOCK_COMPOSITION: dict[int, tuple[int, int]] = {3: (2, 1), 6: (4, 2)}  # size -> (MIO+TAU, TAU)


def new_allocation_seed() -> str:
    """A fresh 256-bit secret seed (64 hex characters) from the OS CSPRNG, to store server-side."""
    return secrets.token_hex(32)


def _rng(clinic_code: str, seed: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}\x1f{clinic_code}".encode()).digest()
    return random.Random(int.from_bytes(digest, "big"))


def generate_allocation_sequence(clinic_code: str, seed: str, n: int) -> list[dict[str, Any]]:
    """The first ``n`` assignments for one clinic.

    Each entry: ``{index (0-based), arm ("mio_tau"|"tau"), block (0-based), block_size (3|6),
    position_in_block (0-based)}``. Whole blocks are generated and the list cut at ``n``, so the last
    block may be incomplete; ratio within every completed block is exactly 2:1.
    """
    if not isinstance(clinic_code, str) or not clinic_code.strip():
        raise AllocationError("clinic_code: must be a non-empty string")
    if not isinstance(seed, str) or len(seed) < 16:
        raise AllocationError("seed: must be a secret string of at least 16 characters (use new_allocation_seed)")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise AllocationError(f"n: must be a non-negative integer, got {n!r}")
    rng = _rng(clinic_code, seed)
    sequence: list[dict[str, Any]] = []
    block = 0
    while len(sequence) < n:
        size = rng.choice((3, 6))
        n_mio, n_tau = BLOCK_COMPOSITION[size]
        arms = [ARM_MIO_TAU] * n_mio + [ARM_TAU] * n_tau
        rng.shuffle(arms)
        for position, arm in enumerate(arms):
            sequence.append(
                {
                    "index": len(sequence),
                    "arm": arm,
                    "block": block,
                    "block_size": size,
                    "position_in_block": position,
                }
            )
        block += 1
    return sequence[:n]


def next_assignment(sequence: Sequence[dict[str, Any]], index: int) -> dict[str, Any]:
    """The assignment at ``index`` (the number of mothers already randomized in the clinic).

    Raises ``AllocationError`` when the sequence is exhausted, so the caller regenerates a longer one
    from the same seed (prefixes are identical) rather than improvising an arm.
    """
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise AllocationError(f"index: must be a non-negative integer, got {index!r}")
    if index >= len(sequence):
        raise AllocationError(
            f"index {index}: allocation sequence has only {len(sequence)} entries; generate a longer one"
        )
    return dict(sequence[index])
