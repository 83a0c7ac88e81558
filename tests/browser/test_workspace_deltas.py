"""The coding workspace in a real browser after the change to delta answers: coding a selection, changing its code
and removing it each redraw the page from the answer that carries only that coding; a poll with the ETag held gets
304 and leaves the page as it is; another analyst's new coding arrives with the next poll (gzip-compressed).

The page's 15-second poll is driven with Playwright's clock, so the test does not wait in real time."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

DOCUMENT = "spr2_counselor_interview"  # not in the demo's blind sample (its first three documents by name)


def _open_document(page) -> int:
    page.goto("/qualitative/")
    page.get_by_role("link", name="MIO implementation interviews 2026").first.click()
    page.wait_for_load_state()
    href = page.get_by_role("link", name=DOCUMENT, exact=True).get_attribute("href")
    with page.expect_response(re.compile(r"/codings\.json(\?first=\d+&last=\d+)?$")) as first:
        page.goto(href)
    assert first.value.status == 200
    page.locator(".margin li button").first.wait_for()
    return int(re.search(r"/documents/(\d+)", href)[1])


def _poll(page):
    with page.expect_response(re.compile(r"/codings\.json(\?first=\d+&last=\d+)?$")) as polled:
        page.clock.run_for(16_000)
    return polled.value


def _margin_ids(page) -> set[int]:
    return {
        int(i.removeprefix("coding-"))
        for i in page.eval_on_selector_all(".margin li[id]", "els => els.map(e => e.id)")
    }


def test_coding_changes_apply_deltas_and_polls_revalidate(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.clock.install()
    sign_in(page, "analyst@mio.example")
    document_id = _open_document(page)
    before = _margin_ids(page)
    assert before

    # nothing changed: the poll sends the ETag and gets 304; the page is untouched
    polled = _poll(page)
    assert polled.status == 304
    assert polled.request.headers.get("if-none-match")
    assert _margin_ids(page) == before

    # code the last turn's whole utterance with the keyboard, apply a code found by name
    turn = page.locator(".utterance").last
    turn.focus()
    turn.press("Shift+End")
    page.get_by_label("Find a code").fill("Available Resources")
    page.locator('#code-list li.match[data-codable="true"]').first.click()
    with page.expect_response(re.compile(rf"/documents/{document_id}/codings$")) as created:
        page.get_by_role("button", name="Apply codes").click()
    assert created.value.status == 201
    body = created.value.json()
    assert set(body) == {"created", "skipped"}  # no longer the whole list
    coding = body["created"][0]
    item = page.locator(f"#coding-{coding['id']}")
    item.wait_for()
    assert "Available Resources" in item.inner_text()
    assert page.locator(f'.utterance .hl[data-codings~="{coding["id"]}"]').count() >= 1
    assert _margin_ids(page) == before | {coding["id"]}
    assert "Coded with" in page.locator("#ws-status").inner_text()

    # change its code from the detail panel: the answer is the one coding, the margin follows
    item.get_by_role("button").click()
    select = page.locator("#detail-code-select")
    other = select.locator("option", has_text="Innovation Source").first.get_attribute("value")
    select.select_option(other)
    with page.expect_response(re.compile(rf"/codings/{coding['id']}$")) as changed:
        page.get_by_role("button", name="Change code").click()
    assert changed.value.status == 200 and set(changed.value.json()) == {"coding"}
    page.wait_for_function(
        f"() => document.querySelector('#coding-{coding['id']}').textContent.includes('Innovation Source')"
    )
    assert page.locator("#ws-status").inner_text() == "Saved the coding."

    # remove it: the answer is its id; it leaves the margin and the highlight
    with page.expect_response(re.compile(rf"/codings/{coding['id']}/delete$")) as removed:
        page.get_by_role("button", name="Remove this coding").click()
    assert removed.value.json() == {"deleted": coding["id"]}
    page.locator(f"#coding-{coding['id']}").wait_for(state="detached")
    assert page.locator(f'.utterance .hl[data-codings~="{coding["id"]}"]').count() == 0
    assert _margin_ids(page) == before

    # after its own changes the page loads once in full, then revalidates again
    assert _poll(page).status == 200
    assert _poll(page).status == 304

    # the second analyst codes a turn in their own browser; the first page picks it up with its next poll
    theirs = browser.new_context(base_url=live_server)
    second = theirs.new_page()
    sign_in(second, "analyst2@mio.example")
    second.goto(f"/qualitative/documents/{document_id}")
    answer = second.evaluate("""async () => {
        const root = document.querySelector("[data-workspace]");
        const turn = document.querySelector(".utterance");
        const code = document.querySelector('#code-list li[data-codable="true"]');
        const response = await fetch(root.getAttribute("data-create-url"), {method: "POST", credentials: "same-origin",
          headers: {"Content-Type": "application/json", "Accept": "application/json",
                    "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content},
          body: JSON.stringify({turn_id: Number(turn.getAttribute("data-turn-id")), start: 0, end: 5,
                                code_ids: [Number(code.getAttribute("data-code-id"))]})});
        return {status: response.status, body: await response.json()};
    }""")
    assert answer["status"] == 201, answer
    their_id = answer["body"]["created"][0]["id"]
    polled = _poll(page)
    assert polled.status == 200 and polled.headers.get("content-encoding") == "gzip"
    page.locator(f"#coding-{their_id}").wait_for()
    assert "theirs" in page.locator(f"#coding-{their_id}").get_attribute("class")

    # tidy up for the other browser tests sharing the demo server
    second.evaluate(
        """async (id) => {
        await fetch("/qualitative/codings/" + id + "/delete", {method: "POST", credentials: "same-origin",
          headers: {"Content-Type": "application/json", "Accept": "application/json",
                    "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content},
          body: JSON.stringify({version: 1})});
    }""",
        their_id,
    )
    theirs.close()
    context.close()
