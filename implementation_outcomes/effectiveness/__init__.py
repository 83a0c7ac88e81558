"""Effectiveness half of the hybrid trial: outcome measures as a versioned data file (``measures``), each
mother's assessment schedule in both arms (``schedule``), blinded outcome assessment (``blinding``), entry,
missed assessments, withdrawals and unblinding (``services``, ``views``).

``init_app`` registers the blueprint and the navigation.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.main import add_nav
    from app.models import Role
    from implementation_outcomes.effectiveness import results
    from implementation_outcomes.effectiveness.cli import effectiveness_command
    from implementation_outcomes.effectiveness.demo import seed_effectiveness
    from implementation_outcomes.effectiveness.views import bp

    app.register_blueprint(bp)
    results.register_api(app)
    app.extensions["mio.demo_seeders"].append(seed_effectiveness)
    app.cli.add_command(effectiveness_command)
    add_nav(app, "Assessments", "effectiveness.index", (Role.TRIAL_STAFF, Role.DIRECTOR, Role.OUTCOME_ASSESSOR),
            order=24)
    from app.worklist import add_work
    from implementation_outcomes.effectiveness import worklist

    add_work(app, (Role.TRIAL_STAFF, Role.OUTCOME_ASSESSOR), worklist.assessments_due, order=12)
    add_work(app, (Role.TRIAL_STAFF, Role.OUTCOME_ASSESSOR), worklist.assessments_missed, order=13)
    add_nav(app, "Effectiveness", "effectiveness.results_page", results.RESULTS_ROLES, order=6)
