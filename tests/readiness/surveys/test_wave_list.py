"""The survey waves list: 50 a page, filters by agency, clinic and status (counts by hand), refusals naming the
parameter, and the status filter's SQL rule agreeing with ``wave_status`` on every wave, boundaries included."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.db import db
from readiness.surveys import services
from readiness.surveys.models import SurveyWave

WAVE_ROW = re.compile(r'href="/readiness/surveys/(\d+)"')


def _seed(clinic, create_agency, create_clinic) -> None:
    """SPR (the fixture's SPR-1, and SPR-2) and HFR (HFR-1), 62 waves: SPR-1 40 open; SPR-2 8 scheduled and 6
    expired; HFR-1 5 closed early (dates still open) and 3 open."""
    spr2 = create_clinic(clinic.agency, code="SPR-2")
    hfr1 = create_clinic(create_agency(code="HFR", name="Hampden"), code="HFR-1")
    today = services.survey_today()

    def waves(where, n, opens, closes, closed=False):
        return [SurveyWave(clinic_id=where.id, title=f"{where.code} wave {i}", opens_on=today + timedelta(days=opens),
                           closes_on=today + timedelta(days=closes),
                           closed_at=datetime.now(UTC) if closed else None) for i in range(n)]

    db.session.add_all(waves(clinic, 40, -3, 10) + waves(spr2, 8, 5, 20) + waves(spr2, 6, -20, -1)
                       + waves(hfr1, 5, -3, 10, closed=True) + waves(hfr1, 3, 0, 0))
    db.session.commit()


def _list(client, query: str = "") -> tuple[str, list[int]]:
    response = client.get(f"/readiness/surveys?{query}")
    assert response.status_code == 200, (query, response.status_code)
    page = response.get_data(as_text=True)
    return page, [int(i) for i in WAVE_ROW.findall(page)]


def test_waves_list_pages_fifty_at_a_time(client, login, director, clinic, create_agency, create_clinic):
    _seed(clinic, create_agency, create_clinic)
    login(director)
    first, first_ids = _list(client)
    assert len(first_ids) == 50 and "Rows 1–50 of 62, page 1 of 2" in first
    assert 'href="/readiness/surveys?page=2">Last' in first
    second, second_ids = _list(client, "page=2")
    assert len(second_ids) == 12 and "Rows 51–62 of 62" in second
    assert len(set(first_ids) | set(second_ids)) == 62
    assert _list(client, "page=3")[1] == second_ids
    response = client.get("/readiness/surveys?page=abc")
    assert response.status_code == 400 and "The “page” filter" in response.get_data(as_text=True)


def test_waves_filters_count_by_hand(client, login, director, clinic, create_agency, create_clinic):
    _seed(clinic, create_agency, create_clinic)
    login(director)
    counts = {"agency=SPR": 54, "agency=HFR": 8, "clinic=SPR-2": 14, "clinic=SPR-1": 40, "status=open": 43,
              "status=scheduled": 8, "status=expired": 6, "status=closed": 5, "agency=HFR&status=open": 3,
              "clinic=SPR-2&status=open": 0, "agency=HFR&clinic=SPR-2": 0}
    for query, expected in counts.items():
        page, ids = _list(client, query)
        assert len(ids) == min(expected, 50), query
        assert f"of {expected}" in page if expected else "No waves match these filters." in page, query
    page, _ = _list(client, "agency=SPR")  # 54 waves: two pages, linked with the filter kept
    assert 'href="/readiness/surveys?page=2&amp;agency=SPR" rel="next"' in page
    page, _ = _list(client, "agency=HFR")
    assert '<option value="HFR-1">' in page and '<option value="SPR-2">' not in page  # the agency's clinics
    for query, name in (("status=finished", "status"), ("clinic=NOPE-1", "clinic"), ("agency=NOPE", "agency")):
        response = client.get(f"/readiness/surveys?{query}")
        assert response.status_code == 400, query
        assert f"The “{name}” filter" in response.get_data(as_text=True), query


def test_status_filter_agrees_with_wave_status(app_ctx, clinic, create_agency, create_clinic, director):
    _seed(clinic, create_agency, create_clinic)
    today = services.survey_today()
    every = db.session.execute(sa.select(SurveyWave)).scalars().all()
    for status in services.WAVE_STATUSES:
        stmt = services.waves_query(user=director, status=status, today=today)
        found = {w.id for w in db.session.execute(stmt).scalars()}
        assert found == {w.id for w in every if services.wave_status(w, today) == status}, status
        assert found, status
    # the boundaries: a wave opening today and closing today is open; closing yesterday, expired
    tomorrow = today + timedelta(days=1)
    edge = SurveyWave(clinic_id=clinic.id, title="edge", opens_on=tomorrow, closes_on=tomorrow)
    db.session.add(edge)
    db.session.commit()
    for day, status in ((today, "scheduled"), (tomorrow, "open"), (tomorrow + timedelta(days=1), "expired")):
        ids = db.session.execute(services.waves_query(user=director, status=status, today=day)).scalars().all()
        assert edge in ids and services.wave_status(edge, day) == status
