"""Clinic results and site readiness profiles: n < 3 suppression, numbers equal to an independent computation from
the seeded raw answers (NumPy by hand; ICCs through SciPy's one-way ANOVA F), exports, CLI and hard gates."""

import csv
import io
import json
import math
import types
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from scipy.stats import f_oneway

from app.db import db
from app.demo import seed
from app.models import Clinic, User
from readiness.surveys import profile_service, services
from readiness.surveys.models import SurveyLink, SurveyResponse, SurveyWave
from tests.conftest import TEST_PASSWORD
from tests.factories import password_hash_for
from tests.readiness.surveys.support import AIM_REF, FIM_REF, ORIC_REF, aim_answers, fim_answers, oric_answers

COMMITMENT = ["oric_02", "oric_04", "oric_06", "oric_09", "oric_11"]
EFFICACY = ["oric_01", "oric_03", "oric_05", "oric_07", "oric_08", "oric_10", "oric_12"]
#: taken at import, before the autouse fixture (conftest.py) replaces it for every test
REAL_GATES_PROVIDER = profile_service.default_gates_provider
SUBSCALES = {("oric", "change_commitment"): COMMITMENT, ("oric", "change_efficacy"): EFFICACY,
             ("aim", "aim"): [f"aim_0{i}" for i in range(1, 5)], ("fim", "fim"): [f"fim_0{i}" for i in range(1, 5)]}


def test_wave_results_suppress_means_below_three_respondents(client, login, director, make_wave, respond):
    wave = make_wave(refs=(FIM_REF,), n_links=4)
    respond(wave.issued_tokens[1], [fim_answers(5)])
    respond(wave.issued_tokens[2], [fim_answers(2)])
    login(director)
    page = client.get(f"/readiness/surveys/{wave.id}/results").data.decode()
    assert "n &lt; 3: not reported" in page and "3.50" not in page and "2.12" not in page
    assert "not reported" in page and ">2 (of 2)<" in page  # n scored of responses
    assert "Respondents by role" not in client.get(f"/readiness/surveys/{wave.id}").data.decode()
    client.post("/auth/logout")
    respond(wave.issued_tokens[3], [fim_answers(4, fim_01=5)], role="supervisor")
    login(director)
    page = client.get(f"/readiness/surveys/{wave.id}/results").data.decode()
    # scores 5, 2, 4.25: mean 3.75, SD 1.5612 (hand: deviations 1.25, -1.75, 0.5; SS 4.875; /2 = 2.4375)
    assert ">3.75<" in page and ">1.56<" in page and "n &lt; 3" not in page
    wave_page = client.get(f"/readiness/surveys/{wave.id}").data.decode()
    assert "Respondents by role" in wave_page and "Clinician / counselor: 2" in wave_page


def _independent(values_by_group: dict[str, list[list[float]]]) -> dict[str, dict]:
    """Hand computation: 80% rule person scores, mean, SD (ddof 1), rwg(j) (James, Demaree & Wolf 1984)."""
    out = {}
    for group, rows in values_by_group.items():
        x = np.array(rows, dtype=float)
        k = x.shape[1]
        answered = (~np.isnan(x)).sum(axis=1)
        scores = np.where(answered >= math.ceil(0.8 * k), np.nanmean(np.where(np.isnan(x), np.nan, x), axis=1),
                          np.nan)
        scores = scores[~np.isnan(scores)]
        complete = x[~np.isnan(x).any(axis=1)]
        ratio = complete.var(axis=0, ddof=1).mean() / 2.0  # 5 options: (25 - 1) / 12 = 2
        rwg = 0.0 if ratio > 1 else k * (1 - ratio) / (k * (1 - ratio) + ratio)
        out[group] = {"n": len(scores), "mean": scores.mean() if len(scores) >= 3 else None,
                      "sd": scores.std(ddof=1) if len(scores) >= 3 else None,
                      "rwg_j": rwg if len(scores) >= 3 else None, "scores": scores}
    return out


@pytest.fixture
def demo(app, app_ctx, monkeypatch):
    """The demo, with every account's password the test password (argon2 per account is slow on a busy box)."""
    monkeypatch.setattr("app.demo.hash_password", lambda password: password_hash_for(TEST_PASSWORD))
    seed(app)
    return app


def _raw(instrument: str, items: list[str]) -> dict[str, list[list[float]]]:
    stmt = (sa.select(Clinic.code, SurveyResponse.answers).join(SurveyLink, SurveyResponse.link)
            .join(SurveyWave).join(Clinic)
            .where(SurveyResponse.status == "submitted", SurveyWave.title == "MIO readiness survey, winter 2026"))
    out: dict[str, list] = {}
    for code, answers in db.session.execute(stmt):
        if not all(k in answers for k in items):
            continue  # another instrument's response
        out.setdefault(code, []).append([np.nan if answers[k] == 99 else answers[k] for k in items])
    return out


def test_profile_equals_independent_aggregation_of_seeded_answers(demo, runner):
    result = runner.invoke(args=["readiness-profile", "--format", "json"])
    assert result.exit_code == 0, result.output
    profiles = json.loads(result.output)
    by_clinic = {c["code"]: c for c in profiles["clinics"]}
    for (instrument, subscale), items in SUBSCALES.items():
        expected = _independent(_raw(instrument, items))
        assert set(expected) == {"SPR-1", "SPR-2", "HFR-1", "HFR-2"}
        for code, exp in expected.items():
            entries = [e for comp in by_clinic[code]["profile"]["components"].values() for e in comp
                       if (e["instrument"], e["subscale"]) == (instrument, subscale)]
            assert len(entries) == 1
            got = entries[0]
            assert got["n"] == exp["n"], (code, subscale)
            for field in ("mean", "sd", "rwg_j"):
                if exp[field] is None:
                    assert got[field] is None
                else:
                    assert got[field] == pytest.approx(exp[field], abs=1e-12), (code, subscale, field)
        # ICC(1), ICC(2) via SciPy's one-way ANOVA F: ICC(2) = 1 - 1/F, ICC(1) = (F - 1)/(F - 1 + k0) (Bliese 2000)
        groups = [exp["scores"] for exp in expected.values()]
        f = f_oneway(*groups).statistic
        sizes = np.array([len(g) for g in groups], dtype=float)
        k0 = (sizes.sum() - (sizes**2).sum() / sizes.sum()) / (len(sizes) - 1)
        icc = next(s["icc"] for s in profiles["subscales"] if (s["instrument"], s["subscale"]) == (instrument,
                                                                                                  subscale))
        assert icc["icc2"] == pytest.approx(1 - 1 / f, abs=1e-12)
        assert icc["icc1"] == pytest.approx((f - 1) / (f - 1 + k0), abs=1e-12)
        assert icc["n"] == int(sizes.sum()) and icc["groups"] == 4
    # the demo's stories: SPR-1 high and agreed, HFR-2 low commitment with low agreement, HFR-1 FIM suppressed
    spr1 = by_clinic["SPR-1"]["profile"]
    assert {e["band"] for comp in spr1["components"].values() for e in comp} == {"strength"}
    assert spr1["data_quality"]["response_rate"] == pytest.approx(8 / 9)
    hfr2 = {e["subscale"]: e for e in by_clinic["HFR-2"]["profile"]["components"]["motivation"]}
    assert hfr2["change_commitment"]["band"] == "concern" and hfr2["change_commitment"]["low_agreement"]
    assert by_clinic["HFR-1"]["profile"]["data_quality"]["suppressed"] == ["fim.fim"]
    assert all(c["profile"]["data_quality"]["response_rate"] < 1 for c in profiles["clinics"])
    agencies = {a["code"]: a for a in profiles["agencies"]}
    assert agencies["HFR"]["profile"]["data_quality"]["invited"] == 17
    pooled = _independent({"HFR": [r for c in ("HFR-1", "HFR-2") for r in _raw("oric", COMMITMENT)[c]]})["HFR"]
    hfr_commitment = next(e for e in agencies["HFR"]["profile"]["components"]["motivation"]
                          if e["subscale"] == "change_commitment")
    assert hfr_commitment["mean"] == pytest.approx(pooled["mean"], abs=1e-12)
    assert hfr_commitment["rwg_j"] == pytest.approx(pooled["rwg_j"], abs=1e-12)


def test_profile_page_chart_table_exports_and_gates(demo, client, login, monkeypatch):
    director = db.session.execute(sa.select(User).where(User.email == "director@mio.example")).scalar_one()
    monkeypatch.setattr(profile_service, "default_gates_provider", lambda clinic_ids: {})
    login(director)
    page = client.get("/readiness/profiles").data.decode()
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"') == 5
    assert "heuristic bands" in page and "not reported (n = 2 &lt; 3)" in page
    assert "HFR-2: mean 2.80" in page and "low agreement" in page
    assert page.count("Application data not available.") == 4
    assert "ICC(1)" in page and "Innovation-specific capacity" in page and "Motivation" in page
    # data quality names subscales as the tables do, not by their keys
    assert "Not reported (n &lt; 3): FIM · Feasibility</li>" in page and "fim.fim" not in page
    assert "Low agreement (rwg(j) &lt; 0.70): ORIC · Change commitment</li>" in page
    assert "oric.change_commitment" not in page
    one = client.get("/readiness/profiles?clinic=SPR-2").data.decode()
    assert "SPR-2 · Chicopee Family Recovery" in one and "HFR-1 · Holyoke" not in one
    # one clinic: ONE chart of its profile (a row per subscale), not a one-bar chart per subscale (issue 16.4)
    assert one.count("<svg") == 1 and 'class="chart profile-chart"' in one
    assert "Readiness profile of SPR-2: subscale means" in one
    assert client.get("/readiness/profiles?clinic=NOPE").status_code == 404
    rows = list(csv.DictReader(io.StringIO(client.get("/readiness/profiles/export.csv").data.decode("utf-8-sig"))))
    assert len(rows) == 4 * 5 + 2 * 5
    hfr1_fim = next(r for r in rows if r["Clinic or agency"] == "HFR-1" and r["Subscale key"] == "fim")
    assert hfr1_fim["Mean"] == "" and hfr1_fim["rwg(j)"] == "" and hfr1_fim["Flags"] == "n_below_3"
    workbook = load_workbook(io.BytesIO(client.get("/readiness/profiles/export.xlsx").data))
    assert workbook.sheetnames == ["Profile", "ICC across clinics", "Notes"]
    assert workbook["Profile"].max_row == 31 and workbook["ICC across clinics"].max_row == 6
    # issue 16.9: the spreadsheet is headed in the page table's words, not the JSON keys
    header = [c.value for c in next(workbook["Profile"].iter_rows(max_row=1))]
    assert header[:6] == ["Level", "Clinic or agency", "Component", "Instrument", "Subscale key", "Subscale"]
    assert {"n scored", "Mean", "SD", "rwg(j)", "rwg(j) n", "Band (heuristic)", "Flags"} <= set(header)
    assert not {"rwg_j", "n_rwg_j", "rwg_j_null", "response_rate", "wave_id"} & set(header)
    assert [c.value for c in next(workbook["ICC across clinics"].iter_rows(max_row=1))][:3] == [
        "Instrument", "Subscale key", "Subscale"]
    # a gates provider (wired to the application package at merge) is shown apart from the survey profile
    gates = {c.id: {"eligible_counselors": 4, "admin_approvals": True, "acknowledgement_signed": None}
             for c in db.session.execute(sa.select(Clinic)).scalars()}
    monkeypatch.setattr(profile_service, "default_gates_provider",
                        lambda clinic_ids: {c: gates[c] for c in clinic_ids})
    page = client.get("/readiness/profiles").data.decode()
    assert "Application data not available." not in page and page.count("Overall: <span class=\"badge warn\">") == 4
    assert "At least 4 eligible counselors" in page


def test_gates_provider_shapes_and_default(app_ctx, monkeypatch):
    assert profile_service.normalise_gates(None) is None
    built = profile_service.normalise_gates({"eligible_counselors": 2, "admin_approvals": True,
                                             "acknowledgement_signed": True})
    assert [g["status"] for g in built] == ["fail", "pass", "pass"]
    listed = [{"key": "x", "label": "X", "value": None, "status": "pending"}]
    assert profile_service.normalise_gates(listed) == listed
    assert profile_service.normalise_gates({"gates": listed}) == listed
    with pytest.raises(profile_service.ProfileInputError):
        profile_service.normalise_gates("yes")
    # the application package's shape (readiness.application.eligibility_services.hard_gates_for_clinic)
    facts = {"eligible_counselors": 4, "pending": 1, "not_eligible": 0, "proposed": 5,
             "admin_approvals": {"approved": 4, "refused": 0, "pending": 1, "all_approved": None},
             "acknowledgement_signed": True, "application_status": "submitted", "application_id": 3, "cohort": "2026"}
    gates = profile_service.normalise_gates(facts)
    assert [(g["key"], g["status"]) for g in gates] == [("eligible_counselors", "pass"), ("admin_approvals", "pending"),
                                                        ("acknowledgement_signed", "pass")]
    assert gates[1]["value"] == "4 approved, 0 refused, 1 pending"
    refused = {**facts, "admin_approvals": {"approved": 3, "refused": 1, "pending": 0, "all_approved": False}}
    assert profile_service.normalise_gates(refused)[1]["status"] == "fail"
    no_application = {**facts, "eligible_counselors": 0, "acknowledgement_signed": False, "application_status": None}
    assert {g["status"] for g in profile_service.normalise_gates(no_application)} == {"pending"}

    def missing(name):
        raise ModuleNotFoundError(f"No module named {name!r}", name="readiness.application")

    monkeypatch.setattr(profile_service.importlib, "import_module", missing)
    provider = REAL_GATES_PROVIDER
    assert provider([1]) == {}
    fake = types.SimpleNamespace(hard_gates_for_clinics=lambda ids: {c: {"eligible_counselors": c} for c in ids})
    monkeypatch.setattr(profile_service.importlib, "import_module", lambda name: fake)
    assert provider([5]) == {5: {"eligible_counselors": 5}}

    def only_eligibility_services(name):
        if name == "readiness.application.services":
            return types.SimpleNamespace()  # the package exists, the function lives elsewhere
        return fake

    monkeypatch.setattr(profile_service.importlib, "import_module", only_eligibility_services)
    assert provider([7]) == {7: {"eligible_counselors": 7}}

    def broken(name):
        raise ModuleNotFoundError("No module named 'numpyy'", name="numpyy")

    monkeypatch.setattr(profile_service.importlib, "import_module", broken)
    with pytest.raises(ModuleNotFoundError):  # a real import error inside the package is not hidden
        provider([1])


def test_readiness_profile_cli_csv_and_clinic(demo, runner):
    result = runner.invoke(args=["readiness-profile", "--clinic", "hfr-1", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert {r["Clinic or agency"] for r in rows} == {"HFR-1"} and len(rows) == 5
    assert next(r for r in rows if r["Subscale key"] == "fim")["Flags"] == "n_below_3"
    assert runner.invoke(args=["readiness-profile", "--clinic", "XX-9", "--format", "json"]).exit_code == 2
    assert runner.invoke(args=["readiness-profile", "--format", "xml"]).exit_code == 2


def test_profile_prefers_finished_waves_per_instrument(app_ctx, make_wave, respond, director):
    first = make_wave(refs=(ORIC_REF, AIM_REF), n_links=4, title="Winter")
    for token, value in zip(first.issued_tokens.values(), (5, 4, 4), strict=False):
        respond(token, [oric_answers(value), aim_answers(value)])
    first.closes_on = services.survey_today() - timedelta(days=1)  # now finished (expired)
    db.session.commit()
    second = make_wave(refs=(AIM_REF,), n_links=3, title="Follow-up")
    respond(second.issued_tokens[1], [aim_answers(1)])
    profiles = profile_service.build_profiles(gates_provider=lambda clinic_ids: {}, user=director)
    clinic = profiles["clinics"][0]
    assert clinic["wave_of"] == {"oric": first.id, "aim": first.id}  # the open follow-up does not displace it
    aim = next(e for e in clinic["profile"]["components"]["motivation"] if e["instrument"] == "aim")
    assert aim["n"] == 3 and aim["mean"] == pytest.approx(13 / 3)
    assert clinic["profile"]["data_quality"]["invited"] == 4
    second.closed_at = datetime.now(UTC)  # finished too, and later: it now feeds AIM, ORIC stays with the first
    db.session.commit()
    clinic = profile_service.build_profiles(gates_provider=lambda clinic_ids: {}, user=director)["clinics"][0]
    assert clinic["wave_of"] == {"oric": first.id, "aim": second.id}
    aim = next(e for e in clinic["profile"]["components"]["motivation"] if e["instrument"] == "aim")
    assert aim["n"] == 1 and aim["mean"] is None
    assert clinic["profile"]["data_quality"]["invited"] == 7 and clinic["profile"]["data_quality"]["responded"] == 4
    assert [w["title"] for w in clinic["waves"]] == ["Winter", "Follow-up"]


#: the application package's gates provider, before the autouse fixture of this folder replaces it
_APPLICATION_GATES = profile_service.default_gates_provider


def test_gates_name_their_cohort_and_keep_earlier_cohorts_in_view(demo, runner, client, login, monkeypatch):
    """Issue 12 item 3 on the demo: SPR submits a fall-cohort application proposing one clinician at SPR-1. SPR-1's
    gates then come from that application, named on the profile page and in ``mio readiness-profile --format
    json``, with the spring cohort's gates kept beside them; SPR-2, with no one in the fall application, keeps the
    spring cohort's gates and says a newer application proposes no one there."""
    from readiness.application.demo import FALL, SPRING
    from readiness.application.eligibility_services import hard_gates_for_clinic
    from readiness.application.models import Application, ApplicationClinician, TrainingCohort

    monkeypatch.setattr(profile_service, "default_gates_provider", _APPLICATION_GATES)
    cohorts = {c.name: c for c in db.session.execute(sa.select(TrainingCohort)).scalars()}
    agency = db.session.execute(sa.select(Clinic).where(Clinic.code == "SPR-1")).scalar_one().agency
    spr1, spr2 = (db.session.execute(sa.select(Clinic).where(Clinic.code == code)).scalar_one()
                  for code in ("SPR-1", "SPR-2"))
    spring_spr1 = hard_gates_for_clinic(spr1.id, cohorts[SPRING].id)
    fall = Application(agency=agency, cohort=cohorts[FALL], status="submitted", submitted_at=datetime.now(UTC))
    db.session.add(fall)
    db.session.add(ApplicationClinician(application=fall, clinic=spr1, name="Newly Proposed", email="new@spr.example",
                                        experience="Some", knowledge_reflective_practice="working",
                                        knowledge_child_development="working", knowledge_parent_needs="advanced"))
    db.session.commit()
    result = runner.invoke(args=["readiness-profile", "--format", "json"])
    assert result.exit_code == 0, result.output
    by_code = {c["code"]: c["profile"] for c in json.loads(result.output)["clinics"]}
    source = by_code["SPR-1"]["gates_source"]
    assert source["cohort"] == FALL and source["application_status"] == "submitted" and source["proposed"] == 1
    assert [(h["cohort"], h["eligible_counselors"]) for h in source["history"]] == [
        (SPRING, spring_spr1["eligible_counselors"])]
    assert by_code["SPR-2"]["gates_source"]["cohort"] == SPRING
    assert by_code["SPR-2"]["gates_source"]["newer_without_clinic"] == [FALL]
    director = db.session.execute(sa.select(User).where(User.email == "director@mio.example")).scalar_one()
    login(director)
    page = client.get("/readiness/profiles?clinic=SPR-1").data.decode()
    assert f"Overall for {FALL}" in page and "Earlier cohorts at this clinic" in page and f"{SPRING} (" in page
    other = client.get("/readiness/profiles?clinic=SPR-2").data.decode()
    assert f"newer application to {FALL} proposes no clinician here" in other
