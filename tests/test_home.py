"""The home page's work queues (issue 16.1, ``app/worklist.py``): exact counts per role on factory data, scoped to
what the user may see (a second agency's, another coder's, another project's items are never counted), an honest
empty state, every link on the page opening, and a query count that does not grow with the data."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.db import db
from app.models import Role
from app.worklist import FIRST_LINKS, WorkItem, WorkLink
from implementation_outcomes.adoption import COUNSELOR_STEPS
from implementation_outcomes.delivery.models import (
    CodingAssignment,
    FidelityRating,
    MioSession,
    TrainingCaseSession,
    TrialParticipant,
)
from implementation_outcomes.effectiveness import schedule
from implementation_outcomes.effectiveness import services as effectiveness
from implementation_outcomes.effectiveness.models import AssessmentVisit, Withdrawal
from implementation_outcomes.implementation.models import AdoptionStep
from qualitative.analysis.models import (
    BlindSample,
    BlindSampleCoder,
    BlindSampleDocument,
    ConsensusRating,
    ConstructRating,
    Suggestion,
)
from qualitative.autocode import RULE_VERSION
from qualitative.models import Code, Coding, Document, Privilege, ProjectMember, QualProject
from readiness.application.models import Application, TrainingCohort
from readiness.surveys import services as surveys
from readiness.surveys.models import SurveyLink, SurveyWave

CARD = re.compile(r'data-work="(?P<key>[a-z_]+)">\s*<h3 class="queue-title"><span class="queue-count">(?P<n>[\d,]+)')
ADEQUATE = {"ab_warmth": 3, "ab_collaboration": 3, "ab_session_structure": 3, "pe_parenting_advice": 2,
            "pe_problem_solving": 2, "mb_mother_mental_states": 4, "mb_child_mental_states": 4,
            "mb_affect_regulation": 4, "mb_linking_states_behaviour": 4, "mb_curious_stance": 4}
# adherence (mentalization-based) mean 2 < 3: fails the packaged scheme's adequacy rule
INADEQUATE = {**ADEQUATE, **{k: 2 for k in ADEQUATE if k.startswith("mb_")}}


def queues(client) -> dict[str, int]:
    response = client.get("/")
    assert response.status_code == 200
    return {m["key"]: int(m["n"].replace(",", "")) for m in CARD.finditer(response.get_data(as_text=True))}


def queue_links(client) -> list[str]:
    html = client.get("/").get_data(as_text=True)
    section = html[html.index('id="your-work"'):]
    return re.findall(r'<a href="([^"]+)"', section)


def assert_links_open(client):
    links = queue_links(client)
    assert links, "the queues link to their work"
    for url in links:
        assert client.get(url.replace("&amp;", "&")).status_code == 200, url


@pytest.fixture
def two_agencies(factories):
    a, b = factories.agency(), factories.agency()
    return a, factories.clinic(a), b, factories.clinic(b)


def _add(*rows):
    db.session.add_all(rows)
    db.session.commit()
    return rows[0] if len(rows) == 1 else rows


# --- director -----------------------------------------------------------------------------------------------------
def _applications(a, b):
    cohort = _add(TrainingCohort(name="Spring", starts_on=date(2026, 4, 1)))
    cohort2 = _add(TrainingCohort(name="Autumn", starts_on=date(2026, 9, 1)))
    for agency, c, status in ((a, cohort, "submitted"), (a, cohort2, "under_review"), (b, cohort, "submitted"),
                              (b, cohort2, "draft")):
        _add(Application(agency_id=agency.id, cohort_id=c.id, status=status))
    return cohort


def _wave(clinic, opens, closes, closed=False, links=0, answered=0):
    wave = _add(SurveyWave(clinic_id=clinic.id, title=f"Wave {clinic.code} {closes}", opens_on=opens, closes_on=closes,
                           closed_at=sa.func.now() if closed else None))
    for n in range(links):
        _add(SurveyLink(survey_wave_id=wave.id, number=n + 1, token_hash=f"{wave.id:032d}{n:032d}",
                        submitted_at=sa.func.now() if n < answered else None))
    return wave


def _sessions(factories, clinic, coder, verdicts, start=date(2026, 1, 5)):
    """Attended MIO sessions a week apart, each rated by ``coder`` adequate or not (a new mother every 12)."""
    counselor = factories.person(clinic)
    mother = None
    for i, adequate in enumerate(verdicts):
        if i % 12 == 0:
            mother = _add(TrialParticipant(clinic_id=clinic.id, study_id=f"M-{counselor.id}-{i}", screened_on=start,
                                           status="started", arm="mio_tau", counselor_id=counselor.id,
                                           randomized_on=start))
        s = _add(MioSession(clinic_id=clinic.id, participant_id=mother.id, counselor_id=counselor.id,
                            session_number=i % 12 + 1, session_date=start + timedelta(days=7 * i),
                            modality="in_person", status="attended", audio_recorded=True))
        _add(FidelityRating(clinic_id=clinic.id, mio_session_id=s.id, source="coder", coder_id=coder.id,
                            scheme_version=0, scores=ADEQUATE if adequate else INADEQUATE, rated_on=start))
    if mother is None:
        mother = _add(TrialParticipant(clinic_id=clinic.id, study_id=f"M-{counselor.id}", screened_on=start,
                                       status="started", arm="mio_tau", counselor_id=counselor.id,
                                       randomized_on=start))
    return counselor, mother


def test_director_queues_exact(client, login, factories, two_agencies):
    a, ca, b, cb = two_agencies
    _applications(a, b)  # to review: A submitted, A under review, B submitted (the director sees every agency)
    today = surveys.survey_today()
    _wave(ca, today - timedelta(days=3), today + timedelta(days=5))  # closing soon
    _wave(cb, today, today + timedelta(days=13))  # closing soon (last day of the 14, today included)
    _wave(ca, today, today + timedelta(days=14))  # the 15th day: not yet
    _wave(ca, today - timedelta(days=3), today + timedelta(days=2), closed=True)  # closed early
    _wave(ca, today - timedelta(days=30), today - timedelta(days=1))  # expired
    _wave(ca, today + timedelta(days=1), today + timedelta(days=3))  # scheduled
    coder = factories.user(Role.FIDELITY_CODER)
    _sessions(factories, ca, coder, [True, False, False])  # 1 of 3 adequate: below the line
    _sessions(factories, cb, coder, [True, True, False])  # 2 of 3: not
    # the old sessions of a clinic that recovered: 10 recent adequate sessions after 5 inadequate ones
    cc = factories.clinic(a)
    _sessions(factories, cc, coder, [False] * 5 + [True] * 10)
    project = _add(QualProject(name="Interviews"))
    code = _add(Code(project_id=project.id, key="c1", name="Tension for change"))
    director = factories.user(Role.DIRECTOR)
    d1 = _add(Document(project_id=project.id, clinic_id=ca.id, name="Uncoded A", kind="interview", text="Hello there."))
    d2 = _add(Document(project_id=project.id, clinic_id=cb.id, name="Coded B", kind="interview", text="Hello there."))
    _add(Document(project_id=project.id, clinic_id=cb.id, name="Uncoded B", kind="interview", text="Hi."))
    _add(Coding(document_id=d2.id, code_id=code.id, coder_id=director.id, start=0, end=5))
    # adoption contradicted by the data: every step up to "delivering" recorded, no mother, no attended MIO session
    # (two counselors in A, one in B); a counselor recorded only as invited contradicts nothing; the three counselors
    # of the rated sessions above deliver with nothing recorded ("not recorded, but the data prove it"): 3 + 3
    for person in (factories.person(ca), factories.person(ca), factories.person(cb)):
        for step in COUNSELOR_STEPS:
            _add(AdoptionStep(person_id=person.id, step=step, reached_on=date(2026, 2, 1)))
    _add(AdoptionStep(person_id=factories.person(cb).id, step="invited", reached_on=date(2026, 2, 1)))
    login(director)
    assert queues(client) == {"applications_to_review": 3, "waves_closing": 2, "fidelity_below_line": 1,
                              "uncoded_backlog": 2, "adoption_contradictions": 6}
    html = client.get("/").get_data(as_text=True)
    assert d1.name in html
    # the contradictions link per clinic (three links for six counselors): no "and 3 more"
    assert "more</p>" not in html
    assert_links_open(client)


def test_more_counts_items_beyond_the_first_links():
    links = tuple(WorkLink(f"item {i}", f"/x/{i}") for i in range(FIRST_LINKS))
    assert WorkItem("k", "Things", FIRST_LINKS + 2, links=links).more == 2
    assert WorkItem("k", "Things", FIRST_LINKS, links=links).more == 0
    assert WorkItem("k", "Things", 40, links=links[:2], itemized=False).more == 0  # links that group the items


def test_director_with_nothing_to_do_says_so(client, login, factories):
    login(factories.user(Role.DIRECTOR))
    html = client.get("/").get_data(as_text=True)
    assert "Nothing to do right now" in html
    assert set(queues(client).values()) == {0}


def test_admin_sees_the_directors_queues(client, login, factories):
    login(factories.user(Role.ADMIN))
    assert set(queues(client)) == {"applications_to_review", "waves_closing", "fidelity_below_line",
                                   "uncoded_backlog", "adoption_contradictions"}


# --- agency staff -------------------------------------------------------------------------------------------------
def test_agency_staff_queues_scoped(client, login, factories, two_agencies):
    a, ca, b, cb = two_agencies
    spring = _add(TrainingCohort(name="Spring", starts_on=date(2026, 4, 1)))
    autumn = _add(TrainingCohort(name="Autumn", starts_on=date(2026, 9, 1)))
    winter = _add(TrainingCohort(name="Winter", starts_on=date(2026, 12, 1)))
    _add(Application(agency_id=a.id, cohort_id=spring.id, status="draft"),
         Application(agency_id=a.id, cohort_id=autumn.id, status="returned"),
         Application(agency_id=a.id, cohort_id=winter.id, status="submitted"),
         Application(agency_id=b.id, cohort_id=spring.id, status="draft"))
    today = surveys.survey_today()
    _wave(ca, today - timedelta(days=2), today + timedelta(days=30), links=4, answered=1)
    _wave(ca, today, today)
    _wave(ca, today - timedelta(days=9), today - timedelta(days=1))  # expired
    _wave(cb, today, today + timedelta(days=3))  # another agency's
    login(factories.user(Role.AGENCY_STAFF, agency=a))
    assert queues(client) == {"application_to_finish": 2, "open_surveys": 2}
    html = client.get("/").get_data(as_text=True)
    assert "1 of 4 answered" in html and cb.code not in html
    assert_links_open(client)


# --- trial staff and the blinded assessor ---------------------------------------------------------------------------
def _mothers(factories, clinic, today):
    """Mothers at every point of the schedule (see ``schedule``'s rules), and the queue's other states."""
    counselor = factories.person(clinic)
    rows = [
        # (status, arm, counselor, consented, randomized)
        ("consented", None, None, today - timedelta(days=3), None),  # awaiting randomization; baseline due
        ("consented", None, None, today - timedelta(days=40), None),  # awaiting randomization; baseline closed
        ("randomized", "mio_tau", None, today - timedelta(days=130), today - timedelta(days=120)),  # no counselor
        ("randomized", "tau", None, today - timedelta(days=130), today - timedelta(days=100)),  # TAU: none needed
        ("started", "mio_tau", counselor.id, today - timedelta(days=300), today - timedelta(days=210)),
        ("randomized", "mio_tau", counselor.id, today - timedelta(days=20), today - timedelta(days=1)),
        ("excluded", None, None, None, None),
    ]
    out = []
    for i, (status, arm, cid, consented, randomized) in enumerate(rows):
        out.append(_add(TrialParticipant(
            clinic_id=clinic.id, study_id=f"S{clinic.id:03d}{i:03d}", screened_on=consented or today, status=status,
            reason="age" if status == "excluded" else None, arm=arm, counselor_id=cid, consented_on=consented,
            randomized_on=randomized, allocation_source="external" if arm else None)))
    # one end-of-treatment assessment recorded, one withdrawal: both leave the queue
    _add(AssessmentVisit(clinic_id=clinic.id, participant_id=out[3].id, time_point="end_of_treatment",
                         status="completed", assessed_on=today))
    _add(Withdrawal(clinic_id=clinic.id, participant_id=out[4].id, withdrawn_on=today - timedelta(days=5),
                    data_use="may_use"))
    return out


def reference_due(clinic_ids: list[int], today: date, statuses=("due", "overdue")) -> int:
    """The same count from the pure schedule rules (``schedule.mother_schedule``), mother by mother."""
    tps = effectiveness.time_points()
    n = 0
    for p in db.session.execute(sa.select(TrialParticipant).where(TrialParticipant.clinic_id.in_(clinic_ids))
                                .where(TrialParticipant.status.in_(effectiveness.SCHEDULED_STATUSES))).scalars():
        recorded = {v.time_point: v.status for v in db.session.execute(
            sa.select(AssessmentVisit).where(AssessmentVisit.participant_id == p.id)).scalars()}
        w = db.session.execute(sa.select(Withdrawal).where(Withdrawal.participant_id == p.id)).scalar_one_or_none()
        entries = schedule.mother_schedule(tps, consented_on=p.consented_on, screened_on=p.screened_on,
                                           randomized_on=p.randomized_on, today=today, recorded=recorded,
                                           withdrawn_on=w.withdrawn_on if w else None)
        n += sum(e["status"] in statuses for e in entries)
    return n


def test_trial_staff_queues_scoped(client, login, factories, two_agencies):
    a, ca, b, cb = two_agencies
    today = date.today()
    _mothers(factories, ca, today)
    _mothers(factories, cb, today)
    expected_due = reference_due([ca.id], today)
    assert expected_due == 2  # baseline of the first mother, end of treatment of the third (by hand, from the rules)
    expected_missed = reference_due([ca.id], today, ("window_closed",))
    # by hand: the baselines of mothers 2, 3, 4, 5 and 6 (the sixth's closed on her randomization day, yesterday) and
    # the fifth mother's end of treatment (she withdrew after it closed; her 3-month window was open: withdrawn)
    assert expected_missed == 6
    login(factories.user(Role.TRIAL_STAFF, agency=a))
    assert queues(client) == {"awaiting_randomization": 2, "awaiting_counselor": 1, "assessments_due": expected_due,
                              "assessments_missed": expected_missed}
    assert f"S{cb.id:03d}" not in client.get("/").get_data(as_text=True)
    assert_links_open(client)


def test_assessor_sees_assessments_due_blind_to_arm(client, login, factories, two_agencies):
    a, ca, b, cb = two_agencies
    today = date.today()
    _mothers(factories, ca, today)
    _mothers(factories, cb, today)
    login(factories.user(Role.OUTCOME_ASSESSOR))
    assert queues(client) == {"assessments_due": reference_due([ca.id, cb.id], today),
                              "assessments_missed": reference_due([ca.id, cb.id], today, ("window_closed",))}
    section = client.get("/").get_data(as_text=True).split('id="your-work"')[1].split("</section>")[0]
    for revealing in ("MIO", "TAU", "arm", "counselor", "randomiz"):
        assert revealing.lower() not in section.lower(), revealing
    assert_links_open(client)


@pytest.mark.parametrize("seed", [1, 2])
def test_assessment_queues_match_the_schedule_rules_on_random_mothers(client, login, factories, seed):
    """The SQL of both queues against ``schedule.mother_schedule`` over random dates, visits and withdrawals."""
    import random

    rng = random.Random(seed)
    clinic = factories.clinic()
    today = date.today()
    for i in range(60):
        consented = today - timedelta(days=rng.randint(0, 400))
        status = rng.choice(("consented", "randomized", "started", "declined"))
        randomized = consented + timedelta(days=rng.randint(0, 30)) if status in ("randomized", "started") else None
        if randomized and randomized > today:
            randomized = today
        p = _add(TrialParticipant(clinic_id=clinic.id, study_id=f"R{seed}{i:03d}", screened_on=consented,
                                  consented_on=None if rng.random() < 0.1 else consented, status=status,
                                  reason="other" if status == "declined" else None,
                                  arm=rng.choice(("mio_tau", "tau")) if randomized else None, randomized_on=randomized,
                                  allocation_source="external" if randomized else None))
        for tp in ("baseline", "end_of_treatment", "follow_up_3m"):
            if rng.random() < 0.25:
                missed = rng.random() < 0.5
                _add(AssessmentVisit(clinic_id=clinic.id, participant_id=p.id, time_point=tp,
                                     status="missed" if missed else "completed",
                                     assessed_on=None if missed else today,
                                     missed_reason="unreachable" if missed else None))
        if rng.random() < 0.2:
            _add(Withdrawal(clinic_id=clinic.id, participant_id=p.id, data_use="may_use",
                            withdrawn_on=consented + timedelta(days=rng.randint(0, max(0, (today - consented).days)))))
    login(factories.user(Role.OUTCOME_ASSESSOR))
    got = queues(client)
    assert got["assessments_due"] == reference_due([clinic.id], today)
    assert got["assessments_missed"] == reference_due([clinic.id], today, ("window_closed",))
    assert got["assessments_due"] + got["assessments_missed"] > 0


# --- fidelity coder -----------------------------------------------------------------------------------------------
def test_coder_queue_counts_own_unrated_assignments(client, login, factories, two_agencies):
    a, ca, b, cb = two_agencies
    me, other = factories.user(Role.FIDELITY_CODER), factories.user(Role.FIDELITY_CODER)
    _counselor, mother = _sessions(factories, ca, other, [])
    counselor = mother.counselor_id
    sessions = [_add(MioSession(clinic_id=ca.id, participant_id=mother.id, counselor_id=counselor, session_number=i,
                                session_date=date(2026, 1, i), modality="in_person", status="attended",
                                audio_recorded=True)) for i in range(1, 5)]
    training = _add(TrainingCaseSession(clinic_id=ca.id, counselor_id=counselor, training_case=1, case_label="Case A",
                                        session_number=1, session_date=date(2025, 12, 1), modality="in_person",
                                        status="attended", audio_recorded=True))
    for s in sessions[:3]:
        _add(CodingAssignment(clinic_id=ca.id, coder_id=me.id, mio_session_id=s.id, role="primary", batch=1))
    _add(CodingAssignment(clinic_id=ca.id, coder_id=me.id, training_case_session_id=training.id, role="primary",
                          batch=1))
    _add(CodingAssignment(clinic_id=ca.id, coder_id=other.id, mio_session_id=sessions[3].id, role="primary", batch=1))
    # I rated session 1; the other coder's rating of session 2 does not take it off my queue
    _add(FidelityRating(clinic_id=ca.id, mio_session_id=sessions[0].id, source="coder", coder_id=me.id,
                        scheme_version=0, scores=ADEQUATE, rated_on=date(2026, 2, 1)),
         FidelityRating(clinic_id=ca.id, mio_session_id=sessions[1].id, source="coder", coder_id=other.id,
                        scheme_version=0, scores=ADEQUATE, rated_on=date(2026, 2, 1)))
    login(me)
    assert queues(client) == {"sessions_to_rate": 3}
    html = client.get("/").get_data(as_text=True)
    # oldest first: the training case (December), then sessions 2 and 3
    assert html.index("Case A") < html.index("session 2 of 2026-01-02") < html.index("session 3 of 2026-01-03")
    assert_links_open(client)


# --- analyst --------------------------------------------------------------------------------------------------------
def test_analyst_queues_by_membership(client, login, factories, two_agencies):
    a, ca, b, cb = two_agencies
    me, other = factories.user(Role.ANALYST), factories.user(Role.ANALYST)
    mine, theirs = _add(QualProject(name="Mine")), _add(QualProject(name="Theirs"))
    _add(ProjectMember(project_id=mine.id, user_id=me.id, privilege=Privilege.MANAGE),
         ProjectMember(project_id=mine.id, user_id=other.id, privilege=Privilege.CODE),
         ProjectMember(project_id=theirs.id, user_id=other.id, privilege=Privilege.MANAGE))
    code = _add(Code(project_id=mine.id, key="c1", name="Tension for change"))
    code2 = _add(Code(project_id=mine.id, key="c2", name="Leadership engagement"))
    code_t = _add(Code(project_id=theirs.id, key="c1", name="Tension for change"))
    docs = [_add(Document(project_id=mine.id, clinic_id=c.id, name=f"Doc {i}", kind="interview", text="Some words."))
            for i, c in enumerate((ca, cb, ca, cb))]
    other_doc = _add(Document(project_id=theirs.id, clinic_id=ca.id, name="Theirs 1", kind="interview", text="x"))
    _add(Coding(document_id=docs[2].id, code_id=code.id, coder_id=other.id, start=0, end=4),
         Coding(document_id=docs[3].id, code_id=code.id, coder_id=me.id, start=0, end=4))
    # to code: Doc 0 and Doc 1 (nobody coded them); Theirs 1 is not my project
    for start, status, project, doc, c in ((0, "pending", mine, docs[0], code), (0, "pending", mine, docs[1], code),
                                           (5, "accepted", mine, docs[0], code),
                                           (0, "pending", theirs, other_doc, code_t)):
        _add(Suggestion(project_id=project.id, document_id=doc.id, code_id=c.id, start=start, end=start + 4,
                        rule_version=RULE_VERSION, status=status))
    sample = _add(BlindSample(project_id=mine.id, name="Sample 1"))
    _add(BlindSampleCoder(sample_id=sample.id, user_id=me.id), BlindSampleCoder(sample_id=sample.id, user_id=other.id))
    _add(BlindSampleDocument(sample_id=sample.id, document_id=docs[2].id),  # waiting for me
         BlindSampleDocument(sample_id=sample.id, document_id=docs[3].id))  # I coded it
    # disagreements: code x A rated +1 and X (mixed) -> one; code2 x A rated +1 twice -> none; code x B differs but a
    # consensus was reached -> none; theirs: not a project I manage
    _add(ConstructRating(project_id=mine.id, code_id=code.id, clinic_id=ca.id, rater_id=me.id, rating=1),
         ConstructRating(project_id=mine.id, code_id=code.id, clinic_id=ca.id, rater_id=other.id, rating=None,
                         mixed=True),
         ConstructRating(project_id=mine.id, code_id=code2.id, clinic_id=ca.id, rater_id=me.id, rating=1),
         ConstructRating(project_id=mine.id, code_id=code2.id, clinic_id=ca.id, rater_id=other.id, rating=1),
         ConstructRating(project_id=mine.id, code_id=code.id, clinic_id=cb.id, rater_id=me.id, rating=2),
         ConstructRating(project_id=mine.id, code_id=code.id, clinic_id=cb.id, rater_id=other.id, rating=-1),
         ConsensusRating(project_id=mine.id, code_id=code.id, clinic_id=cb.id, decided_by_id=me.id, rating=1),
         ConstructRating(project_id=theirs.id, code_id=code_t.id, clinic_id=ca.id, rater_id=other.id, rating=1),
         ConstructRating(project_id=theirs.id, code_id=code_t.id, clinic_id=ca.id, rater_id=me.id, rating=-2))
    login(me)
    assert queues(client) == {"documents_to_code": 2, "suggestions_to_review": 2, "blind_samples_waiting": 1,
                              "disagreements": 1}
    assert_links_open(client)
    client.post("/auth/logout")
    login(other)  # code privilege on Mine, manage on Theirs
    # other coded Doc 2, so Doc 3 alone waits for them
    assert queues(client) == {"documents_to_code": 3, "suggestions_to_review": 3, "blind_samples_waiting": 1,
                              "disagreements": 1}


# --- bounded work -------------------------------------------------------------------------------------------------
def test_home_query_count_does_not_grow_with_the_data(app, client, login, factories, two_agencies):
    a, ca, b, cb = two_agencies
    director = factories.user(Role.DIRECTOR)
    login(director)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    cohort = _add(TrainingCohort(name="Many", starts_on=date(2026, 4, 1)))

    def add_items(n):
        for _ in range(n):
            agency = factories.agency()
            clinic = factories.clinic(agency)
            _add(Application(agency_id=agency.id, cohort_id=cohort.id, status="submitted"))
            _wave(clinic, surveys.survey_today(), surveys.survey_today() + timedelta(days=3), links=2, answered=1)
            _sessions(factories, clinic, coder, [False, False, True])

    coder = factories.user(Role.FIDELITY_CODER)
    try:
        add_items(1)
        statements.clear()
        assert queues(client)["applications_to_review"] == 1
        few = len(statements)
        add_items(12)
        statements.clear()
        assert queues(client)["applications_to_review"] == 13
        assert len(statements) == few
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
