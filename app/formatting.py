"""The one way a figure is written for a reader (pure): cards, tables, chart labels and the "as displayed" CSV and
Excel cells all call these functions, so a share is never "68%" on a card and "68.0 %" in the table beside it.

Conventions (by what a number is, not by where it stands):

=============  =========================================  ==========
kind           what                                       written
=============  =========================================  ==========
``pct``        a share (proportion 0..1)                  ``68%`` (whole percent)
``mean``       a mean of counts (dose, sessions, days)    ``3.6`` (1 decimal)
``num``        a coefficient or score (ICC, rwg(j),        ``0.71`` (2 decimals)
               kappa, SMD, subscale means)
``p``          a p-value or a small estimate              ``0.043`` (3 decimals)
``int``        a count                                    ``1,234``
=============  =========================================  ==========

``None`` is written "n/a": the figure is undefined (no denominator), never zero.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

#: decimals of each numeric kind (shares are whole percentages)
DIGITS: dict[str, int] = {"pct": 0, "mean": 1, "num": 2, "p": 3, "int": 0}
NUMERIC_KINDS = frozenset(DIGITS)
#: the same conventions named by their decimals (templates written ``|num(1)`` mean a mean of counts)
KIND_OF_DIGITS: dict[int, str] = {0: "int", 1: "mean", 2: "num", 3: "p"}
UNDEFINED = "n/a"


def rounded(value: float | int | None, kind: str) -> float | int | None:
    """The value as displayed, still a number (for spreadsheets): a share becomes its whole percentage
    (0.6834 -> 68), a mean 1 decimal, a coefficient 2, a p-value 3; counts stay as they are."""
    if value is None or isinstance(value, bool):
        return value
    if kind == "pct":
        return int(round(100 * value)) if DIGITS["pct"] == 0 else round(100 * value, DIGITS["pct"])
    if kind in ("mean", "num", "p") and not isinstance(value, int):
        return round(float(value), DIGITS[kind])
    return value


def pct(value: float | None) -> str:
    """A share 0..1 as a whole percentage: 0.6834 -> "68%"."""
    if value is None:
        return UNDEFINED
    return f"{100 * value:.{DIGITS['pct']}f}%"


def number(value: float | int | None, kind: str = "num") -> str:
    """A number by its kind (see the module table): counts with thousands separators, others to fixed decimals."""
    if value is None:
        return UNDEFINED
    if kind == "pct":
        return pct(value)
    if kind == "int" or (isinstance(value, int) and not isinstance(value, bool) and kind == "num"):
        return f"{round(value):,}"
    return f"{float(value):.{DIGITS.get(kind, 2)}f}"


def cell(value: Any, kind: str = "text") -> str:
    """Any table cell as text, by its column kind (text, int, mean, num, p, pct, date, bool)."""
    if value is None:
        return UNDEFINED
    if isinstance(value, str):
        return value
    if kind in NUMERIC_KINDS and isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(value, kind)
    if kind == "bool":
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
