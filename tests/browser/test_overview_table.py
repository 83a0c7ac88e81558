"""The overview table and a clinic profile in a real browser (issue 16.3, 16.4): the clinic column stays in view when
the table scrolls sideways, rows stay one line tall, the column-group chooser hides groups and remembers the choice,
chart text is at least 12 px on the desktop and on a phone. Screenshots: overview-table, clinic-profile,
clinic-profile-phone, overview-clinic."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import sign_in

DIRECTOR = "director@mio.example"


def _chart_text_px(pg, selector: str) -> float:
    """The smallest rendered font size (CSS px) of the chart's text: its font size times the drawn scale."""
    return pg.eval_on_selector(selector, """svg => {
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        const sizes = [...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize));
        return Math.min(...sizes) * scale;
    }""")


def test_overview_table_keeps_the_clinic_in_view_and_groups_columns(page, screenshot):
    sign_in(page, DIRECTOR)
    page.goto("/outcomes/overview/")
    chooser = page.locator("#column-chooser")
    expect(chooser).to_be_visible()  # app.js shows it; without JS it stays hidden and every column shows
    wrap = page.locator(".table-wrap", has=page.locator("#table-outcomes"))
    expect(wrap).to_have_attribute("role", "region")  # it scrolls at 1280 px: a named, focusable region
    first = page.locator("#table-outcomes tbody th[scope=row]").first
    left_before = first.bounding_box()["x"]
    wrap.evaluate("w => { w.scrollLeft = 900; }")
    page.wait_for_function("() => document.querySelector('#table-outcomes').closest('.table-wrap').scrollLeft > 0")
    assert abs(first.bounding_box()["x"] - left_before) < 1  # sticky: the clinic did not scroll away
    heights = page.eval_on_selector_all("#table-outcomes tbody tr", "rows => rows.map(r => r.getBoundingClientRect().height)")
    tall = page.eval_on_selector_all("#table-outcomes tbody tr:first-child > *", "cs => cs.map(c => { const r = document.createRange(); r.selectNodeContents(c); return [c.textContent.trim().slice(0, 20), Math.round(r.getBoundingClientRect().height)]; }).filter(x => x[1] > 30)")
    assert max(heights) < 45, (heights, tall)  # one line per clinic (the wrapped stage text made them 130 px)
    wrap.evaluate("w => { w.scrollLeft = 0; }")
    screenshot(page, "overview-table")
    fidelity_cell = page.locator('#table-outcomes tbody td[data-group="fidelity"]').first
    expect(fidelity_cell).to_be_visible()
    chooser.get_by_label("Fidelity").uncheck()
    expect(fidelity_cell).to_be_hidden()
    page.reload()
    expect(page.locator("#column-chooser").get_by_label("Fidelity")).not_to_be_checked()  # remembered
    expect(page.locator('#table-outcomes tbody td[data-group="fidelity"]').first).to_be_hidden()
    page.locator("#column-chooser").get_by_label("Fidelity").check()
    expect(page.locator('#table-outcomes tbody td[data-group="fidelity"]').first).to_be_visible()
    assert _chart_text_px(page, "#h-charts ~ * svg.chart, section[aria-labelledby=h-charts] svg.chart") >= 12
    page.locator("#table-outcomes tbody th[scope=row] a").first.click()
    expect(page.get_by_role("heading", name="Adoption funnel")).to_be_visible()
    screenshot(page, "overview-clinic")


def test_a_clinic_profile_is_one_legible_chart(page, phone_page, screenshot):
    sign_in(page, DIRECTOR)
    page.goto("/readiness/profiles?clinic=SPR-1")
    chart = page.locator("svg.profile-chart")
    expect(chart).to_have_count(1)
    assert _chart_text_px(page, "svg.profile-chart") >= 12
    screenshot(page, "clinic-profile")
    sign_in(phone_page, DIRECTOR)
    phone_page.goto("/readiness/profiles?clinic=SPR-1")
    expect(phone_page.locator("svg.profile-chart")).to_be_visible()
    assert _chart_text_px(phone_page, "svg.profile-chart") >= 11.5  # 320 px drawing in a 358 px column: unscaled
    screenshot(phone_page, "clinic-profile-phone")
