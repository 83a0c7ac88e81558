"""The demo's adoption: the overview counts the counselors the session rows prove delivering (4 / 4 / 4 / 4), not
only the hand-recorded steps (2 / 1 / 4 / 3), and flags the counselors whose records contradict the data."""

from __future__ import annotations

import sqlalchemy as sa

from app.db import db
from implementation_outcomes.delivery.models import MioSession
from implementation_outcomes.implementation import clinic_adoption
from implementation_outcomes.overview.services import Filters, counselor_overview, overview_rows
from tests.implementation_outcomes.overview.conftest import as_user


def test_overview_counts_delivering_from_sessions_and_flags_the_rest(demo):
    director = demo.user("director@mio.example")
    with as_user(director):
        rows = {r["clinic"]: r for r in overview_rows(Filters())}
        for code, row in rows.items():
            # independent count: distinct counselors with an attended MIO session at the clinic
            with_sessions = db.session.execute(
                sa.select(sa.func.count(sa.distinct(MioSession.counselor_id)))
                .where(MioSession.clinic_id == row["clinic_id"], MioSession.status == "attended")).scalar()
            assert row["delivering"] == with_sessions == 4, code
        recorded = {code: clinic_adoption(r["clinic_id"])["recorded_staff_adoption"]["delivering"]
                    for code, r in rows.items()}
        assert recorded == {"HFR-1": 2, "HFR-2": 1, "SPR-1": 4, "SPR-2": 3}
        assert rows["SPR-1"]["adoption_flags"] == 0 and rows["HFR-2"]["adoption_flags"] == 4


def test_counselor_page_flags_the_counselor_with_47_sessions(demo, client_for):
    keisha = demo.counselor("Keisha Grant")
    director = demo.user("director@mio.example")
    with as_user(director):
        c = counselor_overview(keisha.id)
    assert c["sessions"]["by_status"]["attended"] == 47
    assert any("Delivering to trial mothers” is not recorded" in m and "47 attended MIO sessions" in m
               for m in c["adoption_flags"])
    client = client_for("director@mio.example")
    html = client.get(f"/outcomes/overview/counselors/{keisha.id}").get_data(as_text=True)
    assert "47 attended MIO sessions" in html and "callout warn" in html
    clinic = client.get(f"/outcomes/overview/clinics/{keisha.clinic_id}").get_data(as_text=True)
    assert "records the data contradict" in clinic and "Furthest step recorded by hand" in clinic
    adoption = client.get(f"/implementation/clinics/{keisha.clinic_id}/adoption").get_data(as_text=True)
    assert "47 attended MIO sessions" in adoption
    csv = client.get(f"/implementation/clinics/{keisha.clinic_id}/tables/adoption-contradictions.csv")
    assert csv.status_code == 200 and "Keisha Grant" in csv.get_data(as_text=True)
    index = client.get("/outcomes/overview/").get_data(as_text=True)
    assert "contradict the data" in index
