"""The crisp-set truth table, consistency, coverage and splits, against hand-computed values and the published
Lipset crisp-set example (data ``LC`` of R's QCA package; truth table in Dusa 2019, *QCA with R*, ch. 7, and
Rihoux & De Meur 2009). Formulas: consistency = Σmin(X,Y)/ΣX, coverage = Σmin(X,Y)/ΣY (Ragin 2008, Redesigning
Social Inquiry, ch. 3 and 5; Schneider & Wagemann 2012, Set-Theoretic Methods, ch. 5)."""

import pytest

from implementation_outcomes.configurational import (
    ConfigurationalInputError,
    calibrate,
    calibrate_condition,
    case_condition_table,
    consistency,
    coverage,
    group_difference,
    means_by_case,
    r_name,
    split_groups,
    truth_table,
)


def test_consistency_and_coverage_by_hand():
    # X = 1,1,1,0,0 ; Y = 1,1,0,1,0: sum(min) = 2, sum(X) = 3, sum(Y) = 3
    x, y = [1, 1, 1, 0, 0], [1, 1, 0, 1, 0]
    assert consistency(x, y) == pytest.approx(2 / 3)
    assert coverage(x, y) == pytest.approx(2 / 3)
    # fuzzy memberships use the same formula: min sums .6+.2+.5 = 1.3; X sums 2.3; Y sums 1.6
    assert consistency([0.8, 0.2, 0.9, 0.4], [0.6, 0.7, 0.5, 0.0]) == pytest.approx(1.3 / 2.3)
    assert coverage([0.8, 0.2, 0.9, 0.4], [0.6, 0.7, 0.5, 0.0]) == pytest.approx(1.3 / 1.8)
    assert consistency([0, 0], [1, 0]) is None
    with pytest.raises(ConfigurationalInputError, match="case 1: X 2"):
        consistency([1, 2], [1, 1])


def test_truth_table_with_a_contradictory_row_by_hand():
    cases = {"A": {"P": 1, "Q": 1}, "B": {"P": 1, "Q": 1}, "C": {"P": 1, "Q": 0}, "D": {"P": 0, "Q": 0},
             "E": {"P": 0, "Q": None}}
    outcome = {"A": 1, "B": 0, "C": 1, "D": 0, "E": 1}
    table = truth_table(cases, outcome, ["P", "Q"])
    assert table["left_out"] == ["E"] and table["n_cases"] == 4 and table["n_outcome"] == 2
    assert [(tuple(r["configuration"].values()), r["n"], r["outcome_n"]) for r in table["rows"]] == [
        ((0, 0), 1, 0), ((1, 0), 1, 1), ((1, 1), 2, 1)]
    by_config = {tuple(r["configuration"].values()): r for r in table["rows"]}
    assert by_config[(1, 1)]["consistency"] == pytest.approx(0.5)  # A has Y, B does not
    assert by_config[(1, 1)]["coverage"] == pytest.approx(0.5)  # 1 of the 2 outcome cases
    assert by_config[(1, 0)]["consistency"] == 1 and by_config[(0, 0)]["consistency"] == 0
    assert by_config[(1, 1)]["cases"] == ["A", "B"]
    assert table["remainders"] == 1  # (0, 1) has no case


# Lipset crisp (QCA::LC): DEV URB LIT IND STB -> SURV
LC = {
    "AU": (1, 0, 1, 1, 0, 0), "BE": (1, 1, 1, 1, 1, 1), "CZ": (1, 1, 1, 1, 1, 1), "EE": (0, 0, 1, 0, 1, 0),
    "FI": (1, 0, 1, 0, 1, 1), "FR": (1, 0, 1, 1, 1, 1), "DE": (1, 1, 1, 1, 0, 0), "GR": (0, 0, 0, 0, 0, 0),
    "HU": (0, 0, 1, 0, 0, 0), "IE": (1, 0, 1, 0, 1, 1), "IT": (0, 0, 0, 0, 1, 0), "NL": (1, 1, 1, 1, 1, 1),
    "PL": (0, 0, 1, 0, 0, 0), "PT": (0, 0, 0, 0, 0, 0), "RO": (0, 0, 0, 0, 1, 0), "ES": (0, 0, 0, 0, 0, 0),
    "SE": (1, 0, 1, 1, 1, 1), "UK": (1, 1, 1, 1, 1, 1),
}
CONDITIONS = ["DEV", "URB", "LIT", "IND", "STB"]


def test_published_lipset_truth_table():
    cases = {k: dict(zip(CONDITIONS, v[:5], strict=True)) for k, v in LC.items()}
    table = truth_table(cases, {k: v[5] for k, v in LC.items()}, CONDITIONS)
    # QCA::truthTable(LC, outcome = "SURV", complete = FALSE): row number = binary configuration + 1
    expected = {1: (3, 0, "GR,PT,ES"), 2: (2, 0, "IT,RO"), 5: (2, 0, "HU,PL"), 6: (1, 0, "EE"),
                22: (2, 1, "FI,IE"), 23: (1, 0, "AU"), 24: (2, 1, "FR,SE"), 31: (1, 0, "DE"),
                32: (4, 1, "BE,CZ,NL,UK")}
    got = {}
    for row in table["rows"]:
        number = int("".join(str(row["configuration"][c]) for c in CONDITIONS), 2) + 1
        got[number] = (row["n"], row["consistency"], ",".join(row["cases"]))
    assert got == expected
    coverages = {int("".join(str(r["configuration"][c]) for c in CONDITIONS), 2) + 1: r["coverage"]
                 for r in table["rows"]}
    assert coverages[32] == pytest.approx(4 / 8) and coverages[22] == pytest.approx(2 / 8)
    assert table["remainders"] == 32 - 9 and table["n_outcome"] == 8


def test_splits_and_group_difference():
    groups, cut = split_groups({"a": 0.95, "b": 0.90, "c": 0.72, "d": 0.40})
    assert cut == pytest.approx(0.81) and groups == {"a": "high", "b": "high", "c": "low", "d": "low"}
    groups, cut = split_groups({"a": 3, "b": 2, "c": 2, "d": 1, "e": None})  # median 2: ties go low
    assert groups == {"a": "high", "b": "low", "c": "low", "d": "low", "e": None} and cut == 2
    groups, cut = split_groups({"a": 0.8, "b": 0.7, "c": 0.5}, threshold=0.7)
    assert groups == {"a": "high", "b": "high", "c": "low"} and cut == 0.7
    assert split_groups({"a": None}) == ({"a": None}, None)
    diff = group_difference({"a": 2, "b": 1, "c": -1, "d": None}, {"a": "high", "b": "high", "c": "low", "d": "low"})
    assert diff == {"high_n": 2, "high_mean": 1.5, "low_n": 1, "low_mean": -1.0, "difference": 2.5}
    assert group_difference({"a": 1}, {"a": "high"})["difference"] is None
    with pytest.raises(ConfigurationalInputError, match="case 'a': outcome 'x'"):
        split_groups({"a": "x"})


def test_calibration_names_and_r_table():
    assert [calibrate(v, 1) for v in (2, 1, 0, -2, None)] == [1, 1, 0, 0, None]
    assert r_name("I.C") == "I.C" and r_name("3 stages") == "X3_stages" and r_name("aim: AIM") == "aim__AIM"
    headers, rows = case_condition_table({"SPR-1": {"I.C": 1, "CRFS": 1}, "HFR-2": {"I.C": 0, "CRFS": None}},
                                         {"SPR-1": 1, "HFR-2": 0}, ["I.C", "CRFS"], "fidelity high")
    assert headers == ["case", "I.C", "CRFS", "fidelity_high"] and rows == [["SPR-1", 1, 1, 1]]
    with pytest.raises(ConfigurationalInputError, match="collide"):
        case_condition_table({}, {}, ["a b", "a_b"], "y")
    with pytest.raises(ConfigurationalInputError, match="at least one condition"):
        truth_table({}, {}, [])
    with pytest.raises(ConfigurationalInputError, match="case 'x': P 2"):
        truth_table({"x": {"P": 2}}, {"x": 1}, ["P"])


def test_means_by_case():
    got = means_by_case([("Rosa", 12), ("Rosa", 9), ("Kim", None), ("Rosa", None), ("Kim", 4)])
    assert got == {"Rosa": {"mean": 10.5, "n": 2}, "Kim": {"mean": 4.0, "n": 1}}
    assert means_by_case([("x", None)]) == {"x": {"mean": None, "n": 0}}


# five clinics: a readiness mean (1-5), a consensus rating (-2..+2) and a share adequate (0-1)
READY = {"A": 4.2, "B": 3.6, "C": 3.1, "D": 2.4, "E": 3.9}
CULTURE = {"A": 2, "B": 0, "C": 1, "D": -1, "E": 0}
ADEQUATE = {"A": 0.90, "B": 0.75, "C": 0.85, "D": 0.40, "E": 0.60}


def _table(ready_cut, culture_cut, adequate_cut):
    ready, _ = calibrate_condition(READY, ready_cut)
    culture, _ = calibrate_condition(CULTURE, culture_cut)
    outcome, _ = calibrate_condition(ADEQUATE, adequate_cut)
    table = truth_table({c: {"READY": ready[c], "CULTURE": culture[c]} for c in READY}, outcome, ["READY", "CULTURE"])
    return {tuple(r["configuration"].values()): (r["cases"], r["consistency"], r["coverage"]) for r in table["rows"]}


def test_truth_table_with_thresholds_per_condition_by_hand():
    # READY >= 3.5: A B E; CULTURE >= 0 (not the default +1): A B C E; adequate share >= 0.8: A C (2 with Y)
    rows = _table(3.5, 0, 0.8)
    # (1,1) = A B E, Y only in A: consistency 1/3, coverage 1/2; (0,1) = C with Y: 1/1 and 1/2; (0,0) = D: 0 and 0
    assert rows == {(0, 0): (["D"], 0.0, 0.0), (0, 1): (["C"], 1.0, 0.5),
                    (1, 1): (["A", "B", "E"], pytest.approx(1 / 3), 0.5)}
    # the defaults give another table: READY above its median 3.6 (B at the median goes low): A E; CULTURE +1: A C;
    # share above its median 0.75: A C. (1,1) = A with Y: 1 and 1/2; (1,0) = E: 0; (0,1) = C: 1 and 1/2; (0,0) = B D
    rows = _table(None, 1, None)
    assert rows == {(0, 0): (["B", "D"], 0.0, 0.0), (0, 1): (["C"], 1.0, 0.5), (1, 0): (["E"], 0.0, 0.0),
                    (1, 1): (["A"], 1.0, 0.5)}


def test_calibrate_condition_at_the_threshold_and_the_median():
    assert calibrate_condition({"a": 3.0, "b": 2.99, "c": None}, 3) == ({"a": 1, "b": 0, "c": None}, 3.0)
    assert calibrate_condition({"a": 3, "b": 2, "c": 2, "d": 1}) == ({"a": 1, "b": 0, "c": 0, "d": 0}, 2.0)
    assert calibrate_condition({"a": None}) == ({"a": None}, None)
    with pytest.raises(ConfigurationalInputError, match="threshold"):
        calibrate_condition({"a": 1.0}, float("nan"))


def test_csv_for_r_has_comment_lines_and_quotes_text():
    from app.exports import csv_text

    headers, rows = case_condition_table({"Room #2": {"P": 1}, "SPR-1": {"P": 0}}, {"Room #2": 1, "SPR-1": 0}, ["P"], "y")
    text = csv_text(headers, rows, ["P: 1 when value >= 3;\nyour threshold"])
    # read.csv(comment.char = "#") drops the first line and reads "#" inside the quoted case name as text
    assert text.split("\r\n") == ['# P: 1 when value >= 3; your threshold', '"case","P","y"', '"Room #2",1,1',
                                  '"SPR-1",0,0', ""]
    assert csv_text(headers, rows).startswith("case,P,y\r\nRoom #2,1,1")  # without comments: as every other CSV
