"""Conventions stated and selectable (issue 12 items 4 and 7): ICC(1)'s group size (k0, or N / G as R
``multilevel::ICC1``) checked against a hand computation of R's formula; rwg(j)'s null and the number of
respondents it rests on; the missing-data rule read from each instrument's data file, and the scored n beside the
responses and response rate."""

import csv
import io
import json
import math

import numpy as np
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.db import db
from app.demo import seed
from app.models import User
from readiness.aggregation import RWG_J_FORMULA
from readiness.instruments import load_instrument
from readiness.surveys.results import Observation, summarise
from tests.conftest import TEST_PASSWORD
from tests.factories import password_hash_for
from tests.readiness.surveys.support import FIM_REF, fim_answers
from tests.readiness.surveys.test_profiles import SUBSCALES, _independent, _raw


@pytest.fixture
def demo(app, app_ctx, monkeypatch):
    monkeypatch.setattr("app.demo.hash_password", lambda password: password_hash_for(TEST_PASSWORD))
    seed(app)
    return app


def _r_icc1(groups: list[list[float]]) -> float:
    """R multilevel::ICC1 by hand: aov(y ~ group); MSB, MSW from its table;
    GSIZE <- (MOD[[1]][2,1] + (MOD[[1]][1,1] + 1)) / (MOD[[1]][1,1] + 1), i.e. (df_within + G) / G = N / G;
    (MSB - MSW) / (MSB + (GSIZE - 1) * MSW)."""
    everyone = [x for g in groups for x in g]
    grand = sum(everyone) / len(everyone)
    ssb = sum(len(g) * (sum(g) / len(g) - grand) ** 2 for g in groups)
    ssw = sum((x - sum(g) / len(g)) ** 2 for g in groups for x in g)
    df_b, df_w = len(groups) - 1, len(everyone) - len(groups)
    msb, msw = ssb / df_b, ssw / df_w
    gsize = (df_w + (df_b + 1)) / (df_b + 1)
    return (msb - msw) / (msb + (gsize - 1) * msw)


def test_icc1_group_size_convention_in_cli_json_and_against_r_by_hand(demo, runner):
    from readiness.surveys.results import across_groups

    default = json.loads(runner.invoke(args=["readiness-profile", "--format", "json"]).output)
    r_style = json.loads(runner.invoke(args=["readiness-profile", "--format", "json", "--icc1-group-size",
                                             "mean"]).output)
    assert default["conventions"]["icc1_group_size"] == "k0" and "k0 = (N - sum n_g^2 / N) / (G - 1)" in \
        default["conventions"]["icc1_formula"]
    assert r_style["conventions"]["icc1_group_size"] == "mean" and "R multilevel::ICC1" in \
        r_style["conventions"]["icc1_formula"]
    assert "(A^2 - 1) / 12" in default["conventions"]["rwg_j_formula"]
    # the person scores by hand from the seeded raw answers (80% rule; tests/readiness/surveys/test_profiles.py)
    unequal = 0
    for (instrument, subscale), items in SUBSCALES.items():
        groups = [list(exp["scores"]) for exp in _independent(_raw(instrument, items)).values()]
        by_hand = _r_icc1(groups)
        got = next(s["icc"] for s in r_style["subscales"] if (s["instrument"], s["subscale"]) == (instrument,
                                                                                                   subscale))
        assert got["icc1"] == pytest.approx(by_hand, abs=1e-9), (instrument, subscale)
        n = sum(len(g) for g in groups)
        assert got["k"] == pytest.approx(n / len(groups)) and got["group_size"] == "mean"
        k0_icc = next(s["icc"] for s in default["subscales"] if (s["instrument"], s["subscale"]) == (instrument,
                                                                                                      subscale))
        assert k0_icc["icc2"] == pytest.approx(got["icc2"], abs=1e-12)  # ICC(2) has no group size
        if len({len(g) for g in groups}) > 1:
            unequal += 1
            assert k0_icc["icc1"] != pytest.approx(got["icc1"], abs=1e-6)
    assert unequal  # the demo's clinics differ in size, so the conventions differ somewhere
    assert across_groups([Observation("a", 1.0, ()), Observation("a", 2.0, ()), Observation("b", 4.0, ()),
                          Observation("b", 5.0, ())], "mean")["icc1"] == pytest.approx(
        _r_icc1([[1.0, 2.0], [4.0, 5.0]]))
    assert runner.invoke(args=["readiness-profile", "--format", "json", "--icc1-group-size", "median"]).exit_code == 2


def test_profile_page_and_workbook_state_the_conventions(demo, client, login):
    director = db.session.execute(sa.select(User).where(User.email == "director@mio.example")).scalar_one()
    login(director)
    page = client.get("/readiness/profiles").data.decode()
    assert "k0 = (N - sum n_g^2 / N) / (G - 1)" in page and "ICC(2) = (MSB - MSW) / MSB" in page
    assert "uniform over the A response options, sEU2 = (A^2 - 1) / 12" in page
    assert "Show ICC(1) with the mean group size N / G (R multilevel::ICC1)" in page
    assert "uniform, A = 5, sEU2 = (5^2 - 1) / 12 = 2.000" in page
    other = client.get("/readiness/profiles?icc1=mean").data.decode()
    assert "k = N / G, the mean group size, as R multilevel::ICC1" in other
    assert "Show ICC(1) with the adjusted group size k0" in other
    bad = client.get("/readiness/profiles?icc1=median")
    assert bad.status_code == 400 and "icc1: &#39;median&#39; is not a group-size convention" in bad.data.decode()
    workbook = load_workbook(io.BytesIO(client.get("/readiness/profiles/export.xlsx?icc1=mean").data))
    notes = [row[0].value for row in workbook["Notes"].iter_rows(min_row=2)]
    assert RWG_J_FORMULA in notes and any("R multilevel::ICC1" in n for n in notes)
    icc_sheet = list(workbook["ICC across clinics"].iter_rows(values_only=True))
    assert icc_sheet[0][6] == "ICC(1) group size" and {r[6] for r in icc_sheet[1:]} == {"mean"}


def test_rwg_reports_its_respondents_and_is_withheld_under_three():
    oric = load_instrument("oric")
    commitment = next(s for s in oric["subscales"] if s["key"] == "change_commitment")
    assert len(commitment["items"]) == 5
    # three scored respondents (4 of 5 items are enough), but only two answered every item
    obs = [Observation("A", 4.0, (4.0, 4.0, 4.0, 4.0, 4.0)), Observation("A", 5.0, (5.0, 5.0, 5.0, 5.0, 5.0)),
           Observation("A", 3.0, (3.0, 3.0, None, 3.0, 3.0))]
    out = summarise(obs, 5)["A"]
    assert out["n"] == 3 and out["n_rwg"] == 2 and out["mean"] == 4.0
    assert out["rwg_j"] is None and "rwg_n_below_3" in out["flags"]
    assert out["rwg_null"] == "uniform, A = 5, sEU2 = (5^2 - 1) / 12 = 2.000"
    # a fourth complete respondent: rwg(j) over the three complete rows 4, 5, 2 (the incomplete row dropped):
    # item variance = ((4-11/3)^2 + (5-11/3)^2 + (2-11/3)^2) / 2 = (1/9 + 16/9 + 25/9) / 2 = 7/3 for every item;
    # 7/3 / 2 > 1, so rwg(j) = 0 (truncated)
    out = summarise([*obs, Observation("A", 2.0, (2.0,) * 5)], 5)["A"]
    assert out["n"] == 4 and out["n_rwg"] == 3 and out["rwg_j"] == 0.0
    # agreeing respondents 4, 4, 5: item variance 1/3, ratio 1/6, rwg(j) = 5(5/6) / (5(5/6) + 1/6) = 25/26
    out = summarise([Observation("B", 4.0, (4.0,) * 5), Observation("B", 4.0, (4.0,) * 5),
                     Observation("B", 5.0, (5.0,) * 5)], 5)["B"]
    assert out["rwg_j"] == pytest.approx(25 / 26, abs=1e-12) and out["n_rwg"] == 3


def test_scored_n_beside_responses_and_rule_from_the_data_file(app_ctx, make_wave, respond, director, client,
                                                               login, runner):
    fim = load_instrument("fim")
    assert fim["missing_data"]["dont_know_counts_as_answered"] is False
    wave = make_wave(refs=(FIM_REF,), n_links=5)
    respond(wave.issued_tokens[1], [fim_answers(4)])
    respond(wave.issued_tokens[2], [fim_answers(5)])
    respond(wave.issued_tokens[3], [fim_answers(4)])
    respond(wave.issued_tokens[4], [fim_answers(4, fim_04=99)])  # one don't-know on a 4-item scale: not scored
    login(director)
    page = client.get("/readiness/profiles").data.decode()
    # 4 of 5 links submitted (80 %), FIM scored for 3 of the 4 responses
    assert "4 of 5 links submitted" in page and "FIM · Feasibility 3 of 4 responses" in page
    assert "3 (of 4)" in page
    assert ("scored when at least 4 of its 4 items are answered (80% rule); a blank is not answered; "
            "&#39;Don&#39;t know / not applicable&#39; (99) is not answered") in page
    rows = list(csv.DictReader(io.StringIO(runner.invoke(args=["readiness-profile", "--format", "csv"]).output)))
    row = next(r for r in rows if r["Subscale key"] == "fim" and r["Level"] == "clinic")
    assert (row["n scored"], row["Responses"], row["Responded"], row["Invited"]) == ("3", "4", "4", "5")
    assert row["rwg(j) n"] == "3" and row["rwg(j) null distribution"].startswith("uniform, A = 5")
    # hand: scores 4, 5, 4: mean 13/3, SD sqrt(1/3)
    assert float(row["Mean"]) == pytest.approx(13 / 3, abs=1e-12)
    assert float(row["SD"]) == pytest.approx(math.sqrt(1 / 3), abs=1e-12)
    results = client.get(f"/readiness/surveys/{wave.id}/results").data.decode()
    assert "3 (of 4)" in results and "(n 3)" in results and "(A^2 - 1) / 12" in results
    assert np.isclose(float(row["rwg(j)"]), 4 * (1 - (1 / 3) / 2) / (4 * (1 - (1 / 3) / 2) + (1 / 3) / 2))
