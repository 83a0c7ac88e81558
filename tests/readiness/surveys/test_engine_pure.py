"""Pure parts of the instrument engine: branching pruning, REDCap record-id handling, form layout, band cut points,
the SVG chart and the aggregation glue (values checked by hand)."""

import csv
import io
import math
import xml.etree.ElementTree as ET

import pytest

from readiness.branching import prune_hidden, visible_items
from readiness.instruments import load_instrument
from readiness.profile import band, band_cuts
from readiness.redcap import export_records, parse_data_dictionary, record_id_field
from readiness.surveys.charts import clinic_means_svg
from readiness.surveys.layout import form_blocks, respondent_items
from readiness.surveys.results import Observation, n_options, score_range, summarise
from tests.readiness.surveys.support import FIXTURE


@pytest.fixture(scope="module")
def leadership():
    return parse_data_dictionary(FIXTURE.read_text(encoding="utf-8"))


def test_prune_hidden_follows_chains_of_branching():
    definition = {"items": [{"key": "a", "type": "yesno"}, {"key": "b", "type": "yesno", "branching": "[a] = '1'"},
                            {"key": "c", "type": "text", "branching": "[b] = '1'"},
                            {"key": "d", "type": "text", "branching": "[a] = '0' or [c] <> ''"}]}
    # a = 0 hides b; with b's answer dropped, c hides too; d shows through its first clause
    assert visible_items(definition, {"a": 0, "b": 1, "c": "x"}) == {"a", "d"}
    assert prune_hidden(definition, {"a": 0, "b": 1, "c": "x", "d": "y", "zz": 1}) == {"a": 0, "d": "y", "zz": 1}
    assert prune_hidden(definition, {"a": 1, "b": 1, "c": "x"}) == {"a": 1, "b": 1, "c": "x"}
    assert visible_items(definition, {}) == {"a"}  # d: [a] = '0' is false for a blank, [c] <> '' false too


def test_record_id_field_is_not_asked_nor_written_twice(leadership):
    assert record_id_field(leadership) == "record_id"
    assert record_id_field(load_instrument("oric")) is None
    assert "record_id" not in [i["key"] for i in respondent_items(leadership)]
    text = export_records(leadership, [{"record_id": "R-1", "answers": {"record_id": "ignored", "role": 1}}])
    header, row = list(csv.reader(io.StringIO(text)))
    assert header.count("record_id") == 1 and row[0] == "R-1" and row[header.index("role")] == "1"


def test_form_blocks_group_grids_sections_and_values(leadership):
    oric = load_instrument("oric")
    blocks = form_blocks(oric, {"oric_01": 5, "oric_02": 99}, {"oric_03": "required"})
    assert [b["kind"] for b in blocks] == ["likert_grid"]
    grid = blocks[0]
    assert [o["label"] for o in grid["options"]][-1] == "Don't know / not applicable" and len(grid["options"]) == 6
    items = grid["items"]
    assert len(items) == 12 and items[0]["number"] == 1 and items[0]["required"]
    assert [o["checked"] for o in items[0]["options"]] == [False, False, False, False, True, False]
    assert items[1]["options"][5] == {"value": "99", "label": "Don't know / not applicable", "checked": True,
                                      "dont_know": True}
    assert not any(o.get("dont_know") for o in items[1]["options"][:5])
    assert items[2]["error"] == "required"
    blocks = form_blocks(leadership, {"credentials": [1, 3], "years_agency": 4})
    kinds = [(b["kind"], b.get("title") or (b["item"]["key"] if b["kind"] == "item" else len(b["items"])))
             for b in blocks]
    assert kinds[:4] == [("section", "About this survey"), ("item", "intro"), ("section", "About you"),
                         ("item", "survey_date")]
    assert ("likert_grid", 8) in kinds  # the "leadership" matrix group of radios with equal choices
    by_key = {b["item"]["key"]: b["item"] for b in blocks if b["kind"] == "item"}
    assert [o["checked"] for o in by_key["credentials"]["options"]] == [True, False, True, False, False]
    assert by_key["years_agency"]["value"] == "4" and by_key["years_agency"]["widget"] == "integer"
    assert by_key["supervises"]["options"] == [{"value": "1", "label": "Yes", "checked": False},
                                               {"value": "0", "label": "No", "checked": False}]
    # issue 11: REDCap's HTML is drawn (through the allow-list sanitiser), no longer stripped to its text
    assert by_key["intro"]["text"].startswith("<p>This survey asks") and by_key["intro"]["plain"].startswith("This")
    assert by_key["barrier_type"]["widget"] == "select" and by_key["barrier_describe"]["widget"] == "textarea"


def test_band_cuts_invert_the_band_rule():
    assert band_cuts(1, 5) == (3.0, 4.0)
    assert band_cuts(0, 4) == (2.0, 3.0)  # a 0-4 mean of 3 maps to 4 on 1-5
    assert band_cuts(10, 50) == (30.0, 40.0)
    for lo, hi in ((1, 5), (0, 4), (10, 50)):
        low, high = band_cuts(lo, hi)
        assert band(low, lo, hi) == "developing" and band(high, lo, hi) == "strength"
        assert band(low - 1e-9, lo, hi) == "concern"


def test_chart_is_accessible_svg_with_values_and_suppression():
    rows = [{"label": "SPR-1", "n": 8, "mean": 4.5, "rwg_j": 0.91, "low_agreement": False},
            {"label": "HFR-2", "n": 7, "mean": 2.8, "rwg_j": 0.28, "low_agreement": True},
            {"label": "HFR-1 <b>", "n": 2, "mean": None, "rwg_j": None, "low_agreement": False}]
    svg = clinic_means_svg("ORIC & commitment", rows, 1, 5, chart_id="c1")
    root = ET.fromstring(svg)  # well-formed XML, labels escaped
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img" and root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{ns}title").text == "ORIC & commitment"
    desc = root.find(f"{ns}desc").text
    assert "SPR-1: mean 4.50, n = 8, rwg(j) 0.91" in desc and "HFR-2: mean 2.80, n = 7, rwg(j) 0.28, low agreement" in desc
    assert "HFR-1 <b>: not reported, n = 2" in desc and "heuristics" in desc
    # 320 wide, drawn at its own size: its 12 px text stays 12 px in a phone's 358 px column (the old 640-wide
    # chart was scaled to 56 %, 7 px text)
    assert root.get("viewBox").split()[2] == root.get("width") == "320"
    bars = [r for r in root.iter(f"{ns}rect") if r.get("fill") in ("#5b2a86", "#b36ad6")]
    assert len(bars) == 2
    # bar length is proportional to the mean on the 1-5 axis: plot width 304 from x = 8
    assert float(bars[0].get("x")) == 8 and float(bars[0].get("width")) == pytest.approx(304 * (4.5 - 1) / 4, abs=0.05)
    lines = ["".join(t.itertext()) for t in root.iter(f"{ns}text")]
    # each clinic's line of text (label, mean, n, rwg(j)) sits above its bar
    assert "SPR-1 4.50 · n=8 · rwg(j) 0.91" in lines and "HFR-2 2.80 · n=7 · rwg(j) 0.28 (low)" in lines
    spr = next(t for t in root.iter(f"{ns}text") if "".join(t.itertext()).startswith("SPR-1"))
    assert float(spr.get("y")) < float(bars[0].get("y"))
    assert "HFR-1 <b> not reported (n = 2 < 3)" in lines and {"concern*", "developing*", "strength*"} <= set(lines)
    bands = [r for r in root.iter(f"{ns}rect") if r.get("fill") in ("#fde4e4", "#fff1dc", "#e3f4e8")]
    assert [round(float(b.get("width")), 1) for b in bands] == [152.0, 76.0, 76.0]  # cuts at 3 and 4
    # the footnote ends at the right edge, on a line below the tick labels (the last, 5, ends at x = 312)
    note = next(t for t in root.iter(f"{ns}text") if t.text == "* heuristic bands")
    ticks = [t for t in root.iter(f"{ns}text") if t.text in ("1", "2", "3", "4", "5")]
    assert note.get("text-anchor") == "end" and float(note.get("x")) == 312
    assert float(note.get("y")) > max(float(t.get("y")) for t in ticks) + 12


def test_summaries_by_hand():
    oric = load_instrument("oric")
    commitment = next(s for s in oric["subscales"] if s["key"] == "change_commitment")
    assert n_options(oric, commitment) == 5 and score_range(oric, commitment) == (1.0, 5.0)
    obs = [Observation("A", 4.0, (4.0, 4.0, 4.0, 4.0, 4.0)), Observation("A", 5.0, (5.0, 5.0, 5.0, 5.0, 5.0)),
           Observation("A", 3.0, (3.0, 3.0, 3.0, 3.0, 3.0)), Observation("B", 2.0, (2.0,) * 5),
           Observation("B", 4.0, (4.0,) * 5)]
    out = summarise(obs, 5, ["A", "B", "C"])
    # A: mean 4, SD 1; every item variance 1, mean_s2 / 2 = 0.5, rwg(j) = 5(0.5) / (5(0.5) + 0.5) = 2.5 / 3
    assert out["A"]["n"] == 3 and out["A"]["mean"] == 4.0 and out["A"]["sd"] == 1.0
    assert out["A"]["rwg_j"] == pytest.approx(2.5 / 3)
    # B has 2 respondents: no mean, no SD and no agreement index either (it would describe two people)
    assert out["B"]["n"] == 2 and out["B"]["mean"] is None and out["B"]["rwg_j"] is None
    assert out["B"]["flags"] == ["n_below_3"]
    assert out["C"]["n"] == 0 and out["C"]["mean"] is None
    none = summarise(obs[:3], None)
    assert none["A"]["mean"] == 4.0 and none["A"]["rwg_j"] is None
    assert "agreement_not_computable" in none["A"]["flags"]
    assert math.isclose(out["A"]["sd"], 1.0)


def test_one_clinic_profile_is_one_chart_with_a_row_per_subscale():
    from readiness.surveys.charts import clinic_profile_svg

    rows = [{"label": "ORIC · Change commitment", "n": 8, "mean": 4.0, "rwg_j": 0.9, "low_agreement": False,
             "scale_min": 1, "scale_max": 5},
            {"label": "ORIC · Change efficacy", "n": 8, "mean": 3.0, "rwg_j": 0.7, "low_agreement": True,
             "scale_min": 1, "scale_max": 5},
            {"label": "FIM · Feasibility", "n": 2, "mean": None, "rwg_j": None, "low_agreement": False,
             "scale_min": 1, "scale_max": 5}]
    root = ET.fromstring(clinic_profile_svg("Readiness profile of SPR-1", rows, chart_id="p"))
    ns = "{http://www.w3.org/2000/svg}"
    bars = [r for r in root.iter(f"{ns}rect") if r.get("fill") in ("#5b2a86", "#b36ad6")]
    # one bar per reported subscale from the scale minimum: plot 304 px wide (320 - 2 x 8), 4.0 on 1..5 = 3/4 of it
    assert [float(b.get("width")) for b in bars] == [228.0, 152.0]
    text = "".join(root.itertext())
    assert "FIM · Feasibility not reported (n = 2 < 3)" in text
    assert "Subscale mean (scale 1–5)" in text  # the x axis's title (every subscale on the same scale)
    assert root.get("width") == "320"
    mixed = [dict(rows[0]), {**rows[1], "scale_min": 1, "scale_max": 7, "mean": 4.0}]
    text = "".join(ET.fromstring(clinic_profile_svg("P", mixed)).itertext())
    assert "(1–7)" in text and "from each scale's minimum to its maximum" in text
