"""Delivery outcomes of the hybrid trial: reach (screening log, randomization, CONSORT), feasibility (sessions,
training cases, consultation calls) and fidelity (scheme, coding, reliability, drift).

``init_app`` registers the blueprint, the navigation, the ``mio outcomes`` commands and the demo seeder.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.main import add_nav
    from app.models import Role
    from implementation_outcomes.delivery.cli import outcomes
    from implementation_outcomes.delivery.demo import seed_delivery
    from implementation_outcomes.delivery.views import bp

    app.register_blueprint(bp)
    add_nav(app, "Reach & sessions", "delivery.index", (Role.TRIAL_STAFF, Role.DIRECTOR), order=20)
    add_nav(app, "Training cases", "delivery.index", (Role.AGENCY_STAFF,), order=21)
    add_nav(app, "Fidelity", "delivery.fidelity_index", (Role.DIRECTOR, Role.FIDELITY_CODER), order=22)
    add_nav(app, "My coding queue", "delivery.coder_queue", (Role.FIDELITY_CODER,), order=23)
    from app.worklist import add_work
    from implementation_outcomes.delivery import worklist

    add_work(app, (Role.FIDELITY_CODER,), worklist.sessions_to_rate, order=10)
    add_work(app, (Role.TRIAL_STAFF,), worklist.awaiting_randomization, order=10)
    add_work(app, (Role.TRIAL_STAFF,), worklist.awaiting_counselor, order=11)
    add_work(app, (Role.DIRECTOR,), worklist.fidelity_below_line, order=12)
    app.cli.add_command(outcomes)
    app.extensions["mio.demo_seeders"].append(seed_delivery)
