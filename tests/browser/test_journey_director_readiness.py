"""Journey 2, readiness half: the implementation director reviews Hampden Family Recovery's submitted application
(a review note; a decision refused without reasons; returned with comments the agency then reads), opens the print
view, compares the two agencies side by side, reads HFR-1's readiness profile (n, rwg(j), FIM not reported with
n = 2 < 3), and imports a REDCap data dictionary written outside the project (tests/browser/data), which the preview
renders with its sections, matrix grid and branching. Last checks: the director's readiness pages fit a phone, and
the profile charts keep their 12 px text on it.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
DATA = Path(__file__).parent / "data"
SPRING = "2026 spring cohort"
HFR = "Hampden Family Recovery Services"
RETURN_COMMENT = ("Please add the supervisor's judgement for Hannah Brooks (HFR-2) and say who pays for training "
                  "hours of clinicians paid per billable hour.")


def nav(page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def test_director_reviews_returns_compares_and_prints_an_application(page, screenshot):
    sign_in(page, "director@mio.example")
    nav(page, "Applications")
    row = page.get_by_role("row").filter(has_text=HFR).filter(has_text=SPRING)
    expect(row.get_by_text("Under review")).to_be_visible()
    row.get_by_role("link", name=HFR).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{HFR}: {SPRING} application")

    # a review note, seen by the review team only
    review = page.get_by_role("region", name="Review", exact=True)
    note = "Phoned Henry: leadership agreed to cover training hours; supervisor judgement for Hannah due Friday."
    review.get_by_label("Review note").fill(note)
    review.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Review note added.")).to_be_visible()
    history = page.get_by_role("region", name="Review notes and decisions")
    expect(history.get_by_role("listitem").first).to_contain_text(note)

    # a decision needs its reasons: the message sits beside the field
    review.get_by_label("Action").select_option(label="Accept")
    review.get_by_role("button", name="Record").click()
    reasons = review.get_by_label("Comments or reasons")
    expect(reasons).to_have_accessible_description(re.compile("“Accept” needs reasons for the decision."))
    expect(page.locator(".badge").first).to_have_text("Under review")

    # returned with comments for the agency
    review.get_by_label("Action").select_option(label="Return to the agency for changes")
    reasons.fill(RETURN_COMMENT)
    review.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Status changed from under review to returned for changes.")).to_be_visible()
    expect(page.locator(".badge").first).to_have_text("Returned for changes")
    expect(page.get_by_role("note")).to_contain_text(RETURN_COMMENT)
    expect(history.get_by_role("listitem").first).to_contain_text("(under review → returned)")
    screenshot(page, "journey-director-application-returned")

    # print view: the application and its eligibility, without the site's navigation when printed
    page.get_by_role("link", name="Print view").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Mothering from the Inside Out: Training & Learning Collaborative application")
    expect(page.get_by_text("status: Returned for changes")).to_be_visible()
    expect(page.get_by_role("table", name="Proposed clinicians").get_by_role("row")).to_have_count(9)
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.get_by_role("heading", name="Organizational assessment")).to_be_visible()
    screenshot(page, "journey-director-application-print")
    page.emulate_media(media="screen")

    # side by side
    nav(page, "Applications")
    page.get_by_label(f"Compare SPR {SPRING}").check()
    page.get_by_label(f"Compare HFR {SPRING}").check()
    page.get_by_role("button", name="Compare the ticked applications").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Agencies side by side")
    table = page.get_by_role("table", name="Organizational assessment and clinicians, 2 applications")
    expect(table.get_by_role("columnheader")).to_have_text(["Item", f"SPR · {SPRING}", f"HFR · {SPRING}"])
    expect(table.get_by_role("row", name=re.compile(r"^Number of clinical staff \(total\)"))).to_have_text(
        re.compile(r"34\s*22"))
    expect(table.get_by_role("row", name=re.compile(r"^Status"))).to_have_text(
        re.compile(r"Accepted\s*Returned for changes"))
    screenshot(page, "journey-director-compare")

    # the agency reads the comments on its returned application
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "staff.hfr@mio.example")
    page.goto("/readiness/applications/mine")
    row = page.get_by_role("row").filter(has_text=SPRING)
    expect(row.get_by_text("Returned for changes")).to_be_visible()
    row.get_by_role("link", name=f"View the {SPRING} application").click()
    expect(page.get_by_role("note")).to_contain_text(RETURN_COMMENT)
    expect(page.get_by_text(note)).to_have_count(0)  # review notes stay with the review team


def test_director_reads_a_clinic_readiness_profile(page, screenshot):
    sign_in(page, "director@mio.example")
    nav(page, "Readiness profiles")
    page.get_by_label("Clinic", exact=True).select_option(label="HFR-1 — Holyoke Outpatient Clinic")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"clinic=HFR-1"))
    profile = page.get_by_role("region", name="HFR-1 · Holyoke Outpatient Clinic")
    capacity = profile.get_by_role("table", name="Innovation-specific capacity · HFR-1")
    efficacy = capacity.get_by_role("row", name=re.compile(r"^ORIC · Change efficacy"))
    expect(efficacy.get_by_role("cell").nth(0)).to_have_text("6 (of 6)")  # n scored (of responses)
    expect(efficacy.get_by_role("cell").nth(1)).to_have_text(re.compile(r"^\d\.\d\d$"))  # mean
    expect(efficacy.get_by_role("cell").nth(3)).to_have_text(re.compile(r"^0\.\d\d \(n 6\)$"))  # rwg(j) and the n it was computed over
    fim = capacity.get_by_role("row", name=re.compile(r"^FIM · Feasibility"))
    expect(fim.get_by_role("cell")).to_have_text(["2 (of 6)", "n/a", "n/a", "n/a", "not reported"])
    expect(profile.get_by_text("Not reported (n < 3): FIM · Feasibility")).to_be_visible()
    expect(profile.get_by_role("complementary", name="Hard gates for HFR-1")).to_be_visible()
    compared = page.get_by_role("table", name="FIM · Feasibility by clinic")
    expect(compared.get_by_role("row", name=re.compile("^HFR-1"))).to_contain_text("n < 3: not reported")
    # one chart of the clinic's profile (issue 16.4), a row per subscale; the withheld one says so and gives its n
    expect(page.get_by_role("img", name=re.compile(
        r"^Readiness profile of HFR-1: subscale means.*FIM · Feasibility: not reported, n = 2"))).to_be_visible()
    screenshot(page, "journey-director-profile-hfr1")


def test_director_imports_a_redcap_data_dictionary_and_previews_it(page, screenshot):
    sign_in(page, "director@mio.example")
    nav(page, "Instruments")
    page.get_by_role("link", name="Import a REDCap data dictionary").click()
    upload = page.get_by_label("REDCap data dictionary (CSV)")

    # a broken dictionary: nothing imported, the row and column named
    good = (DATA / "supervision_capacity_dictionary.csv").read_text(encoding="utf-8")
    # (issue 11: a slider is a REDCap type the import accepts now, so the file is broken with an unknown type)
    broken = good.replace("sup_format,supervision_capacity,,dropdown", "sup_format,supervision_capacity,,matrix")
    upload.set_input_files(files=[{"name": "broken.csv", "mimeType": "text/csv", "buffer": broken.encode()}])
    page.get_by_role("button", name="Import instrument").click()
    expect(page.get_by_role("alert").filter(has_text="Nothing was imported.")).to_contain_text(
        "Data row 4 (line 5 of the file), column “Field Type”")
    expect(upload).to_have_accessible_description(re.compile("line 5 of the file"))

    upload.set_input_files(DATA / "supervision_capacity_dictionary.csv")
    page.get_by_label("Title (optional)").fill("Supervision capacity check")
    page.get_by_role("button", name="Import instrument").click()
    expect(page.get_by_text("Imported “Supervision capacity check” (key supervision_capacity, version 1.0.0) "
                            "with 11 fields.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Supervision capacity check"))
    preview = page.locator("form.survey-form")
    expect(preview.get_by_role("heading", name="Your supervision today")).to_be_visible()
    expect(preview.get_by_role("heading", name="Reflective supervision")).to_be_visible()
    expect(preview.get_by_label("Participant ID")).to_have_count(0)  # the record id is not asked
    expect(preview.get_by_label(re.compile("^Hours of individual supervision"))).to_have_accessible_description(
        re.compile("Whole hours"))
    expect(preview.get_by_label("Usual supervision format")).to_contain_text("Both individual and group")
    topics = preview.get_by_role("group", name=re.compile("^Topics your supervision covers"))
    expect(topics.get_by_role("checkbox")).to_have_count(4)
    # the matrix group is one grid of three questions with the same four options
    grid = preview.locator(".likert-grid")
    expect(grid.get_by_role("group")).to_have_count(3)
    expect(grid.get_by_role("group").first.get_by_role("radio")).to_have_count(4)
    # branching: the date appears once "Yes" is chosen
    when = preview.get_by_label("When was the last one reviewed?")
    expect(when).to_be_hidden()
    preview.get_by_role("group", name=re.compile("^Have you ever had a recorded session")).get_by_label(
        "Yes").check()
    expect(when).to_be_visible()
    screenshot(page, "journey-director-redcap-preview")

    nav(page, "Instruments")
    row = page.get_by_role("row", name=re.compile("^Supervision capacity check"))
    expect(row).to_contain_text("REDCap import by Dr. Eliza Chambers")
    expect(row.get_by_role("cell").nth(3)).to_have_text("11")  # fields


def test_director_readiness_pages_fit_a_phone(phone_page, screenshot):
    """No page wider than the phone (a scrolling table's hidden link text once widened the instrument library to
    1037 px), and record lists stacked into cards."""
    sign_in(phone_page, "director@mio.example")
    for path, name in (("/readiness/applications/", "applications"), ("/readiness/surveys", "waves"),
                       ("/readiness/instruments", "instruments"), ("/readiness/profiles?clinic=HFR-2", "profile"),
                       ("/readiness/applications/cohorts", None), ("/readiness/applications/eligibility", None)):
        phone_page.goto(path)
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide on a 390 px phone"
        if name:
            screenshot(phone_page, f"journey-director-phone-{name}")
    phone_page.goto("/readiness/applications/")
    card = phone_page.get_by_role("row").filter(has_text="Springfield Recovery Partners").filter(has_text=SPRING)
    status, agency = card.get_by_text("Accepted"), card.get_by_role("link", name="Springfield Recovery Partners")
    assert status.bounding_box()["y"] > agency.bounding_box()["y"]  # one field under the other, not side by side
    assert status.bounding_box()["x"] + status.bounding_box()["width"] <= 390


def test_readiness_profile_charts_are_readable_on_a_phone(phone_page, screenshot):
    """On a 390 x 844 phone the clinic comparison charts are drawn at their own size, not shrunk: every label at
    least 12 px (the old 640-wide chart, scaled into the 358 px column, drew its 12 px text at 6.7 px), every label
    inside its chart, the chart inside the screen, and the table of the same figures still beside it."""
    sign_in(phone_page, "director@mio.example")
    phone_page.goto("/readiness/profiles")
    charts = phone_page.locator("figure.chart-figure svg.chart")
    assert charts.count() >= 5  # ORIC (2 subscales), AIM, IAM, FIM
    measured = phone_page.evaluate("""() => [...document.querySelectorAll('figure.chart-figure svg.chart')].map(svg => {
        const box = svg.getBoundingClientRect();
        return {width: box.width, left: box.left, right: box.right, viewBox: svg.viewBox.baseVal.width,
                texts: [...svg.querySelectorAll('text')].map(t => {
                    const r = t.getBoundingClientRect();
                    return {text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a,
                            left: r.left, right: r.right};
                })};
    })""")
    for chart in measured:
        assert chart["left"] >= 0 and chart["right"] <= 390, chart["right"]
        assert chart["width"] == pytest.approx(chart["viewBox"], abs=0.5)  # drawn at its own size
        for text in chart["texts"]:
            assert text["px"] >= 12 - 1e-6, f"{text['text']!r} drawn at {text['px']:.1f} px"
            assert chart["left"] - 0.5 <= text["left"] and text["right"] <= chart["right"] + 0.5, text["text"]
    commitment = phone_page.get_by_role("img", name=re.compile(r"Change commitment, clinic means"))
    expect(commitment).to_be_visible()
    expect(commitment.locator("text").filter(has_text=re.compile(r"^SPR-1 \d\.\d\d · n=\d+"))).to_have_count(1)
    table = phone_page.get_by_role("table", name="ORIC · Change commitment by clinic")
    expect(table).to_be_visible()
    expect(table.get_by_role("row", name=re.compile("^SPR-1"))).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    commitment.scroll_into_view_if_needed()
    screenshot(phone_page, "journey-director-phone-profile-charts")
