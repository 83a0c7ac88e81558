"""De-identification of transcripts: propose redactions, let a person accept them, apply them with offsets kept.

``propose_redactions`` finds speaker labels, participant names (known names, their first and last names), other
capitalised names, US phone numbers, emails and dates of birth. ``apply_redactions`` replaces accepted spans
with pseudonyms ("[P1]", "[NAME]", "[PHONE]"...), renames speakers ("Participant 1"), and returns the shifted
turns and an ``OffsetMap`` for moving any other offsets (codings, memos) onto the new text.

The text layout is the parsers' (``qualitative.parsers.model``): ``"Speaker: utterance"`` blocks.
"""

from __future__ import annotations

from qualitative.deidentify.apply import OffsetMap, apply_redactions
from qualitative.deidentify.propose import (
    REPLACEMENTS,
    Redaction,
    RedactionError,
    is_role_label,
    propose_redactions,
    speaker_pseudonyms,
)

__all__ = [
    "REPLACEMENTS",
    "OffsetMap",
    "Redaction",
    "RedactionError",
    "apply_redactions",
    "is_role_label",
    "propose_redactions",
    "speaker_pseudonyms",
]
