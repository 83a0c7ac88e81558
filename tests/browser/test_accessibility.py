"""An axe-core scan (installed from the npm registry, see package.json) of the main pages, as each role sees them:
no serious or critical violations."""

import re
from pathlib import Path

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

#: role e-mail -> pages to scan (paths); feature pages are added here as features land
PAGES: dict[str | None, list[str]] = {
    None: ["/auth/login"],
    "director@mio.example": ["/", "/admin/agencies", "/admin/clinics", "/admin/people", "/admin/audit", "/auth/tokens"],
    "admin@mio.example": ["/admin/users", "/admin/users/new"],
    "staff.spr@mio.example": ["/", "/admin/people/new"],
    # qualitative: {project} and {document} are the demo project and its first transcript, {coders} its two coders
    "analyst@mio.example": [
        "/qualitative/", "{project}", "/qualitative/documents/{document}", "{project}/codebook", "{project}/suggestions",
        "{project}/agreement", "{project}/agreement?run=1&{coders}", "{project}/ratings", "{project}/segments",
    ],
}
QUAL_PROJECT = "MIO implementation interviews 2026"


def _resolve(page, paths: list[str]) -> list[str]:
    """Fill in the ids of the demo's qualitative project, first transcript and coders by following the pages."""
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
    return [p.format(project=project, document=document, coders=coders) for p in paths]


def _violations(page) -> list[dict]:
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `npm ci` (scripts/setup-env.sh does)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.fixture
def page(browser, live_server):
    """The scan injects axe-core as a script, which the platform's CSP rightly blocks; only this context bypasses it."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("email", list(PAGES), ids=lambda e: e or "anonymous")
def test_main_pages_have_no_serious_accessibility_violations(page, email):
    if email:
        sign_in(page, email)
    problems = []
    for path in _resolve(page, PAGES[email]):
        page.goto(path)
        for violation in _violations(page):
            targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
            problems.append(f"{path}: {violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    assert not problems, "\n".join(problems)
