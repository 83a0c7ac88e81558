"""app.formatting: the one way a figure is written (values worked by hand)."""

from __future__ import annotations

from datetime import date

import pytest

from app import formatting


@pytest.mark.parametrize(("value", "kind", "text"), [
    (0.6834, "pct", "68%"), (0.685, "pct", "68%"), (0.6851, "pct", "69%"), (1.0, "pct", "100%"), (0.0, "pct", "0%"),
    (3.618, "mean", "3.6"), (3.65, "mean", "3.6"), (6.0, "mean", "6.0"),
    (0.8712, "num", "0.87"), (-0.105, "num", "-0.10"), (12, "num", "12"), (1234, "int", "1,234"), (12.0, "int", "12"),
    (0.04349, "p", "0.043"), (None, "pct", "n/a"), (None, "mean", "n/a"),
])
def test_numbers_by_kind(value, kind, text):
    # 100 * 0.685 == 68.5 and both format() and round() take an exact half to the even neighbour (68), so the page
    # and the spreadsheet (formatting.rounded) agree
    assert formatting.number(value, kind) == text


def test_cells_and_spreadsheet_rounding_match_the_page():
    assert formatting.cell(0.6834, "pct") == "68%" and formatting.rounded(0.6834, "pct") == 68
    assert formatting.cell(3.618, "mean") == "3.6" and formatting.rounded(3.618, "mean") == 3.6
    assert formatting.cell(0.87123, "num") == "0.87" and formatting.rounded(0.87123, "num") == 0.87
    assert formatting.rounded(7, "int") == 7 and formatting.rounded(None, "pct") is None
    assert formatting.cell(True, "bool") == "yes" and formatting.cell(date(2026, 3, 9), "date") == "2026-03-09"
    assert formatting.cell("HFR-1", "text") == "HFR-1"


def test_the_template_filters_are_the_same_helper(app):
    env = app.jinja_env
    assert env.from_string("{{ 0.6834|pct }} {{ 3.618|num(1) }} {{ 0.87123|num }} {{ 0.0434|num(3) }} "
                           "{{ 1234|num }} {{ none|pct }}").render() == "68% 3.6 0.87 0.043 1,234 n/a"
    assert env.from_string("{{ 0.6834|figure('pct') }} {{ 3.618|figure('mean') }}").render() == "68% 3.6"


def test_excel_columns_fit_their_cells_and_dates_stay_dates():
    import io
    from datetime import datetime

    from openpyxl import load_workbook

    from app.exports import COLUMN_WIDTH_MAX, xlsx_bytes
    from implementation_outcomes.delivery.tables import Column, Table

    table = Table("t", "T", [Column("Study ID"), Column("Screened on", "date"), Column("Reach", "pct"),
                             Column("Reason (free text)")],
                  [["SPR1-001", date(2026, 3, 2), 0.6834, "x" * 200]])
    sheet = load_workbook(io.BytesIO(xlsx_bytes({"t": (table.export_headers(), table.export_rows())})))["t"]
    assert sheet["B2"].value == datetime(2026, 3, 2) and sheet["B2"].number_format == "yyyy-mm-dd"  # a date cell
    assert sheet["C2"].value == 68  # rounded as the page shows it (68%)
    assert sheet.column_dimensions["A"].width == len("SPR1-001") + 2
    assert sheet.column_dimensions["B"].width == len("Screened on") + 2
    assert sheet.column_dimensions["D"].width == COLUMN_WIDTH_MAX  # long text capped
    assert sheet["A1"].alignment.wrap_text
    # CSV writes the same date as yyyy-mm-dd text
    from app.exports import csv_text
    assert csv_text(table.export_headers(), table.export_rows()).splitlines()[1].startswith("SPR1-001,2026-03-02,68,")
