"""Journey 1b: a staff member answers a readiness survey on a phone through the link she was sent.

The director opens a survey wave for SPR-2 with ORIC and FIM (the demo's open wave asks a REDCap-imported
instrument and AIM, and its dates are fixed; a wave opened today is open whatever day the tests run) and copies a
link from the wave page. On a 390 x 844 phone, with no account: she gives her role, answers part of ORIC (the
Likert items stacked, each option a full-width tap target), saves and comes back later through the same link
(answers kept, also without any cookie of the first visit), finishes ORIC and FIM, reviews and submits; opening the
link again shows the thank-you page.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
TITLE = "MIO readiness check, phone journey"
#: ORIC item number -> the answer given (1-12), FIM item number -> answer (1-4)
ORIC = {1: "Agree", 2: "Somewhat agree", 3: "Agree", 4: "Neither agree nor disagree", 5: "Somewhat agree",
        6: "Agree", 7: "Somewhat disagree", 8: "Somewhat agree", 9: "Agree", 10: "Don't know / not applicable",
        11: "Agree", 12: "Somewhat agree"}
FIM = {1: "Agree", 2: "Completely agree", 3: "Agree", 4: "Neither agree nor disagree"}


def open_wave_and_copy_a_link(page) -> str:
    sign_in(page, "director@mio.example")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Readiness surveys").click()
    page.get_by_role("link", name="Open a wave").click()
    page.get_by_label("Clinic").select_option(label="SPR-2 — Chicopee Family Recovery")
    page.get_by_label("Title").fill(TITLE)
    instruments = page.get_by_role("group", name="Instruments")
    for box in instruments.get_by_role("checkbox").all():
        box.uncheck()
    instruments.get_by_role("checkbox", name=re.compile(r"^Organizational Readiness for Implementing")).check()
    instruments.get_by_role("checkbox", name=re.compile(r"^Feasibility of Intervention Measure")).check()
    page.get_by_label("Number of respondent links").fill("2")
    page.get_by_role("button", name="Open wave and create links").click()
    expect(page.get_by_text("with 2 respondent links")).to_be_visible()
    links = page.get_by_role("table", name="2 links for SPR-2")
    first = links.get_by_role("row").nth(1)
    expect(first).to_contain_text("not started")
    expect(page.get_by_text("These links are shown only now.")).to_be_visible()
    link = first.locator("code").inner_text()
    page.get_by_role("link", name="Done: back to the wave").click()  # the wave page never shows links again
    expect(page.get_by_role("table", name="2 links for SPR-2").locator("code")).to_have_count(0)
    return link


def question(pg, number: int):
    return pg.get_by_role("group", name=re.compile(rf"^{number}\. "))


def answer(pg, answers: dict[int, str]) -> None:
    for number, label in answers.items():
        question(pg, number).get_by_label(label, exact=True).check()


def assert_stacked_for_phone(pg) -> None:
    """No sideways scrolling; the options of a Likert item are stacked, full-width, finger-sized, with their own
    visible labels (the wide-screen grid's header row is not shown)."""
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    expect(pg.locator(".likert-head").first).to_be_hidden()
    options = question(pg, 1).locator("label")
    boxes = [options.nth(i).bounding_box() for i in range(options.count())]
    assert len(boxes) == 6
    for above, below in zip(boxes, boxes[1:], strict=False):
        assert below["y"] >= above["y"] + above["height"] - 1 and below["x"] == above["x"]
    assert all(b["width"] >= 300 and b["height"] >= 44 for b in boxes)
    expect(question(pg, 1).get_by_text("Somewhat disagree")).to_be_visible()
    # the question sits inside its box (a legend straddling the border made the box start mid-question)
    box, legend = question(pg, 1).bounding_box(), question(pg, 1).locator("legend").bounding_box()
    assert legend["y"] > box["y"] and legend["x"] > box["x"]


def test_staff_member_answers_a_survey_by_link_on_a_phone(page, phone_page, screenshot):
    link = open_wave_and_copy_a_link(page)
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/s/[A-Za-z0-9_-]{20,}", link)
    phone = phone_page

    # --- first visit: role, part of ORIC, save and continue later ------------------------------------------------
    phone.goto(link)
    expect(phone.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(phone.get_by_text("It has 2 parts")).to_be_visible()
    expect(phone.get_by_role("navigation", name="Main")).to_have_count(0)  # no account, no menu
    phone.get_by_role("button", name="Start the survey").click()
    expect(phone.get_by_role("alert")).to_contain_text("Choose the role that fits best.")
    phone.get_by_role("group", name=re.compile("Which best describes your role")).get_by_label(
        "Clinician / counselor").check()
    screenshot(phone, "journey-survey-phone-welcome")
    phone.get_by_role("button", name="Start the survey").click()

    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Organizational Readiness for Implementing Change (ORIC)")
    expect(phone.get_by_text("part 1 of 2")).to_be_visible()
    assert_stacked_for_phone(phone)
    first_part = {n: a for n, a in ORIC.items() if n <= 8}
    answer(phone, first_part)
    phone.get_by_role("button", name="Next").click()  # not everything answered yet
    summary = phone.get_by_role("alert").filter(has_text="Please check 4 questions")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name=re.compile(r"^Question 9"))).to_be_visible()
    expect(question(phone, 9)).to_contain_text("required")
    expect(question(phone, 1).get_by_label("Agree", exact=True)).to_be_checked()  # kept while correcting
    phone.get_by_role("button", name="Save and continue later").click()
    expect(phone.get_by_role("status")).to_contain_text("Saved. You can close this page and come back")
    screenshot(phone, "journey-survey-phone-oric")

    # --- later, through the same link (no cookie of the first visit) -------------------------------------------
    phone.context.clear_cookies()
    phone.goto(link)
    expect(phone.get_by_text("Welcome back: the answers you saved are kept.")).to_be_visible()
    expect(phone.get_by_label("Clinician / counselor")).to_be_checked()
    phone.get_by_role("button", name="Continue").click()
    for number, label in first_part.items():
        expect(question(phone, number).get_by_label(label, exact=True)).to_be_checked()
    expect(question(phone, 9).get_by_role("radio", checked=True)).to_have_count(0)
    answer(phone, {n: a for n, a in ORIC.items() if n > 8})
    phone.get_by_role("button", name="Next").click()

    expect(phone.get_by_role("heading", level=1)).to_have_text("Feasibility of Intervention Measure (FIM)")
    expect(phone.get_by_text("part 2 of 2")).to_be_visible()
    answer(phone, FIM)
    phone.get_by_role("button", name="Review and submit").click()

    # --- review and submit --------------------------------------------------------------------------------------
    expect(phone.get_by_role("heading", level=1)).to_have_text("Review and submit")
    parts = phone.get_by_role("table", name="Parts of this survey")
    expect(parts.get_by_text("ready")).to_have_count(2)
    expect(phone.get_by_text("Your role: Clinician / counselor")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "journey-survey-phone-review")
    phone.get_by_role("button", name="Submit my answers").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you: your answers are in")

    phone.goto(link)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you: your answers are in")
    expect(phone.get_by_text("This link can be used only once")).to_be_visible()
    screenshot(phone, "journey-survey-phone-thanks")

    # the director sees the link submitted, never the answers of the link
    page.reload()
    links = page.get_by_role("table", name="2 links for SPR-2")
    expect(links.get_by_role("row").nth(1)).to_contain_text("submitted")
    expect(page.get_by_text("50% (1 of 2 links submitted; 0 in progress)")).to_be_visible()
