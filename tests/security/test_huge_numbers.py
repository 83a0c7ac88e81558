"""Integer ids of 2^63 or more (issue 14, item 7): a probe found 183 routes answering 500. Every route of the URL map
is walked with such ids in the path (a 404, like a missing row) and in the query string (a 404 or a 400 naming the
problem); a POSTed form with a huge id is refused with nothing saved. Routes added later join the walk."""

from __future__ import annotations

import pytest
from flask import url_for

from app.db import db
from app.guards import INT64_MAX
from app.models import Role
from tests.security.conftest import SKIP_ENDPOINTS, fill

HUGE = 2**63
#: every integer query parameter a view reads (grep ``type=int``), plus paging
INT_QUERY_PARAMS = ("at", "blind_sample_id", "code", "code_id", "cohort_id", "parent", "participant_id",
                    "person_id", "turn", "page", "project_id", "clinic_id")


def _int_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        if any("Integer" in c.__class__.__name__ for c in rule._converters.values()):
            yield rule


def test_the_int_converter_stops_at_64_bits(app):
    adapter = app.url_map.bind("localhost")
    rule = next(_int_rules(app))
    values = {a: INT64_MAX for a in rule.arguments}
    with app.test_request_context():
        ok_url = url_for(rule.endpoint, **values)
        huge_url = url_for(rule.endpoint, **{a: HUGE for a in rule.arguments})
    method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
    assert adapter.match(ok_url, method=method)[0] == rule.endpoint
    from werkzeug.exceptions import NotFound

    with pytest.raises(NotFound):
        adapter.match(huge_url, method=method)


@pytest.mark.parametrize("role", [Role.DIRECTOR, Role.ADMIN, Role.ANALYST, Role.TRIAL_STAFF])
def test_every_route_with_a_huge_id_in_the_path_is_404(app, populated, login, client, role):
    login(populated["users"][role])
    failures, walked = [], 0
    for rule in _int_rules(app):
        with app.test_request_context():
            url = url_for(rule.endpoint, **fill(rule, {}, default_int=HUGE))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            walked += 1
            response = client.open(url, method=method, data={})
            if response.status_code != 404:
                failures.append(f"{method} {url} -> {response.status_code}")
    assert not failures, "\n".join(failures)
    assert walked > 150  # the probe counted 183 routes with integer ids


@pytest.mark.parametrize("role", [Role.DIRECTOR, Role.ANALYST])
def test_every_page_with_huge_numbers_in_the_query_string_is_not_a_500(app, populated, login, client, role):
    login(populated["users"][role])
    query = {name: str(HUGE) for name in INT_QUERY_PARAMS}
    failures, walked = [], 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS or "GET" not in rule.methods:
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **fill(rule, populated["ids"]))
        walked += 1
        try:
            response = client.get(url, query_string=query)
        except Exception as error:  # noqa: BLE001 - a 500 in testing raises; report every route at once
            failures.append(f"GET {url} raised {type(error).__name__}: {error}")
            db.session.rollback()
            continue
        if response.status_code >= 500:
            failures.append(f"GET {url} -> {response.status_code}")
    assert not failures, "\n".join(failures)
    assert walked > 100


def test_a_huge_number_posted_in_a_form_is_a_400_naming_it_and_saves_nothing(app, populated, login, client):
    """The screening-log form's mother's age is an IntegerField: 2^63 is refused on the field, no row is added."""
    from implementation_outcomes.delivery.models import TrialParticipant

    login(populated["users"][Role.TRIAL_STAFF])
    before = db.session.scalar(db.select(db.func.count()).select_from(TrialParticipant))
    response = client.post(f"/outcomes/clinics/{populated['clinic'].id}/screening-log/new", data={
        "study_id": "WLK-0042", "screened_on": "2026-03-01", "status": "consented", "mother_age": str(HUGE),
        "counselor_id": "0", "arm": "", "primary_substance": "", "medication_treatment": ""})
    assert response.status_code == 400, response.status_code
    assert f"{HUGE} is outside" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(TrialParticipant)) == before


def test_a_number_the_database_refuses_is_a_400_naming_it_with_nothing_saved(app, populated):
    """The last line of defence, for a view that passes a query-string number straight to the database: the
    database refuses it (SQLite when binding, PostgreSQL SQLSTATE 22003 on a write), the error handler answers 400
    saying so and rolls back what the request had already flushed. (A separate app, so the probe route does not
    join the other walks.)"""
    from flask import Blueprint, request

    from app import create_app
    from app.models import Agency, Clinic

    probe = Blueprint("huge_probe", __name__)

    @probe.route("/_probe/huge")
    def huge():
        agency = db.session.get(Agency, int(request.args["agency"]))
        agency.name = "changed"
        db.session.flush()
        db.session.execute(db.update(Clinic).values(agency_id=request.args.get("n", type=int)))
        db.session.commit()
        return "saved"

    keys = ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "WTF_CSRF_ENABLED", "SERVER_NAME")
    probe_app = create_app({k: app.config[k] for k in keys})
    probe_app.register_blueprint(probe)
    try:
        with probe_app.app_context():
            response = probe_app.test_client().get(
                "/_probe/huge", query_string={"n": str(HUGE), "agency": populated["agency"].id})
            assert response.status_code == 400
            assert "too large" in response.get_data(as_text=True)
    finally:
        with probe_app.app_context():
            db.engine.dispose()
    db.session.rollback()
    assert db.session.get(Agency, populated["agency"].id).name == "Walk Agency"
    assert {c.agency_id for c in db.session.scalars(db.select(Clinic))} == {populated["agency"].id}
