"""The one tab bar of a qualitative project (issue 17.6): the same tabs, in the same order, on the workspace's pages
and on the analysis pages; the current page marked; tabs a privilege cannot use left out; every tab opens."""

from __future__ import annotations

import re

MANAGER_TABS = ["Transcripts", "Codebook", "Analysis overview", "Suggestions", "Queries", "Coded segments", "Matrices",
                "Agreement", "Blind samples", "CFIR ratings", "Exports", "Participants", "Memos",
                "Import transcripts", "Members"]


def _tabs(body: str) -> list[tuple[str, str, bool]]:
    nav = re.search(r'<nav class="project-nav".*?</nav>', body, re.S)
    assert nav, "no project tab bar"
    return [(label, href, bool(current)) for href, current, label in
            re.findall(r'<li><a href="([^"]+)"( aria-current="page")?>([^<]+)</a></li>', nav.group(0))]


def test_one_tab_bar_on_workspace_and_analysis_pages(world, client, login):
    doc = world.document("Interview 1", world.clinics["SPR-1"], [("Counselor", "We lack time.")])
    login(world.users["manager"])
    pid = world.project.id
    pages = {f"/qualitative/projects/{pid}": "Transcripts",
             f"/qualitative/documents/{doc.id}": "Transcripts",  # the coding workspace of a transcript
             f"/qualitative/projects/{pid}/codebook": "Codebook",
             f"/qualitative/projects/{pid}/analysis": "Analysis overview",
             f"/qualitative/projects/{pid}/suggestions": "Suggestions",
             f"/qualitative/projects/{pid}/suggestions/quality": "Suggestions",
             f"/qualitative/projects/{pid}/agreement": "Agreement",
             f"/qualitative/projects/{pid}/ratings": "CFIR ratings",
             f"/qualitative/projects/{pid}/exchange": "Exports",
             f"/qualitative/projects/{pid}/members": "Members"}
    hrefs = None
    for url, current in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        tabs = _tabs(response.get_data(as_text=True))
        assert [label for label, _h, _c in tabs] == MANAGER_TABS, url
        assert [label for label, _h, here in tabs if here] == [current], url
        hrefs = hrefs or [href for _l, href, _c in tabs]
        assert [href for _l, href, _c in tabs] == hrefs, url  # the same bar everywhere
    for href in hrefs:
        assert client.get(href).status_code == 200, href


def test_readers_see_the_tabs_they_can_use(world, client, login):
    login(world.users["rita"])  # read privilege
    body = client.get(f"/qualitative/projects/{world.project.id}/analysis").get_data(as_text=True)
    labels = [label for label, _h, _c in _tabs(body)]
    assert labels == [t for t in MANAGER_TABS if t not in ("Import transcripts", "Members")]
