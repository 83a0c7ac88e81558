"""Assessment import from CSV and from a REDCap longitudinal record export: all rows or none, every bad row named
with its row, line and column; out-of-range values refused."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from app.db import db
from implementation_outcomes.effectiveness import importing, imports
from implementation_outcomes.effectiveness.models import AssessmentVisit, OutcomeScore

REDCAP = (
    "record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,assessment_date,"
    "pdi_rf_rf_overall,bdi_ii_total,bsi_gsi_gsi,assessments_complete\r\n"
    "SPR1-002,baseline_arm_1,,,2026-01-08,3,21,1.25,2\r\n"
    "SPR1-002,end_of_treatment_arm_1,,,2026-05-01,5,12,0.8,2\r\n"
    "SPR1-001,baseline_arm_1,,,2026-01-09,2,25,1.5,2\r\n"
)


def test_parse_a_redcap_export():
    rows = imports.parse_assessments(REDCAP, "redcap")
    assert [(r["study_id"], r["time_point"], r["line"]) for r in rows] == [
        ("SPR1-002", "baseline", 2), ("SPR1-002", "end_of_treatment", 3), ("SPR1-001", "baseline", 4)]
    assert rows[0]["measures"] == {"pdi_rf": {"rf_overall": "3"}, "bdi_ii": {"total": "21"}, "bsi_gsi": {"gsi": "1.25"}}


def test_event_names_aliases_and_an_explicit_map():
    assert imports.event_time_point("3_month_followup_arm_2") == "follow_up_3m"
    assert imports.event_time_point("EOT_arm_1") == "end_of_treatment"
    assert imports.event_time_point("visit_2_arm_1") is None
    event_map = imports.parse_event_map("visit_1_arm_1=baseline\nvisit_2_arm_1=end_of_treatment")
    assert imports.event_time_point("visit_2_arm_1", event_map) == "end_of_treatment"
    with pytest.raises(imports.AssessmentImportError) as err:
        imports.parse_event_map("visit_3_arm_1=week_40")
    assert "event map entry 1" in str(err.value)


def test_every_bad_row_is_named_with_row_line_and_column():
    text = (
        "study_id,time_point,assessed_on,pdi_rf_rf_overall,psi_4_sf_total_stress,psi_4_sf_parental_distress,"
        "psi_4_sf_parent_child_dysfunctional_interaction,psi_4_sf_difficult_child\n"
        "SPR1-001,baseline,2026-01-08,12,,,,\n"
        "\n"
        'SPR1-002,"week 5",2026-13-01,3,,,,\n'
        "SPR1-003,baseline,2026-01-08,,100,30,35,36\n"
        "SPR1-004,baseline,2026-01-08,,,,,\n"
    )
    with pytest.raises(imports.AssessmentImportError) as err:
        imports.parse_assessments(text, "csv")
    errors = err.value.errors
    assert "row 1 (line 2), column pdi_rf_rf_overall: Overall RF score: 12 is outside -1 to 9 (whole number)" in errors
    assert any(e.startswith("row 2 (line 4), column time_point: 'week 5' is not a time point") for e in errors)
    assert "row 2 (line 4), column assessed_on: '2026-13-01' is not a calendar date" in errors
    assert any(e.startswith("row 3 (line 5), column psi_4_sf_total_stress:") and "sum of its parts (101)" in e
               for e in errors)
    assert "row 4 (line 6): no measure values in this row" in errors


def test_unknown_and_arm_columns_are_refused_and_repeats_found():
    with pytest.raises(imports.AssessmentImportError) as err:
        imports.parse_assessments("study_id,time_point,assessed_on,arm,bdi_total\nA,baseline,2026-01-01,tau,3\n")
    text = str(err.value)
    assert "column 4 (arm): assessments carry no allocation" in text and "column 5 (bdi_total)" in text
    with pytest.raises(imports.AssessmentImportError) as err:
        imports.parse_assessments("study_id,time_point,assessed_on,bdi_ii_total\nA,baseline,2026-01-01,3\n"
                                  "A,baseline,2026-01-02,4\n")
    assert "row 2 (line 3): bdi_ii of A at baseline (primary) repeats row 1" in str(err.value)


def test_redcap_import_saves_all_rows(client, login, eff):
    login(eff.assessor)
    response = client.post("/effectiveness/import", data={
        "file": (io.BytesIO(REDCAP.encode()), "export.csv"), "format": "redcap"},
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert db.session.execute(sa.select(sa.func.count(AssessmentVisit.id))).scalar() == 3
    scores = db.session.execute(sa.select(OutcomeScore).where(OutcomeScore.measure == "bsi_gsi")).scalars().all()
    assert sorted(s.values["gsi"] for s in scores) == [0.8, 1.25, 1.5] and {s.source for s in scores} == {"redcap"}


def test_one_bad_row_keeps_nothing_and_names_the_row(client, login, eff):
    login(eff.assessor)
    text = REDCAP + "SPR1-999,baseline_arm_1,,,2026-01-09,2,25,1.5,2\r\n" \
                    "SPR1-002,follow_up_3m_arm_1,,,2026-01-01,2,25,1.5,2\r\n"
    response = client.post("/effectiveness/import", data={
        "file": (io.BytesIO(text.encode()), "export.csv"), "format": "redcap"}, content_type="multipart/form-data")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "row 4 (line 5), column study_id: &#39;SPR1-999&#39; is not a consented or randomized mother" in body
    assert "row 5 (line 6), column assessed_on: 3-month follow-up cannot precede randomization" in body
    assert db.session.execute(sa.select(sa.func.count(AssessmentVisit.id))).scalar() == 0
    assert db.session.execute(sa.select(sa.func.count(OutcomeScore.id))).scalar() == 0


def test_import_respects_agency_scope_and_entry_roles(app_ctx, eff):
    text = "study_id,time_point,assessed_on,bdi_ii_total\nHFR1-001,baseline,2026-01-08,10\n"
    with pytest.raises(imports.AssessmentImportError) as err:
        importing.import_assessments(text, "csv", user=eff.trial)  # agency A's trial staff; HFR1-001 is agency B's
    assert "'HFR1-001' is not a consented or randomized mother you may see" in str(err.value)
    text = "study_id,time_point,assessed_on,bdi_ii_total\nSPR1-002,baseline,2026-01-08,10\n"
    with pytest.raises(imports.AssessmentImportError) as err:
        importing.import_assessments(text, "csv", user=eff.trial)
    assert "row 1 (line 2), column bdi_ii: Depressive symptoms (BDI-II) is entered by" in str(err.value)
    result = importing.import_assessments(text, "csv", user=eff.assessor)
    assert result == {"rows": 1, "scores": 1, "mothers": 1}


def test_template_lists_every_field(client, login, eff):
    login(eff.assessor)
    text = client.get("/effectiveness/import/template.csv").get_data(as_text=True)
    header = text.lstrip("\ufeff").splitlines()[0].split(",")
    assert header[:3] == ["study_id", "time_point", "assessed_on"]
    assert "pdi_rf_rf_overall" in header and "urine_toxicology_fentanyl" in header and "days_of_use_any_drug_days" in header
    assert imports.parse_assessments(text, "csv")[0]["measures"] == {"bdi_ii": {"total": "17"}}
