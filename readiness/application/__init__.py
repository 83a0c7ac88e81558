"""The MIO Training & Learning Collaborative application (one per agency and training cohort), its review by the
implementation director, and counselor eligibility per proposed clinician.

Rooms: ``content.py`` (what the application asks and the value rules), ``workflow.py`` (statuses and the one
transition function), ``eligibility_inputs.py`` (who enters which eligibility input, parsing) are pure;
``services.py`` (drafts, rows, submission), ``review_services.py`` (notes, decisions, comparison) and
``eligibility_services.py`` (inputs, summaries, counselor records, hard gates) do the database work;
``views.py`` (agency side), ``review_views.py`` (director) and ``eligibility_views.py`` hold the routes of one
blueprint (``blueprint.py``, prefix ``/readiness/applications``); ``static/application.js`` autosaves drafts.

For the site readiness profile: ``eligibility_services.hard_gates_for_clinic(clinic_id, cohort_id=None,
user=None)`` and ``hard_gates_for_agency(agency_id, cohort_id=None, user=None)``.
"""


def init_app(app):
    from app.main import add_nav
    from app.models import Role
    from readiness.application import eligibility_views, review_views, views  # noqa: F401  (routes)
    from readiness.application.blueprint import bp
    from readiness.application.demo import seed_demo

    app.register_blueprint(bp)
    add_nav(app, "Application", "application.mine", (Role.AGENCY_STAFF,), order=20)
    add_nav(app, "Applications", "application.index", (Role.DIRECTOR,), order=20)
    from app.worklist import add_work
    from readiness.application import worklist

    add_work(app, (Role.DIRECTOR,), worklist.applications_to_review, order=10)
    add_work(app, (Role.AGENCY_STAFF,), worklist.application_to_finish, order=10)
    app.extensions["mio.demo_seeders"].append(seed_demo)
