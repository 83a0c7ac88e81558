"""Agreement of a project's coders, through the service, the page, the downloads and ``mio agreement``.

Sources of expected values:
- Krippendorff K. (2011) Computing Krippendorff's alpha-reliability, section A (binary data, two observers,
  ten units): observers 0 1 0 0 0 0 0 0 1 0 and 1 1 1 0 0 1 0 0 0 0 give alpha = 0.095.
- scikit-learn ``cohen_kappa_score`` and the ``krippendorff`` package (Castro 2017) as independent libraries.
- NVivo's character-level kappa (po = (both + neither)/N, pe = (A*B + (N-A)(N-B))/N^2), computed by hand below.
"""

from __future__ import annotations

import csv
import io
import json

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from qualitative.analysis.models import Suggestion
from qualitative.analysis.services import blind
from qualitative.analysis.services.agreement import agreement_report, report_rows
from qualitative.analysis.services.common import AnalysisInputError

A_TURNS = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]  # Krippendorff (2011) section A, observer 1
B_TURNS = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]  # observer 2


@pytest.fixture
def paper(world):
    """One document of ten equal turns; Ana and Ben code Culture on the turns of the paper's example."""
    doc = world.document("Paper example", world.clinics["SPR-1"], [("Speaker", "x" * 9)] * 10)
    culture = world.codes["III.D"]
    for i, (a, b) in enumerate(zip(A_TURNS, B_TURNS, strict=True)):
        if a:
            world.code_turn(doc, i, culture, world.users["ana"])
        if b:
            world.code_turn(doc, i, culture, world.users["ben"])
    return doc


def test_turn_level_alpha_and_kappa_match_the_paper_and_sklearn(world, paper):
    ana, ben = world.users["ana"], world.users["ben"]
    report = agreement_report(world.project, [ana.id, ben.id])
    (alpha_row,) = report.alpha_per_code
    assert alpha_row["alpha"] == pytest.approx(0.095, abs=5e-4)  # Krippendorff (2011), section A
    assert report.alpha_pooled == pytest.approx(0.095, abs=5e-4)
    pair = report.pairs[0]
    (per_code,) = pair.per_code
    assert per_code["unit"]["kappa"] == pytest.approx(cohen_kappa_score(A_TURNS, B_TURNS))
    assert (per_code["unit"]["both"], per_code["unit"]["a_only"], per_code["unit"]["b_only"]) == (1, 1, 3)
    (row,) = pair.rows  # one document: the code x document alpha is the paper's too
    assert row["alpha"] == pytest.approx(0.095, abs=5e-4) and row["alpha_band"] == "unreliable"


def test_character_level_kappa_as_nvivo_by_hand(world, paper):
    report = agreement_report(world.project, [world.users["ana"].id, world.users["ben"].id])
    (row,) = report.pairs[0].rows
    # N = 10 blocks "Speaker: xxxxxxxxx" (18) + 9 blank-line separators (2) = 198; each turn is 9 characters.
    # A = 2 turns = 18, B = 4 turns = 36, both = 1 turn = 9, neither = 198 - (18 + 36 - 9) = 153.
    n, a, b, both = 198, 18, 36, 9
    po = (both + (n - (a + b - both))) / n
    pe = (a * b + (n - a) * (n - b)) / n**2
    assert row["char"]["n"] == n and row["char"]["A"] == a and row["char"]["B"] == b and row["char"]["both"] == both
    assert row["char"]["po"] == pytest.approx(po)  # percent agreement 81.8 %
    assert row["char"]["kappa"] == pytest.approx((po - pe) / (1 - pe))  # 0.241
    assert row["char"]["kappa"] == pytest.approx(0.2414, abs=1e-4)
    assert row["char"]["agreement_on_coded"] == pytest.approx(9 / 45)
    assert row["char_band"] == "fair"


def test_three_coders_with_missing_documents_match_the_krippendorff_package(world):
    ana, ben, cleo = (world.users[k] for k in ("ana", "ben", "cleo"))
    culture, resources = world.codes["III.D"], world.codes["III.J"]
    d1 = world.document("D1", world.clinics["SPR-1"], [("A", "one two"), ("B", "three four"), ("A", "five six")])
    d2 = world.document("D2", world.clinics["HFR-1"], [("A", "seven"), ("B", "eight nine"), ("A", "ten"),
                                                       ("B", "eleven")])
    plan = {  # coder -> document -> code -> turns coded
        ana: {d1: {culture: [0, 1]}, d2: {culture: [0], resources: [2, 3]}},
        ben: {d1: {culture: [1], resources: [2]}, d2: {culture: [0, 1], resources: [3]}},
        cleo: {d1: {culture: [0, 1], resources: [2]}},  # cleo did not code D2: missing there
    }
    for coder, docs in plan.items():
        for doc, codes in docs.items():
            for code, turns in codes.items():
                for t in turns:
                    world.code_turn(doc, t, code, coder)
    report = agreement_report(world.project, [ana.id, ben.id, cleo.id])
    units = [(d1, 0), (d1, 1), (d1, 2), (d2, 0), (d2, 1), (d2, 2), (d2, 3)]

    def data(code):
        rows = []
        for coder in (ana, ben, cleo):
            row = []
            for doc, t in units:
                if doc not in plan[coder]:
                    row.append(np.nan)
                else:
                    row.append(1.0 if t in plan[coder][doc].get(code, []) else 0.0)
            rows.append(row)
        return np.array(rows)

    by_code = {r["code"].key: r["alpha"] for r in report.alpha_per_code}
    d2_rows = [r for r in report.pairs[0].rows if r["document"] is d2 and r["code"] is culture]
    d2_units = [(d, t) for d, t in units if d is d2]
    d2_data = np.array([[np.nan if d2 not in plan[c] else (1.0 if t in plan[c][d2].get(culture, []) else 0.0)
                         for _d, t in d2_units] for c in (ana, ben, cleo)])
    assert d2_rows[0]["alpha"] == pytest.approx(krippendorff.alpha(reliability_data=d2_data,
                                                                     level_of_measurement="nominal"))
    for code in (culture, resources):
        expected = krippendorff.alpha(reliability_data=data(code), level_of_measurement="nominal")
        assert by_code[code.key] == pytest.approx(expected)
    pooled = krippendorff.alpha(reliability_data=np.hstack([data(resources), data(culture)]),
                                level_of_measurement="nominal")
    assert report.alpha_pooled == pytest.approx(pooled)
    # pairs: Ana-Cleo share only D1; pooled turn kappa follows De Vries et al. (2008)
    ana_cleo = next(p for p in report.pairs if {p.coder_a.id, p.coder_b.id} == {ana.id, cleo.id})
    assert [d.name for d in ana_cleo.documents] == ["D1"]
    ana_ben = report.pairs[0]
    tables = [r["unit"] for r in ana_ben.per_code]
    mean_po = sum(t["po"] for t in tables) / len(tables)
    mean_pe = sum(t["pe"] for t in tables) / len(tables)
    assert ana_ben.pooled_unit_kappa == pytest.approx((mean_po - mean_pe) / (1 - mean_pe))
    for r in ana_ben.per_code:  # per code across both documents, against sklearn on the 7 turns
        a = [1 if t in plan[ana][doc].get(r["code"], []) else 0 for doc, t in units]
        b = [1 if t in plan[ben][doc].get(r["code"], []) else 0 for doc, t in units]
        assert r["unit"]["kappa"] == pytest.approx(cohen_kappa_score(a, b))


def test_undefined_figures_are_none_and_reported_as_na(world):
    ana, ben = world.users["ana"], world.users["ben"]
    doc = world.document("Same", world.clinics["SPR-1"], [("A", "all the same"), ("B", "again")])
    for coder in (ana, ben):  # both code every turn: no variation, kappa undefined
        world.code_turn(doc, 0, world.codes["III.D"], coder)
        world.code_turn(doc, 1, world.codes["III.D"], coder)
    report = agreement_report(world.project, [ana.id, ben.id])
    row = report.pairs[0].per_code[0]
    assert row["unit"]["kappa"] is None and row["unit_band"] == "n/a"
    assert report.alpha_per_code[0]["alpha"] is None and report.alpha_per_code[0]["band"] == "n/a"
    assert report.pairs[0].disagreements == []


def test_suggestions_are_never_a_coder(world, paper):
    culture = world.codes["III.D"]
    before = agreement_report(world.project, [world.users["ana"].id, world.users["ben"].id])
    from app.db import db

    db.session.add(Suggestion(project_id=world.project.id, document_id=paper.id, code_id=culture.id,
                              start=paper.turns[3].start, end=paper.turns[3].end, rule_version="x"))
    db.session.commit()
    after = agreement_report(world.project, [world.users["ana"].id, world.users["ben"].id])
    assert after.alpha_pooled == before.alpha_pooled
    assert [u.email for u in after.coders] == ["ana@example.org", "ben@example.org"]


def test_disagreement_list_shows_each_coders_codes_per_turn(world, paper):
    report = agreement_report(world.project, [world.users["ana"].id, world.users["ben"].id])
    rows = report.pairs[0].disagreements
    assert [r["unit"] for r in rows] == [0, 2, 5, 8]  # turns where exactly one coded Culture
    first = rows[0]
    assert first["quote"] == "x" * 9 and first["speaker"] == "Speaker"
    assert first["codes_a"] == [] and [c.key for c in first["codes_b"]] == ["III.D"]


def test_fewer_than_two_coders_is_refused(world):
    with pytest.raises(AnalysisInputError, match="two or more"):
        agreement_report(world.project, [world.users["ana"].id])


def test_blind_coder_sees_no_agreement_on_blind_documents(world, paper):
    ana, ben = world.users["ana"], world.users["ben"]
    blind.create_sample(world.project, "Round 1", [paper.id], [ana.id, ben.id], None, world.users["manager"].id)
    report = agreement_report(world.project, [ana.id, ben.id], viewer=ana)
    assert report.documents == [] and report.hidden_documents == 1
    manager_view = agreement_report(world.project, [ana.id, ben.id], viewer=world.users["manager"])
    assert [d.name for d in manager_view.documents] == ["Paper example"]


def test_agreement_page_and_downloads(world, paper, client, login):
    login(world.users["rita"])  # read privilege suffices
    pid = world.project.id
    ana, ben = world.users["ana"].id, world.users["ben"].id
    page = client.get(f"/qualitative/projects/{pid}/agreement?run=1&coder_id={ana}&coder_id={ben}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "0.095" in body and "Disagreements to reconcile (4 turns)" in body
    assert f"/qualitative/documents/{paper.id}?at=" in body
    one = client.get(f"/qualitative/projects/{pid}/agreement?run=1&coder_id={ana}")
    assert one.status_code == 400 and "two or more" in one.get_data(as_text=True)
    data = client.get(f"/qualitative/projects/{pid}/agreement.csv?coder_id={ana}&coder_id={ben}")
    assert data.status_code == 200 and data.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(data.get_data(as_text=True).lstrip("\ufeff"))))
    assert {r["level"] for r in rows} == {"code x document", "code", "pooled", "alpha", "alpha pooled"}
    xlsx = client.get(f"/qualitative/projects/{pid}/agreement.xlsx?coder_id={ana}&coder_id={ben}")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    bad = client.get(f"/qualitative/projects/{pid}/agreement.csv?coder_id={ana}")
    assert bad.status_code == 400


def test_report_rows_cover_every_level(world, paper):
    headers, rows = report_rows(agreement_report(world.project, [world.users["ana"].id, world.users["ben"].id]))
    assert headers[0] == "level" and len(rows) == 5  # code x document, code, pooled, alpha, alpha pooled


def test_mio_agreement_command_json_and_csv(world, paper, runner):
    args = ["agreement", "--project", world.project.name, "--coder", "ana@example.org", "--coder", "ben@example.org"]
    result = runner.invoke(args=[*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["coders"] == ["ana@example.org", "ben@example.org"]
    alpha = next(r for r in data["rows"] if r["level"] == "alpha pooled")
    assert alpha["alpha"] == pytest.approx(0.095, abs=5e-4)
    as_csv = runner.invoke(args=[*args, "--format", "csv"])
    assert as_csv.exit_code == 0 and as_csv.output.startswith("level,coder_a,coder_b,code")
    unknown = runner.invoke(args=["agreement", "--project", "Nope", "--coder", "ana@example.org",
                                  "--coder", "ben@example.org"])
    assert unknown.exit_code != 0 and "no project named" in unknown.output
    nobody = runner.invoke(args=["agreement", "--project", world.project.name, "--coder", "x@example.org",
                                 "--coder", "ben@example.org"])
    assert nobody.exit_code != 0 and "no account" in nobody.output
    same = runner.invoke(args=["agreement", "--project", world.project.name, "--coder", "ana@example.org",
                               "--coder", "ana@example.org"])
    assert same.exit_code != 0 and "two or more" in same.output
