"""Every analysis page renders for a manager and a reader on a populated project, with a label for every control,
no inline script or style (CSP), and a document without speaker turns."""

from __future__ import annotations

import re

import pytest

from app.db import db
from qualitative.analysis.services import blind, ratings, suggestions
from qualitative.models import Memo


@pytest.fixture
def populated(world):
    w = world
    d1 = w.document("Interview 1", w.clinics["SPR-1"], [("Interviewer", "How is staffing?"),
                                                        ("Counselor", "We never had time but the culture helps.")])
    d2 = w.document("Notes", w.clinics["HFR-1"], [(None, "No speakers in this one, only trust issues.")])
    d3 = w.document("Raw", w.clinics["HFR-2"], [(None, "Raw text kept without turn rows.")])
    for turn in list(d3.turns):
        db.session.delete(turn)
    db.session.commit()
    for coder in (w.users["ana"], w.users["ben"], w.users["cleo"]):
        w.code_turn(d1, 1, w.codes["III.J"], coder)
    w.code_turn(d1, 0, w.codes["III.D"], w.users["ana"])
    w.code_turn(d2, 0, w.codes["III.D"], w.users["ben"])
    w.coding(d3, w.codes["I.C"], w.users["ana"], 0, 1)
    suggestions.autocode_project(w.project.id, w.users["ana"].id)
    blind.create_sample(w.project, "R1", [d2.id], [w.users["ana"].id, w.users["ben"].id], None,
                        w.users["manager"].id)
    ratings.save_rating(w.project, w.codes["III.J"], w.clinics["SPR-1"], w.users["ana"], "-1", "thin", [])
    ratings.save_consensus(w.project, w.codes["III.J"], w.clinics["SPR-1"], w.users["manager"], "-1", "ok", [])
    db.session.add(Memo(project_id=w.project.id, target_type="project", author_id=w.users["ana"].id, text="m"))
    db.session.commit()
    return d1, d2, d3


def _pages(w, docs):
    pid = w.project.id
    base = f"/qualitative/projects/{pid}"
    coders = "&".join(f"coder_id={w.users[k].id}" for k in ("ana", "ben", "cleo"))
    return [
        "/qualitative/analysis", f"{base}/analysis", f"{base}/suggestions", f"{base}/suggestions?status=all",
        f"{base}/suggestions/quality", f"{base}/agreement", f"{base}/agreement?run=1&{coders}", f"{base}/blind-samples",
        f"{base}/segments", f"{base}/segments?role=x&kind=interview", f"{base}/matrices", f"{base}/ratings",
        f"{base}/ratings/agreement", f"{base}/ratings/{w.codes['III.J'].id}/{w.clinics['SPR-1'].id}",
        f"{base}/exchange", f"/qualitative/analysis/documents/{docs[2].id}",
        *[f"/qualitative/documents/{d.id}" for d in docs[:2]],
    ]


@pytest.mark.parametrize("who", ["manager", "rita"])
def test_every_page_renders_accessibly(world, populated, client, login, who):
    login(world.users[who])
    for url in _pages(world, populated):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert "<script>" not in html and "style=" not in html and " onclick" not in html, url
        labels = set(re.findall(r'<label[^>]*for="([^"]+)"', html))
        for tag, control_id in re.findall(r'<(select|textarea|input)(?![^>]*type="(?:hidden|submit|checkbox|radio)")'
                                          r'[^>]*id="([^"]+)"', html):
            assert control_id in labels, f"{url}: <{tag} id={control_id}> has no label"
        assert "None" not in re.sub(r"<[^>]+>", "", html), url


def test_document_without_turns_lists_its_codings(world, populated, client, login):
    login(world.users["manager"])
    raw = populated[2]
    page = client.get(f"/qualitative/analysis/documents/{raw.id}").get_data(as_text=True)
    assert "transcript plain" in page and "Relative Advantage" in page
    assert client.get("/qualitative/analysis/documents/999999").status_code == 404
    client.post("/auth/logout")
    login(world.users["outsider"])
    assert client.get(f"/qualitative/analysis/documents/{raw.id}").status_code == 404


def test_document_links_lead_to_the_workspace_at_the_position(world, populated, client, login):
    login(world.users["rita"])
    interview = populated[0]
    turn = interview.turns[1]
    segments = client.get(f"/qualitative/projects/{world.project.id}/segments").get_data(as_text=True)
    assert f'href="/qualitative/documents/{interview.id}?at={turn.start}"' in segments
    assert f'href="/qualitative/analysis/documents/{populated[2].id}"' in segments  # no turns: read-only view
    moved = client.get(f"/qualitative/analysis/documents/{interview.id}?at={turn.start}")
    assert moved.status_code == 302 and moved.location.endswith(f"/qualitative/documents/{interview.id}?at={turn.start}")
    page = client.get(f"/qualitative/documents/{interview.id}?at={turn.start + 3}").get_data(as_text=True)
    assert f'id="turn-{turn.id}" aria-labelledby="turn-{turn.id}-head" aria-current="location"' in page
    assert page.count('aria-current="location"') == 1


