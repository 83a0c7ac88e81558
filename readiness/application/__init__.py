"""The MIO Training & Learning Collaborative application (one per agency and training cohort), its review by the
implementation director, and counselor eligibility per proposed clinician."""


def init_app(app):
    from app.main import add_nav
    from app.models import Role
    from readiness.application import eligibility_views, review_views, views  # noqa: F401  (routes)
    from readiness.application.blueprint import bp
    from readiness.application.demo import seed_demo

    app.register_blueprint(bp)
    add_nav(app, "Application", "application.mine", (Role.AGENCY_STAFF,), order=20)
    add_nav(app, "Applications", "application.index", (Role.DIRECTOR,), order=20)
    app.extensions["mio.demo_seeders"].append(seed_demo)
