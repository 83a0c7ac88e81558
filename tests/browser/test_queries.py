"""Queries in a real browser (issue 17.4): from the project's tab bar to a Boolean code query on the demo, its
results, the CSV download, and the co-occurrence network drawn by the server."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

PROJECT = "MIO implementation interviews 2026"
#: the demo's first analyst codes "leadership took a couple of things off my plate" with both (workspace/demo.py)
CODE_A = "Individuals > Roles > High-level Leaders"
CODE_B = "Inner Setting > Relative Priority"


def test_boolean_query_results_download_and_network(page, screenshot):
    sign_in(page, "analyst@mio.example")
    page.goto("/qualitative/")
    page.get_by_role("link", name=PROJECT).first.click()
    page.get_by_role("navigation", name=f"Project {PROJECT}").get_by_role("link", name="Queries").click()
    expect(page.get_by_role("heading", name="Queries", exact=True)).to_be_visible()
    page.get_by_label("Kind").select_option("code")
    page.get_by_label("Code A").select_option(label=CODE_A)
    page.get_by_label("Operator").select_option("AND")
    page.get_by_label("Code B").select_option(label=CODE_B)
    page.get_by_role("button", name="Run the query").click()
    page.wait_for_load_state()
    caption = page.locator("table.query-results caption")
    expect(caption).to_contain_text("speaker turn")
    and_count = int(caption.inner_text().split()[0])
    assert and_count >= 1
    expect(page.locator("table.query-results").first).to_contain_text("leadership took a couple of things off my plate")
    screenshot(page, "queries-01-boolean")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert text.splitlines()[0] == "document,clinic,turn,speaker,role,codes in the turn,text"
    assert "leadership took a couple of things off my plate" in text
    # OR widens: every turn with either code (the form kept the codes chosen)
    page.get_by_label("Operator").select_option("OR")
    page.get_by_role("button", name="Run the query").click()
    page.wait_for_load_state()
    assert page.get_by_label("Code A").locator("option:checked").inner_text() == CODE_A
    assert int(caption.inner_text().split()[0]) > and_count
    page.get_by_label("Kind").select_option("cooccurrence")
    page.get_by_role("button", name="Run the query").click()
    page.wait_for_load_state()
    expect(page.locator("figure.network-figure svg circle").first).to_be_visible()
    expect(page.get_by_text("Same-turn convention")).to_be_visible()
    screenshot(page, "queries-02-network")
