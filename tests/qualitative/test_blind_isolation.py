"""Blind double-coding, walked over the URL map: a coder of an active blind sample, given the ids of another
coder's coding on a sample document and of memos on it (or on the document), gets 404 on every route taking a
coding id or memo id, and no qualitative page shows those memos or describes that coding. A route added later joins
automatically (id arguments are named ``coding_id`` / ``memo_id``, see ARCHITECTURE.md). Pages that quote or list
codings cited as rating evidence (the joint displays, the raters' spreadsheet, a rating cell) leave that coding out."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from werkzeug.exceptions import NotFound

from app.db import db
from qualitative.access import coding_for, memo_for
from qualitative.analysis.services import blind, ratings
from qualitative.models import Memo
from qualitative.workspace.services import codebook, memos, projects

MARKER = "ZZBLINDSECRET"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
QUAL_PREFIXES = ("qualitative.", "analysis.")


def _memo(world, author, target_type, target_id, label, hidden=True) -> int:
    """A memo; one that Ana must not see carries ``MARKER`` in its title and text."""
    mark = MARKER if hidden else "visible"
    memo = Memo(project_id=world.project.id, target_type=target_type, target_id=target_id, author_id=author.id,
                title=f"{mark} {label}", text=f"{mark} text of {label}")
    db.session.add(memo)
    db.session.commit()
    return memo.id


@pytest.fixture
def blinded(world):
    """Ana and Ben code "Blind 1" blind; Ben coded it with III.J, Ana with III.D; memos written before the sample
    was drawn: Ben's on his coding, on Ana's coding and on the document, Ana's on Ben's coding and on the document.
    Ben also coded an open document."""
    doc = world.document("Blind 1", world.clinics["SPR-1"], [("A", "first turn"), ("B", "second turn")])
    open_doc = world.document("Open 1", world.clinics["SPR-2"], [("A", "another turn")])
    ana, ben = world.users["ana"], world.users["ben"]
    mine = world.code_turn(doc, 0, world.codes["III.D"], ana)
    theirs = world.code_turn(doc, 1, world.codes["III.J"], ben)
    open_theirs = world.code_turn(open_doc, 0, world.codes["III.J"], ben)
    ids = {
        "doc": doc.id, "open_doc": open_doc.id, "mine": mine.id, "theirs": theirs.id, "open_theirs": open_theirs.id,
        "ben_on_theirs": _memo(world, ben, "coding", theirs.id, "Ben on his coding"),
        "ben_on_mine": _memo(world, ben, "coding", mine.id, "Ben on Ana's coding"),
        "ben_on_doc": _memo(world, ben, "document", doc.id, "Ben on the document"),
        "ana_on_theirs": _memo(world, ana, "coding", theirs.id, "Ana on Ben's coding"),
        "ana_on_doc": _memo(world, ana, "document", doc.id, "Ana's own note", hidden=False),
        "ben_on_open": _memo(world, ben, "coding", open_theirs.id, "Ben on the open document", hidden=False),
    }
    ids["sample"] = blind.create_sample(world.project, "Round 1", [doc.id], [ana.id, ben.id], None,
                                        world.users["manager"].id)
    return ids


HIDDEN_MEMOS = ("ben_on_theirs", "ben_on_mine", "ben_on_doc", "ana_on_theirs")


def _routes(app, args: set[str] | None = None):
    """The qualitative routes (with a method each) taking one of ``args``; every qualitative route without."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(QUAL_PREFIXES) and (args is None or set(rule.arguments) & args):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                yield rule, method


def _url(app, rule, values: dict) -> str:
    from flask import url_for

    filled = {arg: values.get(arg, 1 if rule._converters[arg].__class__.__name__ == "IntegerConverter" else "x")
              for arg in rule.arguments}
    with app.test_request_context():
        return url_for(rule.endpoint, **filled)


def test_every_coding_and_memo_route_is_404_for_hidden_work(app, world, blinded, client, login):
    login(world.users["ana"])
    cases = [{"coding_id": blinded["theirs"]}] + [{"memo_id": blinded[k]} for k in HIDDEN_MEMOS]
    checked, failures = 0, []
    for values in cases:
        for rule, method in _routes(app, set(values)):
            url = _url(app, rule, {"qual_project_id": world.project.id, **values})
            for body in ({"data": {}}, {"json": {"version": 1, "code_id": world.codes["III.D"].id}}):
                if method == "GET" and "json" in body:
                    continue
                response = client.open(url, method=method, **body)
                checked += 1
                if response.status_code != 404:
                    failures.append(f"{method} {url} ({rule.endpoint}) -> {response.status_code}, expected 404")
    assert not failures, "\n".join(failures)
    assert checked >= 10  # coding update/delete/edit and memo edit/delete, each for five ids
    # nothing was changed on the way
    assert db.session.get(Memo, blinded["ben_on_theirs"]) is not None
    assert db.session.execute(sa.select(sa.func.count(Memo.id))).scalar() == 6


def test_revealing_the_sample_gives_the_work_back(world, blinded, client, login):
    blind.set_blind(blinded["sample"], False)
    login(world.users["ana"])
    assert client.get(f"/qualitative/memos/{blinded['ana_on_theirs']}/edit").status_code == 200
    assert client.get(f"/qualitative/memos/{blinded['ben_on_doc']}/edit").status_code == 403  # not the author
    assert client.get(f"/qualitative/codings/{blinded['theirs']}/edit").status_code == 403  # not the coder


def test_own_work_and_open_documents_stay_reachable_while_blind(world, blinded, client, login):
    login(world.users["ana"])
    assert client.get(f"/qualitative/memos/{blinded['ana_on_doc']}/edit").status_code == 200
    assert client.get(f"/qualitative/codings/{blinded['mine']}/edit").status_code == 200
    assert client.get(f"/qualitative/codings/{blinded['open_theirs']}/edit").status_code == 403  # Ben's, visible
    assert client.get(f"/qualitative/memos/{blinded['ben_on_open']}/edit").status_code == 403  # Ben's, visible
    page = client.get(f"/qualitative/projects/{world.project.id}/memos").get_data(as_text=True)
    assert "Ben on the open document" in page and "Ana&#39;s own note" in page


def test_no_qualitative_page_shows_hidden_memos_or_describes_hidden_codings(app, world, blinded, client, login):
    """Every qualitative GET route, filled with the project, the blinded document and the hidden ids, plus the memo
    pages filtered on the hidden coding and on the blinded document."""
    login(world.users["ana"])
    values = {"qual_project_id": world.project.id, "document_id": blinded["doc"], "coding_id": blinded["theirs"],
              "memo_id": blinded["ben_on_doc"]}
    memos_url = f"/qualitative/projects/{world.project.id}/memos"
    urls = [_url(app, rule, values) for rule, method in _routes(app) if method == "GET"]
    urls += [f"{memos_url}?target_type=coding&target_id={blinded['theirs']}",
             f"{memos_url}?target_type=document&target_id={blinded['doc']}",
             f"/qualitative/documents/{blinded['doc']}/codings.json"]
    shown, failures = 0, []
    for url in urls:
        response = client.get(url)
        shown += response.status_code == 200
        if MARKER.encode() in response.data:
            failures.append(f"GET {url} shows a hidden memo")
    assert not failures, "\n".join(failures)
    assert shown >= 10
    # the memo page does not describe the hidden coding (its code and quote), as if it did not exist
    page = client.get(f"{memos_url}?target_type=coding&target_id={blinded['theirs']}").get_data(as_text=True)
    assert "Available Resources" not in page and "second turn" not in page
    assert "not part of this project" in page


def test_no_memo_can_be_attached_to_a_hidden_coding(world, blinded, client, login):
    login(world.users["ana"])
    response = client.post(f"/qualitative/projects/{world.project.id}/memos",
                           data={"target_type": "coding", "target_id": blinded["theirs"], "text": "Peek"})
    assert response.status_code == 400 and "not part of this project" in response.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count(Memo.id))).scalar() == 6
    # her own coding takes memos as before
    ok = client.post(f"/qualitative/projects/{world.project.id}/memos",
                     data={"target_type": "coding", "target_id": blinded["mine"], "text": "Mine"})
    assert ok.status_code == 302


def test_access_helpers_hide_the_work_of_others(world, blinded):
    ana, ben, manager = world.users["ana"], world.users["ben"], world.users["manager"]
    with pytest.raises(NotFound):
        coding_for(ana, blinded["theirs"])
    for key in HIDDEN_MEMOS:
        with pytest.raises(NotFound):
            memo_for(ana, blinded[key])
    assert coding_for(ana, blinded["mine"]).id == blinded["mine"]
    assert memo_for(ana, blinded["ana_on_doc"]).id == blinded["ana_on_doc"]
    assert coding_for(ben, blinded["theirs"]).id == blinded["theirs"]
    assert memo_for(ben, blinded["ben_on_doc"]).id == blinded["ben_on_doc"]
    with pytest.raises(NotFound):  # his own memo, but on Ana's coding, which he codes blind too
        memo_for(ben, blinded["ben_on_mine"])
    # a manager outside the sample sees everything
    assert coding_for(manager, blinded["theirs"]).id == blinded["theirs"]
    assert all(memo_for(manager, blinded[k]) for k in HIDDEN_MEMOS)


def test_counts_leave_out_hidden_codings(world, blinded, client, login):
    ana, manager = world.users["ana"], world.users["manager"]
    iii_j = world.codes["III.J"].id
    assert codebook.usage(world.project, ana).get(iii_j) == 1  # Ben's coding on the open document only
    assert codebook.usage(world.project, manager).get(iii_j) == 2
    assert projects.project_counts([world.project.id], ana)[world.project.id]["codings"] == 2
    assert projects.project_counts([world.project.id], manager)[world.project.id]["codings"] == 3
    listing = memos.memos(world.project, viewer=ana)
    assert {m.id for m in listing} == {blinded["ana_on_doc"], blinded["ben_on_open"]}
    login(ana)
    hub = client.get(f"/qualitative/projects/{world.project.id}/analysis").get_data(as_text=True)
    assert "2 codings on 2 documents" in hub


@pytest.fixture
def rated(world, blinded):
    """Ben rates Available Resources at SPR-1 citing his coding on the blind document, Ana rates Culture there
    citing hers; the manager (outside the sample) sets consensus ratings citing Ben's blind coding (SPR-1) and his
    coding on the open document (SPR-2)."""
    project, resources, culture = world.project, world.codes["III.J"], world.codes["III.D"]
    spr1, spr2 = world.clinics["SPR-1"], world.clinics["SPR-2"]
    manager = world.users["manager"]
    ratings.save_rating(project, resources, spr1, world.users["ben"], "1", "Staff short.", [blinded["theirs"]])
    ratings.save_rating(project, culture, spr1, world.users["ana"], "2", "Trust.", [blinded["mine"]])
    ratings.save_consensus(project, resources, spr1, manager, "1", "Staffing named.", [blinded["theirs"]])
    ratings.save_consensus(project, resources, spr2, manager, "-1", "Time short.", [blinded["open_theirs"]])
    return blinded


HIDDEN_QUOTE, OPEN_QUOTE = "second turn", "another turn"


def _workbook_text(response) -> str:
    book = load_workbook(io.BytesIO(response.data))
    return "\n".join(str(value) for sheet in book for row in sheet.iter_rows(values_only=True)
                     for value in row if value is not None)


def test_joint_display_leaves_out_quotes_of_hidden_codings(world, rated, client, login):
    """The joint display (page, which is also its print view, and workbook) quotes the consensus ratings' evidence:
    a blinded coder does not get another coder's coding on a blind document there; a viewer outside the sample,
    and everyone once the sample is revealed, does."""
    pid, resources = world.project.id, world.codes["III.J"].id
    page_url, book_url = (f"/integration/projects/{pid}/joint?construct={resources}",
                          f"/integration/projects/{pid}/joint.xlsx?construct={resources}")
    login(world.users["ana"])
    page = client.get(page_url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert HIDDEN_QUOTE not in html and f"coding-{rated['theirs']}\"" not in html
    assert OPEN_QUOTE in html and "Staffing named." in html  # the rating and other quotes stay
    book = client.get(book_url)
    assert book.status_code == 200
    assert HIDDEN_QUOTE not in _workbook_text(book) and OPEN_QUOTE in _workbook_text(book)
    assert client.get(f"/integration/projects/{pid}/determinants").status_code == 200
    shown = {c["code_id"]: [e["coding_id"] for e in c["exemplars"]]
             for c in ratings.construct_ratings_for_clinic(pid, world.clinics["SPR-1"].id, world.users["ana"])}
    assert shown == {resources: []}

    for viewer in ("manager", "director"):
        client.post("/auth/logout")
        login(world.users[viewer])
        assert HIDDEN_QUOTE in client.get(page_url).get_data(as_text=True), viewer
        assert HIDDEN_QUOTE in _workbook_text(client.get(book_url)), viewer

    blind.set_blind(rated["sample"], False)
    client.post("/auth/logout")
    login(world.users["ana"])
    assert HIDDEN_QUOTE in client.get(page_url).get_data(as_text=True)


def _rater_rows(response) -> dict[str, str]:
    """The "Rater ratings" sheet of the ratings workbook: {rater name: evidence codings}."""
    book = load_workbook(io.BytesIO(response.data))
    rows = list(book["Rater ratings"].iter_rows(values_only=True))
    assert rows[0][2] == "rater" and rows[0][5] == "evidence codings"
    return {row[2]: row[5] or "" for row in rows[1:]}


def test_rater_spreadsheet_leaves_out_hidden_evidence_ids(world, rated, client, login):
    url = f"/qualitative/projects/{world.project.id}/ratings.xlsx"
    login(world.users["ana"])
    assert _rater_rows(client.get(url)) == {"Ana": str(rated["mine"]), "Ben": ""}
    client.post("/auth/logout")
    login(world.users["manager"])
    assert _rater_rows(client.get(url)) == {"Ana": str(rated["mine"]), "Ben": str(rated["theirs"])}
    # the cell page's count of another rater's evidence leaves hidden codings out too
    client.post("/auth/logout")
    login(world.users["ana"])
    ratings.save_rating(world.project, world.codes["III.J"], world.clinics["SPR-1"], world.users["ana"], "1", "",
                        [])
    cell = client.get(f"/qualitative/projects/{world.project.id}/ratings/{world.codes['III.J'].id}/"
                      f"{world.clinics['SPR-1'].id}").get_data(as_text=True)
    assert "Ben: Staff short." in cell and "evidence coding" not in cell
