"""The coding workspace's tools in a real browser (issue 17): the code tree picker (search, keyboard, definitions on
focus, counts, several codes at once) and a coding's detail opened in place, beside its highlight, with focus moved
into it and given back on Escape; then a journey that codes a transcript with a coding across two turns, undo and
redo, an in-vivo code, a digit shortcut, and merges one code into another from its history page."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

DOCUMENT = "spr1_supervisor_interview"  # not in the demo's blind sample (its first three documents by name)


def _open_document(page, name: str = DOCUMENT) -> int:
    page.goto("/qualitative/")
    page.get_by_role("link", name="MIO implementation interviews 2026").first.click()
    page.wait_for_load_state()
    href = page.get_by_role("link", name=name, exact=True).get_attribute("href")
    with page.expect_response(re.compile(r"/codings\.json(\?first=\d+&last=\d+)?$")):
        page.goto(href)
    page.locator(".margin li button").first.wait_for()
    return int(re.search(r"/documents/(\d+)", href)[1])


def _delete(page, coding_id: int, version: int = 1) -> None:
    page.evaluate(
        """async ([id, version]) => {
        await fetch("/qualitative/codings/" + id + "/delete", {method: "POST", credentials: "same-origin",
          headers: {"Content-Type": "application/json", "Accept": "application/json",
                    "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content},
          body: JSON.stringify({version: version})});
    }""",
        [coding_id, version],
    )


def test_code_tree_picks_several_codes_and_the_detail_opens_beside_the_highlight(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, "analyst@mio.example")
    document_id = _open_document(page)

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
        _delete(page, coding["id"])
    context.close()


def test_journey_across_turns_undo_in_vivo_shortcut_and_merge(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, "analyst@mio.example")
    document_id = _open_document(page, "spr1_counselor_interview")

    # a coding across two turns with the keyboard: the whole of one turn, then Shift+Down takes in the next
    turns = page.locator(".utterance")
    first = turns.nth(1)
    first.focus()
    first.press("Shift+End")
    first.press("Shift+ArrowDown")
    assert "across 2 turns" in page.locator(".selection-info").inner_text()
    page.get_by_label("Find a code").fill("Innovation Source")
    page.locator('#code-list li.match[data-codable="true"]').first.click()
    with page.expect_response(re.compile(rf"/documents/{document_id}/codings$")) as created:
        page.get_by_role("button", name="Apply codes").click()
    assert created.value.status == 201
    across = created.value.json()["created"][0]
    assert [p["turn_id"] for p in across["pieces"]] == [
        int(turns.nth(1).get_attribute("data-turn-id")), int(turns.nth(2).get_attribute("data-turn-id"))]
    page.locator(f"#coding-{across['id']}").wait_for()
    assert "2 turns" in page.locator(f"#coding-{across['id']}").inner_text()
    assert page.locator(f'.utterance .hl[data-codings~="{across["id"]}"]').count() >= 2

    # undo removes it (the request says it is an undo), redo brings it back under a new id
    undo = page.get_by_role("button", name="Undo")
    assert "code a span" in undo.get_attribute("title")
    with page.expect_request(re.compile(rf"/codings/{across['id']}/delete$")) as undone:
        undo.click()
    assert undone.value.headers.get("x-coding-undo") == "undo"
    page.locator(f"#coding-{across['id']}").wait_for(state="detached")
    with page.expect_response(re.compile(rf"/documents/{document_id}/codings$")) as redone:
        page.keyboard.press("Control+Shift+Z")
    assert redone.value.request.headers.get("x-coding-undo") == "redo" and redone.value.status == 201
    again = redone.value.json()["created"][0]
    assert (again["start"], again["end"]) == (across["start"], across["end"])
    page.locator(f"#coding-{again['id']}").wait_for()

    # in vivo: the first three words of a turn become a code under the Inner Setting domain
    turn = turns.nth(3)
    turn.focus()
    for _ in range(3):
        turn.press("Control+Shift+ArrowRight")
    words = page.evaluate("() => window.getSelection().toString()").strip()
    parent = page.get_by_label("Under")
    parent.select_option(label=parent.locator("option", has_text="Inner Setting").first.inner_text())
    with page.expect_response(re.compile(rf"/documents/{document_id}/codings/in-vivo$")) as vivo:
        page.get_by_role("button", name="Code in vivo").click()
    assert vivo.value.status == 201
    code = vivo.value.json()["code"]
    assert words.startswith(code["name"].rstrip("…")[:10])
    item = page.locator(f"#code-item-{code['id']}")
    assert item.get_attribute("aria-level") == "2" and item.locator(".code-count .n").inner_text() == "1"
    in_vivo = vivo.value.json()["created"][0]
    page.locator(f"#coding-{in_vivo['id']}").wait_for()
    assert code["name"] in page.locator(f"#coding-{in_vivo['id']}").inner_text()
    # Ctrl+Z undoes the in-vivo coding (the code stays in the codebook)
    page.locator(f"#coding-{in_vivo['id']} button").focus()
    with page.expect_request(re.compile(rf"/codings/{in_vivo['id']}/delete$")):
        page.keyboard.press("Control+z")
    page.locator(f"#coding-{in_vivo['id']}").wait_for(state="detached")
    assert item.locator(".code-count .n").inner_text() == "0"

    # a shortcut: the digit 1 on the in-vivo code in the tree, then 1 with other words selected codes them
    item.focus()
    with page.expect_response(re.compile(r"/shortcuts$")) as assigned:
        page.keyboard.press("1")
    assert assigned.value.json()["shortcuts"]["1"] == code["id"]
    assert item.locator(".code-shortcut").inner_text() == "1"
    turn = turns.nth(4)
    turn.focus()
    for _ in range(2):
        turn.press("Control+Shift+ArrowRight")
    with page.expect_response(re.compile(rf"/documents/{document_id}/codings$")) as by_key:
        turn.press("1")
    assert by_key.value.status == 201
    shortcut_coding = by_key.value.json()["created"][0]
    assert shortcut_coding["code_id"] == code["id"]
    page.locator(f"#coding-{shortcut_coding['id']}").wait_for()

    # a second in-vivo code, then merge the first into it from the code's history page
    turn = turns.nth(5)
    turn.focus()
    for _ in range(2):
        turn.press("Control+Shift+ArrowRight")
    with page.expect_response(re.compile(rf"/documents/{document_id}/codings/in-vivo$")) as vivo2:
        page.get_by_role("button", name="Code in vivo").click()
    into = vivo2.value.json()["code"]
    second_coding = vivo2.value.json()["created"][0]
    page.goto(f"/qualitative/codes/{code['id']}/changes")
    page.get_by_label("Merge into", exact=True).select_option(str(into["id"]))
    page.get_by_role("button", name="Merge").click()
    page.wait_for_url(re.compile(rf"/codes/{into['id']}/changes$"))
    history = page.locator("main").inner_text()
    assert "merged into this code" in history and code["name"][:10] in history
    assert "Published as version" in history
    # back in the transcript the shortcut's coding carries the merged code
    with page.expect_response(re.compile(r"/codings\.json(\?first=\d+&last=\d+)?$")):
        page.goto(f"/qualitative/documents/{document_id}")
    page.locator(f"#coding-{shortcut_coding['id']}").wait_for()
    assert into["name"][:10] in page.locator(f"#coding-{shortcut_coding['id']}").inner_text()

    for coding_id in (shortcut_coding["id"], second_coding["id"], again["id"]):
        _delete(page, coding_id, page.evaluate(
            "async (id) => (await (await fetch(document.querySelector('[data-workspace]').getAttribute("
            "'data-codings-url'))).json()).codings.find(c => c.id === id).version", coding_id))
    context.close()
