"""Pure parts of the delivery line: screening-log entry checks and CSV reader, the additions to the pure science
modules (screening-row rule, days to first session, training-case progress, batch adequacy, self vs coder), and the
SVG charts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from implementation_outcomes.delivery.charts import consort_svg, run_chart_svg
from implementation_outcomes.delivery.models import SCREENING_STATUS_LABELS
from implementation_outcomes.delivery.screening_log import (
    check_entry,
    normalise_entry,
    parse_screening_csv,
    template_csv,
)
from implementation_outcomes.errors import RatingError, ScreeningLogError
from implementation_outcomes.metrics import (
    SCREENING_STATUSES,
    adequacy_of_ratings,
    compare_sources,
    consort_flow,
    days_to_first_session,
    evaluate_adequacy,
    load_fidelity_scheme,
    run_chart,
    training_case_progress,
    validate_screening_row,
)

HEADER = "study_id,screened_on,status,reason,consented_on,randomized_on,arm,mother_age,child_age_months,primary_substance,medication_treatment"


def test_status_labels_cover_the_pure_statuses():
    assert tuple(SCREENING_STATUS_LABELS) == SCREENING_STATUSES


def test_validate_screening_row_names_the_given_row():
    assert validate_screening_row(7, {"status": "declined", "reason": " busy "}) == ("declined", "busy", None)
    with pytest.raises(ScreeningLogError, match=r"row 7, field 'reason'"):
        validate_screening_row(7, {"status": "declined", "reason": ""})
    with pytest.raises(ScreeningLogError, match=r"row 3, field 'arm'"):
        validate_screening_row(3, {"status": "started", "arm": "tau"})


def test_check_entry_field_messages():
    values, errors = normalise_entry({"study_id": "SPR1-001", "screened_on": "2026-03-02", "status": "Randomized",
                                      "arm": "MIO+TAU", "mother_age": "17", "child_age_months": "70"})
    assert errors == {}
    assert values["status"] == "randomized" and values["arm"] == "mio_tau"
    problems = check_entry(values)
    assert problems["randomized_on"] == "a randomized mother needs the randomization date"
    assert "18 or older" in problems["mother_age"]
    assert "0-60 months" in problems["child_age_months"]
    _, errors = normalise_entry({"screened_on": "02/03/2026", "mother_age": "thirty", "medication_treatment": "maybe"})
    assert set(errors) == {"screened_on", "mother_age", "medication_treatment"}
    assert check_entry({"study_id": "Jane Doe", "screened_on": date(2026, 3, 1), "status": "lost"})["study_id"].startswith(
        "'Jane Doe' is not a study ID")


def test_csv_missing_and_unknown_columns_are_named():
    with pytest.raises(ScreeningLogError) as exc:
        parse_screening_csv("study_id,reason,colour\nSPR1-001,x,blue\n")
    assert exc.value.errors == [
        "row 1 (header): missing column(s) screened_on, status",
        "row 1 (header): unknown column(s) colour; expected " + HEADER.replace(",", ", "),
    ]


def test_csv_errors_name_row_and_field_and_nothing_is_returned():
    text = "\n".join([
        HEADER,
        "SPR1-001,2026-03-02,declined,,,,,30,12,opioids,yes",  # row 2: no reason
        "SPR1-002,2026-03-02,randomized,,2026-03-03,2026-03-02,tau,30,12,alcohol,no",  # row 3: randomized before consent
        "SPR1-003,2026-03-02,consented,,2026-03-04,,,31,13,heroin,no",  # row 4: unknown substance
        "SPR1-001,2026-03-05,lost,,,,,,,,",  # row 5: duplicate study ID in the file
        "SPR1-009,2026-03-05,lost,,,,,,,,",  # row 6: already in the clinic's log
        "SPR1-010,2026-13-05,lost,,,,,,,,",  # row 7: bad date
    ])
    with pytest.raises(ScreeningLogError) as exc:
        parse_screening_csv(text, existing_study_ids=["spr1-009"])
    assert exc.value.errors == [
        "row 2, field 'reason': a declined row needs a reason",
        "row 3, field 'randomized_on': 2026-03-02 is before consent (2026-03-03)",
        "row 4, field 'primary_substance': 'heroin' is not one of opioids, alcohol, stimulants, cannabis, "
        "polysubstance, other",
        "row 5, field 'study_id': SPR1-001 appears again (first on row 2; duplicate study ID)",
        "row 6, field 'study_id': SPR1-009 is already in this clinic's screening log (duplicate study ID)",
        "row 7, field 'screened_on': '2026-13-05' is not a date (YYYY-MM-DD)",
    ]


def test_csv_template_parses_and_semicolons_and_bom_are_accepted():
    rows = parse_screening_csv(template_csv().encode("utf-8"))
    assert [r["study_id"] for r in rows] == ["SPR1-101", "SPR1-102"]
    assert rows[1]["arm"] == "mio_tau" and rows[1]["randomized_on"] == date(2026, 3, 9)
    rows = parse_screening_csv("\ufeffstudy_id;screened_on;status;reason\nX-1;2026-01-05;excluded;No child 0-60 months\n")
    assert rows[0]["reason"] == "No child 0-60 months" and rows[0]["row"] == 2
    with pytest.raises(ScreeningLogError, match="not UTF-8"):
        parse_screening_csv(b"study_id,screened_on,status\nA,2026-01-01,\xff\n")
    with pytest.raises(ScreeningLogError, match="no data rows"):
        parse_screening_csv(HEADER + "\n")


def test_days_to_first_session_by_hand():
    mothers = [{"mother_id": "a", "randomized_on": "2026-03-01"}, {"mother_id": "b", "randomized_on": "2026-03-10"}]
    sessions = [{"mother_id": "a", "session_number": 1, "date": "2026-03-11", "attended": False},
                {"mother_id": "a", "session_number": 1, "date": "2026-03-15"},
                {"mother_id": "a", "session_number": 2, "date": "2026-03-22"}]
    assert days_to_first_session(mothers, sessions) == {"a": 14, "b": None}


def test_training_case_progress_by_hand():
    rows = [{"counselor_id": 1, "training_case": 1, "session_number": n, "recorded": n != 3} for n in range(1, 9)]
    rows += [{"counselor_id": 1, "training_case": 2, "session_number": 1, "attended": False},
             {"counselor_id": 2, "training_case": 2, "session_number": 1, "recorded": True}]
    progress = training_case_progress(rows)
    assert progress["1"] == {"case_1": 8, "case_2": 0, "attended": 8, "recorded": 7, "share_recorded": 7 / 8,
                             "meets_session_target": True}
    assert progress["2"]["meets_session_target"] is False and progress["2"]["share_recorded"] == 1.0
    with pytest.raises(Exception, match="training row 0, field 'training_case'"):
        training_case_progress([{"counselor_id": 1, "training_case": 3}])


def test_adequacy_of_ratings_agrees_with_evaluate_adequacy():
    scheme = load_fidelity_scheme()
    keys = [s["key"] for s in scheme["scales"]]
    # alliance (3 scales), psychoeducation (2), mentalization (5): rule = mb mean >= 3, ab mean >= 3, pe mean <= 3
    good = dict(zip(keys, [3, 3, 3, 3, 3, 3, 3, 3, 3, 3], strict=True))
    low_mb = {**good, "mb_curious_stance": 1}  # mb mean 2.6 < 3
    high_pe = {**good, "pe_parenting_advice": 4}  # pe mean 3.5 > 3
    ratings = [good, low_mb, high_pe]
    assert adequacy_of_ratings(scheme, ratings) == [True, False, False]
    assert [evaluate_adequacy(scheme, r)["adequate"] for r in ratings] == [True, False, False]
    with pytest.raises(RatingError, match=r"rating 1, scale 'ab_warmth': rating 9 is outside 1..5"):
        adequacy_of_ratings(scheme, [good, {**good, "ab_warmth": 9}])


def test_compare_sources_keeps_sources_apart():
    rows = [
        {"counselor_id": 1, "session_id": "s1", "source": "self", "group_means": {"mb": 4.0}},
        {"counselor_id": 1, "session_id": "s1", "source": "coder", "group_means": {"mb": 3.0}},
        {"counselor_id": 1, "session_id": "s2", "source": "self", "group_means": {"mb": 5.0}},
        {"counselor_id": 1, "session_id": "s3", "source": "coder", "group_means": {"mb": 2.0}},
    ]
    out = compare_sources(rows, ["mb"])["1"]["mb"]
    assert out == {"n_self": 2, "self_mean": 4.5, "n_coder": 2, "coder_mean": 2.5, "n_paired": 1,
                   "mean_difference": 1.0}
    with pytest.raises(RatingError, match="two self rows"):
        compare_sources(rows + [rows[0]], ["mb"])


def test_consort_svg_is_accessible_xml_with_the_counts_and_escaped_text():
    log = ([{"status": "excluded", "reason": "<script>x</script> & more"}] * 3
           + [{"status": "declined", "reason": "busy"}] * 2
           + [{"status": "randomized", "arm": "mio_tau"}] * 4 + [{"status": "started", "arm": "mio_tau"}] * 2
           + [{"status": "randomized", "arm": "tau"}] * 3)
    svg = str(consort_svg(consort_flow(log)["overall"], "Flow <test>", chart_id="c1"))
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "c1-title c1-desc"
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert root.find("s:title", ns).text == "Flow <test>"
    boxes = {g.get("data-node"): " ".join(t.text for t in g.iter("{http://www.w3.org/2000/svg}text"))
             for g in root.iter("{http://www.w3.org/2000/svg}g")}
    assert boxes["screened"] == "Screened (assessed for eligibility) (n = 14)"
    assert boxes["arm_mio_tau"] == "Allocated to MIO + TAU (n = 6)" and boxes["arm_tau"] == "Allocated to TAU (n = 3)"
    assert boxes["started_mio"] == "Started MIO (attended session 1) (n = 2)"
    assert boxes["excluded"] == "Excluded (not eligible) (n = 3) • <script>x</script> & more: 3"  # escaped in markup
    assert "<script>" not in svg


def test_run_chart_svg_marks_drift_points():
    scores = [4, 4, 4, 4, 4, 4, 3, 2, 2, 2, 2, 2, 2]
    chart = run_chart(scores)
    assert chart["drift"]
    svg = str(run_chart_svg(chart, "Adherence", (1, 5), chart_id="r1", x_labels=[f"S{i}" for i in range(13)]))
    root = ET.fromstring(svg)
    circles = list(root.iter("{http://www.w3.org/2000/svg}circle"))
    assert len(circles) == 13
    below = [c for c in circles if c.get("fill") == "#cf222e"]
    assert len(below) == 6  # the shift of six points below the median
    assert "shift below the median, points 8-13" in root.find("{http://www.w3.org/2000/svg}desc").text


def test_run_chart_titles_its_axes_and_draws_the_adequacy_line():
    from implementation_outcomes.delivery.services.fidelity_figures import adequacy_lines
    from implementation_outcomes.fidelity import group_thresholds, load_fidelity_scheme

    scheme = load_fidelity_scheme()
    # the packaged rule (data/fidelity_scheme.json): MIO-specific group mean >= 3, alliance >= 3, psychoeducation <= 3
    assert group_thresholds(scheme, "mentalization_based") == [(">=", 3.0)]
    assert group_thresholds(scheme, "psychoeducation") == [("<=", 3.0)]
    assert adequacy_lines(scheme) == [(3.0, "adequacy line: mean ≥ 3")]
    chart = run_chart([4, 3, 2, 4, 5, 3])
    svg = str(run_chart_svg(chart, "Adherence", (1, 5), chart_id="r2", references=adequacy_lines(scheme)))
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert "Adherence score (group mean)" in texts and "rated sessions in date order" in texts  # both axis titles
    assert "adequacy line: mean ≥ 3" in texts
    line = root.find(f".//{ns}line[@class='reference-line']")
    # y of 3 on 1..5 between top 14 and bottom 236 - 40 = 196: 14 + 182 * (1 - 2 / 4) = 105
    assert float(line.get("y1")) == float(line.get("y2")) == 105.0
    assert "adequacy line: mean ≥ 3" in root.find(f"{ns}desc").text
    assert root.get("font-size") == "12"
