"""Coded segments with context, filters, code x document / code x clinic counts, co-occurrence and exports
(expected values counted by hand from the fixture below)."""

from __future__ import annotations

import csv
import html
import io
import re
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest

from qualitative.analysis.services import blind
from qualitative.analysis.services.common import AnalysisInputError
from qualitative.analysis.services.retrieval import (
    EXPORT_HEADERS,
    SegmentFilter,
    code_by_clinic,
    code_by_document,
    cooccurrence,
    segments,
)
from qualitative.analysis.views import retrieval as views


@pytest.fixture
def coded(world):
    w = world
    c1 = w.participant("Counselor C1", w.clinics["SPR-1"], "Innovation Deliverers")
    s1 = w.participant("Supervisor S1", w.clinics["SPR-1"], "Mid-level Leaders")
    c2 = w.participant("Counselor C2", w.clinics["HFR-1"], "Innovation Deliverers")
    d1 = w.document("D1", w.clinics["SPR-1"], [
        ("Interviewer", "Tell me about resources."),
        ("Counselor C1", "We never had time. Staffing was thin."),
        ("Supervisor S1", "Culture is strong here."),
    ], participants={"Counselor C1": c1, "Supervisor S1": s1})
    d2 = w.document("D2", w.clinics["HFR-1"], [("Counselor C2", "Space is a problem and the culture is tired.")],
                    kind="focus-group", participants={"Counselor C2": c2})
    ana, ben = w.users["ana"], w.users["ben"]
    res, cul, adv = w.codes["III.J"], w.codes["III.D"], w.codes["I.C"]
    t1 = d1.turns[1]
    w.coding(d1, res, ana, t1.start, t1.start + len("We never had time."))
    w.code_turn(d1, 2, cul, ana)
    w.code_turn(d2, 0, res, ana)
    start = d2.text.index("the culture is tired")
    w.coding(d2, cul, ana, start, start + len("the culture is tired"))
    w.code_turn(d1, 1, res, ben)
    w.code_turn(d1, 1, adv, ben)
    return d1, d2


def _keys(items):
    return sorted((s.document.name, s.code_path.split(" > ")[-1], s.coder.name) for s in items)


def test_segments_carry_context_speaker_role_and_clinic(world, coded):
    items = segments(world.project, world.users["manager"], SegmentFilter())
    assert len(items) == 6
    first = next(s for s in items if s.quote == "We never had time.")
    assert (first.before, first.after) == ("", " Staffing was thin.")
    assert (first.speaker, first.role, first.clinic.code, first.code_path) == (
        "Counselor C1", "Innovation Deliverers", "SPR-1", "Inner Setting > Available Resources")
    tired = next(s for s in items if s.quote == "the culture is tired")
    assert tired.before == "Space is a problem and " and tired.after == "."


@pytest.mark.parametrize("flt,expected", [
    (lambda w: SegmentFilter(code_id=w.codes["III"].id), 5),  # domain with its constructs
    (lambda w: SegmentFilter(code_id=w.codes["III"].id, include_children=False), 0),
    (lambda w: SegmentFilter(code_id=w.codes["III.J"].id), 3),
    (lambda w: SegmentFilter(clinic_id=w.clinics["HFR-1"].id), 2),
    (lambda w: SegmentFilter(role="Mid-level Leaders"), 1),
    (lambda w: SegmentFilter(kind="focus-group"), 2),
    (lambda w: SegmentFilter(coder_id=w.users["ben"].id), 2),
    (lambda w: SegmentFilter(code_id=w.codes["III.J"].id, coder_id=w.users["ana"].id,
                             clinic_id=w.clinics["SPR-1"].id), 1),
])
def test_segment_filters(world, coded, flt, expected):
    assert len(segments(world.project, world.users["manager"], flt(world))) == expected


def test_filter_parsing_rejects_bad_values(world):
    with pytest.raises(AnalysisInputError, match="code_id"):
        SegmentFilter.from_args({"code_id": "x1"})
    with pytest.raises(AnalysisInputError, match="kind"):
        SegmentFilter.from_args({"kind": "podcast"})
    assert SegmentFilter.from_args({"code_id": "3", "children": "0"}).as_args() == {"code_id": 3, "children": "0"}


def test_counts_by_document_and_clinic(world, coded):
    viewer = world.users["manager"]
    by_doc = code_by_document(world.project, viewer, SegmentFilter())
    counts = {(code.key, d.name): by_doc["counts"].get((code.id, d.id), 0)
              for code in by_doc["codes"] for d in by_doc["columns"]}
    assert counts == {("III.J", "D1"): 2, ("III.J", "D2"): 1, ("III.D", "D1"): 1, ("III.D", "D2"): 1,
                      ("I.C", "D1"): 1, ("I.C", "D2"): 0}
    by_clinic = code_by_clinic(world.project, viewer, SegmentFilter(role="Innovation Deliverers"))
    counts = {(code.key, c.code): by_clinic["counts"].get((code.id, c.id), 0)
              for code in by_clinic["codes"] for c in by_clinic["columns"]}
    assert counts == {("III.J", "SPR-1"): 2, ("III.J", "HFR-1"): 1, ("III.D", "SPR-1"): 0,
                      ("III.D", "HFR-1"): 1, ("I.C", "SPR-1"): 1, ("I.C", "HFR-1"): 0}


def test_cooccurrence_counts_overlapping_codings_of_different_codes(world, coded):
    result = cooccurrence(world.project, world.users["manager"], SegmentFilter())
    keys = {frozenset(result["paths"][c].split(" > ")[-1] for c in pair): n for pair, n in result["pairs"]}
    # D1 turn 1: Ben's Relative Advantage overlaps Ana's and Ben's Available Resources (2 pairs);
    # D2: Ana's Culture lies inside her Available Resources coding (1 pair); same-code overlaps do not count.
    assert keys == {frozenset({"Available Resources", "Relative Advantage"}): 2,
                    frozenset({"Available Resources", "Culture"}): 1}
    only_culture = cooccurrence(world.project, world.users["manager"], SegmentFilter(code_id=world.codes["III.D"].id))
    assert [n for _pair, n in only_culture["pairs"]] == [1]


def test_blind_coder_retrieves_only_own_codings_on_blind_documents(world, coded):
    d1, _d2 = coded
    ana, ben = world.users["ana"], world.users["ben"]
    blind.create_sample(world.project, "R1", [d1.id], [ana.id, ben.id], None, world.users["manager"].id)
    mine = segments(world.project, ana, SegmentFilter())
    assert {s.coder.name for s in mine if s.document.name == "D1"} == {"Ana"}
    assert len(mine) == 4


def test_pages_and_exports(world, coded, client, login):
    login(world.users["rita"])
    pid = world.project.id
    page = client.get(f"/qualitative/projects/{pid}/segments?clinic_id={world.clinics['HFR-1'].id}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "<mark>the culture is tired</mark>" in body and "2 coded segments" in body
    assert client.get(f"/qualitative/projects/{pid}/segments?kind=podcast").status_code == 400
    assert client.get(f"/qualitative/projects/{pid}/segments?code_id=999999").status_code == 400
    exported = client.get(f"/qualitative/projects/{pid}/segments.csv?coder_id={world.users['ben'].id}")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == EXPORT_HEADERS and len(rows) == 3
    assert rows[1][:7] == ["We never had time. Staffing was thin.", "D1", "Counselor C1", "Innovation Deliverers",
                           "SPR-1", "Inner Setting > Available Resources", "Ben"]
    assert rows[2][5] == "Relative Advantage"
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/qualitative/projects/{pid}/segments.xlsx").data))
    sheet = book["Coded segments"]
    assert [c.value for c in sheet[1]] == EXPORT_HEADERS and sheet.max_row == 7
    matrices = client.get(f"/qualitative/projects/{pid}/matrices")
    assert matrices.status_code == 200 and "Codings per code and clinic" in matrices.get_data(as_text=True)
    for key in ("code-document", "code-clinic", "cooccurrence"):
        assert client.get(f"/qualitative/projects/{pid}/matrices/{key}.csv").status_code == 200
        xlsx = client.get(f"/qualitative/projects/{pid}/matrices/{key}.xlsx")
        assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    matrix = client.get(f"/qualitative/projects/{pid}/matrices/code-clinic.csv").get_data(as_text=True)
    assert matrix.lstrip("\ufeff").splitlines()[0] == "code path,HFR-1,SPR-1,total"  # clinics by code
    assert client.get(f"/qualitative/projects/{pid}/matrices/other.csv").status_code == 404


def _pager(body: str) -> tuple[str, dict[str, dict[str, list[str]]]]:
    """The pager's count line and its links by label ("First", "Previous", "Next", "Last") as parsed queries."""
    nav = re.search(r'<nav class="pager".*?</nav>', body, re.S).group(0)
    count = re.search(r'<p class="pager-count">([^<]*)</p>', nav).group(1)
    links = re.findall(r'<a href="([^"]+)"[^>]*>(\w+)<span', nav)
    return count, {label: parse_qs(urlsplit(html.unescape(href)).query) for href, label in links}


def test_segments_page_through_the_shared_pager(world, coded, client, login, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    login(world.users["rita"])
    url = f"/qualitative/projects/{world.project.id}/segments"
    count, links = _pager(client.get(url).get_data(as_text=True))
    assert count == "Rows 1–3 of 6, page 1 of 2" and links["Next"] == links["Last"] == {"page": ["2"]}
    # Ana's 4 segments by document, start: D1 time, D1 culture, D2 whole turn, D2 "the culture is tired"
    ana = str(world.users["ana"].id)
    body = client.get(f"{url}?coder_id={ana}&children=0&page=2").get_data(as_text=True)
    count, links = _pager(body)
    assert count == "Rows 4–4 of 4, page 2 of 2" and "<mark>the culture is tired</mark>" in body
    assert "<mark>We never had time.</mark>" not in body
    assert links["First"] == links["Previous"] == {"page": ["1"], "coder_id": [ana], "children": ["0"]}
    # the role filter is computed per row in Python: the count is of the rows it keeps (3 in D1 turn 1, 2 in D2)
    role = "Innovation Deliverers"
    body = client.get(f"{url}?role={role.replace(' ', '+')}&page=99").get_data(as_text=True)
    count, links = _pager(body)
    assert count == "Rows 4–5 of 5, page 2 of 2" and links["Previous"] == {"page": ["1"], "role": [role]}
    for query in ("page=abc", "page=0", "page=-2"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400 and "The “page” filter" in response.get_data(as_text=True), query
