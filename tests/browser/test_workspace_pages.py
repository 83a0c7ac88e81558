"""The paged coding workspace in a real browser (issue 14 item 5): on page 2 of a 650-turn transcript the workspace
script loads the page's window of codings, codes a keyboard selection, shows it in the margin, opens its detail and
removes it; "Go to turn" opens the page holding the turn."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

PROJECT = "MIO implementation interviews 2026"
TRANSCRIPT = "\n".join(f"Speaker{i % 2}: line {i} about the recorder and supervision" for i in range(650))


def test_coding_on_page_two_of_a_long_transcript(page):
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, "analyst@mio.example")
    page.goto("/qualitative/")
    page.get_by_role("link", name=PROJECT).first.click()
    page.wait_for_load_state()
    project = page.url
    page.get_by_role("link", name="Import transcripts").last.click()
    page.get_by_label("Transcript files").set_input_files(
        files=[{"name": "long_paged.txt", "mimeType": "text/plain", "buffer": TRANSCRIPT.encode()}])
    clinic = page.get_by_label("Clinic")
    clinic.select_option(clinic.locator("option", has_text="SPR-1").first.get_attribute("value"))
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r"/jobs/"))
    page.locator(".job-done").wait_for(state="visible", timeout=30_000)
    page.goto(project)
    row = page.get_by_role("row").filter(has_text="long_paged")
    row.get_by_role("link", name=re.compile("De-identify")).click()
    page.get_by_role("button", name="Skip de-identification (already de-identified)").click()
    page.wait_for_load_state()
    document_id = int(re.search(r"/documents/(\d+)", page.url)[1])

    with page.expect_response(re.compile(r"/codings\.json\?first=300&last=599$")) as loaded:
        page.goto(f"/qualitative/documents/{document_id}?page=2")
    assert loaded.value.status == 200
    assert page.locator(".turn-number").first.inner_text() == "301."
    assert "Turns 301–600 of 650, page 2 of 3" in page.locator("#ws-pager-top").inner_text()

    turn = page.locator(".turn", has=page.locator(".turn-number", has_text=re.compile(r"^333\.$"))).locator(".utterance")
    turn.focus()
    turn.press("Shift+End")
    page.get_by_label("Find a code").fill("Available Resources")
    page.locator('#code-list li.match[data-codable="true"]').first.click()
    with page.expect_response(re.compile(rf"/documents/{document_id}/codings$")) as created:
        page.get_by_role("button", name="Apply codes").click()
    assert created.value.status == 201
    coding = created.value.json()["created"][0]
    item = page.locator(f"#coding-{coding['id']}")
    item.wait_for()
    assert "Available Resources" in item.inner_text()
    assert page.locator(f'.utterance .hl[data-codings~="{coding["id"]}"]').count() == 1

    item.get_by_role("button").click()
    detail = page.locator("#coding-detail")
    detail.wait_for(state="visible")
    assert detail.locator(".detail-quote").inner_text() == "line 332 about the recorder and supervision"
    with page.expect_response(re.compile(rf"/codings/{coding['id']}/delete$")) as removed:
        page.get_by_role("button", name="Remove this coding").click()
    assert removed.value.status == 200
    item.wait_for(state="detached")

    # "Go to turn" opens the page holding it and marks the turn
    page.locator("#ws-pager-top-turn").fill("640")
    page.locator("#ws-pager-top").get_by_role("button", name="Go").click()
    page.wait_for_url(re.compile(r"\?turn=640$"))
    assert page.locator('.turn[aria-current="location"] .turn-number').inner_text() == "640."
