"""Every download route (CSV, Excel, JSON, .qdc, .qdpx) fetched with data present (issue 14, item 7): no 500.

The download links are found the way a user finds them: every page of the URL map is opened (ids of a populated
agency: one row of every agency-owned model), every link on it that leads to a download route is followed, and each
download route is also tried directly with the populated ids and each format. A route added later joins the walk.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from flask import url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from app.db import db
from app.models import Role
from tests.security.conftest import SKIP_ENDPOINTS, fill

_SUFFIXES = (".csv", ".xlsx", ".json", ".qdpx", ".qdc")
FORMATS = ("csv", "xlsx", "json")
_HREF = re.compile(r'href="([^"#]+)"')


def download_rules(app) -> list:
    rules = []
    for rule in app.url_map.iter_rules():
        text = str(rule)
        if rule.endpoint in SKIP_ENDPOINTS or "GET" not in rule.methods or rule.endpoint == "jobs.status":
            continue
        if text.endswith(_SUFFIXES) or "fmt" in rule.arguments or text.startswith("/api/"):
            rules.append(rule)
    return rules


def _get(client, url: str, failures: list[str], headers=None):
    try:
        response = client.get(url, headers=headers or {})
    except Exception as error:  # noqa: BLE001 - a 500 raises in testing; report every route at once
        db.session.rollback()
        failures.append(f"GET {url} raised {type(error).__name__}: {error}")
        return None
    if response.status_code >= 500:
        failures.append(f"GET {url} -> {response.status_code}")
    return response


def walk_downloads(app, client, ids: dict, *, api_headers=None) -> tuple[dict[str, list], list[str]]:
    """{download endpoint: [(url, response)]} and the failures (5xx or exceptions) met on the way."""
    adapter = app.url_map.bind("mio.test")
    downloads = {rule.endpoint for rule in download_rules(app)}
    fetched: dict[str, list] = {endpoint: [] for endpoint in downloads}
    failures: list[str] = []
    seen: set[str] = set()

    def follow(url: str) -> None:
        if url in seen:
            return
        seen.add(url)
        parts = urlsplit(url)
        try:
            endpoint, _ = adapter.match(parts.path, method="GET")
        except (HTTPException, RequestRedirect):
            return
        if endpoint in downloads:
            headers = api_headers if parts.path.startswith("/api/") else None
            response = _get(client, url, failures, headers)
            if response is not None:
                fetched[endpoint].append((url, response))

    for rule in app.url_map.iter_rules():  # pages: every link to a download
        if rule.endpoint in SKIP_ENDPOINTS or "GET" not in rule.methods or rule.endpoint in downloads:
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **fill(rule, ids))
        response = _get(client, url, failures)
        if response is None or response.status_code != 200 or not response.mimetype.startswith("text/html"):
            continue
        for href in _HREF.findall(response.get_data(as_text=True)):
            follow(href.replace("&amp;", "&"))
    for rule in download_rules(app):  # and each download route directly
        values = fill(rule, ids)
        for fmt in FORMATS if "fmt" in rule.arguments else (None,):
            if fmt:
                values["fmt"] = fmt
            with app.test_request_context():
                follow(url_for(rule.endpoint, **values))
    return fetched, failures


#: download routes that need state the generic rows do not have, each with the reason; they are still fetched
NOT_EXPECTED_200 = {
    "analysis.export_download": "a finished .qdpx export job (started by POST; tests/qualitative cover it)",
    "analysis.agreement_download": "two coders' codings on a blind sample (400 naming what is missing otherwise)",
    "analysis.queries_download": "a query's results (400 naming the field without one; tests/qualitative/analysis/test_queries.py)",
    "integration.cases_csv": "construct ratings of the project's clinics (400 naming what is missing otherwise)",
    "qualitative.codebook_version_csv": "a published codebook version",
    "overview.counselor_export": "a person who is a counselor (the generic person is not)",
    "api.outcomes_counselor": "a person who is a counselor (the generic person is not)",
}


@pytest.mark.parametrize("role", [Role.DIRECTOR, Role.ANALYST, Role.TRIAL_STAFF, Role.ADMIN])
def test_every_download_route_answers_without_a_500(app, populated, login, client, role):
    user = populated["users"][role]
    login(user)
    from app.security import issue_api_token

    _token, bearer = issue_api_token(user, "walk")
    db.session.commit()
    fetched, failures = walk_downloads(app, client, populated["ids"],
                                       api_headers={"Authorization": f"Bearer {bearer}"})
    assert not failures, "\n".join(failures)
    assert sum(len(v) for v in fetched.values()) > 20
    if role == Role.DIRECTOR:
        never = sorted(e for e, hits in fetched.items()
                       if not any(r.status_code == 200 for _u, r in hits) and e not in NOT_EXPECTED_200)
        assert not never, f"download routes never answered 200 for the director: {never}"
