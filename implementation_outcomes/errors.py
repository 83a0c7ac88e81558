"""Exceptions raised by the pure implementation-outcome modules.

Every error is a ``ValueError`` subclass whose message says what is wrong and where (row index, field,
JSON path). Validators that can find several problems at once keep them all in ``errors`` so a form or an
import screen can list them.
"""

from __future__ import annotations

from collections.abc import Sequence


class OutcomeDataError(ValueError):
    """Base class: bad input to an implementation-outcome computation."""

    def __init__(self, message: str | Sequence[str]):
        self.errors: list[str] = [message] if isinstance(message, str) else list(message)
        super().__init__("; ".join(self.errors))


class ScreeningLogError(OutcomeDataError):
    """A screening-log row cannot be placed in the reach cascade."""


class AllocationError(OutcomeDataError):
    """Bad request to the randomization module (seed, clinic code, index)."""


class AdoptionDataError(OutcomeDataError):
    """A counselor row has steps out of order or unknown step names."""


class SessionDataError(OutcomeDataError):
    """A session or consultation row is impossible (number out of 1..12, dated before randomization...)."""


class FidelitySchemeError(OutcomeDataError):
    """The fidelity scheme data file is malformed; messages name the JSON path."""


class RatingError(OutcomeDataError):
    """A fidelity rating is missing a scale, names an unknown scale or is out of the scale's range."""


class ICCInputError(OutcomeDataError):
    """The ratings matrix given to ``icc`` cannot be analysed."""


class CatalogueError(OutcomeDataError):
    """The activity catalogue or a completion record is malformed."""


class StrategyRecordError(OutcomeDataError):
    """An ERIC strategy-use record or a FRAME adaptation record is incomplete or uses unknown options."""


class CfirListError(OutcomeDataError):
    """The CFIR construct list is malformed; messages name the CSV line and column."""
