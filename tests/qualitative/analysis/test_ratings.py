"""CFIR construct ratings: raters, evidence, consensus, the matrix, agreement (against scikit-learn's
quadratic-weighted kappa and the krippendorff package's ordinal alpha), grouping and distinguishing constructs."""

from __future__ import annotations

import csv
import io

import krippendorff
import numpy as np
import openpyxl
import pytest
import sqlalchemy as sa
from sklearn.metrics import cohen_kappa_score

from app.db import db
from qualitative.analysis.models import ConsensusRating, ConstructRating
from qualitative.analysis.services import blind
from qualitative.analysis.services import ratings as service
from qualitative.analysis.services.common import AnalysisInputError


@pytest.fixture
def evidence(world):
    """Two SPR-1 codings of Culture and one of Available Resources; one HFR-1 coding of Culture."""
    spr = world.document("SPR-1 interview", world.clinics["SPR-1"], [
        ("Counselor", "Everyone here trusts each other."), ("Supervisor", "The culture made MIO easy to start."),
        ("Counselor", "We lack time.")])
    hfr = world.document("HFR-1 interview", world.clinics["HFR-1"], [("Counselor", "Nobody trusts the managers.")])
    ana = world.users["ana"]
    return {
        "spr_culture": [world.code_turn(spr, 0, world.codes["III.D"], ana),
                        world.code_turn(spr, 1, world.codes["III.D"], world.users["ben"])],
        "spr_resources": world.code_turn(spr, 2, world.codes["III.J"], ana),
        "hfr_culture": world.code_turn(hfr, 0, world.codes["III.D"], ana),
    }


@pytest.mark.parametrize("raw,expected", [("2", (2, False)), ("+1", (1, False)), ("0", (0, False)),
                                          ("-2", (-2, False)), ("x", (None, True)), ("", None), (None, None)])
def test_parse_value(raw, expected):
    assert service.parse_value(raw) == expected


@pytest.mark.parametrize("raw", ["3", "-3", "1.5", "high", "--1"])
def test_parse_value_rejects(raw):
    with pytest.raises(AnalysisInputError, match="A rating is"):
        service.parse_value(raw)


def test_constructs_are_the_cfir_constructs_in_codebook_order(world):
    assert [c.key for c in service.constructs(world.project.id)] == ["III.J", "III.D", "I.C"]


def test_rater_rating_with_evidence_mixed_and_not_discussed(world, evidence):
    p, culture, spr = world.project, world.codes["III.D"], world.clinics["SPR-1"]
    ana = world.users["ana"]
    ids = [c.id for c in evidence["spr_culture"]]
    row = service.save_rating(p, culture, spr, ana, "2", " Concrete examples from two staff. ", ids)
    assert (row.rating, row.mixed, row.rationale, row.label, row.css_class) == (
        2, False, "Concrete examples from two staff.", "+2", "rating-p2")
    assert sorted(e.coding_id for e in row.evidence) == sorted(ids)
    row = service.save_rating(p, culture, spr, ana, "X", "", ids[:1])
    assert (row.rating, row.mixed, row.label, row.css_class) == (None, True, "X", "rating-mixed")
    assert [e.coding_id for e in row.evidence] == ids[:1]
    assert service.save_rating(p, culture, spr, ana, "", None, []) is None  # not discussed: no row at all
    assert db.session.execute(sa.select(sa.func.count(ConstructRating.id))).scalar() == 0


@pytest.mark.parametrize("which", ["spr_resources", "hfr_culture"])
def test_evidence_must_be_a_coding_of_that_construct_at_that_clinic(world, evidence, which):
    with pytest.raises(AnalysisInputError, match="not codings of Culture at SPR-1") as info:
        service.save_rating(world.project, world.codes["III.D"], world.clinics["SPR-1"], world.users["ana"], "1",
                            "", [evidence[which].id])
    assert info.value.field == "evidence"
    assert db.session.execute(sa.select(sa.func.count(ConstructRating.id))).scalar() == 0


def test_consensus_needs_a_rationale_and_feeds_the_joint_display(world, evidence):
    p, culture, spr, manager = world.project, world.codes["III.D"], world.clinics["SPR-1"], world.users["manager"]
    with pytest.raises(AnalysisInputError, match="rationale"):
        service.save_consensus(p, culture, spr, manager, "1", "  ", [])
    ids = [c.id for c in evidence["spr_culture"]]
    service.save_consensus(p, culture, spr, manager, "1", "General positive statements.", ids)
    service.save_consensus(p, world.codes["III.J"], spr, manager, "X", "Mixed.", [])
    out = service.construct_ratings_for_clinic(p.id, spr.id, manager)
    assert [(r["key"], r["label"], r["rating"], r["mixed"]) for r in out] == [("III.J", "X", None, True),
                                                                             ("III.D", "+1", 1, False)]
    quotes = [(e["coding_id"], e["quote"], e["speaker"]) for e in out[1]["exemplars"]]
    assert quotes == [(ids[0], "Everyone here trusts each other.", "Counselor"),
                      (ids[1], "The culture made MIO easy to start.", "Supervisor")]
    assert service.construct_ratings_for_clinic(p.id, world.clinics["HFR-2"].id, manager) == []


def test_exemplar_quotes_leave_out_interviewer_turns(world):
    """The speaker rule (qualitative.autocode.interviewee_turn): a question is never a clinic's exemplar quote,
    unless the analyst mapped that speaker to a participant."""
    p, culture, spr, manager = world.project, world.codes["III.D"], world.clinics["SPR-1"], world.users["manager"]
    doc = world.document("SPR-1 interview 2", spr, [
        ("Interviewer", "To start, how would you describe the culture?"),
        ("Counselor", "People here trust each other."),
        ("Moderator", "And the culture of supervision?")])
    ana = world.users["ana"]
    ids = [world.code_turn(doc, i, culture, ana).id for i in range(3)]
    service.save_consensus(p, culture, spr, manager, "1", "Trust.", ids)
    (row,) = service.construct_ratings_for_clinic(p.id, spr.id, manager)
    assert [(e["coding_id"], e["speaker"]) for e in row["exemplars"]] == [(ids[1], "Counselor")]


def _rate(world, table):
    """table: {(code key, clinic code): (ana's, ben's)} with "X" mixed and None missing."""
    for (key, clinic), values in table.items():
        for user, value in zip((world.users["ana"], world.users["ben"]), values, strict=True):
            if value is not None:
                service.save_rating(world.project, world.codes[key], world.clinics[clinic], user, str(value), "", [])


RATINGS = {
    ("III.J", "SPR-1"): (2, 2), ("III.J", "SPR-2"): (1, 2), ("III.J", "HFR-1"): (-1, 0), ("III.J", "HFR-2"): (-2, -2),
    ("III.D", "SPR-1"): (1, 1), ("III.D", "SPR-2"): ("X", 1), ("III.D", "HFR-1"): (0, -1), ("III.D", "HFR-2"): (None, 0),
    ("I.C", "SPR-1"): (2, 1), ("I.C", "SPR-2"): (0, 0), ("I.C", "HFR-1"): (-1, 1), ("I.C", "HFR-2"): (-2, -1),
}


def test_rating_agreement_matches_sklearn_and_krippendorff(world):
    _rate(world, RATINGS)
    result = service.rating_agreement(world.project)
    both = [v for v in RATINGS.values() if isinstance(v[0], int) and isinstance(v[1], int)]
    a, b = [v[0] for v in both], [v[1] for v in both]
    (pair,) = result["pairs"]
    assert pair["n"] == len(both) == 10
    expected = cohen_kappa_score(a, b, labels=[-2, -1, 0, 1, 2], weights="quadratic")
    assert pair["kappa"] == pytest.approx(expected)
    # 10 cells: a seeded bootstrap CI (tested against sklearn in test_rating_agreement) and a plain warning
    assert pair["ci_low"] <= pair["kappa"] <= pair["ci_high"]
    assert pair["warning"] == "from 10 cells only: read the 95% CI, not the band"
    cells = sorted(((world.codes[k].id, world.clinics[c].id), v) for (k, c), v in RATINGS.items())
    data = np.array([[v[i] if isinstance(v[i], int) else np.nan for _cell, v in cells] for i in (0, 1)], dtype=float)
    assert result["alpha"] == pytest.approx(krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal"))
    assert result["cells"] == 12 and result["alpha_band"] in ("reliable", "tentative", "unreliable")


def test_distinguishing_constructs_from_consensus_and_groups(world):
    manager = world.users["manager"]
    for (key, clinic), (value, _ben) in RATINGS.items():
        if value is not None:
            service.save_consensus(world.project, world.codes[key], world.clinics[clinic], manager, str(value),
                                   "agreed", [])
    for clinic in ("SPR-1", "SPR-2", "HFR-1", "HFR-2"):  # the clinics need documents to belong to the project
        world.document(f"doc {clinic}", world.clinics[clinic], [("A", "text")])
    service.set_groups(world.project, {world.clinics["SPR-1"].id: "high", world.clinics["SPR-2"].id: "high",
                                       world.clinics["HFR-1"].id: "low", world.clinics["HFR-2"].id: "low"})
    verdicts = {d["code"].key: (d["result"].strength, d["result"].gap) for d in service.distinguishing(world.project)}
    # III.J: high {2, 1} vs low {-1, -2} -> gap 2 strong; III.D: high {1} (X left out) vs low {0} -> weak;
    # I.C: high {2, 0} vs low {-1, -2} -> gap 1 weak
    assert verdicts == {"III.J": ("strong", 2), "III.D": ("weak", 1), "I.C": ("weak", 1)}
    # III.D rests on one high clinic (SPR-2's rating is mixed): it says so; the others have two clinics a group
    caveats = {d["code"].key: d["result"].caveat for d in service.distinguishing(world.project)}
    assert caveats["III.D"].startswith("rests on one high-implementation clinic")
    assert caveats["III.J"] is None and caveats["I.C"] is None
    with pytest.raises(AnalysisInputError, match="no documents"):
        service.set_groups(world.project, {world.clinics["SPR-1"].id: "high", 999999: "low"})
    with pytest.raises(AnalysisInputError, match="high, low or empty"):
        service.set_groups(world.project, {world.clinics["SPR-1"].id: "medium"})
    service.set_groups(world.project, {world.clinics["HFR-2"].id: None})
    assert world.clinics["HFR-2"].id not in service.groups(world.project)


def test_rating_pages(world, evidence, client, login):
    pid, culture, spr = world.project.id, world.codes["III.D"], world.clinics["SPR-1"]
    cell = f"/qualitative/projects/{pid}/ratings/{culture.id}/{spr.id}"
    login(world.users["ben"])
    service.save_rating(world.project, culture, spr, world.users["ana"], "1", "Reasons given by Ana", [])
    page = client.get(cell)
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Everyone here trusts each other." in body
    assert "Reasons given by Ana" not in body and "show once you have rated" in body  # rate independently
    bad = client.post(cell, data={"rating-value": "5", "rating-rationale": ""})
    assert bad.status_code == 400 and "A rating is" in bad.get_data(as_text=True)
    wrong = client.post(cell, data={"rating-value": "1", "rating-evidence": [str(evidence["hfr_culture"].id)]})
    assert wrong.status_code == 400 and "not codings of Culture" in wrong.get_data(as_text=True)
    ok = client.post(cell, data={"rating-value": "2", "rating-rationale": "Two staff, concrete",
                                 "rating-evidence": [str(c.id) for c in evidence["spr_culture"]]})
    assert ok.status_code == 302
    after = client.get(cell).get_data(as_text=True)
    assert "Reasons given by Ana" in after
    assert client.post(f"{cell}/consensus", data={"consensus-value": "2", "consensus-rationale": "x"}).status_code == 403
    client.post("/auth/logout")
    login(world.users["manager"])
    missing = client.post(f"{cell}/consensus", data={"consensus-value": "2", "consensus-rationale": ""})
    assert missing.status_code == 400 and "needs a rationale" in missing.get_data(as_text=True)
    saved = client.post(f"{cell}/consensus", data={"consensus-value": "2", "consensus-rationale": "Agreed",
                                                   "consensus-evidence": [str(evidence["spr_culture"][0].id)]})
    assert saved.status_code == 302
    assert db.session.execute(sa.select(ConsensusRating.rating)).scalar_one() == 2
    grouped = client.post(f"/qualitative/projects/{pid}/ratings/groups",
                          data={f"group-{spr.id}": "high", f"group-{world.clinics['HFR-1'].id}": "low"})
    assert grouped.status_code == 302
    matrix = client.get(f"/qualitative/projects/{pid}/ratings")
    html = matrix.get_data(as_text=True)
    assert matrix.status_code == 200 and "rating-cell rating-p2" in html and "data-print" in html
    assert "rating-missing" in html and 'class="group-label">high' in html
    data = client.get(f"/qualitative/projects/{pid}/ratings.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(data)))
    assert rows[0] == ["construct", "HFR-1", "SPR-1"] and rows[1] == ["(implementation group)", "low", "high"]
    assert ["Inner Setting > Culture", "", "+2"] in rows
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/qualitative/projects/{pid}/ratings.xlsx").data))
    assert book.sheetnames == ["Consensus matrix", "Rater ratings"] and book["Rater ratings"].max_row == 3
    agreement = client.get(f"/qualitative/projects/{pid}/ratings/agreement")
    assert agreement.status_code == 200 and "Quadratic-weighted kappa" in agreement.get_data(as_text=True)
    assert client.get(f"/qualitative/projects/{pid}/ratings/{world.codes['III'].id}/{spr.id}").status_code == 404
    assert client.get(f"/qualitative/projects/{pid}/ratings/{culture.id}/{world.clinics['HFR-2'].id}").status_code == 404


def test_readers_see_but_cannot_rate(world, evidence, client, login):
    login(world.users["rita"])
    cell = f"/qualitative/projects/{world.project.id}/ratings/{world.codes['III.D'].id}/{world.clinics['SPR-1'].id}"
    assert client.get(cell).status_code == 200
    assert client.post(cell, data={"rating-value": "1"}).status_code == 403
    assert client.post(f"/qualitative/projects/{world.project.id}/ratings/groups", data={}).status_code == 403


BENS_QUOTE = "The culture made MIO easy to start."


@pytest.fixture(params=["rating", "consensus"])
def blinded_saver(request, world, evidence, login):
    """A rater's rating (Ana) or the consensus (the manager) of Culture at SPR-1 cites a coding on an open document
    and Ben's coding on the SPR-1 interview; then the saver and Ben code that interview blind, so Ben's coding is
    hidden from the saver. The saver is signed in."""
    p, culture, spr = world.project, world.codes["III.D"], world.clinics["SPR-1"]
    focus = world.document("SPR-1 focus group", spr, [("Counselor", "We celebrate small wins together.")])
    visible = world.code_turn(focus, 0, culture, world.users["cleo"])
    bens = evidence["spr_culture"][1]
    form = request.param
    saver = world.users["ana" if form == "rating" else "manager"]
    save = service.save_rating if form == "rating" else service.save_consensus
    save(p, culture, spr, saver, "1", "First look.", [visible.id, bens.id])
    sample = blind.create_sample(p, "Round 1", [bens.document_id], [saver.id, world.users["ben"].id], None,
                                 world.users["manager"].id)
    login(saver)
    cell = f"/qualitative/projects/{p.id}/ratings/{culture.id}/{spr.id}"

    def row():
        db.session.expire_all()
        if form == "rating":
            return service.my_rating(p, culture, spr, saver.id)
        return service.consensus_for(p, culture, spr)

    return {"form": form, "cell": cell, "post": cell if form == "rating" else f"{cell}/consensus", "row": row,
            "visible": visible.id, "hidden": bens.id, "sample": sample}


def test_saving_again_while_blind_keeps_the_evidence_hidden_from_the_saver(blinded_saver, client):
    """The form offers only what the saver may see; saving replaces that part of the evidence and keeps the link to
    the hidden coding, which the page counts without describing it. Revealing the sample offers it again, ticked."""
    s = blinded_saver
    form, visible, hidden = s["form"], s["visible"], s["hidden"]
    page = client.get(s["cell"]).get_data(as_text=True)
    assert BENS_QUOTE not in page and f'evidence" value="{hidden}"' not in page
    assert "1 more evidence coding is hidden while the blind sample runs" in page
    saved = client.post(s["post"], data={f"{form}-value": "2", f"{form}-rationale": "Second look.",
                                         f"{form}-evidence": [str(visible)]})
    assert saved.status_code == 302
    row = s["row"]()
    assert (row.rating, row.rationale) == (2, "Second look.")
    assert sorted(e.coding_id for e in row.evidence) == sorted([visible, hidden])
    # unticking the visible coding removes that link only
    assert client.post(s["post"], data={f"{form}-value": "2", f"{form}-rationale": "Third look."}).status_code == 302
    assert [e.coding_id for e in s["row"]().evidence] == [hidden]
    blind.set_blind(s["sample"], False)
    page = client.get(s["cell"]).get_data(as_text=True)
    assert BENS_QUOTE in page and f'name="{form}-evidence" value="{hidden}" checked' in page
    assert "hidden while the blind sample runs" not in page


def test_a_crafted_post_cannot_cite_a_hidden_coding(blinded_saver, client):
    """Posting the hidden coding's id is refused on the evidence field (400) as an id that does not exist is, and
    nothing is saved: not the value, not the rationale, not the visible evidence posted with it."""
    s = blinded_saver
    form, visible, hidden = s["form"], s["visible"], s["hidden"]
    for coding_id in (hidden, 999999):
        response = client.post(s["post"], data={f"{form}-value": "-2", f"{form}-rationale": "Peek.",
                                                f"{form}-evidence": [str(visible), str(coding_id)]})
        body = response.get_data(as_text=True)
        assert response.status_code == 400
        assert f"Coded evidence: Codings [{coding_id}] are not codings of Culture at SPR-1." in body
        assert BENS_QUOTE not in body
        row = s["row"]()
        assert (row.rating, row.rationale) == (1, "First look.")
        assert sorted(e.coding_id for e in row.evidence) == sorted([visible, hidden])


def test_not_discussed_is_refused_while_it_would_drop_hidden_evidence(blinded_saver, client):
    """Clearing the rating ("not discussed") would delete the link to a coding the saver cannot see: refused on the
    value field (400), nothing deleted; after the sample is revealed it clears."""
    s = blinded_saver
    form = s["form"]
    refused = client.post(s["post"], data={f"{form}-value": "", f"{form}-rationale": ""})
    assert refused.status_code == 400
    assert "cites 1 coding hidden from you while the blind sample runs" in refused.get_data(as_text=True)
    row = s["row"]()
    assert row is not None and (row.rating, row.rationale) == (1, "First look.")
    assert sorted(e.coding_id for e in row.evidence) == sorted([s["visible"], s["hidden"]])
    blind.set_blind(s["sample"], False)
    assert client.post(s["post"], data={f"{form}-value": "", f"{form}-rationale": ""}).status_code == 302
    assert s["row"]() is None
