"""Journey 3, the analyst: import a Zoom focus group (with a progress page), review and apply redactions, map a
speaker, code by selecting text with the mouse (emoji and accents: the stored quote must equal the selection), accept
an auto-coding suggestion, reveal the blind sample and compute agreement with the second coder, rate a construct
for a clinic, and export a .qdpx that the REFI-QDA schema accepts. A screenshot of every step."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.coding_steps import accept_first_pending_in_place
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

DATA = Path(__file__).parent / "data"
PROJECT = "MIO implementation interviews 2026"
VTT = DATA / "focus_group_cafe.vtt"
#: what the analyst selects with the mouse in the second turn (accents, an emoji outside the BMP, a French word)
SELECTION = "café check-ins 😊 made the recordings feel normal, même"

#: the points of a text inside an utterance: left edge of its first character, right edge of its last character
TEXT_POINTS = """([turnSelector, wanted]) => {
  const el = document.querySelector(turnSelector);
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  let text = "", nodes = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) { nodes.push([n, text.length]); text += n.data; }
  const at = text.indexOf(wanted);
  if (at < 0) { return null; }
  function point(offset) {
    for (let i = nodes.length - 1; i >= 0; i--) {
      if (nodes[i][1] <= offset) { return [nodes[i][0], offset - nodes[i][1]]; }
    }
  }
  function rect(offset, length) {
    const [node, local] = point(offset);
    const range = document.createRange();
    range.setStart(node, local);
    range.setEnd(node, local + length);
    const rects = range.getClientRects();
    return rects[0];
  }
  const first = rect(at, 1);
  const lastLength = /[\\uDC00-\\uDFFF]/.test(wanted[wanted.length - 1]) ? 2 : 1;
  const last = rect(at + wanted.length - lastLength, lastLength);
  return {x1: first.left + 0.5, y1: first.top + first.height / 2, x2: last.right - 0.5, y2: last.top + last.height / 2};
}"""


def _drag_select(page, turn_selector: str, wanted: str) -> None:
    """Select ``wanted`` inside the turn with a real mouse drag (first character's left edge to the last one's
    right edge), then check the browser selected exactly that."""
    page.locator(turn_selector).scroll_into_view_if_needed()
    points = page.evaluate(TEXT_POINTS, [turn_selector, wanted])
    assert points, f"{wanted!r} is not in {turn_selector}"
    page.mouse.move(points["x1"], points["y1"])
    page.mouse.down()
    page.mouse.move((points["x1"] + points["x2"]) / 2, points["y2"], steps=5)
    page.mouse.move(points["x2"], points["y2"], steps=5)
    page.mouse.up()
    assert page.evaluate("() => window.getSelection().toString()") == wanted


def _project_url(page) -> str:
    page.goto("/qualitative/")
    page.get_by_role("link", name=PROJECT).first.click()
    page.wait_for_load_state()
    return re.sub(r"^https?://[^/]+", "", page.url).rstrip("/")


def test_analyst_journey(page, screenshot, tmp_path):
    page.on("dialog", lambda dialog: dialog.accept())  # confirmations (apply redactions, reveal the sample)
    sign_in(page, "analyst@mio.example")
    project = _project_url(page)
    screenshot(page, "journey3-01-project")

    # 1. import the Zoom focus group; the job's progress page finishes and links to the result
    page.get_by_role("link", name="Import transcripts").last.click()
    page.get_by_label("Transcript files").set_input_files(str(VTT))
    clinic = page.get_by_label("Clinic")
    clinic.select_option(clinic.locator("option", has_text="SPR-1").first.get_attribute("value"))
    page.get_by_label("Kind").select_option("focus-group")
    page.get_by_label("Date of the interview").fill("2026-04-02")
    page.get_by_label("Interviewer").fill("JD")
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r"/jobs/"))
    screenshot(page, "journey3-02-import-progress")
    page.locator(".job-done").wait_for(state="visible", timeout=30_000)
    assert page.locator(".job-status").inner_text() == "done"
    screenshot(page, "journey3-03-import-done")

    # 2. de-identify: the proposals hold the phone number and the names; accept them all and apply
    page.goto(project)
    row = page.get_by_role("row").filter(has_text="focus_group_cafe")
    assert row.count() == 1
    row.get_by_role("link", name=re.compile("De-identify")).click()
    if page.get_by_role("button", name="Find identifiers").count():
        page.get_by_role("button", name="Find identifiers").click()
    redactions = page.locator("table.redactions")
    assert "(413) 555-0142" in redactions.inner_text() and "Dana Whitfield" in redactions.inner_text()
    screenshot(page, "journey3-04-redactions-proposed")
    page.get_by_role("button", name="Save, and accept all not yet reviewed").click()
    page.get_by_role("button", name="Apply the accepted redactions").click()
    page.wait_for_load_state()
    screenshot(page, "journey3-05-redactions-applied")
    document_url = re.sub(r"^https?://[^/]+", "", page.url)
    document_id = int(re.search(r"/documents/(\d+)", document_url)[1])
    body = page.locator("main").inner_text()
    assert "555-0142" not in body and "Whitfield" not in body

    # 3. map the first counselor's speaker label to a new participant
    page.goto(f"/qualitative/documents/{document_id}/speakers")
    first = page.locator("fieldset").filter(has=page.locator("legend", has_text="Participant 1"))
    first.get_by_label("Participant", exact=True).select_option("new")
    first.get_by_label("Pseudonym of a new participant").fill("Counselor Café 1")
    role = first.get_by_label("CFIR 2.0 role")
    role.select_option(role.locator("option").nth(1).get_attribute("value"))
    screenshot(page, "journey3-06-speakers")
    page.get_by_role("button", name="Save mapping").click()
    page.wait_for_url(re.compile(rf"/qualitative/documents/{document_id}$"))
    assert "Counselor Café 1" in page.locator(".transcript").inner_text()

    # 4. code by selecting text with the mouse and applying a code from the picker
    turn = page.locator(".utterance").filter(has_text="café check-ins")
    turn_selector = f'.utterance[data-turn-id="{turn.get_attribute("data-turn-id")}"]'
    _drag_select(page, turn_selector, SELECTION)
    assert SELECTION[:20] in page.locator(".selection-info").inner_text()
    page.get_by_label("Find a code").fill("Available Resources")
    page.locator('#code-list li.match[data-codable="true"]').first.click()
    screenshot(page, "journey3-07-selection-and-picker")
    with page.expect_response(re.compile(rf"/documents/{document_id}/codings$")) as created:
        page.get_by_role("button", name="Apply codes").click()
    assert created.value.status == 201
    coding = created.value.json()["created"][0]
    page.locator(f"#coding-{coding['id']}, [data-coding-id='{coding['id']}']").first.wait_for()
    screenshot(page, "journey3-08-coded")
    page.goto(f"/qualitative/codings/{coding['id']}/edit")
    assert page.locator("main blockquote").inner_text() == SELECTION  # offsets right, server to browser and back

    # 5. auto-code the project, then accept one suggestion in place (the new transcript's turns are too weak for the
    #    score floor: a role word, "staffing" and "time" once each; a demo interview outside the blind sample)
    page.goto(f"{project}/suggestions")
    page.get_by_role("button", name="Auto-code the whole project").click()
    page.locator(".job-done").wait_for(state="visible", timeout=60_000)
    page.get_by_role("link", name="See the result").click()
    page.get_by_label("Document").select_option(label="hfr2_director_interview")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    screenshot(page, "journey3-09-suggestions")
    # accepted in place: no reload, the row and the counts change, focus moves on to the next decision
    accept_first_pending_in_place(page)
    screenshot(page, "journey3-10-suggestion-accepted")

    # 6. reveal the demo's blind sample (both analysts coded it), then agreement with the second coder
    page.goto(f"{project}/blind-samples")
    page.get_by_role("button", name="Reveal").first.click()
    page.wait_for_load_state()
    page.goto(f"{project}/agreement")
    page.get_by_label("Quinn Analyst").check()
    page.get_by_label("Robin Second-Coder").check()
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_role("heading", name="Quinn Analyst and Robin Second-Coder")).to_have_count(1)
    assert "left out until the sample is revealed" not in page.locator("main").inner_text()
    screenshot(page, "journey3-11-agreement")
    page.get_by_role("link", name=re.compile(r", turn \d+")).first.click()
    page.wait_for_load_state()
    assert "/qualitative/documents/" in page.url and page.locator('.turn[aria-current="location"]').count() == 1
    screenshot(page, "journey3-12-disagreement-in-workspace")

    # 7. rate a construct for a clinic
    page.goto(f"{project}/ratings")
    page.get_by_role("link", name=re.compile(r"Available Resources at SPR-1")).click()
    mine = page.locator("form").filter(has=page.get_by_role("button", name="Save my rating"))
    mine.get_by_label("Rating").select_option("-1")
    mine.get_by_label("Rationale").fill("Staffing is thin; time for recordings is found anyway (focus group, café).")
    page.get_by_role("button", name="Save my rating").click()
    page.wait_for_load_state()
    assert "Saved your rating of Available Resources at SPR-1." in page.locator("main").inner_text()
    mine = page.locator("form").filter(has=page.get_by_role("button", name="Save my rating"))
    assert mine.get_by_label("Rating").input_value() == "-1"
    assert mine.get_by_label("Rationale").input_value().startswith("Staffing is thin")
    screenshot(page, "journey3-13-rating")

    # 8. export the project as .qdpx; the REFI-QDA schema accepts it and it holds the new coding
    page.goto(f"{project}/exchange")
    screenshot(page, "journey3-14-exchange")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export the project (.qdpx)").click()
    target = tmp_path / "project.qdpx"
    download_info.value.save_as(target)
    import xmlschema

    from qualitative.refiqda import SCHEMA_DIR

    with zipfile.ZipFile(target) as archive:
        xml = archive.read("project.qde")
    schema = xmlschema.XMLSchema(str(next(SCHEMA_DIR.glob("Project*.xsd"))))
    schema.validate(xml)
    assert "focus_group_cafe" in xml.decode()


WIDER_THAN_SCREEN = """(width) => Array.from(document.querySelectorAll("body *"))
  .filter(el => el.getBoundingClientRect().right > width + 1 && !el.closest(".table-wrap"))
  .slice(0, 5).map(el => el.tagName + "." + el.className + " " + (el.getAttribute("href") || "") + " " + el.textContent.slice(0, 40) + " @" + Math.round(el.getBoundingClientRect().left) + "-" + Math.round(el.getBoundingClientRect().right))"""


def test_workspace_on_a_phone(phone_page, screenshot):
    """On a phone the transcript takes the width and each turn's codes sit below its text, not squeezed beside it."""
    sign_in(phone_page, "analyst@mio.example")
    _project_url(phone_page)
    screenshot(phone_page, "journey3-15-project-phone")
    assert not phone_page.evaluate(WIDER_THAN_SCREEN, phone_page.viewport_size["width"])
    phone_page.goto(phone_page.get_by_role("link", name="spr1_supervisor_interview", exact=True).get_attribute("href"))
    phone_page.locator(".margin li").first.wait_for()
    turn = phone_page.locator(".turn").filter(has=phone_page.locator(".margin li")).first
    text, margin = turn.locator(".utterance").bounding_box(), turn.locator(".margin").bounding_box()
    width = phone_page.viewport_size["width"]
    assert text["width"] >= width * 0.8, text
    assert margin["y"] >= text["y"] + text["height"] - 1, (text, margin)
    assert not phone_page.evaluate(WIDER_THAN_SCREEN, phone_page.viewport_size["width"])
    assert phone_page.evaluate("() => document.documentElement.scrollWidth") <= width
    screenshot(phone_page, "journey3-16-workspace-phone")
