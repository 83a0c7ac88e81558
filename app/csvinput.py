"""Reading uploaded CSV with a bound on each cell, so an oversized cell is refused by row and column.

Python's ``csv`` module stops at a cell longer than ``csv.field_size_limit()`` (131,072 characters by default) with
``_csv.Error: field larger than field limit``, which says neither where nor which column, and an importer that did
not expect it answered 500. ``reader`` raises the module limit out of the way (uploads are bounded by
``MAX_CONTENT_LENGTH``) and checks every cell itself against ``MAX_CELL_CHARS``; a longer cell raises
``CellTooLong`` naming the spreadsheet row (header = row 1), the file line, and the column by number and header
name. ``CellTooLong`` is a ``csv.Error``, so importers that already turn malformed CSV into a message keep working.
Pure: no Flask.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

#: the longest cell accepted: the csv module's own default limit, kept as the rule
MAX_CELL_CHARS = 131_072
#: the csv module's limit while reading through ``reader`` (far above any upload the app accepts)
_MODULE_LIMIT = 1 << 30


class CellTooLong(csv.Error):
    def __init__(self, row: int, line: int, column: int, name: str | None, length: int, limit: int):
        self.row, self.line, self.column, self.name, self.length, self.limit = row, line, column, name, length, limit
        named = f"column {column} ({name})" if name else f"column {column}"
        super().__init__(f"row {row} (line {line}), {named}: a cell of {length:,} characters is longer than the "
                         f"{limit:,} characters a cell may hold; shorten it or split it over several rows")


class BoundedReader:
    """A ``csv.reader`` whose cells are at most ``max_cell`` characters; ``line_num`` and ``dialect`` as csv's."""

    def __init__(self, lines: Iterable[str], dialect="excel", *, max_cell: int = MAX_CELL_CHARS, **fmtparams):
        if csv.field_size_limit() < _MODULE_LIMIT:
            csv.field_size_limit(_MODULE_LIMIT)
        self._reader = csv.reader(lines, dialect, **fmtparams)
        self.max_cell = max_cell
        self.header: list[str] | None = None
        self.rows_read = 0

    def __iter__(self) -> Iterator[list[str]]:
        return self

    def __next__(self) -> list[str]:
        record = next(self._reader)
        self.rows_read += 1
        for j, cell in enumerate(record):
            if len(cell) > self.max_cell:
                name = self.header[j].strip() if self.header is not None and j < len(self.header) else None
                raise CellTooLong(self.rows_read, self._reader.line_num, j + 1, name or None, len(cell),
                                  self.max_cell)
        if self.header is None:
            self.header = record
        return record

    @property
    def line_num(self) -> int:
        return self._reader.line_num

    @property
    def dialect(self):
        return self._reader.dialect


def reader(lines: Iterable[str], dialect="excel", *, max_cell: int = MAX_CELL_CHARS, **fmtparams) -> BoundedReader:
    """``csv.reader`` with every cell bounded (see module docstring)."""
    return BoundedReader(lines, dialect, max_cell=max_cell, **fmtparams)


def dict_reader(lines: Iterable[str], *, max_cell: int = MAX_CELL_CHARS, **kwargs) -> csv.DictReader:
    """``csv.DictReader`` reading through a :class:`BoundedReader`."""
    dict_reader_ = csv.DictReader(lines, **kwargs)
    dict_reader_.reader = BoundedReader(lines, kwargs.get("dialect", "excel"), max_cell=max_cell)
    return dict_reader_
