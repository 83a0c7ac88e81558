"""The director's outcomes journey in a real browser on the full demo: read every outcome of every clinic on the
overview, download the Excel export and check it holds the figures the overview service computes for the same
database (read through /api/v1/outcomes, which returns ``overview_rows`` as JSON, in the same signed-in session),
then drill down to a clinic and to one of its counselors. Each page is screenshotted."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from implementation_outcomes.overview import tables
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def _shown(value, kind: str) -> str:
    """How the page writes a figure (the ``pct``/``num`` filters of app.main; a dash when undefined)."""
    if value is None:
        return "–"
    if kind == "pct":
        return f"{100 * value:.0f}%"
    if kind == "num":  # coefficients (ICC): 2 decimals
        return f"{value:.2f}"
    if kind == "mean":  # means of counts (dose): 1 decimal (app.formatting's conventions, issue 16.3)
        return f"{value:.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def test_director_reads_outcomes_downloads_excel_and_drills_down(page, screenshot, tmp_path):
    sign_in(page, "director@mio.example")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Outcomes overview").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Implementation outcomes overview"
    rows = page.request.get("/api/v1/outcomes").json()["clinics"]
    assert [r["clinic"] for r in rows] == ["HFR-1", "HFR-2", "SPR-1", "SPR-2"]
    table = page.locator("#table-outcomes")
    body_rows = table.locator("tbody tr")
    assert body_rows.count() == 4
    for i, row in enumerate(rows):
        cells = body_rows.nth(i).locator("th, td").all_inner_texts()
        expected = [_shown(row[key], kind) for key, _h, kind in tables.OVERVIEW_COLUMNS]
        # the stage cell shows a short label (the full one as its title) and gives screen readers the full one
        stage = [key for key, _h, _k in tables.OVERVIEW_COLUMNS].index("current_stage_label")
        if row["current_stage_label"]:
            stage_cell = body_rows.nth(i).locator("th, td").nth(stage)
            assert stage_cell.locator("[title]").get_attribute("title") == row["current_stage_label"]
            short, _, full = cells[stage].strip().partition("\n")
            assert full == row["current_stage_label"] and short and len(short) <= len(full)
            cells[stage] = full
        assert [c.strip() for c in cells] == expected, row["clinic"]
    assert page.locator("svg.bar-chart").count() == 4
    screenshot(page, "journey-outcomes-overview")

    with page.expect_download() as info:
        # the first downloads paragraph belongs to the outcomes table (its links name the table for screen readers)
        page.locator("p.downloads").first.get_by_role("link", name="Download Excel").click()
    path = tmp_path / "outcomes.xlsx"
    info.value.save_as(path)
    sheet = load_workbook(path)["outcomes"]
    values = [["" if v is None else v for v in r] for r in sheet.iter_rows(values_only=True)]
    export = tables.overview_table(rows)
    assert values == [export.export_headers(), *export.export_rows()]

    page.get_by_role("link", name="SPR-1", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Outcomes · SPR-1")
    spr = next(r for r in rows if r["clinic"] == "SPR-1")
    cards = page.get_by_role("list", name="Headline figures").inner_text()
    assert f"Reach (enrolled / offered) {_shown(spr['reach'], 'pct')}" in cards and f"{spr['delivering']} / {spr['eligible']}" in cards
    assert page.get_by_role("link", name="Feasibility").is_visible()
    screenshot(page, "journey-outcomes-clinic")

    counselors = page.locator("#table-counselors tbody th a")
    name = counselors.first.inner_text()
    counselors.first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith(name)
    for heading in ("Adoption steps", "Sessions delivered", "Fidelity ratings", "Self-reflection vs coder",
                    "Training-case progress"):
        assert page.get_by_role("heading", name=heading).is_visible()
    assert page.locator("svg.run-chart").count() == 1
    screenshot(page, "journey-outcomes-counselor")
