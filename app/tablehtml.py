"""Table rows as HTML, rendered in Python (issue 15): the all-clinic tables have 400 rows of 20 cells, and a Jinja
macro call per cell made rendering a second of the director's overview. Same markup as the ``cell`` macro of
``delivery/_macros.html`` (None as a muted dash, every other value written by ``app.formatting.cell``, escaped)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from app import formatting

#: the columns the ``data_table`` / ``table`` macros right-align (class ``num``)
NUMERIC_KINDS = frozenset({"int", "num", "pct"})
_MISSING = '<span class="muted">–</span>'


def cell_html(value: Any, kind: str) -> str:
    """The ``cell`` macro: a muted dash for None, else ``app.formatting.cell`` escaped (Markup passes as is)."""
    if value is None:
        return _MISSING
    return str(escape(formatting.cell(value, kind)))


def table_rows(rows: Iterable[Sequence[Any]], columns: Sequence[Any],
               link_first: Mapping[Any, str] | None = None) -> Markup:
    """``<tr>`` per row: the first cell a row header (a link when ``link_first`` maps it to a URL), numeric
    columns right-aligned (class ``num``)."""
    kinds = [c.kind for c in columns]
    opens = ["<td class=\"num\">" if kind in NUMERIC_KINDS else "<td>" for kind in kinds]
    out = []
    for row in rows:
        parts = ["<tr>"]
        for i, value in enumerate(row):
            text = cell_html(value, kinds[i])
            if i == 0:
                if link_first:
                    text = f'<a href="{escape(link_first[row[0]])}">{text}</a>'
                parts.append(f'<th scope="row">{text}</th>')
            else:
                parts.append(f"{opens[i]}{text}</td>")
        parts.append("</tr>\n")
        out.append("".join(parts))
    return Markup("".join(out))  # noqa: S704 - every value above went through escape()
