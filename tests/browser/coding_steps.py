"""Steps of coding a transcript in a real browser, shared by the coding-tools test and the coding-day journey
(issue 17): open a document in the workspace, code across turns, undo and redo, code in vivo, a digit shortcut,
merge one code into another, a Boolean code query, and accept an auto-code suggestion in place. Each step asserts
what the user sees and what the server answered, and returns what later steps need."""

from __future__ import annotations

import re

from playwright.sync_api import expect

PROJECT = "MIO implementation interviews 2026"
CODINGS_JSON = re.compile(r"/codings\.json(\?first=\d+&last=\d+)?$")


def open_document(page, name: str) -> int:
    page.goto("/qualitative/")
    page.get_by_role("link", name=PROJECT).first.click()
    page.wait_for_load_state()
    href = page.get_by_role("link", name=name, exact=True).get_attribute("href")
    with page.expect_response(CODINGS_JSON):
        page.goto(href)
    page.locator(".margin li button").first.wait_for()
    return int(re.search(r"/documents/(\d+)", href)[1])


def delete_coding(page, coding_id: int, version: int = 1) -> None:
    page.evaluate(
        """async ([id, version]) => {
        await fetch("/qualitative/codings/" + id + "/delete", {method: "POST", credentials: "same-origin",
          headers: {"Content-Type": "application/json", "Accept": "application/json",
                    "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content},
          body: JSON.stringify({version: version})});
    }""",
        [coding_id, version],
    )


def coding_version(page, coding_id: int) -> int:
    """The coding's current version, from the workspace's codings feed (the page must be a document's workspace)."""
    return page.evaluate(
        "async (id) => (await (await fetch(document.querySelector('[data-workspace]').getAttribute("
        "'data-codings-url'))).json()).codings.find(c => c.id === id).version", coding_id)


def code_across_turns(page, document_id: int, turn: int = 1, code: str = "Innovation Source") -> dict:
    """A coding across two turns with the keyboard: the whole of one turn, then Shift+Down takes in the next."""
    turns = page.locator(".utterance")
    first = turns.nth(turn)
    first.focus()
    first.press("Shift+End")
    first.press("Shift+ArrowDown")
    assert "across 2 turns" in page.locator(".selection-info").inner_text()
    page.get_by_label("Find a code").fill(code)
    page.locator('#code-list li.match[data-codable="true"]').first.click()
    with page.expect_response(re.compile(rf"/documents/{document_id}/codings$")) as created:
        page.get_by_role("button", name="Apply codes").click()
    assert created.value.status == 201
    across = created.value.json()["created"][0]
    assert [p["turn_id"] for p in across["pieces"]] == [
        int(turns.nth(turn).get_attribute("data-turn-id")), int(turns.nth(turn + 1).get_attribute("data-turn-id"))]
    page.locator(f"#coding-{across['id']}").wait_for()
    assert "2 turns" in page.locator(f"#coding-{across['id']}").inner_text()
    assert page.locator(f'.utterance .hl[data-codings~="{across["id"]}"]').count() >= 2
    return across


def undo_and_redo(page, document_id: int, coding: dict) -> dict:
    """Undo removes the coding (the request says it is an undo); redo brings it back under a new id."""
    undo = page.get_by_role("button", name="Undo")
    assert "code a span" in undo.get_attribute("title")
    with page.expect_request(re.compile(rf"/codings/{coding['id']}/delete$")) as undone:
        undo.click()
    assert undone.value.headers.get("x-coding-undo") == "undo"
    page.locator(f"#coding-{coding['id']}").wait_for(state="detached")
    with page.expect_response(re.compile(rf"/documents/{document_id}/codings$")) as redone:
        page.keyboard.press("Control+Shift+Z")
    assert redone.value.request.headers.get("x-coding-undo") == "redo" and redone.value.status == 201
    again = redone.value.json()["created"][0]
    assert (again["start"], again["end"]) == (coding["start"], coding["end"])
    page.locator(f"#coding-{again['id']}").wait_for()
    return again


def code_in_vivo_then_undo(page, document_id: int, turn: int = 3, under: str = "Inner Setting") -> dict:
    """The first three words of a turn become a code under a domain; Ctrl+Z undoes the coding, the code stays."""
    turns = page.locator(".utterance")
    utterance = turns.nth(turn)
    utterance.focus()
    for _ in range(3):
        utterance.press("Control+Shift+ArrowRight")
    words = page.evaluate("() => window.getSelection().toString()").strip()
    parent = page.get_by_label("Under")
    parent.select_option(label=parent.locator("option", has_text=under).first.inner_text())
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
    page.locator(f"#coding-{in_vivo['id']} button").focus()
    with page.expect_request(re.compile(rf"/codings/{in_vivo['id']}/delete$")):
        page.keyboard.press("Control+z")
    page.locator(f"#coding-{in_vivo['id']}").wait_for(state="detached")
    assert item.locator(".code-count .n").inner_text() == "0"
    return code


def code_by_shortcut(page, document_id: int, code: dict, turn: int = 4) -> dict:
    """The digit 1 on a code in the tree makes it the shortcut; then 1 with other words selected codes them."""
    item = page.locator(f"#code-item-{code['id']}")
    item.focus()
    with page.expect_response(re.compile(r"/shortcuts$")) as assigned:
        page.keyboard.press("1")
    assert assigned.value.json()["shortcuts"]["1"] == code["id"]
    assert item.locator(".code-shortcut").inner_text() == "1"
    utterance = page.locator(".utterance").nth(turn)
    utterance.focus()
    for _ in range(2):
        utterance.press("Control+Shift+ArrowRight")
    with page.expect_response(re.compile(rf"/documents/{document_id}/codings$")) as by_key:
        utterance.press("1")
    assert by_key.value.status == 201
    coding = by_key.value.json()["created"][0]
    assert coding["code_id"] == code["id"]
    page.locator(f"#coding-{coding['id']}").wait_for()
    return coding


def merge_into_new_in_vivo_code(page, document_id: int, code: dict, coded: dict, turn: int = 5) -> tuple[dict, dict]:
    """A second in-vivo code, then merge ``code`` into it from the code's history page; back in the transcript
    ``coded`` (a coding of ``code``) carries the merged code. Returns the code merged into and its in-vivo coding."""
    utterance = page.locator(".utterance").nth(turn)
    utterance.focus()
    for _ in range(2):
        utterance.press("Control+Shift+ArrowRight")
    with page.expect_response(re.compile(rf"/documents/{document_id}/codings/in-vivo$")) as vivo2:
        page.get_by_role("button", name="Code in vivo").click()
    assert vivo2.value.status == 201
    into = vivo2.value.json()["code"]
    second_coding = vivo2.value.json()["created"][0]
    page.goto(f"/qualitative/codes/{code['id']}/changes")
    page.get_by_label("Merge into", exact=True).select_option(str(into["id"]))
    page.get_by_role("button", name="Merge").click()
    page.wait_for_url(re.compile(rf"/codes/{into['id']}/changes$"))
    history = page.locator("main").inner_text()
    assert "merged into this code" in history and code["name"][:10] in history
    assert "Published as version" in history
    with page.expect_response(CODINGS_JSON):
        page.goto(f"/qualitative/documents/{document_id}")
    page.locator(f"#coding-{coded['id']}").wait_for()
    assert into["name"][:10] in page.locator(f"#coding-{coded['id']}").inner_text()
    return into, second_coding


def boolean_code_query(page, code_a: str, operator: str, code_b: str) -> int:
    """From the project's tab bar to a code query; returns the number of speaker turns found."""
    page.goto("/qualitative/")
    page.get_by_role("link", name=PROJECT).first.click()
    page.get_by_role("navigation", name=f"Project {PROJECT}").get_by_role("link", name="Queries").click()
    expect(page.get_by_role("heading", name="Queries", exact=True)).to_be_visible()
    page.get_by_label("Kind").select_option("code")
    page.get_by_label("Code A").select_option(label=code_a)
    page.get_by_label("Operator").select_option(operator)
    page.get_by_label("Code B").select_option(label=code_b)
    page.get_by_role("button", name="Run the query").click()
    page.wait_for_load_state()
    caption = page.locator("table.query-results caption")
    expect(caption).to_contain_text("speaker turn")
    return int(caption.inner_text().split()[0])


def project_url(page) -> str:
    page.goto("/qualitative/")
    page.get_by_role("link", name=PROJECT).first.click()
    page.wait_for_load_state()
    return re.sub(r"^https?://[^/]+", "", page.url).rstrip("/")


def auto_code_project(page, project: str) -> None:
    """Run the auto-coder on the whole project (a background job) and open its result, the suggestions list."""
    page.goto(f"{project}/suggestions")
    page.get_by_role("button", name="Auto-code the whole project").click()
    page.locator(".job-done").wait_for(state="visible", timeout=60_000)
    page.get_by_role("link", name="See the result").click()
    page.wait_for_load_state()


def accept_first_pending_in_place(page) -> dict:
    """On the suggestions list: accept the first pending suggestion in place (no reload, the row and the counts
    change, focus moves on to the next decision). Returns the server's answer."""
    pending = page.locator("table.data tbody tr").filter(has=page.get_by_role("button", name="Accept"))
    assert pending.count() >= 1
    before = int(page.locator("[data-count='pending']").inner_text().replace(",", ""))
    row = page.locator(f"tr[data-suggestion='{pending.first.get_attribute('data-suggestion')}']")
    url = page.url
    page.evaluate("window.__sameDocument = true")
    with page.expect_response(lambda r: "/accept" in r.url and r.request.method == "POST") as decided:
        row.get_by_role("button", name="Accept").click()
    assert decided.value.status == 200
    expect(row.locator("[data-status]")).to_have_text("accepted")
    expect(page.locator("#decision-status")).to_contain_text("Accepted the suggestion.")
    expect(page.locator("[data-count='pending']")).to_have_text(f"{before - 1:,}")
    assert page.url == url and page.evaluate("window.__sameDocument") is True  # the page was not reloaded
    focused = page.evaluate("document.activeElement.closest('tr') ? document.activeElement.textContent.trim() "
                            ": document.activeElement.id")
    assert focused in ("Accept", "decision-status")
    return decided.value.json()
