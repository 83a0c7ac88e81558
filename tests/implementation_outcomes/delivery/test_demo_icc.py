"""The demo seeder (deterministic, 50 mothers randomized 2:1 per clinic, clinics that differ) and the reliability
figure on seeded double-coded ratings checked against an independent two-way ANOVA (statsmodels), plus the plain
dicts the director's overview will call."""

from __future__ import annotations

import contextlib
import json
import re
from collections import Counter
from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
import statsmodels.formula.api as smf
from flask import current_app
from flask_login import login_user
from statsmodels.stats.anova import anova_lm

from app.db import db
from app.demo import DEMO_START, DemoContext
from app.models import Role
from app.storage import storage
from implementation_outcomes.delivery.demo import BACKLOG_PER_CLINIC, seed_delivery
from implementation_outcomes.delivery.models import (
    ClinicAllocation,
    CodingAssignment,
    ConsultationCall,
    DeliverySettings,
    FidelityRating,
    MioSession,
    SessionRecording,
    TrainingCaseSession,
    TrialParticipant,
)
from implementation_outcomes.delivery.services import clinic_feasibility, clinic_fidelity, clinic_reach
from implementation_outcomes.fidelity import load_fidelity_scheme, scales_in_group
from implementation_outcomes.randomization import generate_allocation_sequence

DELIVERY_TABLES = (FidelityRating, SessionRecording, CodingAssignment, MioSession, TrainingCaseSession, ConsultationCall,
                   ClinicAllocation, TrialParticipant, DeliverySettings)


@pytest.fixture
def demo(app_ctx, factories):
    spr = factories.agency(name="Springfield Recovery Partners", code="SPR")
    hfr = factories.agency(name="Hampden Family Recovery Services", code="HFR")
    clinics = {"SPR-1": factories.clinic(spr, code="SPR-1"), "HFR-2": factories.clinic(hfr, code="HFR-2")}
    counselors = {code: [factories.person(c, display_name=f"{code} counselor {i}") for i in range(1, 5)]
                  for code, c in clinics.items()}
    users = [factories.user(Role.FIDELITY_CODER, email="coder@mio.example"),
             factories.user(Role.FIDELITY_CODER, email="coder2@mio.example"),
             factories.user(Role.AGENCY_STAFF, agency=spr, email="staff.spr@mio.example"),
             factories.user(Role.AGENCY_STAFF, agency=hfr, email="staff.hfr@mio.example"),
             factories.user(Role.DIRECTOR, email="director@mio.example")]
    ctx = DemoContext({"SPR": spr, "HFR": hfr}, clinics, {u.email: u for u in users}, counselors, {}, DEMO_START)
    seed_delivery(ctx)
    db.session.commit()
    return ctx


def _fingerprint() -> str:
    participants = db.session.execute(sa.select(TrialParticipant.study_id, TrialParticipant.status, TrialParticipant.arm,
                                                TrialParticipant.randomized_on).order_by(TrialParticipant.study_id)).all()
    sessions = db.session.execute(sa.select(sa.func.count(MioSession.id), sa.func.sum(MioSession.duration_minutes))).one()
    ratings = db.session.execute(sa.select(FidelityRating.scores).order_by(FidelityRating.id)).scalars().all()
    return json.dumps([[list(map(str, p)) for p in participants], list(sessions), ratings], sort_keys=True)


def test_demo_is_deterministic_and_randomizes_fifty_mothers_two_to_one(demo):
    for code, clinic in demo.clinics.items():
        log = db.session.execute(sa.select(TrialParticipant).where(TrialParticipant.clinic_id == clinic.id)
                                 .order_by(TrialParticipant.study_id)).scalars().all()
        prefix = code.replace("-", "")
        assert log[0].study_id == f"{prefix}-001" and all(re.fullmatch(rf"{prefix}-\d{{3}}", p.study_id) for p in log)
        randomized = sorted((p for p in log if p.arm), key=lambda p: p.allocation_index)
        assert len(randomized) == 50 and 80 <= len(log) <= 120  # screened about twice the randomized
        seed = db.session.execute(sa.select(ClinicAllocation.seed).where(ClinicAllocation.clinic_id == clinic.id)).scalar()
        sequence = generate_allocation_sequence(code, seed, 50)
        assert [p.arm for p in randomized] == [e["arm"] for e in sequence]
        blocks: dict[int, list[str]] = {}
        for entry in sequence:
            blocks.setdefault(entry["block"], []).append(entry["arm"])
        for block, arms in blocks.items():
            if len(arms) == next(e["block_size"] for e in sequence if e["block"] == block):
                assert Counter(arms)["mio_tau"] == 2 * Counter(arms)["tau"]
        assert all(p.reason for p in log if p.status in ("excluded", "declined"))
        assert {p.status for p in log} >= {"excluded", "lost", "declined", "randomized", "started"}
    # each clinic's coders have work in hand: the latest uncoded recorded sessions, assigned, unrated, with audio
    backlog = db.session.execute(sa.select(SessionRecording)).scalars().all()
    assert len(backlog) == 2 * BACKLOG_PER_CLINIC
    for recording in backlog:
        assert recording.mio_session.recorded and recording.content_type == "audio/wav"
        assert storage().get(recording.storage_key)[:4] == b"RIFF"
        assert db.session.execute(sa.select(CodingAssignment).where(
            CodingAssignment.mio_session_id == recording.mio_session_id)).scalar_one().role == "primary"
        assert db.session.execute(sa.select(FidelityRating).where(
            FidelityRating.mio_session_id == recording.mio_session_id)).first() is None
    first = _fingerprint()
    for model in DELIVERY_TABLES:
        db.session.execute(sa.delete(model))
    db.session.commit()
    seed_delivery(demo)
    db.session.commit()
    assert _fingerprint() == first


@contextlib.contextmanager
def signed_in(user):
    """A request context with ``user`` signed in, for calling the services as the director's overview will."""
    with current_app.test_request_context():
        login_user(user)
        yield


def test_demo_clinics_differ_and_the_icc_matches_an_independent_anova(demo, client_for):
    spr, hfr = demo.clinics["SPR-1"], demo.clinics["HFR-2"]
    with signed_in(demo.users["director@mio.example"]):
        f_spr, f_hfr = clinic_feasibility(spr.id), clinic_feasibility(hfr.id)
        fid_spr, fid_hfr = clinic_fidelity(spr.id), clinic_fidelity(hfr.id)
        reach_spr = clinic_reach(spr.id)
    assert f_spr["summary"]["mean_dose"] > f_hfr["summary"]["mean_dose"] + 3  # high vs low dose
    assert f_spr["summary"]["completion_share"] > f_hfr["summary"]["completion_share"]
    assert f_hfr["summary"]["days_to_first_session"]["median"] > 2 * f_spr["summary"]["days_to_first_session"]["median"]
    assert f_spr["summary"]["share_recorded"] > f_hfr["summary"]["share_recorded"]
    assert fid_spr["adequacy"]["share"] > fid_hfr["adequacy"]["share"]
    for fid in (fid_spr, fid_hfr):
        coverage = fid["coverage"]["all"]
        assert 0.15 <= coverage["share_double_coded"] <= 0.3  # about a fifth double-coded
        assert fid["self_vs_coder"]["sessions"]
    # plain data for the director's overview: JSON-serialisable with dates as text
    for payload in (reach_spr, f_spr, fid_spr):
        json.dumps(payload, default=str)
    assert reach_spr["cascade"]["randomized"] == 50
    assert db.session.execute(sa.select(sa.func.count(TrainingCaseSession.id)).where(
        TrainingCaseSession.clinic_id == spr.id)).scalar() > 4 * 15  # two training cases per counselor
    _check_icc_against_anova(demo, client_for)


def _check_icc_against_anova(demo, client_for):
    """ICC(2,1) (Shrout & Fleiss 1979) from statsmodels' two-way ANOVA of the seeded double-coded sessions of SPR-1,
    against the figure on the fidelity page and the service's value."""
    clinic = demo.clinics["SPR-1"]
    scheme = load_fidelity_scheme()
    keys = scales_in_group(scheme, "mentalization_based")
    ratings = db.session.execute(sa.select(FidelityRating).where(FidelityRating.clinic_id == clinic.id,
                                                                 FidelityRating.source == "coder")).scalars().all()
    by_session: dict[str, dict[int, float]] = {}
    for r in ratings:
        by_session.setdefault(r.session_key, {})[r.coder_id] = sum(r.scores[k] for k in keys) / len(keys)
    # the headline is over trial sessions; training-case sessions are reported apart
    double = {s: v for s, v in by_session.items() if len(v) == 2 and s.startswith("mio:")}
    assert len(double) >= 30
    long = pd.DataFrame([{"t": s, "r": str(c), "y": y} for s, v in double.items() for c, y in v.items()])
    table = anova_lm(smf.ols("y ~ C(t) + C(r)", data=long).fit())
    msr, msc, mse = (table.loc[name, "sum_sq"] / table.loc[name, "df"] for name in ("C(t)", "C(r)", "Residual"))
    n, k = len(double), 2
    expected = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
    html = client_for(demo.users["director@mio.example"]).get(f"/outcomes/clinics/{clinic.id}/fidelity").get_data(
        as_text=True)
    shown = re.search(r"Adherence score over (\d+) double-coded trial sessions: <strong>([0-9.]+)</strong>", html)
    assert int(shown.group(1)) == n
    assert float(shown.group(2)) == pytest.approx(expected, abs=0.005)
    assert 0.5 < expected < 0.95  # a realistic reliability, not a degenerate one
    with signed_in(demo.users["director@mio.example"]):
        headline = clinic_fidelity(clinic.id)["reliability"]["headline"]
    assert headline["value"] == pytest.approx(expected, rel=1e-9)
    assert headline["form"] == "ICC(2,1)" and headline["model"] == "two-way random"


def test_all_clinics_fidelity_page_reads_plain_rows_with_the_same_figures(demo):
    """The all-clinics page's figures (``overview_figures``, plain rows) equal the full ORM-based
    ``fidelity_figures(None)`` on the demo: coverage of each session kind and every reliability entry. The workload
    and unassigned counts, now counted in SQL, equal a count by hand over the ORM rows."""
    from implementation_outcomes.delivery.services.fidelity import coder_workload, unassigned_count
    from implementation_outcomes.delivery.services.fidelity_figures import fidelity_figures, overview_figures

    director = demo.users["director@mio.example"]
    light, full = overview_figures(director), fidelity_figures(None, director)
    assert light["scheme"] == full["scheme"] and light["coverage"] == full["coverage"]
    assert light["reliability"] == full["reliability"] and light["reliability"]["n_double_coded"] > 0
    assignments = db.session.execute(sa.select(CodingAssignment)).scalars().all()
    ratings = db.session.execute(sa.select(FidelityRating).where(FidelityRating.source == "coder")).scalars().all()
    rated = {(r.coder_id, r.session_key) for r in ratings}
    by_name = {row["coder"]: row for row in coder_workload(director)}
    for coder in (demo.users["coder@mio.example"], demo.users["coder2@mio.example"]):
        own = [a for a in assignments if a.coder_id == coder.id]
        done = sum((coder.id, a.session_key) in rated for a in own)
        assert by_name[coder.name] == {"coder": coder.name, "primary": sum(a.role == "primary" for a in own),
                                       "second": sum(a.role == "second" for a in own), "rated": done,
                                       "backlog": len(own) - done}
    taken = {a.session_key for a in assignments}
    recorded = [s for model in (MioSession, TrainingCaseSession)
                for s in db.session.execute(sa.select(model)).scalars() if s.attended and s.audio_recorded]
    assert unassigned_count(director) == sum(f"{s.kind}:{s.id}" not in taken for s in recorded)


@pytest.mark.parametrize("period", [{}, {"date_from": DEMO_START + timedelta(days=60)},
                                    {"date_to": DEMO_START + timedelta(days=120)}])
def test_trimmed_figures_of_the_joint_display_equal_the_full_ones(demo, period):
    """The joint display and determinants read ``clinic_fidelity(adequacy_only=True)`` (plain rows, no coverage,
    reliability, run charts or self-ratings) and ``clinic_feasibility(core_only=True)`` (no training cases, no FIM):
    what they return equals the same keys of the full figures, for each clinic, in each user's scope, with and
    without a period."""
    for email in ("director@mio.example", "staff.spr@mio.example"):
        user = demo.users[email]
        for clinic in demo.clinics.values():
            if email.startswith("staff") and clinic.agency_id != user.agency_id:
                continue
            full, trimmed = clinic_fidelity(clinic.id, user, **period), clinic_fidelity(clinic.id, user, **period,
                                                                                        adequacy_only=True)
            assert set(trimmed) == {"clinic", "scheme", "adequacy"}
            assert trimmed == {k: full[k] for k in trimmed}
            assert full["adequacy"]["rated"] > 0 and full["adequacy"]["by_counselor"]
            full, core = clinic_feasibility(clinic.id, user, **period), clinic_feasibility(clinic.id, user, **period,
                                                                                           core_only=True)
            assert core == {k: v for k, v in full.items() if k not in ("training_cases", "fim")}


def test_headline_ci_and_training_apart_against_pingouin(demo):
    """Issue 12 items 5 and 9: the headline ICC(2,1) is over trial sessions with its 95 % CI, training-case sessions
    apart; each value and CI equals pingouin.intraclass_corr (ICC2, full precision) on the pairs chosen here by hand
    from the rating rows, to 1e-9; the band is every Koo & Li band the CI spans."""
    pg = pytest.importorskip("pingouin", reason="pingouin (dev dependency) is the independent ICC reference")
    from implementation_outcomes.overview.services import Filters, overview_rows

    clinic = demo.clinics["HFR-2"]
    keys = scales_in_group(load_fidelity_scheme(), "mentalization_based")
    ratings = db.session.execute(sa.select(FidelityRating).where(FidelityRating.clinic_id == clinic.id,
                                                                 FidelityRating.source == "coder")).scalars().all()
    by_session: dict[str, dict[int, float]] = {}
    for r in ratings:
        by_session.setdefault(r.session_key, {})[r.coder_id] = sum(r.scores[k] for k in keys) / len(keys)
    with signed_in(demo.users["director@mio.example"]):
        rel = clinic_fidelity(clinic.id)["reliability"]
        row = next(r for r in overview_rows(Filters(clinic="HFR-2")))
    saved = pg.options.get("round.column.CI95%")
    pg.options["round.column.CI95%"] = None
    try:
        for kind in ("mio", "training"):
            double = {s: v for s, v in by_session.items() if len(v) == 2 and s.startswith(f"{kind}:")}
            long = pd.DataFrame([{"t": s, "r": str(c), "y": y} for s, v in double.items() for c, y in v.items()])
            ref = pg.intraclass_corr(long, "t", "r", "y").set_index("Type").loc["ICC2"]
            entry = rel["by_session_kind"][kind]
            assert entry["n"] == len(double) >= 3, kind
            assert entry["value"] == pytest.approx(ref["ICC"], abs=1e-9)
            assert entry["ci_low"] == pytest.approx(ref["CI95%"][0], abs=1e-9)
            assert entry["ci_high"] == pytest.approx(ref["CI95%"][1], abs=1e-9)
    finally:
        pg.options["round.column.CI95%"] = saved
    headline = rel["headline"]
    assert headline["value"] == rel["by_session_kind"]["mio"]["value"]
    assert (row["icc"], row["icc_ci_low"], row["icc_ci_high"], row["icc_pairs"]) == (
        headline["value"], headline["ci_low"], headline["ci_high"], headline["n"])
    assert row["icc_training"] == rel["by_session_kind"]["training"]["value"]
    cuts = [(0.5, "poor"), (0.75, "moderate"), (0.9, "good"), (9, "excellent")]
    low_band = next(b for c, b in cuts if headline["ci_low"] < c or (c == 0.9 and headline["ci_low"] <= c))
    high_band = next(b for c, b in cuts if headline["ci_high"] < c or (c == 0.9 and headline["ci_high"] <= c))
    assert row["icc_band"] == (low_band if low_band == high_band else f"{low_band} to {high_band}")
