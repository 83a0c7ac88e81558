"""Issue 17's Done-when in one journey: one analyst, one project, one transcript (spr2_supervisor_interview, outside
the demo's blind sample and not used by the other coding tests). Codes a span across two turns, undoes and redoes
it, codes in vivo, codes by a digit shortcut, merges one code into another, runs a Boolean code query that finds the
journey's codings, and accepts an auto-code suggestion in place. The steps are shared with the coding-tools test
(tests/browser/coding_steps.py); a screenshot of the end state goes to the artifacts dir."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.coding_steps import (
    accept_first_pending_in_place,
    auto_code_project,
    boolean_code_query,
    code_across_turns,
    code_by_shortcut,
    code_in_vivo_then_undo,
    merge_into_new_in_vivo_code,
    open_document,
    project_url,
    undo_and_redo,
)
from tests.browser.conftest import sign_in
from tests.browser.test_queries import CODE_A, CODE_B

pytestmark = pytest.mark.browser

DOCUMENT = "spr2_supervisor_interview"


def test_coding_day(page, screenshot):
    sign_in(page, "analyst@mio.example")
    document_id = open_document(page, DOCUMENT)

    # 1-4. a coding across two turns, undo and redo, an in-vivo code, a digit shortcut
    across = code_across_turns(page, document_id, turn=1)
    across = undo_and_redo(page, document_id, across)
    code = code_in_vivo_then_undo(page, document_id, turn=3, under="Inner Setting")
    by_shortcut = code_by_shortcut(page, document_id, code, turn=4)
    # 5. merge the shortcut's code into a second in-vivo code; the shortcut's coding now carries it
    into, _into_coding = merge_into_new_in_vivo_code(page, document_id, code, by_shortcut, turn=5)
    screenshot(page, "journey17-01-coded-transcript")

    # 6. a Boolean query: the demo's co-coded turn for AND; then the merged code OR the multi-turn coding's code
    #    finds this transcript's turns: the two of the multi-turn coding and the two of the merged code's codings
    assert boolean_code_query(page, CODE_A, "AND", CODE_B) >= 1
    expect(page.locator("table.query-results").first).to_contain_text("leadership took a couple of things off my plate")
    merged_label = page.get_by_label("Code A").locator("option", has_text=into["name"]).first.inner_text()
    across_label = page.get_by_label("Code A").locator("option", has_text="Innovation Source").first.inner_text()
    found = boolean_code_query(page, merged_label, "OR", across_label)
    results = page.locator("table.query-results").first
    expect(results).to_contain_text(DOCUMENT)
    assert found >= 4
    assert page.locator("table.query-results tbody tr", has_text=DOCUMENT).count() >= 4
    screenshot(page, "journey17-02-boolean-query")

    # 7. auto-code the project (a background job) and accept a suggestion in place
    auto_code_project(page, project_url(page))
    answer = accept_first_pending_in_place(page)
    assert answer["status"] == "accepted" and answer["coding_id"]
    screenshot(page, "journey17-03-suggestion-accepted")
