"""Stored fidelity figures (``delivery.services.summaries``, issue 15) equal the live computation on random data,
and are never read once their inputs change.

The random data is the scale generator's (``random.Random(seed)``, three seeds, every clinic with double-coded
sessions); the reference is the live path the pages used before: ``fidelity_by_clinic`` per clinic, the
``reliability`` of every double-coded session, and ``fidelity_figures(None)``'s coverage built from ORM objects
session by session (``fidelity.fidelity_coverage``)."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from app.audit import acting_as
from app.db import db
from app.models import Clinic, Role
from app.scale.generate import generate, spec_for
from implementation_outcomes.delivery.models import FidelityRating, FidelitySummary, MioSession
from implementation_outcomes.delivery.services import summaries
from implementation_outcomes.delivery.services.by_clinic import fidelity_by_clinic
from implementation_outcomes.delivery.services.common import current_scheme
from implementation_outcomes.delivery.services.fidelity import save_rating, save_scheme
from implementation_outcomes.delivery.services.fidelity_figures import (
    fidelity_figures,
    overview_figures,
    statewide_reliability_live,
)

SYSTEM = summaries.SYSTEM


def _generate(seed: int) -> list[int]:
    spec = spec_for("tiny", seed=seed, mothers_per_clinic=60, sessions_per_mother=3, ratings_per_clinic=48)
    with acting_as("tests:summaries"):
        generate(spec)
        db.session.commit()
    return list(db.session.execute(sa.select(Clinic.id).order_by(Clinic.id)).scalars())


def _roundtrip(value):
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_stored_figures_equal_the_live_computation(app_ctx, seed):
    ids = _generate(seed)
    live = fidelity_by_clinic(ids, SYSTEM)
    assert any(entry["icc"]["value"] is not None for entry in live.values())  # the data exercises the ICC
    # nothing stored yet: every clinic computed live, same figures
    figures, freshness = summaries.clinic_figures(ids, SYSTEM)
    assert freshness == {"stored": 0, "live": len(ids), "oldest": None} and figures == live
    with acting_as("tests:summaries"):
        summaries.refresh_all()
        db.session.commit()
    figures, freshness = summaries.clinic_figures(ids, SYSTEM)
    assert freshness["stored"] == len(ids) and freshness["live"] == 0
    assert figures == live  # exact: floats come back unchanged from the JSON text
    overview = overview_figures(SYSTEM)
    assert overview["freshness"]["stored"] is True
    assert overview["reliability"] == _roundtrip(statewide_reliability_live(SYSTEM))
    assert overview["reliability"]["headline"]["value"] is not None
    # coverage counted in SQL equals coverage built session by session from ORM objects
    assert overview["coverage"] == fidelity_figures(None, SYSTEM)["coverage"]


def test_a_changed_input_is_never_read_from_a_stale_row(app_ctx, create_user):
    ids = _generate(4)
    with acting_as("tests:summaries"):
        summaries.refresh_all()
        db.session.commit()
    rating = db.session.execute(sa.select(FidelityRating).where(FidelityRating.clinic_id == ids[0])
                                .order_by(FidelityRating.id)).scalars().first()
    # a Core update, bypassing every service: updated_at moves (onupdate), so the fingerprint does
    db.session.execute(sa.update(FidelityRating).where(FidelityRating.id == rating.id)
                       .values(scores={k: 1 for k in rating.scores}))
    db.session.commit()
    figures, freshness = summaries.clinic_figures(ids, SYSTEM)
    assert freshness["live"] == 1 and figures == fidelity_by_clinic(ids, SYSTEM)
    assert overview_figures(SYSTEM)["freshness"]["stored"] is False
    # a deleted rating of another clinic
    other = db.session.execute(sa.select(FidelityRating.id).where(FidelityRating.clinic_id == ids[1])).scalar()
    db.session.execute(sa.delete(FidelityRating).where(FidelityRating.id == other))
    db.session.commit()
    figures, freshness = summaries.clinic_figures(ids, SYSTEM)
    assert freshness["live"] == 2 and figures == fidelity_by_clinic(ids, SYSTEM)
    # saving a rating through the service stores its clinic's row in the same transaction
    coder = create_user(role=Role.FIDELITY_CODER)
    session = db.session.execute(sa.select(MioSession).where(MioSession.clinic_id == ids[0],
                                                             MioSession.audio_recorded.is_(True),
                                                             MioSession.status == "attended")).scalars().first()
    _version, scheme = current_scheme()
    raw = {s["key"]: str(scheme["rating_range"]["min"]) for s in scheme["scales"]}
    with acting_as("tests:summaries"):
        save_rating(session, "coder", raw, coder, rated_on=date(2026, 5, 1))
    figures, freshness = summaries.clinic_figures(ids, SYSTEM)
    assert freshness["live"] == 1  # ids[1] (deleted behind the services' back) stays live until a refresh
    assert figures == fidelity_by_clinic(ids, SYSTEM)
    # a new scheme version makes every row stale; the job it queues (run at once in tests) stores them again
    director = create_user(role=Role.DIRECTOR)
    with acting_as("tests:summaries"):
        save_scheme(scheme, "same content, new version", director)
    figures, freshness = summaries.clinic_figures(ids, SYSTEM)
    assert freshness == {**freshness, "stored": len(ids), "live": 0}
    assert figures == fidelity_by_clinic(ids, SYSTEM)
    assert overview_figures(SYSTEM)["freshness"]["stored"] is True


def test_refresh_stores_a_row_per_clinic_and_one_statewide(app_ctx):
    ids = _generate(5)
    with acting_as("tests:summaries"):
        summaries.refresh_all()
        db.session.commit()
    count = db.session.execute(sa.select(sa.func.count()).select_from(FidelitySummary)).scalar_one()
    assert count == len(ids) + 1
