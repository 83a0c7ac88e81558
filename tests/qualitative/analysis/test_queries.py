"""Queries across a project (issue 17.4): text search, Boolean and proximity code queries with subcodes rolled up,
filtered by clinic, speaker role, document variable and coder, under the blind rule; paged, downloadable with the
formula guard and audited; a result cited as evidence for the user's own CFIR rating; same-turn co-occurrence with
its n and network picture. Figures by hand on the fixture below."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import sqlalchemy as sa

from app.db import db
from app.models import AuditEvent
from qualitative.analysis.models import ConstructRatingEvidence
from qualitative.analysis.services import blind, ratings
from qualitative.analysis.views import queries as views
from qualitative.models import Coding, Variable, VariableValue


def _project(world):
    """SPR-1 interview (turns 0-4) and HFR-1 interview (turns 0-2), coded by Ana (and Ben on one turn)."""
    space = world.code("III.J.2", "Space", world.codes["III.J"], [])
    spr = world.document("SPR-1 interview", world.clinics["SPR-1"], [
        ("Interviewer", "To start, tell me about childcare."),  # 0
        ("Supervisor", "Childcare is downstairs and the culture is warm."),  # 1: III.J + III.D
        ("Supervisor", "We have a private room."),  # 2: III.J.2 (subcode of III.J)
        ("Interviewer", "Anything else?"),  # 3
        ("Supervisor", "=HYPERLINK(\"http://x\") trust matters here."),  # 4: III.D, a formula payload
    ])
    hfr = world.document("HFR-1 interview", world.clinics["HFR-1"], [
        ("Counselor", "No childcare at all."),  # 0: III.J
        ("Counselor", "The culture is tense."),  # 1: III.D (Ben)
        ("Counselor", "Nothing else."),  # 2
    ])
    ana, ben = world.users["ana"], world.users["ben"]
    codes = world.codes
    world.code_turn(spr, 1, codes["III.J"], ana)
    world.code_turn(spr, 1, codes["III.D"], ana)
    world.code_turn(spr, 2, space, ana)
    world.code_turn(spr, 4, codes["III.D"], ana)
    world.code_turn(hfr, 0, codes["III.J"], ana)
    world.code_turn(hfr, 1, codes["III.D"], ben)
    kind = Variable(project_id=world.project.id, name="Site type", type="Text")
    db.session.add(kind)
    db.session.flush()
    db.session.add_all([VariableValue(variable_id=kind.id, document_id=spr.id, value="urban"),
                        VariableValue(variable_id=kind.id, document_id=hfr.id, value="rural")])
    db.session.commit()
    return spr, hfr, kind


def _rows(body: str) -> list[str]:
    table = re.search(r'<table class="data query-results">.*?</table>', body, re.S).group(0)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r'<td class="quote">(.*?)</td>', table, re.S)]


def test_text_search_across_transcripts_with_filters(world, client, login):
    _spr, _hfr, kind = _project(world)
    login(world.users["ana"])
    url = f"/qualitative/projects/{world.project.id}/queries?mode=text&q=CHILDCARE"
    body = client.get(url).get_data(as_text=True)
    assert "3 speaker turns" in body and "<mark>childcare</mark>" in body and "<mark>Childcare</mark>" in body
    assert _rows(body) == ["To start, tell me about childcare.", "Childcare is downstairs and the culture is warm.",
                           "No childcare at all."]
    clinic = world.clinics["HFR-1"].id
    assert _rows(client.get(f"{url}&clinic_id={clinic}").get_data(as_text=True)) == ["No childcare at all."]
    team = client.get(f"{url}&role=research-team").get_data(as_text=True)
    assert _rows(team) == ["To start, tell me about childcare."]
    urban = client.get(f"{url}&variable_id={kind.id}&value=urban").get_data(as_text=True)
    assert len(_rows(urban)) == 2


def test_code_queries_roll_up_subcodes_and_follow_filters(world, client, login):
    _project(world)
    login(world.users["manager"])
    base = f"/qualitative/projects/{world.project.id}/queries?mode=code"
    j, d = world.codes["III.J"].id, world.codes["III.D"].id

    def found(query):
        response = client.get(f"{base}&{query}")
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return _rows(response.get_data(as_text=True))

    # III.J (with III.J.2 Space) in SPR 1, SPR 2, HFR 0; III.D in SPR 1, SPR 4, HFR 1
    assert found(f"code_a={j}&op=AND&code_b={d}") == ["Childcare is downstairs and the culture is warm."]
    assert found(f"code_a={j}&op=NOT&code_b={d}") == ["We have a private room.", "No childcare at all."]
    assert len(found(f"code_a={j}&op=OR&code_b={d}")) == 5
    # NEAR 1: SPR 1 (D in 1), SPR 2 (D in 1), HFR 0 (D in HFR 1); NEAR 0 = AND
    assert len(found(f"code_a={j}&op=NEAR&code_b={d}&near=1")) == 3
    assert len(found(f"code_a={j}&op=NEAR&code_b={d}&near=0")) == 1
    # by coder: Ben coded only HFR 1 -> nothing of III.J is near his III.D
    ben = world.users["ben"].id
    assert found(f"code_a={j}&op=NEAR&code_b={d}&near=1&coder_id={ben}") == []
    assert found(f"code_a={d}&op=NOT&code_b={j}&coder_id={ben}") == ["The culture is tense."]
    # bad input: a 400 naming the field
    for query, name in (("code_a=x", "code_a"), ("op=XOR", "op"), (f"code_a={j}&code_b={d}&op=NEAR&near=99", "near"),
                        (f"code_a={j}", "code_b"), ("code_a=999999&code_b=1", "code_a"), ("value=urban", "variable_id")):
        response = client.get(f"{base}&{query}")
        assert response.status_code == 400 and f"The “{name}” filter" in response.get_data(as_text=True), query


def test_blind_coders_query_only_their_own_codings(world, client, login):
    _spr, hfr, _kind = _project(world)
    ana, ben = world.users["ana"], world.users["ben"]
    blind.create_sample(world.project, "R1", [hfr.id], [ana.id, ben.id], None, world.users["manager"].id)
    login(ana)
    d = world.codes["III.D"].id
    body = client.get(f"/qualitative/projects/{world.project.id}/queries?mode=code&code_a={d}&op=OR&code_b={d}")
    assert "The culture is tense." not in body.get_data(as_text=True)  # Ben's coding on a blind document


def test_results_page_and_download_with_the_formula_guard_audited(world, client, login, monkeypatch):
    _project(world)
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    login(world.users["ana"])
    j, d = world.codes["III.J"].id, world.codes["III.D"].id
    query = f"mode=code&code_a={d}&op=OR&code_b={j}"
    base = f"/qualitative/projects/{world.project.id}/queries"
    page = client.get(f"{base}?{query}").get_data(as_text=True)
    assert "Rows 1–2 of 5" in page and "page=2" in page
    response = client.get(f"{base}.csv?{query}")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["document", "clinic", "turn", "speaker", "role", "codes in the turn", "text"]
    assert len(rows) == 6
    payload = [r for r in rows if "HYPERLINK" in r[-1]][0][-1]
    assert payload.startswith("'=HYPERLINK")  # app.exports guard: no live formula
    audit = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "export")
                               .order_by(AuditEvent.id.desc())).scalars().first()
    assert audit.entity == "analysis.queries_download" and audit.user_id == world.users["ana"].id
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"{base}.xlsx?{query}").data))
    values = [c.value for row in book.active.iter_rows() for c in row]
    assert any(isinstance(v, str) and v.startswith("'=HYPERLINK") for v in values)
    assert client.get(f"{base}.csv?mode=text").status_code == 400  # nothing asked yet


def test_cite_a_result_as_evidence_for_my_rating(world, client, login):
    spr, _hfr, _kind = _project(world)
    ana = world.users["ana"]
    culture = world.codes["III.D"]
    login(ana)
    coding = db.session.execute(sa.select(Coding).where(Coding.document_id == spr.id, Coding.code_id == culture.id,
                                                        Coding.start == spr.turns[1].start)).scalar_one()
    url = f"/qualitative/projects/{world.project.id}/queries/evidence"
    json_headers = {"Accept": "application/json"}
    refused = client.post(url, data={"coding_id": coding.id}, headers=json_headers)
    assert refused.status_code == 409 and "Rate Culture at SPR-1 first" in refused.get_json()["error"]
    ratings.save_rating(world.project, culture, world.clinics["SPR-1"], ana, "1", "Warm.", [])
    cited = client.post(url, data={"coding_id": coding.id}, headers=json_headers)
    assert cited.status_code == 200 and "Culture at SPR-1" in cited.get_json()["message"]
    again = client.post(url, data={"coding_id": coding.id}, follow_redirects=True)
    assert again.status_code == 200
    links = db.session.execute(sa.select(ConstructRatingEvidence.coding_id)).scalars().all()
    assert links == [coding.id]  # once
    # the query page offers the button on that turn
    body = client.get(f"/qualitative/projects/{world.project.id}/queries?mode=text&q=warm").get_data(as_text=True)
    assert "Cite for Culture at SPR-1" in body and "Cite for Available Resources at SPR-1" in body
    assert client.post(url, data={"coding_id": "abc"}).status_code == 400
    client.post("/auth/logout")
    login(world.users["rita"])  # read privilege: cannot cite
    assert client.post(url, data={"coding_id": coding.id}).status_code == 403


def test_cooccurrence_matrix_with_n_and_network(world, client, login):
    _project(world)
    login(world.users["manager"])
    base = f"/qualitative/projects/{world.project.id}/queries"
    body = client.get(f"{base}?mode=cooccurrence").get_data(as_text=True)
    # n = 8 turns; III.J in 2 turns (SPR 1, HFR 0), III.J.2 in 1, III.D in 3; III.J & III.D share SPR 1
    assert "n = 8</strong> speaker turns" in body and "Same-turn convention" in body
    assert "<svg" in body and "III.D (3)" in body and "<script" not in body.split("<svg", 1)[1].split("</svg>")[0]
    rows = list(csv.reader(io.StringIO(client.get(f"{base}.csv?mode=cooccurrence").get_data(as_text=True)
                                       .lstrip("\ufeff"))))
    header = rows[0]
    table = {r[0]: dict(zip(header[1:], r[1:], strict=False)) for r in rows[1:-1]}
    j, d = "Inner Setting > Available Resources", "Inner Setting > Culture"
    assert table[j][j] == "2" and table[d][d] == "3" and table[j][d] == table[d][j] == "1"
    assert rows[-1][0].startswith("n = 8 speaker turns")
