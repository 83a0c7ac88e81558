"""Complementary suppression on the demo: gather every subscale figure shown anywhere (the profile JSON of
``mio readiness-profile`` and of ``/api/v1/readiness-profile`` for all clinics and for each clinic, its CSV, the
CSV download, wave results, the FIM
beside feasibility, the joint display's readiness side), and prove that no withheld figure and no group of fewer
than 3 respondents follows from any difference or combination of what is shown (audit of tests/test_disclosure.py)."""

import csv
import io
import json

import pytest
import sqlalchemy as sa

from app.db import db
from app.demo import seed
from app.disclosure import Cell
from app.models import Clinic, User
from implementation_outcomes.delivery.services.feasibility import readiness_fim_scores
from implementation_outcomes.integration.services.joint import display_clinics, quantitative
from readiness.surveys import profile_service
from readiness.surveys.models import SurveyWave
from tests.conftest import TEST_PASSWORD
from tests.factories import password_hash_for
from tests.test_disclosure import assert_safe


@pytest.fixture
def demo(app, app_ctx, monkeypatch):
    monkeypatch.setattr("app.demo.hash_password", lambda password: password_hash_for(TEST_PASSWORD))
    seed(app)
    return app


def _num(value):
    return None if value in (None, "") else float(value)


class Shown:
    """``{(instrument, subscale): {(level, code): {"n", "mean", "sd"}}}`` over every output; a figure shown twice
    must be the same figure."""

    def __init__(self):
        self.figures: dict = {}

    def add(self, source, subscale, level, code, n, mean, sd):
        entry = self.figures.setdefault(subscale, {}).setdefault((level, code), {"n": n, "mean": None, "sd": None})
        assert entry["n"] == n, (source, subscale, level, code)
        for field, value in (("mean", mean), ("sd", sd)):
            if value is None:
                continue
            if entry[field] is not None:
                assert entry[field] == pytest.approx(value, abs=1e-9), (source, subscale, level, code, field)
            entry[field] = value

    def add_profiles(self, source, profiles):
        for level, groups in (("clinic", profiles["clinics"]), ("agency", profiles["agencies"])):
            for group in groups:
                for entries in group["profile"]["components"].values():
                    for e in entries:
                        self.add(source, (e["instrument"], e["subscale"]), level, group["code"], e["n"], e["mean"],
                                 e["sd"])
        for sub in profiles["subscales"]:
            for row in sub["clinics"]:
                self.add(source, (sub["instrument"], sub["subscale"]), "clinic", row["code"], row["n"], row["mean"],
                         row["sd"])

    def add_csv(self, source, text):
        for row in csv.DictReader(io.StringIO(text)):
            self.add(source, (row["Instrument"], row["Subscale key"]), row["Level"], row["Clinic or agency"],
                     int(row["n scored"]), _num(row["Mean"]), _num(row["SD"]))


def _gather(runner, client, login) -> tuple[Shown, dict]:
    shown = Shown()
    everything = json.loads(runner.invoke(args=["readiness-profile", "--format", "json"]).output)
    shown.add_profiles("cli json", everything)
    clinics = list(db.session.execute(sa.select(Clinic).where(Clinic.active.is_(True))).scalars())
    for clinic in clinics:
        result = runner.invoke(args=["readiness-profile", "--clinic", clinic.code, "--format", "json"])
        assert result.exit_code == 0, result.output
        shown.add_profiles(f"cli json {clinic.code}", json.loads(result.output))
    shown.add_csv("cli csv", runner.invoke(args=["readiness-profile", "--format", "csv"]).output)
    director = db.session.execute(sa.select(User).where(User.email == "director@mio.example")).scalar_one()
    login(director)
    shown.add_csv("csv download", client.get("/readiness/profiles/export.csv").data.decode("utf-8-sig"))
    api = client.get("/api/v1/readiness-profile")
    assert api.status_code == 200, api.data
    shown.add_profiles("api", api.get_json())
    for clinic in clinics:
        shown.add_profiles(f"api {clinic.code}", client.get(f"/api/v1/readiness-profile?clinic={clinic.code}").get_json())
    wave_of = {c["code"]: c["wave_of"] for c in everything["clinics"]}
    for wave in db.session.execute(sa.select(SurveyWave)).scalars():
        for block in profile_service.wave_results(wave, director):
            for row in block["subscales"]:
                if wave_of.get(wave.clinic.code, {}).get(row["instrument"]) == wave.id:
                    shown.add(f"wave {wave.id}", (row["instrument"], row["subscale"]), "clinic", wave.clinic.code,
                              row["n"], row["mean"], row["sd"])
                else:  # an earlier wave: pooled nowhere, only the size rule applies
                    assert (row["mean"] is None) == (row["n"] < 3)
    for clinic in clinics:
        fim = readiness_fim_scores(clinic.id, director)
        if fim:
            shown.add(f"feasibility {clinic.code}", ("fim", "fim"), "clinic", clinic.code, fim["n"], fim["mean"],
                      fim["sd"])
    for clinic_id, q in quantitative(display_clinics(director), director).items():
        code = db.session.get(Clinic, clinic_id).code
        for component in q["readiness"]["components"]:
            for e in component["subscales"]:
                shown.add(f"joint display {code}", (e["instrument"], e["subscale"]), "clinic", code, e["n"],
                          e["mean"], e["sd"])
    return shown, {c.code: c.agency.code for c in clinics}


def test_nothing_withheld_follows_from_any_output(demo, runner, client, login):
    shown, agency_of = _gather(runner, client, login)
    assert set(shown.figures) == {("oric", "change_commitment"), ("oric", "change_efficacy"), ("aim", "aim"), ("iam", "iam"),
                                  ("fim", "fim")}
    for subscale, figures in shown.figures.items():
        cells = [Cell(("agency", code), entry["n"]) for (level, code), entry in figures.items() if level == "agency"]
        cells += [Cell(("clinic", code), entry["n"], ("agency", agency_of[code]))
                  for (level, code), entry in figures.items() if level == "clinic"]
        status = {key: figures[key]["mean"] is None for key in figures}
        for key, entry in figures.items():  # a withheld mean goes with its SD
            assert (entry["sd"] is None) == status[key] or entry["n"] < 2, (subscale, key)
        assert_safe(cells, {c.key: status[c.key] for c in cells}, check_primary=False)
    # the case: HFR-1's FIM (n = 2) is withheld, and so is the HFR pooled FIM row that with HFR-2's row
    # gave it by subtraction; HFR-2's own FIM stays
    fim = shown.figures[("fim", "fim")]
    assert fim[("clinic", "HFR-1")]["n"] == 2 and fim[("clinic", "HFR-1")]["mean"] is None
    assert fim[("agency", "HFR")]["mean"] is None and fim[("clinic", "HFR-2")]["mean"] is not None
    assert fim[("agency", "HFR")]["n"] == 2 + fim[("clinic", "HFR-2")]["n"]


def test_withheld_rows_say_why_in_every_output(demo, runner, client, login):
    profiles = json.loads(runner.invoke(args=["readiness-profile", "--format", "json"]).output)
    assert "complementary suppression" in profiles["suppression_rule"]
    hfr = next(a for a in profiles["agencies"] if a["code"] == "HFR")["profile"]
    assert hfr["data_quality"]["withheld_complementary"] == ["fim.fim"]
    fim = next(e for e in hfr["components"]["innovation_specific_capacity"] if e["subscale"] == "fim")
    assert fim["suppression"] == "complementary" and fim["rwg_j"] is None and fim["band"] == "not_reported"
    rows = list(csv.DictReader(io.StringIO(runner.invoke(args=["readiness-profile", "--format", "csv"]).output)))
    row = next(r for r in rows
               if r["Level"] == "agency" and r["Clinic or agency"] == "HFR" and r["Subscale key"] == "fim")
    assert row["Mean"] == row["SD"] == row["rwg(j)"] == "" and row["Flags"] == "withheld_complementary"
    director = db.session.execute(sa.select(User).where(User.email == "director@mio.example")).scalar_one()
    login(director)
    page = client.get("/readiness/profiles").data.decode()
    assert "withheld so that a smaller group cannot be derived by subtraction" in page
    assert "complementary suppression" in page


def test_api_readiness_profile_refuses_clearly(demo, client, login, create_user):
    from app.models import Role

    director = db.session.execute(sa.select(User).where(User.email == "director@mio.example")).scalar_one()
    assert client.get("/api/v1/readiness-profile").status_code == 401
    login(director)
    bad = client.get("/api/v1/readiness-profile?icc1=median")
    assert bad.status_code == 400 and bad.get_json()["field"] == "icc1"
    missing = client.get("/api/v1/readiness-profile?clinic=XX-9")
    assert missing.status_code == 404 and missing.get_json()["field"] == "clinic"
    mean = client.get("/api/v1/readiness-profile?icc1=mean&clinic=hfr-1").get_json()
    assert mean["conventions"]["icc1_group_size"] == "mean" and [c["code"] for c in mean["clinics"]] == ["HFR-1"]
    client.post("/auth/logout")
    login(create_user(Role.TRIAL_STAFF))
    assert client.get("/api/v1/readiness-profile").status_code == 403
