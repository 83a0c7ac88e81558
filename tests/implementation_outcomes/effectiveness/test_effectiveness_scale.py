"""The generated statewide dataset carries effectiveness assessments the analyses read (tiny size here)."""

from __future__ import annotations

import sqlalchemy as sa

from app.db import db
from app.models import Role
from implementation_outcomes.effectiveness import analysis_services, measures
from implementation_outcomes.effectiveness.models import AssessmentVisit, OutcomeScore


def test_generated_assessments_are_valid_and_analysable(runner, app_ctx, factories):
    assert runner.invoke(args=["generate-scale", "--scale", "tiny"]).exit_code == 0
    visits = db.session.execute(sa.select(AssessmentVisit)).scalars().all()
    assert len(visits) == 36 * 3  # every mother of the tiny spec at three time points
    assert {v.status for v in visits} <= {"completed", "missed"}
    assert all(v.missed_reason for v in visits if v.status == "missed")
    for score in db.session.execute(sa.select(OutcomeScore)).scalars():
        assert measures.parse_values(measures.measure(score.measure), score.values) == score.values
    director = factories.user(Role.DIRECTOR)
    results = analysis_services.estimates(director, n_boot=100)
    rf = next(r for r in results["aim1"] if r["measure"] == "pdi_rf")
    assert rf["error"] is None and rf["n_mothers"] == 36
