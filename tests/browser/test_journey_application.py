"""Journey 1a: agency staff fill in the Training & Learning Collaborative application over two sittings.

Henry Fuller (staff.hfr) starts Hampden Family Recovery's application to the 2026 fall cohort (the demo has none
for it), types part of the organizational assessment, signs out, and finds the autosaved draft when he signs in
again; he adds a supervisor, adds, edits and removes clinicians, signs the acknowledgement with his typed name,
reviews and submits; the application is then locked. Along the way: a field validation message beside the field
(more clinicians being trained than clinical staff), and a session that ends mid-step (cookies cleared) while he
keeps typing: after signing in again the typed value is back and saved.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
STAFF = "staff.hfr@mio.example"
FALL = "2026 fall cohort"


def autosaved(page, action):
    """Run ``action`` and wait for the autosave request it triggers; returns the response."""
    with page.expect_response(lambda r: "/autosave" in r.url and r.request.method == "POST") as info:
        action()
    return info.value


def status(page):
    return page.locator("[data-autosave-status]")


def test_application_over_two_sittings_then_submitted_and_locked(page, screenshot):
    # --- sitting 1: start the application and type part of the organizational assessment -----------------------
    sign_in(page, STAFF)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("MIO Training & Learning Collaborative application")
    page.get_by_label("Training cohort").select_option(label=FALL)
    page.get_by_role("button", name="Start the application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Hampden Family Recovery Services: {FALL} application")
    expect(page.get_by_role("link", name="1. Organisation")).to_have_attribute("aria-current", "step")
    expect(page.get_by_label("Contact email")).to_have_value(STAFF)

    total = page.get_by_label("Number of clinical staff (total)")
    trained = page.get_by_label("Number of clinicians being trained")
    response = autosaved(page, lambda: (total.fill("22"), trained.fill("30")))
    assert response.status == 400
    message = "The number being trained (30) cannot be more than the clinical staff total (22)."
    # the message sits beside the field and is the field's accessible description
    expect(trained.locator("xpath=..").get_by_text(message)).to_be_visible()
    expect(trained).to_have_attribute("aria-invalid", "true")
    expect(trained).to_have_accessible_description(re.compile(re.escape(message)))
    expect(trained).to_have_accessible_description(re.compile("Cannot be more than the clinical staff total"))
    screenshot(page, "journey-application-field-error")

    response = autosaved(page, lambda: trained.fill("6"))
    assert response.status == 200
    expect(page.get_by_text(message)).to_have_count(0)
    expect(trained).not_to_have_attribute("aria-invalid", "true")
    expect(status(page)).to_contain_text("Draft saved at")

    population = ("Adults in outpatient treatment in Holyoke and Westfield; about half are women, many with "
                  "co-occurring conditions.")
    autosaved(page, lambda: (
        page.get_by_label("Client population served").fill(population),
        page.get_by_label("Outpatient counseling").check(),
        page.get_by_label("Medication for opioid use disorder").check(),
        page.get_by_label("Typical frequency of client visits").select_option(label="Weekly"),
    ))
    expect(status(page)).to_contain_text("Draft saved at")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/auth/login"))

    # --- sitting 2: the draft is where it was left, with what was typed ------------------------------------------
    sign_in(page, STAFF)
    page.goto("/readiness/applications/mine")
    row = page.get_by_role("row").filter(has_text=FALL)
    expect(row.get_by_text("Draft", exact=True)).to_be_visible()
    row.get_by_role("link", name=f"Resume the {FALL} application").click()
    expect(page.get_by_label("Number of clinical staff (total)")).to_have_value("22")
    expect(page.get_by_label("Number of clinicians being trained")).to_have_value("6")
    expect(page.get_by_label("Client population served")).to_have_value(population)
    expect(page.get_by_label("Outpatient counseling")).to_be_checked()
    expect(page.get_by_label("Medication for opioid use disorder")).to_be_checked()
    expect(page.get_by_label("Residential treatment")).not_to_be_checked()
    expect(page.get_by_label("Typical frequency of client visits")).to_have_value("weekly")
    expect(page.get_by_role("alert").filter(has_text="unsaved change")).to_have_count(0)

    page.get_by_label("Contact phone").fill("(413) 555-0178")
    page.get_by_label("Clients who are parents of young children (approximate %)").fill("31")
    page.get_by_label("Number of cases per full-time clinician").fill("48")
    page.get_by_label("Typical length of a client visit (minutes)").fill("45")
    page.get_by_label("Model used for clinical supervision").fill("Biweekly individual supervision and a weekly "
                                                                  "team meeting.")
    page.get_by_label("Financial sustainment").fill("Leadership covers the training hours of clinicians paid per "
                                                    "billable hour.")
    page.get_by_label("How MIO sessions will be supported and fit the existing service structure").fill(
        "Evening block already used for parenting groups.")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("Organisation saved.")).to_be_visible()
    expect(page.get_by_role("link", name="2. Supervisors")).to_have_attribute("aria-current", "step")

    # --- supervisors: on a slow network the add button is pressed while the autosave (creating the row) is in flight
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 1200, "downloadThroughput": -1,
                                                   "uploadThroughput": -1})
    page.get_by_label("Supervisor's name").fill("Rosa Delgado")
    page.get_by_label("Clinic", exact=True).select_option(label="HFR-1 Holyoke Outpatient Clinic")
    page.get_by_label("Position or title").fill("Clinical supervisor, LICSW")
    page.get_by_label("Email").fill("rosa.delgado@hfr.example")
    page.get_by_label("Experience with parents in SUD recovery").fill("Ten years supervising a family recovery "
                                                                     "team.")
    # listen before the last change: on a busy machine the fills above can outlast the 1.2 s autosave delay
    with page.expect_request(lambda r: r.url.endswith("/supervisors/autosave")):
        page.get_by_label("Comfort supervising with attention to attachment").select_option(label="Comfortable")
        # sent 1.2 s after the last change; its answer takes another 1.2 s
    page.get_by_role("button", name="Add supervisor").click()
    expect(page.get_by_text("Saved Rosa Delgado.")).to_be_visible(timeout=10_000)
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                   "uploadThroughput": -1})
    cdp.detach()
    supervisors = page.get_by_role("table", name=re.compile("Supervisors listed"))
    expect(supervisors).to_contain_text("Supervisors listed (1)")
    expect(supervisors.get_by_role("row", name=re.compile("Rosa Delgado"))).to_contain_text("HFR-1")
    # a successful save leaves no "unsaved changes" behind in this browser
    expect(page.get_by_role("alert").filter(has_text="unsaved change")).to_have_count(0)
    page.get_by_role("link", name="Continue to clinicians").click()

    # --- clinicians: add two, edit one, remove one --------------------------------------------------------------
    def fill_clinician(name, email, clinic):
        page.get_by_label("Clinician's name").fill(name)
        page.get_by_label("Clinic where they work").select_option(label=clinic)
        page.get_by_label("Email").fill(email)
        page.get_by_label("MIO supervisor").select_option(label="Rosa Delgado")
        page.get_by_label("Experience with parents in SUD recovery").fill("Individual counseling with mothers of "
                                                                         "toddlers.")
        page.get_by_label("Knowledge of reflective practice").select_option(label="Working knowledge")
        page.get_by_label("Knowledge of child development").select_option(label="Introductory")
        page.get_by_label("Knowledge of the social and emotional needs of parents").select_option(label="Advanced")

    fill_clinician("Marisol Ortiz", "marisol.ortiz@hfr.example", "HFR-1 Holyoke Outpatient Clinic")
    page.get_by_role("button", name="Add and start another").click()
    expect(page.get_by_text("Saved Marisol Ortiz.")).to_be_visible()
    expect(page.get_by_role("heading", name="Add a clinician")).to_be_visible()
    expect(page.get_by_label("Clinician's name")).to_have_value("")
    expect(page.get_by_role("alert").filter(has_text="unsaved change")).to_have_count(0)
    fill_clinician("Tom Keller", "tom.keller@hfr.example", "HFR-2 Westfield Counseling Center")
    page.get_by_role("button", name="Save clinician").click()
    clinicians = page.get_by_role("table", name=re.compile("Clinicians listed"))
    expect(clinicians).to_contain_text("Clinicians listed (2)")

    clinicians.get_by_role("link", name="Edit Marisol Ortiz").click()
    expect(page.get_by_role("heading", name="Edit Marisol Ortiz")).to_be_visible()
    page.get_by_label("Position or credential").fill("LMHC")
    page.get_by_role("button", name="Save clinician").click()
    expect(page.get_by_text("Saved Marisol Ortiz.")).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    clinicians.get_by_role("row", name=re.compile("Tom Keller")).get_by_role("button", name="Remove").click()
    expect(page.get_by_text("Removed Tom Keller from the application.")).to_be_visible()
    expect(clinicians).to_contain_text("Clinicians listed (1)")
    expect(clinicians).not_to_contain_text("Tom Keller")
    screenshot(page, "journey-application-clinicians")
    page.get_by_role("link", name="Continue to the acknowledgement").click()

    # --- acknowledgement; the session ends mid-step while typing ------------------------------------------------
    for requirement in ("16 hours of didactic training", "about 20 weekly clinical supervision",
                        "audio-recorded", "assessed for fidelity"):
        page.get_by_label(re.compile(requirement)).check()
    page.get_by_label("Signature: type your full name").fill("Henry Fuller")
    autosaved(page, lambda: page.get_by_label("Date signed").fill("2026-08-03"))
    expect(status(page)).to_contain_text("Draft saved at")

    page.context.clear_cookies()  # the session ends
    position = page.get_by_label("Your position at the agency")
    response = autosaved(page, lambda: position.fill("Chief Operating Officer"))
    assert response.status in (400, 401)
    expect(status(page)).to_contain_text("Not saved")
    alert = page.get_by_role("alert").filter(has_text="kept in this browser")
    expect(alert).to_be_visible()
    screenshot(page, "journey-application-session-ended")
    alert.get_by_role("link", name="Sign in again and continue").click()
    expect(page).to_have_url(re.compile(r"/auth/login\?next="))
    from app.demo import demo_password

    page.get_by_label("Email").fill(STAFF)
    page.get_by_label("Password").fill(demo_password(STAFF))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="4. Acknowledgement")).to_have_attribute("aria-current", "step")
    expect(position).to_have_value("Chief Operating Officer")
    expect(page.get_by_role("alert").filter(has_text="Restored 1 unsaved change")).to_be_visible()
    expect(status(page)).to_contain_text("Draft saved at")
    page.reload()  # what the page shows now comes from the server
    expect(position).to_have_value("Chief Operating Officer")
    page.get_by_role("button", name="Save and continue").click()

    # --- review and submit --------------------------------------------------------------------------------------
    expect(page.get_by_role("heading", name="Review and submit", level=2)).to_be_visible()
    expect(page.get_by_text("Everything required is filled in.")).to_be_visible()
    expect(page.get_by_text("says 6 clinicians will be trained; 1 is listed")).to_be_visible()
    acknowledgement = page.get_by_role("region", name=re.compile("^Acknowledgement of requirements and commitment"))
    expect(acknowledgement.get_by_role("row", name=re.compile("Signature: type your full name"))).to_contain_text(
        "Henry Fuller")
    expect(acknowledgement.get_by_role("row", name=re.compile("Your position"))).to_contain_text(
        "Chief Operating Officer")
    expect(page.get_by_role("region", name=re.compile("^Clinicians"))).to_contain_text("LMHC")
    screenshot(page, "journey-application-review")
    page.get_by_role("button", name="Submit the application").click()
    expect(page.get_by_text("Application submitted. It is now locked")).to_be_visible()
    expect(page.locator(".badge")).to_have_text("Submitted")
    expect(page.get_by_role("link", name="Continue editing")).to_have_count(0)

    # --- locked: no way back into the steps ---------------------------------------------------------------------
    application_url = page.url
    page.goto(application_url + "/step/organisation")
    expect(page).to_have_url(application_url)
    expect(page.get_by_text("is locked while it is submitted")).to_be_visible()
    page.goto("/readiness/applications/mine")
    row = page.get_by_role("row").filter(has_text=FALL)
    expect(row.get_by_text("Submitted", exact=True)).to_be_visible()
    expect(row.get_by_role("link", name=re.compile("Resume"))).to_have_count(0)
