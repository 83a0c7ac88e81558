"""Adoption pages through the client: step entry with its order/date rules, funnels vs hand-computed counts,
exports, agency scoping, and the readiness hook."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.db import db
from app.models import Role
from implementation_outcomes.adoption import COUNSELOR_STEPS
from implementation_outcomes.implementation import clinic_adoption, mark_eligible_from_readiness
from implementation_outcomes.implementation.models import AdoptionStep
from implementation_outcomes.implementation.services.common import FieldErrors

START = date(2025, 10, 1)


def post_step(client, clinic, person, step, when, note=""):
    return client.post(f"/implementation/clinics/{clinic.id}/adoption",
                       data={"person_id": person.id, "step": step, "reached_on": when.isoformat(), "note": note})


def record_path(client, clinic, person, n_steps, start=START):
    """Record the first ``n_steps`` steps, one week apart, through the form."""
    for i, step in enumerate(COUNSELOR_STEPS[:n_steps]):
        response = post_step(client, clinic, person, step, start + timedelta(days=7 * i))
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def step_count() -> int:
    return db.session.execute(sa.select(sa.func.count(AdoptionStep.id))).scalar()


@pytest.fixture
def four_paths(org, client, sign_in):
    """Ann delivers (9 steps), Bea stops after consent (3), Cy is only invited (1), Di has no step (0)."""
    sign_in(org.staff_a)
    ann, bea, cy, _di = org.counselors
    record_path(client, org.a1, ann, 9)
    record_path(client, org.a1, bea, 3)
    record_path(client, org.a1, cy, 1)
    return org


def test_funnel_counts_match_hand_computed(four_paths, client, read_csv, read_xlsx):
    org = four_paths
    assert step_count() == 9 + 3 + 1
    page = client.get(f"/implementation/clinics/{org.a1.id}/adoption")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'role="img"' in html and "<title id=\"funnel-title\">Adoption funnel, AGA-1</title>" in html
    rows = read_csv(client.get(f"/implementation/clinics/{org.a1.id}/tables/funnel.csv"))
    assert rows[0] == ["Step", "Counselors", "% of previous step", "% of invited"]
    # by hand: invited = Ann, Bea, Cy = 3; eligible, consented = Ann, Bea = 2; every later step = Ann = 1
    assert [int(r[1]) for r in rows[1:]] == [3, 2, 2, 1, 1, 1, 1, 1, 1]
    assert rows[2][2:] == ["0.6667", "0.6667"]  # 2/3 of previous, 2/3 of invited
    assert rows[4][2:] == ["0.5", "0.3333"]  # didactic: 1/2 of consented, 1/3 of invited
    summary = read_csv(client.get(f"/implementation/clinics/{org.a1.id}/tables/adoption-summary.csv"))
    # staff adoption = delivering / eligible = 1/2; of invited = 1/3; penetration = delivering / trained = 1/1
    # the last row counts hand-recorded steps only (no session rows here, so the same 1/2)
    assert [r[1:] for r in summary[1:]] == [["1", "2", "0.5"], ["1", "3", "0.3333"], ["1", "1", "1.0"],
                                            ["1", "2", "0.5"]]
    steps = read_xlsx(client.get(f"/implementation/clinics/{org.a1.id}/tables/counselor-steps.xlsx"))
    assert steps[0][0] == "Counselor" and len(steps[0]) == 10
    by_name = {r[0]: r[1:] for r in steps[1:]}
    assert by_name["Ann Able"][8] == (START + timedelta(days=56)).isoformat()
    assert by_name["Cy Cole"][:2] == [START.isoformat(), None]
    assert by_name["Di Dunn"] == [None] * 9
    assert "Sue Super" not in by_name  # supervisors are not counselors
    sources = db.session.execute(sa.select(AdoptionStep.source).where(AdoptionStep.step == "eligible")).scalars()
    assert set(sources) == {"readiness screening (recorded by hand)"}
    # each counselor row offers the next step to record
    html = page.get_data(as_text=True)
    bea = org.counselors[1]
    assert f"person_id={bea.id}&amp;step=didactic_complete#record" in html
    prefilled = client.get(f"/implementation/clinics/{org.a1.id}/adoption?person_id={bea.id}&step=didactic_complete")
    assert f'<option selected value="{bea.id}">' in prefilled.get_data(as_text=True)
    assert '<option selected value="didactic_complete">' in prefilled.get_data(as_text=True)


def test_cross_clinic_comparison_and_setting_adoption(four_paths, client, read_csv, sign_in):
    org = four_paths
    rows = read_csv(client.get("/implementation/tables/funnel-comparison.csv"))
    assert rows[0] == ["Step", "AGA-1", "AGA-2", "All clinics", "All clinics, % of invited"]
    assert rows[1] == ["Invited", "3", "0", "3", "1.0"] and rows[9] == ["Delivering to trial mothers", "1", "0", "1",
                                                                         "0.3333"]
    staff = read_csv(client.get("/implementation/tables/staff-adoption.csv"))
    assert staff[1] == ["AGA-1", "3", "2", "1", "1", "0.5", "0.3333", "1.0"]
    assert staff[2] == ["AGA-2", "0", "0", "0", "0", "", "", ""]  # undefined, not 0 %
    setting = read_csv(client.get("/implementation/tables/setting-adoption.csv"))
    # agency A approached; AGA-1 takes part, AGA-2 does not: 1/2
    assert setting[1:] == [["AGA", "2", "1", "0.5"], ["All agencies", "2", "1", "0.5"]]
    page = client.get("/implementation/adoption").get_data(as_text=True)
    assert "AGB-1" not in page and "Bo Bee" not in page
    # the director sees both agencies; B has no approach date but its clinic takes part: counted, and flagged
    sign_in(org.director)
    setting = read_csv(client.get("/implementation/tables/setting-adoption.csv"))
    assert setting[1:] == [["AGA", "2", "1", "0.5"], ["AGB", "1", "1", "1.0"], ["All agencies", "3", "2", "0.6667"]]
    assert "No approach date is recorded for AGB" in client.get("/implementation/").get_data(as_text=True)


def test_step_before_its_predecessor_is_refused(org, client, sign_in):
    sign_in(org.staff_a)
    ann = org.counselors[0]
    post_step(client, org.a1, ann, "invited", START)
    response = post_step(client, org.a1, ann, "consented", START + timedelta(days=3))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Ann Able: “Consented” cannot be recorded before “Eligible (readiness screening)” (not recorded yet)." in html
    assert step_count() == 1


def test_step_dated_before_previous_step_or_after_next(org, client, sign_in):
    sign_in(org.staff_a)
    ann = org.counselors[0]
    record_path(client, org.a1, ann, 3)  # Oct 1, 8, 15
    early = post_step(client, org.a1, ann, "didactic_complete", date(2025, 10, 10))
    assert early.status_code == 400
    assert "Ann Able: “Didactic training complete (16 h)” on 2025-10-10 is before “Consented” on 2025-10-15." in \
        early.get_data(as_text=True)
    late = post_step(client, org.a1, ann, "eligible", date(2025, 10, 20))  # correcting eligible past consent
    assert late.status_code == 400 and "is after “Consented” on 2025-10-15" in late.get_data(as_text=True)
    assert step_count() == 3
    fixed = post_step(client, org.a1, ann, "eligible", date(2025, 10, 9), note="date from the screening log")
    assert fixed.status_code == 302
    row = db.session.execute(sa.select(AdoptionStep).where(AdoptionStep.step == "eligible")).scalar_one()
    assert (row.reached_on, row.note, step_count()) == (date(2025, 10, 9), "date from the screening log", 3)


def test_future_date_and_bad_fields(org, client, sign_in):
    sign_in(org.director)
    ann = org.counselors[0]
    tomorrow = date.today() + timedelta(days=1)
    response = post_step(client, org.a1, ann, "invited", tomorrow)
    assert response.status_code == 400
    assert f"Ann Able, Invited: {tomorrow.isoformat()} is in the future (today is {date.today().isoformat()})." in \
        response.get_data(as_text=True)
    assert post_step(client, org.a1, ann, "graduated", START).status_code == 400
    wrong_person = post_step(client, org.a1, org.counselor_b, "invited", START)  # B's counselor on A's page
    assert wrong_person.status_code == 400 and "Choose a counselor of AGA-1." in wrong_person.get_data(as_text=True)
    not_a_date = client.post(f"/implementation/clinics/{org.a1.id}/adoption",
                             data={"person_id": ann.id, "step": "invited", "reached_on": "01/10/2025"})
    assert not_a_date.status_code == 400 and "Not a valid date value." in not_a_date.get_data(as_text=True)
    assert step_count() == 0


def test_agency_scoping(org, client, sign_in):
    sign_in(org.staff_b)
    assert client.get(f"/implementation/clinics/{org.a1.id}/adoption").status_code == 404
    assert post_step(client, org.a1, org.counselors[0], "invited", START).status_code == 404
    assert client.get(f"/implementation/clinics/{org.a1.id}/tables/funnel.csv").status_code == 404
    assert step_count() == 0
    sign_in(org.staff_a)
    post_step(client, org.a1, org.counselors[0], "invited", START)
    step_id = db.session.execute(sa.select(AdoptionStep.id)).scalar_one()
    sign_in(org.staff_b)
    assert client.post(f"/implementation/adoption-steps/{step_id}/delete").status_code == 404
    assert step_count() == 1


def test_only_the_latest_step_can_be_removed(org, client, sign_in):
    sign_in(org.staff_a)
    ann = org.counselors[0]
    record_path(client, org.a1, ann, 2)
    ids = dict(db.session.execute(sa.select(AdoptionStep.step, AdoptionStep.id)).all())
    refused = client.post(f"/implementation/adoption-steps/{ids['invited']}/delete", follow_redirects=True)
    assert "Ann Able: remove “Eligible (readiness screening)” first" in refused.get_data(as_text=True)
    assert step_count() == 2
    client.post(f"/implementation/adoption-steps/{ids['eligible']}/delete")
    assert step_count() == 1


def test_other_roles_get_403(org, client, sign_in, create_user):
    sign_in(create_user(Role.ANALYST))
    assert client.get("/implementation/").status_code == 403
    assert client.get(f"/implementation/clinics/{org.a1.id}/adoption").status_code == 403


def test_navigation_for_director_and_agency_staff(org, client, sign_in, create_user):
    for user in (org.director, org.staff_a):
        sign_in(user)
        page = client.get("/").get_data(as_text=True)
        assert ">Adoption &amp; activities<" in page and ">Strategies<" in page
    sign_in(create_user(Role.FIDELITY_CODER))
    assert ">Adoption &amp; activities<" not in client.get("/").get_data(as_text=True)


def test_mark_eligible_from_readiness(org, client, sign_in):
    sign_in(org.staff_a)
    ann, bea = org.counselors[:2]
    post_step(client, org.a1, ann, "invited", START)
    with pytest.raises(FieldErrors, match="cannot be recorded before “Invited”"):
        mark_eligible_from_readiness(bea.id, START, user=org.staff_a)
    with pytest.raises(LookupError):
        mark_eligible_from_readiness(ann.id, START, user=org.staff_b)  # outside B's scope
    row = mark_eligible_from_readiness(ann.id, START + timedelta(days=5), user=org.staff_a)
    assert (row.step, row.source, row.reached_on) == ("eligible", "readiness screening", START + timedelta(days=5))
    summary = clinic_adoption(org.a1.id, user=org.staff_a)
    assert summary["staff_adoption"]["eligible"] == 1
    assert summary["counselors"][0]["steps"] == {"invited": START, "eligible": START + timedelta(days=5)}
    assert clinic_adoption(org.a1.id, user=org.staff_b) is None
