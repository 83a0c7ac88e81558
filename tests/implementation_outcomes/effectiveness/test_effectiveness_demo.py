"""The demo trial's effectiveness data show what they were built to show (``effectiveness/demo.py``): a MIO effect
on reflective functioning and parenting stress at end of treatment, about 20 % loss by follow-up, and part of the
effect on mother-child interaction carried by fidelity through reflective functioning; the page, its downloads,
the API and ``mio effectiveness`` show it, blinded and scoped."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.audit import acting_as
from app.db import db
from app.models import Role
from implementation_outcomes.effectiveness import analysis_services


@pytest.fixture
def demo(app_ctx):
    from app.demo import _seed_organisation
    from implementation_outcomes.delivery.demo import seed_delivery
    from implementation_outcomes.effectiveness.demo import seed_effectiveness

    with acting_as("tests:effectiveness-demo"):
        ctx = _seed_organisation()
        db.session.commit()
        seed_delivery(ctx)
        db.session.commit()
        seed_effectiveness(ctx)
        db.session.commit()
        seed_effectiveness(ctx)  # idempotent
        db.session.commit()
    return ctx


def test_the_demo_shows_what_it_was_built_to_show(demo, factories, client, login):
    director = factories.user(Role.DIRECTOR)
    results = analysis_services.estimates(director, n_boot=500)
    aim1 = {r["measure"]: r for r in results["aim1"]}
    rf = next(e for e in aim1["pdi_rf"]["effects"] if e["time_point"] == "end_of_treatment")
    psi = next(e for e in aim1["psi_4_sf"]["effects"] if e["time_point"] == "end_of_treatment")
    assert rf["estimate"] > 0 and rf["ci_low"] > 0  # MIO raises reflective functioning
    assert psi["estimate"] < 0 and psi["ci_high"] < 0  # and lowers parenting stress
    assert all(r["error"] is None for r in results["aim1"])
    flow = results["followup"]
    allocated = flow["mio_tau"]["allocated"] + flow["tau"]["allocated"]
    assert allocated == 200
    lost = sum(flow[a]["time_points"]["follow_up_3m"]["lost"] + flow[a]["time_points"]["follow_up_3m"]["withdrawn"]
               for a in ("mio_tau", "tau"))
    assert 0.15 <= lost / allocated <= 0.25  # about 20 % loss by follow-up
    assert flow["tau"]["excluded_data_withdrawn"] + flow["mio_tau"]["excluded_data_withdrawn"] == 1
    med = next(m for m in results["mediation"] if m["exposure"] == "counselor_adequate_share"
               and m["mediator"] == "pdi_rf" and m["outcome"] == "ncast_teaching")
    assert med["clusters"] == 16 and med["a"] > 0 and med["indirect_ci_low"] > 0  # partly mediated by fidelity

    login(director)
    page = client.get("/effectiveness/results")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Parental reflective functioning (PDI-RF)" in text and 'class="chart forest"' in text
    assert f"{rf['estimate']:.2f} [{rf['ci_low']:.2f}, {rf['ci_high']:.2f}]" in text  # the table beside the forest
    assert 'class="chart mediation"' in text and 'class="chart consort"' in text
    csv = client.get("/effectiveness/results.csv").get_data(as_text=True)
    assert "pdi_rf" in csv and "end_of_treatment" in csv
    xlsx = client.get("/effectiveness/results.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    api = client.get("/api/v1/effectiveness")
    assert api.status_code == 200 and api.get_json()["aim1"][0]["measure"] == "pdi_rf"

    # the joint display's per-clinic rows: the clinic's arm difference in change to end of treatment
    from implementation_outcomes.integration.services import joint

    clinic = demo.clinics["SPR-1"]
    effects = joint._outcomes(clinic, director)["effects"]
    rows = [r for r in analysis_services.long_rows(director) if r["clinic"] == "SPR-1" and r["measure"] == "pdi_rf"]
    by = {}
    for r in rows:
        by.setdefault(r["participant_id"], {"arm": r["arm"]})[r["time_point"]] = r["value"]
    changes = {a: [m["end_of_treatment"] - m["baseline"] for m in by.values() if m["arm"] == a
                   and "end_of_treatment" in m and "baseline" in m] for a in ("mio_tau", "tau")}
    expected = sum(changes["mio_tau"]) / len(changes["mio_tau"]) - sum(changes["tau"]) / len(changes["tau"])
    assert effects["pdi_rf"]["estimate"] == pytest.approx(expected)
    stats = dict(joint.key_statistics(joint._outcomes(clinic, director)))
    label = next(k for k in stats if k.startswith("Parental reflective functioning (PDI-RF): MIO + TAU minus TAU"))
    assert stats[label].startswith(f"{expected:.2f} [")


def test_blinding_and_scope_on_the_results(demo, factories, client, login, runner):
    assessor = factories.user(Role.OUTCOME_ASSESSOR)
    login(assessor)
    assert client.get("/effectiveness/results").status_code == 403
    assert client.get("/api/v1/effectiveness").status_code == 403
    long = client.get("/api/v1/effectiveness?format=long").get_json()
    assert "arm" not in long["columns"] and len(long["rows"]) > 3000
    assert "arm" not in client.get("/effectiveness/data.csv").get_data(as_text=True).splitlines()[2]
    client.post("/auth/logout")
    trial = factories.user(Role.TRIAL_STAFF, agency=demo.agencies["SPR"])
    login(trial)
    rows = client.get("/api/v1/effectiveness?format=long").get_json()["rows"]
    assert rows and {r["clinic"] for r in rows} <= {"SPR-1", "SPR-2"} and "arm" in rows[0]
    out = runner.invoke(args=["effectiveness", "--format", "csv"])
    assert out.exit_code == 0 and out.output.splitlines()[0] == "study_id,clinic,arm,time_point,measure,value"
    assert {line.split(",")[1] for line in out.output.splitlines()[1:]} == {"SPR-1", "SPR-2", "HFR-1", "HFR-2"}
    out = runner.invoke(args=["effectiveness", "--format", "csv", "--as-user", assessor.email])
    assert out.output.splitlines()[0] == "study_id,clinic,time_point,measure,value"
    out = runner.invoke(args=["effectiveness", "--format", "json", "--as-user", assessor.email])
    assert out.exit_code != 0 and "blinded" in out.output
    out = runner.invoke(args=["effectiveness", "--format", "json", "--n-boot", "200"])
    assert out.exit_code == 0 and json.loads(out.output)["aim1"][0]["effects"][0]["time_point"] == "end_of_treatment"


def test_clinic_effects_of_all_clinics_at_once_equal_each_clinic_alone(demo, factories):
    """The joint display reads every clinic's effects from one query (``clinic_effects_by_clinic``); each equals
    ``clinic_effects`` of that clinic alone (its own query), for a director and a scoped trial staff member; a blinded
    outcome assessor gets none."""
    from app.models import Clinic

    clinic_ids = db.session.execute(sa.select(Clinic.id).order_by(Clinic.code)).scalars().all()
    for user in (factories.user(Role.DIRECTOR), factories.user(Role.TRIAL_STAFF, agency=demo.agencies["SPR"])):
        together = analysis_services.clinic_effects_by_clinic(clinic_ids, user)
        assert set(together) == set(clinic_ids)
        for cid in clinic_ids:
            assert together[cid] == analysis_services.clinic_effects(cid, user)
        assert any(e["estimate"] is not None for fx in together.values() for e in fx.values())
    assessor = factories.user(Role.OUTCOME_ASSESSOR)
    assert analysis_services.clinic_effects_by_clinic(clinic_ids, assessor) == {cid: {} for cid in clinic_ids}
