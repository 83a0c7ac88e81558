"""Agency staff see their own clinics' readiness results (issue 16.6; README "Roles"): the profile, its downloads
and their waves' results, aggregated and suppressed exactly as the director sees those clinics, never another
agency's, and without the director's actions."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from app.db import db
from app.models import Clinic, User
from readiness.surveys import profile_service
from readiness.surveys.models import SurveyWave
from tests.readiness.surveys.test_profiles import demo  # noqa: F401  (the seeded demo fixture)


def _user(email: str) -> User:
    return db.session.execute(sa.select(User).where(User.email == email)).scalar_one()


def _wave_of(code: str) -> SurveyWave:
    clinic = db.session.execute(sa.select(Clinic).where(Clinic.code == code)).scalar_one()
    return db.session.execute(sa.select(SurveyWave).where(SurveyWave.clinic_id == clinic.id)
                              .order_by(SurveyWave.id)).scalars().first()


def test_agency_staff_see_their_clinics_results_only(demo, client, login, monkeypatch):  # noqa: F811
    monkeypatch.setattr(profile_service, "default_gates_provider", lambda clinic_ids: {})
    director_csv = None
    login(_user("director@mio.example"))
    director_csv = list(csv.DictReader(io.StringIO(
        client.get("/readiness/profiles/export.csv").data.decode("utf-8-sig"))))
    client.post("/auth/logout")
    login(_user("staff.spr@mio.example"))
    home = client.get("/").data.decode()
    assert 'href="/readiness/profiles"' in home  # in their navigation, as README says
    page = client.get("/readiness/profiles")
    text = page.data.decode()
    assert page.status_code == 200 and "SPR-1" in text and "SPR-2" in text
    assert "HFR-1" not in text and "HFR-2" not in text
    assert client.get("/readiness/profiles?clinic=HFR-1").status_code == 404  # another agency's clinic
    assert client.get("/readiness/profiles?clinic=SPR-1").status_code == 200
    rows = list(csv.DictReader(io.StringIO(client.get("/readiness/profiles/export.csv").data.decode("utf-8-sig"))))
    assert rows and all("HFR" not in " ".join(r.values()) for r in rows)
    # the same suppression: every SPR clinic row the agency sees equals the director's row for it (withheld alike)
    clinic_key = "Clinic or agency"
    spr_director = [r for r in director_csv if r[clinic_key] in ("SPR-1", "SPR-2")]
    spr_staff = [r for r in rows if r[clinic_key] in ("SPR-1", "SPR-2")]
    assert spr_staff and spr_staff == [{k: r[k] for k in spr_staff[0]} for r in spr_director]
    own, other = _wave_of("SPR-1"), _wave_of("HFR-1")
    results = client.get(f"/readiness/surveys/{own.id}/results")
    body = results.data.decode()
    assert results.status_code == 200 and "Clinic results · SPR-1" in body
    assert "Re-score this wave" not in body and "/readiness/surveys/" + str(own.id) + '"' not in body
    assert client.get(f"/readiness/surveys/{other.id}/results").status_code == 404
    assert client.get(f"/readiness/surveys/{own.id}").status_code == 403  # links and actions stay the director's
    assert client.post(f"/readiness/surveys/{own.id}/rescore").status_code in (400, 403)
