"""A role's day in clicks (issue 16, Done when): for each role, a browser journey on the demo from the sign-in form
to the day's main task, counting every click (``Clicks``) and asserting the count stays within the budget written
here and in README ("A role's day in clicks"). Typing into a field is not a click; the "Sign in" button is.
Each journey screenshots the role's home page (``home-<role>.png`` under ``$MIO_ARTIFACTS/screenshots``).

The journeys stop on the task's form (the decision panel, the randomize button, the rating form, the suggestions,
the entry form) without submitting it: the live server's demo is shared by every browser test, and the forms
themselves are tested by their own journeys and tests. Selectors are roles and accessible names only.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

#: role -> the most clicks its journey may take (README, "A role's day in clicks", shows the same numbers)
BUDGET = {
    "director": 2,  # Sign in; the application waiting for review, from the home page
    "fidelity_coder": 2,  # Sign in; the first session to rate, from the home page
    "analyst": 2,  # Sign in; the project's pending suggestions, from the home page
    "trial_staff": 2,  # Sign in; "Randomize <study ID>", from the home page
    "agency_staff": 2,  # Sign in (open surveys and their answers are on the home page); the application page
    "outcome_assessor": 3,  # Sign in; the mother, from the home page; "Enter" a measure or "Record ... as missed"
}


class Clicks:
    """Counts the clicks of a journey: every click goes through :meth:`click`."""

    def __init__(self, page):
        self.page = page
        self.count = 0

    def click(self, locator) -> None:
        locator.click()
        self.count += 1
        self.page.wait_for_load_state()

    def sign_in(self, email: str) -> None:
        from app.demo import demo_password

        self.page.goto("/auth/login")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(demo_password(email))
        self.click(self.page.get_by_role("button", name="Sign in"))
        expect(self.page.get_by_role("heading", name="Your work")).to_be_visible()


def _queue(page, name: str):
    """The home page's queue card whose heading reads "<count> <name>"."""
    return page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=re.compile(rf"^\d[\d,]* {name}$")))


def _count(page, name: str) -> int:
    heading = _queue(page, name).get_by_role("heading").inner_text()
    return int(heading.split(" ", 1)[0].replace(",", ""))


def test_director_reaches_the_application_to_review(page, screenshot):
    clicks = Clicks(page)
    clicks.sign_in("director@mio.example")
    screenshot(page, "home-director")
    queue = _queue(page, "Applications to review")
    assert _count(page, "Applications to review") >= 1
    clicks.click(queue.get_by_role("link", name=re.compile(r"under review|submitted")).first)
    expect(page.get_by_role("button", name="Record")).to_be_visible()  # the decision panel
    assert clicks.count <= BUDGET["director"], clicks.count


def test_fidelity_coder_reaches_the_next_session_to_rate(browser, live_server, screenshot):
    # set-up, not counted: the director assigns the recorded sessions nobody codes yet (the demo's last weeks)
    director = browser.new_context(base_url=live_server).new_page()
    sign_in(director, "director@mio.example")
    director.goto("/outcomes/fidelity")
    assign = director.get_by_role("button", name="Assign them to coders")
    if assign.count():
        assign.click()
        director.wait_for_load_state()
    director.context.close()

    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    clicks = Clicks(page)
    clicks.sign_in("coder@mio.example")
    screenshot(page, "home-fidelity-coder")
    assert _count(page, "Sessions to rate") >= 1
    clicks.click(_queue(page, "Sessions to rate").get_by_role("link", name=re.compile(r"^Rate ")).first)
    expect(page.get_by_role("button", name="Save and next")).to_be_visible()  # the rating form
    assert clicks.count <= BUDGET["fidelity_coder"], clicks.count
    context.close()


def test_analyst_reaches_the_suggestions_to_review(page, screenshot):
    clicks = Clicks(page)
    clicks.sign_in("analyst@mio.example")
    screenshot(page, "home-analyst")
    pending = _count(page, "Suggestions to review")
    assert pending >= 1
    clicks.click(_queue(page, "Suggestions to review").get_by_role("link", name=re.compile("pending")).first)
    expect(page.get_by_role("heading", name="Auto-coding suggestions", level=1)).to_be_visible()
    assert clicks.count <= BUDGET["analyst"], clicks.count


def test_trial_staff_reach_the_mother_to_randomize(page, screenshot):
    clicks = Clicks(page)
    clicks.sign_in("trial.spr@mio.example")
    screenshot(page, "home-trial-staff")
    assert _count(page, "Mothers awaiting randomization") >= 1
    link = _queue(page, "Mothers awaiting randomization").get_by_role("link", name=re.compile(r"^Randomize ")).first
    study_id = link.inner_text().split()[1]
    clicks.click(link)
    expect(page.get_by_role("button", name=f"Randomize {study_id}")).to_be_visible()
    assert clicks.count <= BUDGET["trial_staff"], clicks.count


def test_agency_staff_see_their_surveys_and_reach_their_application(page, screenshot):
    clicks = Clicks(page)
    clicks.sign_in("staff.spr@mio.example")
    screenshot(page, "home-agency-staff")
    surveys = _queue(page, "Open readiness surveys at your clinics")
    expect(surveys.get_by_text(re.compile(r"SPR-\d: closes \d{4}-\d\d-\d\d, \d+ of \d+ answered")).first).to_be_visible()
    expect(page.get_by_text("HFR-")).to_have_count(0)  # another agency's clinics never show
    clicks.click(page.get_by_role("navigation", name="Main").get_by_role("link", name="Application", exact=True))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert "/readiness/applications/mine" in page.url
    assert clicks.count <= BUDGET["agency_staff"], clicks.count


def test_outcome_assessor_reaches_the_assessment_to_record(page, screenshot):
    """An assessment due is entered (Sign in · the mother · Enter); on the demo every assessment is recorded or its
    window closed, so the day's task is explaining a missed one (Sign in · the mother · "Record ... as missed")."""
    clicks = Clicks(page)
    clicks.sign_in("assessor@mio.example")
    screenshot(page, "home-outcome-assessor")
    work = page.locator("section.worklist")
    for revealing in ("MIO + TAU", "Treatment as usual", "counselor"):
        expect(work.get_by_text(revealing)).to_have_count(0)
    if _count(page, "Assessments due now"):
        clicks.click(_queue(page, "Assessments due now").get_by_role("link").first)
        clicks.click(page.get_by_role("link", name=re.compile(r"^Enter")).first)
        expect(page.get_by_role("button", name=re.compile(r"^Save"))).to_be_visible()
    else:
        assert _count(page, "Missed assessments to explain") >= 1
        link = _queue(page, "Missed assessments to explain").get_by_role("link").first
        time_point = link.inner_text().split(": ", 1)[1].split(",")[0]  # "SPR1-022: Baseline, target ..."
        clicks.click(link)
        clicks.click(page.get_by_role("link", name=f"Record {time_point.lower()} as missed…"))
        expect(page.get_by_role("button", name="Record")).to_be_visible()
    assert clicks.count <= BUDGET["outcome_assessor"], clicks.count
