"""Instrument engine, survey waves, scoring and aggregation, and site readiness profiles.

Rooms: ``models`` (tables), ``library`` (shipped + imported instruments, REDCap dictionaries), ``services``
(waves, links, scoring, REDCap records), ``respond`` (the public respondent flow), ``results`` and
``profile_service`` (aggregation glue and the R = MC^2 profile), ``layout`` and ``charts`` (pure rendering
helpers), views for directors (``views``, ``instrument_views``, ``profile_views``) and respondents
(``public_views``), ``cli`` and ``demo``. The science is in the pure modules of :mod:`readiness`.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.main import add_nav
    from app.models import Role
    from readiness.surveys import cli, demo, instrument_views, profile_views, public_views, views

    for blueprint in (views.bp, instrument_views.bp, profile_views.bp, public_views.bp):
        app.register_blueprint(blueprint)
    add_nav(app, "Readiness surveys", "readiness_surveys.waves", (Role.DIRECTOR,), order=20)
    add_nav(app, "Readiness profiles", "readiness_profiles.index", (Role.DIRECTOR, Role.AGENCY_STAFF), order=21)
    add_nav(app, "Instruments", "readiness_instruments.index", (Role.DIRECTOR,), order=22)
    from app.worklist import add_work
    from readiness.surveys import worklist

    add_work(app, (Role.DIRECTOR,), worklist.waves_closing, order=11)
    add_work(app, (Role.AGENCY_STAFF,), worklist.open_surveys, order=11)
    profile_views.register_api(app)
    cli.register(app)
    app.extensions["mio.demo_seeders"].append(demo.seed)
