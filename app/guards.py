"""Input bounds applied to every request, so hostile or broken input is a 400/404 naming the problem, never a 500.

- ``IntegerConverter`` replaces Flask's ``int`` URL converter: an id outside a signed 64-bit integer (the
  widest key any table has) does not match the route, so ``/things/9223372036854775808`` is a 404 like any other
  missing row, instead of an ``OverflowError`` from SQLite or an out-of-range error from PostgreSQL.
- ``number_out_of_range`` is the last line for numbers that arrive by query string or form (``type=int``): the
  database refuses them (SQLite raises ``OverflowError`` when binding, PostgreSQL SQLSTATE 22003 on a write) and the
  request becomes a 400 that says so, with the transaction rolled back.
"""

from __future__ import annotations

from werkzeug import routing

#: the largest value of a signed 64-bit integer (PostgreSQL ``bigint``, SQLite ``INTEGER``)
INT64_MAX = 2**63 - 1

OUT_OF_RANGE_MESSAGE = (
    "A number in the request is too large: identifiers and counts must be below 9,223,372,036,854,775,808 "
    "(2^63). Nothing was saved."
)


class IntegerConverter(routing.IntegerConverter):
    """``<int:...>`` limited to 0 .. 2^63 - 1 unless the rule sets its own ``max``. (Werkzeug's class name is kept:
    the route walks of the tests recognise an integer argument by its converter's name.)"""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=INT64_MAX if max is None else max,
                         signed=signed)


def is_out_of_range(error: BaseException) -> bool:
    """Whether a database error is a number that does not fit its column (SQLite's bind-time ``OverflowError``,
    PostgreSQL's SQLSTATE 22003 "numeric value out of range")."""
    if isinstance(error, OverflowError):
        return True
    orig = getattr(error, "orig", None)
    if isinstance(orig, OverflowError):
        return True
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return state == "22003"


def install(app) -> None:
    """Called by ``create_app`` before any blueprint adds its rules."""
    app.url_map.converters["int"] = IntegerConverter
