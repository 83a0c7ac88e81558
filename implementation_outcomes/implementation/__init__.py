"""Adoption (counselor steps, funnels, penetration, setting-level adoption), implementation activities by stage
(Aim 2), and the strategy and adaptation logs (ERIC + Proctor 2013 + CFIR 2.0; FRAME).

Public for other packages (plain dicts / one write):
- ``clinic_adoption(clinic_id, user=None)``: funnel, staff adoption, penetration and dated steps of one clinic;
- ``clinic_stages(clinic_id, user=None)``: stage and phase scores, current stage, timeline of one clinic;
- ``mark_eligible_from_readiness(person_id, on, user=None, commit=True)``: the readiness screening's eligible step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from implementation_outcomes.implementation.services.activities import clinic_stages
from implementation_outcomes.implementation.services.adoption import (
    clinic_adoption,
    mark_eligible_from_readiness,
)

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["clinic_adoption", "clinic_stages", "init_app", "mark_eligible_from_readiness"]


def init_app(app: Flask) -> None:
    from app.main import add_nav
    from implementation_outcomes.implementation import views  # noqa: F401  (registers the routes)
    from implementation_outcomes.implementation.blueprint import VIEW_ROLES, bp
    from implementation_outcomes.implementation.demo import seed_demo

    app.register_blueprint(bp)
    add_nav(app, "Adoption & activities", "implementation.overview", VIEW_ROLES, order=30)
    add_nav(app, "Strategies", "implementation.strategies", VIEW_ROLES, order=31)
    from app.models import Role
    from app.worklist import add_work
    from implementation_outcomes.implementation import worklist

    add_work(app, (Role.DIRECTOR,), worklist.adoption_contradictions, order=14)
    app.extensions["mio.demo_seeders"].append(seed_demo)

    from readiness.application.signals import counselors_eligible

    counselors_eligible.connect(_record_eligible_counselors, sender=app, weak=False)


def _record_eligible_counselors(app, *, linked, invited_on, decided_on, user, **_kw) -> None:
    """Readiness accepted these clinicians as eligible: they enter adoption tracking (invited when their agency
    proposed them in the application, eligible on the decision date). Steps already recorded are left alone."""
    from implementation_outcomes.implementation.services.adoption import record_step, steps_by_person

    recorded = steps_by_person([entry["person_id"] for entry in linked], user)
    for entry in linked:
        person_id = entry["person_id"]
        steps = recorded.get(person_id, {})
        if "invited" not in steps:
            from app.db import db
            from app.models import Person

            person = db.session.get(Person, person_id)
            record_step(person, "invited", invited_on, "Proposed in the MIO Training & Learning Collaborative application.",
                        user=user, commit=False)
        if "eligible" not in steps:
            mark_eligible_from_readiness(person_id, decided_on, user, commit=False)
