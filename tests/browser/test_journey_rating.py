"""A fidelity coder's day in a real browser on the demo (issue 16.2): from the queue to the next session, the
recording plays on the page (its bytes fetched with a Range request and answered 206), each scale is chosen by its
anchor, a note is kept, and "Save and next" lands on the following session of the queue."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from implementation_outcomes.fidelity import load_fidelity_scheme
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_coder_listens_chooses_anchors_and_saves_and_goes_to_the_next(page, screenshot):
    scheme = load_fidelity_scheme()
    sign_in(page, "coder@mio.example")
    page.goto("/outcomes/fidelity/queue")
    expect(page.get_by_role("heading", level=1)).to_have_text("My coding queue")
    expect(page.get_by_role("link", name=re.compile(r"^To rate \(\d+\)$"))).to_be_visible()
    # the player asks for the recording as soon as the page is there (preload="metadata"): a Range request
    with_audio = page.get_by_role("table").locator("tbody tr").filter(has_text="stored").first
    with page.expect_response(re.compile(r"/outcomes/mio-sessions/\d+/recording$")) as audio:
        with_audio.get_by_role("link", name=re.compile(r"^Rate ")).click()
    assert audio.value.status in (200, 206)
    assert audio.value.headers["accept-ranges"] == "bytes" and audio.value.headers["cache-control"] == "no-store"
    first_url = page.url
    player = page.locator("audio#session-audio")
    expect(player).to_be_visible()
    assert player.get_attribute("controls") is not None
    page.wait_for_function("document.querySelector('#session-audio').readyState >= 1")  # metadata loaded
    assert page.evaluate("document.querySelector('#session-audio').duration") == pytest.approx(4.0, abs=0.05)
    # a missing choice is named by the scale's label, not its key
    page.get_by_role("button", name="Save and next").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(f"{scheme['scales'][0]['label']}: choose a rating")
    expect(summary).not_to_contain_text(scheme["scales"][0]["key"])
    assert page.url.startswith(first_url)
    for i, scale in enumerate(scheme["scales"]):
        level = 4 if scale["group"] != "psychoeducation" else 2
        group = page.get_by_role("group", name=scale["label"], exact=True)
        group.get_by_role("radio", name=re.compile(rf"^{level} {scheme['anchors'][str(level)]}$")).check()
        if i == 1:
            group.get_by_text(f"Note on {scale['label'].lower()}", exact=True).click()
            group.get_by_label(f"Note on {scale['label']}").fill("Agenda set together at 04:10.")
    page.get_by_label("Note on the session").fill("Audio clear throughout.")
    expect(page.get_by_role("radio", name=re.compile(r"^4 Considerably$")).first).to_be_checked()
    page.evaluate("window.scrollTo(0, 0)")  # the sticky player then sits at the top of the full-page picture
    screenshot(page, "rating-form")
    page.get_by_role("button", name="Save and next").click()
    page.wait_for_load_state()
    expect(page.get_by_text(re.compile(r"Saved your rating of .+ session \d+\."))).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fidelity rating")
    assert page.url != first_url and "/outcomes/fidelity/rate/" in page.url
    # the saved rating reads back with its note
    page.goto(first_url)
    expect(page.get_by_label("Note on the session")).to_have_value("Audio clear throughout.")
