"""Readiness: the Training & Learning Collaborative application and counselor eligibility, instruments, surveys,
scoring and site readiness profiles."""


def init_app(app):
    from readiness import application, surveys

    application.init_app(app)
    surveys.init_app(app)
