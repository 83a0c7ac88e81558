"""The coding workspace's tools in a real browser (issue 17): the code tree picker (search, keyboard, definitions on
focus, counts, several codes at once) and a coding's detail opened in place, beside its highlight, with focus moved
into it and given back on Escape; then a journey that codes a transcript with a coding across two turns, undo and
redo, an in-vivo code, a digit shortcut, and merges one code into another from its history page."""

from __future__ import annotations

import re

import pytest

from tests.browser.coding_steps import (
    code_across_turns,
    code_by_shortcut,
    code_in_vivo_then_undo,
    coding_version,
    delete_coding,
    merge_into_new_in_vivo_code,
    open_document,
    undo_and_redo,
)
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

DOCUMENT = "spr1_supervisor_interview"  # not in the demo's blind sample (its first three documents by name)


def test_code_tree_picks_several_codes_and_the_detail_opens_beside_the_highlight(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, "analyst@mio.example")
    document_id = open_document(page, DOCUMENT)

    tree = page.get_by_role("tree", name="Codebook")
    assert tree.get_attribute("aria-multiselectable") == "true"
    domains = tree.locator('[role="treeitem"][aria-level="1"]')
    assert domains.count() >= 5  # CFIR 2.0 domains at the top of the hierarchy

    # filter as you type: only matching codes and their headings stay
    search = page.get_by_label("Find a code")
    search.fill("available resources")
    visible = tree.locator('[role="treeitem"]:visible')
    labels = visible.evaluate_all("els => els.map(e => e.getAttribute('data-label'))")
    assert any("Available Resources" in label for label in labels)
    assert len(labels) < 12  # the rest of the 70-odd codes are filtered out
    count_before = int(tree.locator('[role="treeitem"].match[data-codable="true"] .code-count .n').first.inner_text())

    # select the last turn's text with the keyboard, then pick two codes in the tree with the keyboard
    turn = page.locator(".utterance").last
    turn.focus()
    turn.press("Shift+End")
    search.fill("resources")
    search.press("ArrowDown")
    focused = page.locator('#code-list [role="treeitem"]:focus')
    assert focused.get_attribute("data-codable") == "true"
    first = page.locator(f'#code-item-{focused.get_attribute("data-code-id")}')
    # its definition, inclusion and exclusion notes appear beside it on focus
    tip = page.locator("#code-tip")
    tip.wait_for(state="visible")
    assert "Definition." in tip.inner_text() and "Include:" in tip.inner_text()
    page.keyboard.press("Space")
    assert first.get_attribute("aria-selected") == "true"
    page.keyboard.press("ArrowDown")
    while focused.get_attribute("data-codable") != "true":
        page.keyboard.press("ArrowDown")
    second_id = focused.get_attribute("data-code-id")
    page.keyboard.press("Space")
    assert page.locator(f"#code-item-{second_id}").get_attribute("aria-selected") == "true"
    picked = {first.get_attribute("data-code-id"), second_id}
    assert len(picked) == 2
    with page.expect_response(re.compile(rf"/documents/{document_id}/codings$")) as created:
        page.keyboard.press("Enter")
    assert created.value.status == 201
    codings = created.value.json()["created"]
    assert {str(c["code_id"]) for c in codings} == picked  # one span, two codes, one request
    for coding in codings:
        page.locator(f"#coding-{coding['id']}").wait_for()
    # the counts beside the codes follow
    search.fill("available resources")
    count_after = int(tree.locator('[role="treeitem"].match[data-codable="true"] .code-count .n').first.inner_text())
    available = tree.locator('[role="treeitem"].match[data-codable="true"]').first.get_attribute("data-code-id")
    assert count_after == count_before + (1 if available in picked else 0)
    search.fill("")

    # click the highlight: the detail opens beside it, focus inside; Escape closes it and gives focus back
    mine = codings[0]
    highlight = page.locator(f'.utterance .hl[data-codings~="{mine["id"]}"]').first
    highlight.click()
    popover = page.get_by_role("dialog", name="Coding")
    popover.wait_for(state="visible")
    assert page.evaluate("() => document.getElementById('coding-detail').contains(document.activeElement)")
    hl_box, pop_box = highlight.bounding_box(), popover.bounding_box()
    assert 0 <= pop_box["y"] - (hl_box["y"] + hl_box["height"]) < 30  # right under the highlighted line
    assert pop_box["x"] < 900  # over the transcript, not in the sidebar
    page.keyboard.press("Escape")
    popover.wait_for(state="hidden")
    assert page.evaluate("() => document.activeElement.classList.contains('utterance')")

    for coding in codings:
        delete_coding(page, coding["id"])
    context.close()


def test_journey_across_turns_undo_in_vivo_shortcut_and_merge(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, "analyst@mio.example")
    document_id = open_document(page, "spr1_counselor_interview")

    across = code_across_turns(page, document_id, turn=1)
    again = undo_and_redo(page, document_id, across)
    code = code_in_vivo_then_undo(page, document_id, turn=3)
    shortcut_coding = code_by_shortcut(page, document_id, code, turn=4)
    _into, second_coding = merge_into_new_in_vivo_code(page, document_id, code, shortcut_coding, turn=5)

    for coding_id in (shortcut_coding["id"], second_coding["id"], again["id"]):
        delete_coding(page, coding_id, coding_version(page, coding_id))
    context.close()
