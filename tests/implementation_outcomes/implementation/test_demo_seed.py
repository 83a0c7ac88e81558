"""The demo seeder: deterministic, valid against the pure validators, and telling the intended story."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from app.db import db
from implementation_outcomes.adoption import COUNSELOR_STEPS
from implementation_outcomes.cfir import addressable_keys, load_cfir_constructs
from implementation_outcomes.implementation import clinic_adoption, clinic_stages
from implementation_outcomes.implementation.demo import seed_demo
from implementation_outcomes.implementation.models import (
    ActivityCompletion,
    Adaptation,
    AdoptionStep,
    StrategyUse,
)
from implementation_outcomes.strategies import (
    load_eric_strategies,
    load_frame_fields,
    load_strategy_specification,
    validate_adaptation,
    validate_strategy_use,
)

MODELS = (AdoptionStep, ActivityCompletion, StrategyUse, Adaptation)


@pytest.fixture
def demo(app_ctx, monkeypatch):
    from app import demo as app_demo

    monkeypatch.setattr(app_demo, "hash_password", lambda password: "not-a-hash")  # Argon2 is slow; not under test
    ctx = app_demo._seed_organisation()
    db.session.commit()
    seed_demo(ctx)
    db.session.commit()
    return ctx


def snapshot():
    steps = db.session.execute(sa.select(AdoptionStep.person_id, AdoptionStep.step, AdoptionStep.reached_on)
                               .order_by(AdoptionStep.person_id, AdoptionStep.reached_on)).all()
    done = db.session.execute(sa.select(ActivityCompletion.clinic_id, ActivityCompletion.activity_key,
                                        ActivityCompletion.completed_on).order_by(ActivityCompletion.id)).all()
    return steps, done


def test_seeder_is_deterministic(demo):
    first = snapshot()
    for model in MODELS:
        db.session.execute(sa.delete(model))
    db.session.commit()
    seed_demo(demo)
    db.session.commit()
    assert snapshot() == first


def test_counselor_story(demo):
    director = demo.users["director@mio.example"]
    counselors = [p for people in demo.counselors.values() for p in people]
    assert len(counselors) == 16
    furthest = {}
    for code, clinic in demo.clinics.items():
        summary = clinic_adoption(clinic.id, user=director)  # strict step order: raises if a step is skipped
        furthest[code] = [c["furthest"] for c in summary["counselors"]]
    assert furthest["SPR-1"] == ["delivering"] * 4
    assert furthest["HFR-2"].count("training_case_started") == 2
    delivering = sum(f.count("delivering") for f in furthest.values())
    assert delivering == 10
    sources = set(db.session.execute(sa.select(AdoptionStep.source).where(AdoptionStep.step == "eligible")).scalars())
    assert sources == {"readiness screening"}
    assert max(db.session.execute(sa.select(AdoptionStep.reached_on)).scalars()) <= date.today()
    per_person = db.session.execute(sa.select(AdoptionStep.person_id, sa.func.count()).group_by(AdoptionStep.person_id))
    assert all(n <= len(COUNSELOR_STEPS) for _pid, n in per_person)


def test_activity_story(demo):
    director = demo.users["director@mio.example"]
    scores = {code: clinic_stages(c.id, user=director) for code, c in demo.clinics.items()}
    pre = {code: s["phases"][0] for code, s in scores.items()}
    for fast in ("SPR-1", "SPR-2"):
        assert pre[fast]["proportion"] == 1.0
        assert pre[fast]["duration_days"] < pre["HFR-2"]["duration_days"]
    readiness_planning = scores["HFR-2"]["stages"][2]
    assert readiness_planning["key"] == "readiness_planning" and readiness_planning["proportion"] == 0.5
    assert {s["current_stage"] for s in scores.values()} <= {7, 8}
    assert max(db.session.execute(sa.select(ActivityCompletion.completed_on)).scalars()) <= date.today()


def test_strategies_and_adaptations_are_valid(demo):
    spec, eric, frame = load_strategy_specification(), load_eric_strategies(), load_frame_fields()
    cfir_keys = addressable_keys(load_cfir_constructs())
    strategies = db.session.execute(sa.select(StrategyUse)).scalars().all()
    adaptations = db.session.execute(sa.select(Adaptation)).scalars().all()
    assert len(strategies) == 12 and len(adaptations) == 6
    for row in strategies:
        validate_strategy_use({f["key"]: getattr(row, f["key"]) for f in spec["fields"]}, spec, eric, cfir_keys)
        assert row.clinic_id is None or row.clinic.agency_id == row.agency_id
    for row in adaptations:
        validate_adaptation(row.frame, frame)
    assert any("transport" in a.description for a in adaptations)
    assert any("childcare" in a.description for a in adaptations)


def test_demo_pages_render_for_the_director(demo, client, sign_in, read_csv):
    sign_in(demo.users["director@mio.example"])
    for url in ("/implementation/", "/implementation/adoption", "/implementation/stages", "/implementation/strategies",
                "/implementation/adaptations", f"/implementation/clinics/{demo.clinics['HFR-2'].id}/stages"):
        assert client.get(url).status_code == 200, url
    funnel = read_csv(client.get("/implementation/tables/funnel-comparison.csv"))
    assert funnel[0][1:5] == ["HFR-1", "HFR-2", "SPR-1", "SPR-2"]
    assert funnel[-1][:6] == ["Delivering to trial mothers", "2", "1", "4", "3", "10"]
