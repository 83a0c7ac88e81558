"""An axe-core scan (installed from the npm registry, see package.json) of the main pages, as each role sees them:
no serious or critical violations."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

#: role e-mail -> pages to scan (paths); feature pages are added here as features land
#: pages scanned for what they show when a link is wrong (the survey's "link not found" page)
NOT_FOUND_ON_PURPOSE = {"/s/not-a-survey-link"}
PAGES: dict[str | None, list[str]] = {
    None: ["/auth/login", "/s/not-a-survey-link"],
    "director@mio.example": ["/", "/admin/agencies", "/admin/clinics", "/admin/people", "/admin/audit", "/auth/tokens",
                             # readiness: applications, surveys, instruments, profiles
                             "/readiness/applications/", "/readiness/applications/cohorts",
                             "/readiness/applications/eligibility", "/readiness/surveys", "/readiness/surveys/new",
                             "/readiness/instruments", "/readiness/instruments/import",
                             "/readiness/instruments/team_leadership_survey/1.0.0",
                             "/readiness/instruments/team_leadership_survey/1.0.0/scoring",
                             "/readiness/instruments/team_leadership_survey/1.0.0/waves",
                             "/readiness/profiles",
                             # delivery: the all-clinics fidelity page, a filtered sessions list, a filtered people list
                             "/outcomes/fidelity", "/outcomes/clinics/1/sessions?status=attended",
                             "/admin/people?kind=counselor",
                             # integration: joint displays and determinants
                             "/integration/", "/integration/projects/1/joint", "/integration/projects/1/determinants",
                             "/integration/projects/1/determinants?level=counselor&outcome=mean_dose",
                             # outcomes overview: the demo's first clinic (SPR-1) and its first counselor
                             "/outcomes/overview/", "/outcomes/overview/clinics/1", "/outcomes/overview/counselors/2",
                             # effectiveness: assessments per clinic, a schedule, the results page, windows, import
                             "/effectiveness/", "/effectiveness/clinics/1/schedule", "/effectiveness/results",
                             "/effectiveness/windows", "/effectiveness/import", "/effectiveness/reliability"],
    "assessor@mio.example": ["/", "/effectiveness/", "/effectiveness/clinics/3/schedule",
                             "/effectiveness/participants/5", "/effectiveness/participants/5/end_of_treatment/pdi_rf"],
    "admin@mio.example": ["/", "/admin/users", "/admin/users/new"],
    # every role's home page (its work queues, app/worklist.py)
    "coder@mio.example": ["/", "/outcomes/fidelity/queue", "{rate}"],  # {rate}: the first session to rate
    "trial.spr@mio.example": ["/"],
    "staff.spr@mio.example": ["/", "/admin/people/new", "/readiness/applications/mine"],
    # qualitative: {project} and {document} are the demo project and its first transcript, {coders} its two coders,
    # {code} the history page of the codebook's first construct with codings
    "analyst@mio.example": [
        "/", "/qualitative/", "{project}", "/qualitative/documents/{document}", "{project}/codebook", "{project}/suggestions",
        "{project}/agreement", "{project}/agreement?run=1&{coders}", "{project}/ratings", "{project}/segments",
        "{code}",  # a code's history with its merge, move and split forms
    ],
}
QUAL_PROJECT = "MIO implementation interviews 2026"


def _resolve(page, paths: list[str]) -> list[str]:
    """Fill in the ids of the demo's qualitative project, first transcript and coders, or the coder's first session
    to rate (its recording player and anchor choices), by following the pages."""
    if "{rate}" in paths:
        page.goto("/outcomes/fidelity/queue")
        rate = page.locator("table.data tbody a[href^='/outcomes/fidelity/rate/']").first.get_attribute("href")
        paths = [rate if p == "{rate}" else p for p in paths]
    if not any("{" in path for path in paths):
        return paths
    page.goto("/qualitative/")
    page.get_by_role("link", name=QUAL_PROJECT).first.click()
    page.wait_for_load_state()
    project = re.sub(r"^https?://[^/]+", "", page.url).rstrip("/")
    first = page.locator("table.data tbody a[href^='/qualitative/documents/']").first.get_attribute("href")
    document = re.search(r"/documents/(\d+)", first)[1]
    page.goto(f"{project}/agreement")
    coders = "&".join(f"coder_id={box.get_attribute('value')}"
                      for box in page.locator("input[name=coder_id]").all()[:2])
    code = ""
    if any("{code}" in p for p in paths):
        page.goto(f"{project}/codebook")
        code = page.locator("table.codebook tbody tr:not(.heading-code)").filter(
            has_not=page.locator("td.num", has_text=re.compile(r"^0$"))).first.locator(
            "a[href$='/changes']").get_attribute("href")
    return [p.format(project=project, document=document, coders=coders, code=code) for p in paths]


def _violations(page, within: str | None = None) -> list[dict]:
    """Serious and critical violations on the page, or only inside the element ``within`` (a CSS selector)."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `npm ci` (scripts/setup-env.sh does)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async (within) => await axe.run(within || document, {resultTypes: ['violations']})",
                           within)
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.fixture
def page(browser, live_server):
    """The scan injects axe-core as a script, which the platform's CSP rightly blocks; only this context bypasses it."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    yield context.new_page()
    context.close()


def _scan(page, problems: list[str], label: str | None = None, within: str | None = None) -> None:
    for violation in _violations(page, within):
        targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
        where = label or page.url.split("/", 3)[-1]
        problems.append(f"/{where}: {violation['id']} ({violation['impact']}): {violation['help']} at {targets}")


@pytest.mark.parametrize("email", list(PAGES), ids=lambda e: e or "anonymous")
def test_main_pages_have_no_serious_accessibility_violations(page, email):
    if email:
        sign_in(page, email)
    problems = []
    for path in _resolve(page, PAGES[email]):
        response = page.goto(path)
        expected = 404 if path in NOT_FOUND_ON_PURPOSE else 200
        if response is None or response.status != expected:
            problems.append(f"{path}: HTTP {response.status if response else 'no response'}, expected {expected}")
        _scan(page, problems, path.lstrip("/"))
    assert not problems, "\n".join(problems)


# Pages whose addresses hold ids or tokens are reached the way people reach them: through links.
def test_readiness_review_pages_have_no_serious_accessibility_violations(page):
    sign_in(page, "director@mio.example")
    problems = []
    page.goto("/readiness/applications/")
    page.get_by_role("row").filter(has_text="Hampden Family Recovery Services").filter(
        has_text="2026 spring cohort").get_by_role("link", name="Hampden Family Recovery Services").click()
    _scan(page, problems)  # the application with the review panel
    page.get_by_role("button", name="Record").click()  # "return" without comments: the form with its message
    expect(page.get_by_text("needs comments for the agency").first).to_be_visible()
    _scan(page, problems, "application: review form with an error", within="#review")
    page.get_by_role("link", name="Counselor eligibility").first.click()
    _scan(page, problems)
    page.get_by_role("link", name="Hannah Brooks").click()  # one clinician's criteria and input forms
    _scan(page, problems)
    page.goto("/readiness/applications/")
    for box in page.get_by_role("checkbox", name=re.compile("2026 spring cohort")).all():
        box.check()
    page.get_by_role("button", name="Compare the ticked applications").click()
    _scan(page, problems)
    page.goto("/readiness/surveys")
    page.get_by_role("link", name="MIO readiness survey, winter 2026").first.click()
    _scan(page, problems)  # the wave page with its links
    page.get_by_role("link", name="Clinic results").click()
    _scan(page, problems)
    assert not problems, "\n".join(problems)


def test_application_steps_have_no_serious_accessibility_violations(page):
    """Agency staff's draft steps (SPR has not applied to the 2026 fall cohort in the demo)."""
    sign_in(page, "staff.spr@mio.example")
    problems = []
    page.goto("/readiness/applications/mine")
    resume = page.get_by_role("link", name="Resume the 2026 fall cohort application")
    if resume.count():
        resume.click()
    else:
        page.get_by_label("Training cohort").select_option(label="2026 fall cohort")
        page.get_by_role("button", name="Start the application").click()
    for step in ("1. Organisation", "2. Supervisors", "3. Clinicians", "4. Acknowledgement", "5. Review and submit"):
        page.get_by_role("navigation", name="Application steps").get_by_role("link", name=step).click()
        _scan(page, problems)
    page.get_by_role("navigation", name="Application steps").get_by_role("link", name="1. Organisation").click()
    page.get_by_label("Number of clinical staff (total)").fill("-5")
    page.get_by_role("button", name="Save draft").click()  # the step with its field message
    expect(page.get_by_text("Enter a whole number from 1 to 2000.").first).to_be_visible()
    _scan(page, problems, "organisation step with an error", within="main")
    page.get_by_role("navigation", name="Application steps").get_by_role("link", name="3. Clinicians").click()
    page.get_by_role("button", name="Add and start another").click()  # no name: the add-clinician page with errors
    expect(page.get_by_text("Enter the clinician's name").first).to_be_visible()
    _scan(page, problems, "add a clinician with an error")
    assert not problems, "\n".join(problems)


def _open_wave(staff, title: str, *instruments: str) -> str:
    """Open a one-link wave at HFR-2 asking ``instruments``; the link, from the page that shows it once."""
    staff.goto("/readiness/surveys/new")
    staff.get_by_label("Clinic", exact=True).select_option(label="HFR-2 — Westfield Counseling Center")
    staff.get_by_label("Title").fill(title)
    for box in staff.get_by_role("group", name="Instruments").get_by_role("checkbox").all():
        box.uncheck()
    for instrument in instruments:
        staff.get_by_role("checkbox", name=re.compile(f"^{instrument}")).check()
    staff.get_by_label("Number of respondent links").fill("1")
    staff.get_by_role("button", name="Open wave and create links").click()
    return staff.get_by_role("table", name="1 links for HFR-2").locator("code").first.inner_text()


def _submit_aim(respondent, link: str) -> None:
    """Answer the four AIM items of ``link`` and submit (the demo's own links are not known: only hashes are kept)."""
    respondent.goto(link)
    respondent.get_by_label("Supervisor").check()
    respondent.get_by_role("button", name="Start the survey").click()
    for number in range(1, 5):
        respondent.get_by_role("group", name=re.compile(rf"^{number}\. ")).get_by_label("Agree", exact=True).check()
    respondent.get_by_role("button", name="Review and submit").click()
    respondent.get_by_role("button", name="Submit my answers").click()
    expect(respondent.get_by_role("heading", level=1)).to_have_text("Thank you: your answers are in")


def test_survey_respondent_pages_have_no_serious_accessibility_violations(browser, live_server):
    """A respondent (no account) on a link of a wave the director opens today (REDCap-imported instrument with
    every field type, and ORIC as a Likert grid), and on a link already used (the thank-you page)."""
    director = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    staff = director.new_page()
    sign_in(staff, "director@mio.example")
    link = _open_wave(staff, "Accessibility check", "Team leadership check-in", "Organizational Readiness")
    used = _open_wave(staff, "Used link", "Acceptability of Intervention Measure")  # submitted below
    director.close()

    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, bypass_csp=True)
    respondent = context.new_page()
    problems = []
    _submit_aim(respondent, used)
    respondent.goto(link)
    _scan(respondent, problems, "s/<token> welcome")
    respondent.get_by_role("button", name="Start the survey").click()
    _scan(respondent, problems, "s/<token> welcome, no role chosen")
    respondent.get_by_label("Supervisor").check()
    respondent.get_by_role("button", name="Start the survey").click()
    respondent.get_by_role("button", name="Next").click()  # nothing answered: every required question flagged
    expect(respondent.get_by_role("alert").filter(has_text="Please check")).to_be_visible()
    _scan(respondent, problems, "s/<token>/1 with errors")
    respondent.get_by_role("button", name="Save and continue later").click()
    _scan(respondent, problems, "s/<token>/1")
    respondent.goto(link + "/2")
    _scan(respondent, problems, "s/<token>/2 (ORIC)")
    respondent.goto(link + "/review")
    _scan(respondent, problems, "s/<token>/review")
    respondent.goto(used)
    _scan(respondent, problems, "s/<token> already submitted")
    context.close()
    assert not problems, "\n".join(problems)
