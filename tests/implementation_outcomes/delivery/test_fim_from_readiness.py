"""FIM beside feasibility: the clinic's readiness-survey FIM (Weiner et al. 2017) reaches the feasibility page."""

import sqlalchemy as sa

from app.db import db
from app.models import Clinic, Role


def test_demo_fim_reaches_feasibility(app, app_ctx, runner, client, create_user, login):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    from implementation_outcomes.delivery.services.feasibility import readiness_fim_scores
    from readiness.surveys.profile_service import clinic_instrument_scores

    director = create_user(Role.DIRECTOR)
    spr1 = db.session.execute(sa.select(Clinic).where(Clinic.code == "SPR-1")).scalar_one()
    hfr1 = db.session.execute(sa.select(Clinic).where(Clinic.code == "HFR-1")).scalar_one()
    expected = clinic_instrument_scores("SPR-1", "fim", director)[0]
    fim = readiness_fim_scores(spr1.id, director)
    assert fim["n"] == expected["n"] >= 3 and fim["mean"] == expected["mean"] and not fim["suppressed"]
    login(director)
    page = client.get(f"/outcomes/clinics/{spr1.id}/feasibility").get_data(as_text=True)
    assert f"mean {fim['mean']:.2f}" in page
    # HFR-1's FIM has n = 2 in the demo: suppressed, never shown as a mean
    small = readiness_fim_scores(hfr1.id, director)
    assert small["suppressed"] and small["n"] == 2
    assert "shown only with at least 3 respondents" in client.get(f"/outcomes/clinics/{hfr1.id}/feasibility").get_data(as_text=True)
