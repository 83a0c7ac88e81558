"""The ``mio outcomes`` commands and the role-aware navigation entries."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app.db import db
from implementation_outcomes.delivery.models import CodingAssignment, MioSession, TrialParticipant


def test_import_command_all_or_nothing(runner, world, tmp_path):
    good = tmp_path / "log.csv"
    good.write_text("study_id,screened_on,status,reason\nSPR1-001,2026-03-02,lost,\nSPR1-002,2026-03-02,declined,busy\n")
    result = runner.invoke(args=["outcomes", "import-screening-log", "spr-1", str(good)])
    assert result.exit_code == 0, result.output
    assert "Imported 2 rows into SPR-1." in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("study_id,screened_on,status,reason\nSPR1-003,2026-03-02,declined,\nSPR1-001,2026-03-02,lost,\n")
    result = runner.invoke(args=["outcomes", "import-screening-log", "SPR-1", str(bad)])
    assert result.exit_code != 0
    assert "row 2, field 'reason': a declined row needs a reason" in result.output
    assert "row 3, field 'study_id': SPR1-001 is already in this clinic's screening log" in result.output
    assert "nothing imported: 2 problem(s)" in result.output
    assert db.session.execute(sa.select(sa.func.count(TrialParticipant.id))).scalar() == 2
    unknown = runner.invoke(args=["outcomes", "import-screening-log", "XYZ-9", str(good)])
    assert unknown.exit_code != 0 and "no clinic with code XYZ-9" in unknown.output


def test_assign_coding_command(runner, world, add_participant):
    mother = add_participant(world.clinic_a, "SPR1-001", "started", arm="mio_tau", randomized_on=date(2026, 3, 2))
    db.session.add_all(MioSession(clinic_id=world.clinic_a.id, participant_id=mother.id,
                                  counselor_id=world.counselors_a[0].id, session_number=n,
                                  session_date=date(2026, 3, 2 + 7 * n), duration_minutes=55, modality="virtual",
                                  status="attended", audio_recorded=True) for n in (1, 2, 3))
    db.session.commit()
    result = runner.invoke(args=["outcomes", "assign-coding"])
    assert result.exit_code == 0, result.output
    assert "Assigned 3 sessions; 1 double-coded (batch 1)." in result.output
    assert db.session.execute(sa.select(sa.func.count(CodingAssignment.id))).scalar() == 4


def test_navigation_by_role(world, client_for):
    def nav(user) -> str:
        html = client_for(user).get("/").get_data(as_text=True)
        return html[html.index('<nav id="site-nav"'):html.index("</nav>")]

    trial, director, coder, staff = (nav(u) for u in (world.trial_a, world.director, world.coder1, world.staff_a))
    assert "Reach &amp; sessions" in trial and "Fidelity" not in trial
    assert "Reach &amp; sessions" in director and "Fidelity" in director and "My coding queue" not in director
    assert "Fidelity" in coder and "My coding queue" in coder and "Reach &amp; sessions" not in coder
    assert "Training cases" in staff and "Reach &amp; sessions" not in staff and "Fidelity" not in staff


def test_every_page_renders_for_an_empty_clinic(world, client_for):
    director = client_for(world.director)
    c = world.clinic_a.id
    for url in ("/outcomes/", f"/outcomes/clinics/{c}/reach", f"/outcomes/clinics/{c}/screening-log",
                f"/outcomes/clinics/{c}/sessions", f"/outcomes/clinics/{c}/feasibility", f"/outcomes/clinics/{c}/training",
                f"/outcomes/clinics/{c}/fidelity", "/outcomes/fidelity", "/outcomes/fidelity/scheme",
                f"/outcomes/clinics/{c}/tables/fidelity.xlsx", f"/outcomes/clinics/{c}/tables/feasibility.xlsx"):
        response = director.get(url)
        assert response.status_code == 200, url
    html = director.get(f"/outcomes/clinics/{c}/reach").get_data(as_text=True)
    assert "Reach <strong>n/a</strong>" in html and "Nothing recorded yet." in html
    assert "No coded sessions yet." in director.get(f"/outcomes/clinics/{c}/fidelity").get_data(as_text=True)
