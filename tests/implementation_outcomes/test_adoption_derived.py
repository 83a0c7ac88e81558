"""Adoption steps the delivery data prove (``derive_steps``, ``adoption_evidence``): each figure below is counted
by hand from the rows written in the test."""

from __future__ import annotations

import random
from datetime import date, timedelta

from implementation_outcomes.adoption import (
    COUNSELOR_STEPS,
    adoption_evidence,
    adoption_funnel,
    derive_steps,
    no_evidence,
    staff_adoption,
)

D0 = date(2026, 2, 2)


def weekly(n, start=D0, **extra):
    return [{"counselor_id": "k", "date": start + timedelta(days=7 * i), "attended": True, **extra} for i in range(n)]


def test_the_issue_counselor_47_sessions_only_eligible_recorded():
    """47 attended MIO sessions and "eligible" recorded: delivering is proven, the steps between are implied."""
    evidence = adoption_evidence(mio_sessions=weekly(47), assignments=[{"counselor_id": "k"}] * 9)["k"]
    recorded = {"invited": date(2025, 10, 1), "eligible": date(2025, 10, 15)}
    d = derive_steps(recorded, evidence)
    assert d["furthest"] == "delivering" and d["recorded_furthest"] == "eligible"
    assert d["steps"]["eligible"] == date(2025, 10, 15)  # the hand-recorded date is kept
    assert d["steps"]["delivering"] == D0  # the first attended session
    assert d["sources"]["consented"] == "implied" and d["sources"]["rostered"] == "data"
    assert [(f["step"], f["kind"]) for f in d["flags"]] == [("rostered", "not_recorded"),
                                                            ("delivering", "not_recorded")]
    assert "47 attended MIO sessions" in d["flags"][-1]["shown"]
    # by hand: one counselor, every step reached, so 1 of 1 eligible is delivering
    assert staff_adoption([{"counselor_id": "k", **d["steps"]}])["adoption_of_eligible"] == 1.0


def test_recorded_delivering_without_any_session_is_contradicted():
    recorded = {s: date(2026, 1, 1) for s in COUNSELOR_STEPS}
    d = derive_steps(recorded, no_evidence())
    kinds = {(f["step"], f["kind"]) for f in d["flags"]}
    # the trial's own log is complete: no mother, no session contradicts rostered and delivering;
    # no training-case or call rows do not contradict (training may predate the platform)
    assert kinds == {("rostered", "contradicted"), ("delivering", "contradicted")}
    assert d["furthest"] == "delivering"  # the record still counts; the flag asks for a correction


def test_training_rows_that_fall_short_contradict_the_8_session_step():
    rows = [{"counselor_id": "k", "training_case": 1, "session_number": n, "date": D0 + timedelta(days=7 * n),
             "attended": True} for n in range(1, 6)]
    evidence = adoption_evidence(training_sessions=rows)["k"]
    assert evidence["best_case"] == 5 and evidence["training_target_on"] is None
    recorded = {s: date(2026, 6, 1) for s in COUNSELOR_STEPS[:6]}  # through training_case_8_sessions
    d = derive_steps(recorded, evidence)
    assert [(f["step"], f["kind"]) for f in d["flags"]] == [("training_case_8_sessions", "contradicted")]


def test_eighth_distinct_session_date_ignores_repeats_and_absences():
    rows = []
    for n in range(1, 9):
        rows.append({"counselor_id": "k", "training_case": 2, "session_number": n, "date": D0 + timedelta(days=7 * n)})
    rows.insert(3, {"counselor_id": "k", "training_case": 2, "session_number": 3, "date": D0 + timedelta(days=22)})
    rows.append({"counselor_id": "k", "training_case": 1, "session_number": 1, "date": D0, "attended": False})
    ev = adoption_evidence(training_sessions=rows)["k"]
    # by hand: case 2 has session numbers 1..8 once each (3 twice); the 8th distinct number is on D0 + 56 days
    assert ev["best_case"] == 8 and ev["training_target_on"] == D0 + timedelta(days=56)
    assert ev["training_attended"] == 9 and ev["first_training"] == D0 + timedelta(days=7)


def test_consultation_requirement_boundary():
    calls = [{"counselor_id": "k", "attended": i < 7} for i in range(10)]
    assert derive_steps({}, adoption_evidence(calls=calls)["k"])["sources"].get("consultation_70pct") == "data"
    calls = [{"counselor_id": "k", "attended": i < 6} for i in range(10)]
    assert "consultation_70pct" not in derive_steps({}, adoption_evidence(calls=calls)["k"])["steps"]


def test_recorded_before_the_first_session():
    evidence = adoption_evidence(mio_sessions=weekly(3), assignments=[{"counselor_id": "k"}])["k"]
    recorded = {s: date(2026, 1, 5) for s in COUNSELOR_STEPS}
    d = derive_steps(recorded, evidence)
    flag = next(f for f in d["flags"] if f["step"] == "delivering")
    assert flag["kind"] == "recorded_before_data" and flag["data_on"] == D0 and flag["recorded_on"] == date(2026, 1, 5)


def test_grouped_rows_equal_one_row_per_session_on_random_data():
    """The overview feeds grouped counts (``count``); the result equals the row-by-row definition."""
    rng = random.Random(12)
    for _ in range(30):
        mio, calls, mothers = [], [], []
        for k in range(4):
            for _ in range(rng.randint(0, 15)):
                mio.append({"counselor_id": k, "date": D0 + timedelta(days=rng.randint(0, 200)),
                            "attended": rng.random() < 0.8})
            calls += [{"counselor_id": k, "attended": rng.random() < 0.7} for _ in range(rng.randint(0, 20))]
            mothers += [{"counselor_id": k}] * rng.randint(0, 5)
        grouped_mio, grouped_calls, grouped_mothers = {}, {}, {}
        for s in mio:
            if s["attended"]:
                g = grouped_mio.setdefault(s["counselor_id"], {"counselor_id": s["counselor_id"], "date": s["date"],
                                                               "count": 0})
                g["date"], g["count"] = min(g["date"], s["date"]), g["count"] + 1
        for c in calls:
            key = (c["counselor_id"], c["attended"])
            grouped_calls.setdefault(key, {"counselor_id": key[0], "attended": key[1], "count": 0})["count"] += 1
        for m in mothers:
            grouped_mothers.setdefault(m["counselor_id"], {"counselor_id": m["counselor_id"], "count": 0})["count"] += 1
        assert adoption_evidence(mio, (), calls, mothers) == adoption_evidence(
            list(grouped_mio.values()), (), list(grouped_calls.values()), list(grouped_mothers.values()))


def test_derived_funnel_is_never_rising():
    rng = random.Random(7)
    rows = []
    for i in range(40):
        recorded = {s: D0 for s in COUNSELOR_STEPS[: rng.randint(0, 9)]}
        ev = adoption_evidence(mio_sessions=weekly(rng.randint(0, 2)), calls=[{"counselor_id": "k", "attended": True}]
                               * rng.randint(0, 1)).get("k")
        rows.append({"counselor_id": i, **derive_steps(recorded, ev)["steps"]})
    counts = [f["count"] for f in adoption_funnel(rows)]  # strict order: raises if a derived step left a gap
    assert counts == sorted(counts, reverse=True)
