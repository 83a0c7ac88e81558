"""Blinding to allocation: the one rule deciding what an outcome assessor may see, applied to every output (pages,
CSV, Excel, API, CLI).

An outcome assessor (``Role.OUTCOME_ASSESSOR``) never sees a mother's arm, nor anything that reveals it: her
screening status (``started`` means started MIO), her MIO counselor, her sessions, fidelity ratings, or any
comparison between arms (CONSORT by arm, effect estimates). Mothers are shown by study ID, clinic and dates that
are the same in both arms (consent, randomization, the schedule). Unblinding one mother is an explicit act with
a reason, written to the audit trail (``Unblinding``); after it, that assessor sees that mother's arm, and every
assessment they enter for her is flagged ``entered_unblinded`` for the sensitivity analysis.
Source: CONSORT 2010 item 11a (who was blinded after assignment and how), Schulz & Grimes (2002) Lancet
359:696-700 (blinding in randomised trials).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

BLINDED_ROLES = frozenset({"outcome_assessor"})
#: fields of any row that reveal allocation; a blinded user's copy of a row never carries them
ALLOCATION_FIELDS = frozenset({
    "arm", "arm_label", "status", "status_label", "screening_status", "counselor", "counselor_id",
    "counselor_name", "sessions_attended", "sessions", "allocation_index", "allocation_source", "fidelity",
    "adequate_fidelity_share",
})


def is_blinded(role: str | None) -> bool:
    return role in BLINDED_ROLES


def blind_row(row: Mapping[str, Any], blinded: bool, unblinded: bool = False) -> dict[str, Any]:
    """``row`` without the allocation fields when ``blinded`` (unless this mother was unblinded to the user)."""
    if not blinded or unblinded:
        return dict(row)
    return {k: v for k, v in row.items() if k not in ALLOCATION_FIELDS}


def blind_rows(rows: Iterable[Mapping[str, Any]], blinded: bool, unblinded_ids: Iterable[Any] = (),
               key: str = "participant_id") -> list[dict[str, Any]]:
    """Every row through ``blind_row``; ``unblinded_ids`` are the mothers (by ``key``) unblinded to this user."""
    opened = set(unblinded_ids)
    return [blind_row(r, blinded, r.get(key) in opened) for r in rows]


def blind_columns(headers: list[str], blinded: bool) -> list[int]:
    """Indexes of the columns a blinded user may see, for tabular exports (header names as in the rows)."""
    return [i for i, h in enumerate(headers) if not blinded or h not in ALLOCATION_FIELDS]
