"""CSV and Excel downloads shared by every feature: one table shape (headers + rows), one place for the
spreadsheet-formula guard (OWASP "CSV injection": text starting with = + - @ TAB CR is prefixed with an apostrophe).

Every CSV and Excel download goes through here guarded. The one exception is an interchange file the user
explicitly asks for as an import file for another tool (a REDCap records or data-dictionary import file): REDCap
would import an apostrophe as part of the value, so :func:`interchange_response` writes that file exactly when
``exact=True``, and the page says so next to the link. The same file without ``exact`` is guarded like any other
download (``guard_csv_text``)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from flask import Response

from app.audit_reads import note_rows

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            float(value)
            return value  # a negative number written as text stays a number
        except ValueError:
            return "'" + value
    return value


def csv_text(headers: Sequence[str], rows: Iterable[Sequence], comments: Sequence[str] = ()) -> str:
    return _csv_text_counted(headers, rows, comments)[0]


def _csv_text_counted(headers: Sequence[str], rows: Iterable[Sequence], comments: Sequence[str] = ()
                      ) -> tuple[str, int]:
    """CSV text; ``comments`` become ``# ...`` lines above the header (for R's ``read.csv(comment.char = "#")``),
    and then every text cell is quoted, since R does not read ``#`` as a comment inside a quoted field."""
    buffer = io.StringIO()
    for comment in comments:
        buffer.write("# " + " ".join(comment.splitlines()) + "\r\n")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC if comments else csv.QUOTE_MINIMAL)
    writer.writerow([safe_cell(h) for h in headers])  # headers can carry names typed by users (a document's)
    count = 0
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
        count += 1
    return buffer.getvalue(), count


def csv_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence], comments: Sequence[str] = ()
                 ) -> Response:
    text, count = _csv_text_counted(headers, rows, comments)
    note_rows(count)
    return Response(
        "\ufeff" + text,  # BOM so Excel opens UTF-8 correctly
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


_SHEET_COLON = re.compile(r"\s*:\s*")
_SHEET_FORBIDDEN = re.compile(r"[\[\]*?/\\]")
SHEET_TITLE_MAX = 31


def _fit_title(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, cut at the last word boundary that fits (never mid-word unless one
    word alone is longer than the limit), without a dangling separator or apostrophe."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if text[limit] != " " and " " in cut.strip():
        cut = cut[: cut.rstrip().rfind(" ")]
    return cut.rstrip(" -,;.'&") or text[:limit]


def sheet_titles(names: Iterable[str]) -> list[str]:
    r"""Worksheet titles Excel accepts, one per name, in order. Excel's rules (Microsoft, "Rename a worksheet"):
    at most 31 characters; none of ``[ ] : * ? / \``; not blank; not starting or ending with an apostrophe;
    unique ignoring case. A colon becomes " - " ("Stage: Exploration" -> "Stage - Exploration"), another forbidden
    character ``-``; a long name is cut at a word boundary; a clash gets " (2)", " (3)", ... within the 31
    characters."""
    titles: list[str] = []
    taken: set[str] = set()
    for name in names:
        base = _SHEET_FORBIDDEN.sub("-", _SHEET_COLON.sub(" - ", str(name)))
        base = " ".join(base.split()).strip("'").strip() or "Sheet"
        title, n = _fit_title(base, SHEET_TITLE_MAX), 1
        while title.casefold() in taken:
            n += 1
            suffix = f" ({n})"
            title = _fit_title(base, SHEET_TITLE_MAX - len(suffix)) + suffix
        taken.add(title.casefold())
        titles.append(title)
    return titles


#: column widths in Excel's character units: wide enough for the longest cell, within these bounds
COLUMN_WIDTH_MIN, COLUMN_WIDTH_MAX = 8, 60


def xlsx_bytes(sheets: dict[str, tuple[Sequence[str], Iterable[Sequence]]]) -> bytes:
    """One worksheet per entry; header row bold, frozen and wrapped; each column as wide as its longest cell
    (``COLUMN_WIDTH_MIN``..``COLUMN_WIDTH_MAX``); dates stay dates (shown yyyy-mm-dd); titles made valid by
    :func:`sheet_titles`."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    count = 0
    for title, (headers, rows) in zip(sheet_titles(sheets), sheets.values(), strict=True):
        sheet = workbook.create_sheet(title=title)
        sheet.append([safe_cell(h) for h in headers])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "A2"
        widths = [min(len(str(h)), 30) for h in headers]  # a long header wraps rather than widening its column
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
            count += 1
            for i, value in enumerate(row):
                length = len(value.isoformat()) if isinstance(value, date) else len(str(value)) if value is not None else 0
                if i < len(widths):
                    widths[i] = max(widths[i], length)
                else:
                    widths.append(length)
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = max(COLUMN_WIDTH_MIN, min(width + 2, COLUMN_WIDTH_MAX))
        for column in sheet.iter_cols(min_row=2):
            for cell in column:
                if isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd" if not isinstance(cell.value, datetime) else "yyyy-mm-dd hh:mm"
    note_rows(count)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def guard_csv_text(text: str) -> str:
    """CSV text written elsewhere (an interchange writer), every cell, headers included, through :func:`safe_cell`."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    if not rows:
        return ""
    return csv_text(rows[0], rows[1:])


def interchange_response(filename: str, text: str, *, exact: bool) -> Response:
    """An interchange CSV (e.g. a REDCap import file): byte for byte as its writer made it when ``exact`` (only for
    a link that names itself an import file for that tool), otherwise guarded, with a BOM for spreadsheets."""
    note_rows(max(0, sum(1 for _ in csv.reader(io.StringIO(text, newline=""))) - 1))
    body = text if exact else "\ufeff" + guard_csv_text(text)
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename={filename}"})


def xlsx_response(filename: str, sheets: dict[str, tuple[Sequence[str], Iterable[Sequence]]]) -> Response:
    return Response(
        xlsx_bytes(sheets), mimetype=XLSX_MIME, headers={"Content-Disposition": f"attachment; filename={filename}"}
    )
