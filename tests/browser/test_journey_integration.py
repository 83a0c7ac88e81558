"""Journey (2), integration part, in a real browser on the full demo: the director reads the joint displays,
follows a quote to its coded segment, compares high and low fidelity clinics on the determinants page (truth
table included) and downloads the Excel workbook."""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_director_reads_joint_displays_and_determinants(page, screenshot, tmp_path):
    sign_in(page, "director@mio.example")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Joint displays").click()
    page.get_by_role("link", name=re.compile(r"^Joint displays of MIO implementation interviews")).click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Joint displays:")
    themes = page.get_by_role("table", name=re.compile("CFIR constructs \\(rows\\) by clinic"))
    assert themes.get_by_role("columnheader", name=re.compile("SPR-1")).is_visible()
    assert "Sessions with adequate fidelity" in themes.inner_text()
    screenshot(page, "integration-joint-themes")

    # one clinic's side-by-side display, and a quote followed to its coded segment
    page.get_by_role("navigation", name="Clinics in the side-by-side display").get_by_role("link", name="HFR-2").click()
    clinic = page.locator("section.clinic-block", has=page.get_by_role("heading", name=re.compile("^HFR-2")))
    assert "HFR-2: readiness" in clinic.inner_text() and "At least 4 eligible counselors" in clinic.inner_text()
    assert clinic.get_by_role("table", name=re.compile("HFR-2: implementation outcomes")).is_visible()
    quote_link = clinic.locator("blockquote.exemplar a").first
    href = quote_link.get_attribute("href")
    assert re.search(r"/qualitative/documents/\d+\?coding=\d+#coding-\d+$", href)
    clinic.scroll_into_view_if_needed()
    screenshot(page, "integration-side-by-side-hfr2")
    quote_link.click()
    page.wait_for_load_state()
    coding_id = href.rsplit("#", 1)[1]
    assert page.locator(f"#{coding_id}").count() == 1
    screenshot(page, "integration-quote-in-transcript")
    page.go_back()

    # the Excel export: one workbook, a sheet per display, quotes included
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download Excel workbook (both displays and quotes)").click()
    path = tmp_path / "joint.xlsx"
    download_info.value.save_as(path)
    book = load_workbook(path)
    assert {"Statistics by themes", "Side by side", "Quotes"} <= set(book.sheetnames)
    quotes = list(book["Quotes"].iter_rows(values_only=True))
    assert quotes[0][:6] == ("clinic", "construct", "consensus rating", "document", "speaker", "quote")
    assert len(quotes) > 1 and all(row[5] for row in quotes[1:])

    # determinants: choose an outcome, see what distinguishes the groups and the truth table
    page.get_by_role("link", name="Determinants and outcomes (Aim 3)").click()
    assert "no p-values" in page.get_by_role("note").inner_text()
    page.get_by_label("Outcome").select_option(label="Mean dose (attended sessions per MIO mother)")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_load_state()
    groups = page.get_by_role("table", name=re.compile("^Cases by mean dose"))
    assert re.search(r"SPR-1\s+9\.\d+\s+high", groups.inner_text())
    assert re.search(r"HFR-2\s+3\.\d+\s+low", groups.inner_text())
    distinguishing = page.get_by_role("table", name=re.compile("Constructs and readiness scores"))
    assert "strong (higher in high clinics)" in distinguishing.inner_text()
    truth = page.get_by_role("table", name=re.compile("^Observed configurations"))
    assert truth.get_by_role("columnheader", name="Consistency").is_visible()
    assert "SPR-1" in truth.inner_text()
    screenshot(page, "integration-determinants")

    # the counselor level: 16 cases with CRFS against fidelity (scatter and table)
    page.get_by_label("Cases").select_option("counselor")
    page.get_by_label("Outcome").select_option(label="Share of the counselor's rated sessions with adequate fidelity")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_load_state()
    counselors = page.get_by_role("table", name=re.compile("^Counselors: reflective functioning"))
    assert counselors.locator("tbody tr").count() == 16
    assert page.get_by_role("img", name=re.compile("CRFS mean against share of sessions")).is_visible()
    screenshot(page, "integration-determinants-counselors")
