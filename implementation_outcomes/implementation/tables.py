"""One shape for every table these pages show and export: the page renders it, the CSV/Excel download writes the
same headers and rows (``app.exports``), so a download always matches what is on screen."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

#: column kinds: how a cell is shown on the page (downloads keep the raw value)
KINDS = ("text", "int", "proportion", "date", "days")


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "proportion", "days")


@dataclass
class Table:
    name: str  # used in the download URL and file name
    caption: str
    columns: list[Column]
    rows: list[Sequence[Any]] = field(default_factory=list)
    #: the first column holds row headers (<th scope="row">)
    row_headers: bool = True
    #: database ids of the rows, when the page offers actions on them (never exported)
    row_ids: list[int] = field(default_factory=list)

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def export_rows(self) -> list[list[Any]]:
        """Rows for CSV/Excel: dates as ISO text, proportions rounded to 4 places, lists joined with '; '."""
        out = []
        for row in self.rows:
            cells = []
            for column, value in zip(self.columns, row, strict=True):
                if isinstance(value, list | tuple):
                    value = "; ".join(str(v) for v in value)
                elif column.kind == "proportion" and value is not None:
                    value = round(value, 4)
                elif hasattr(value, "isoformat"):
                    value = value.isoformat()
                cells.append(value)
            out.append(cells)
        return out
