"""Small parsing helpers shared by the pure modules (dates, proportions)."""

from __future__ import annotations

from datetime import date, datetime

from implementation_outcomes.errors import OutcomeDataError


def as_date(value: object, where: str, error: type[OutcomeDataError] = OutcomeDataError) -> date:
    """Return ``value`` as a ``date``; accepts ``date``, ``datetime`` or an ISO ``YYYY-MM-DD`` string.

    ``where`` names the row/field for the error message.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise error(f"{where}: expected a date (YYYY-MM-DD), got {value!r}")


def proportion(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator``, or ``None`` when the denominator is 0 (undefined, not 0 %)."""
    return numerator / denominator if denominator else None
