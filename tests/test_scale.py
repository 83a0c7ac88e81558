"""`mio generate-scale`: expected counts at --scale tiny, refusal without --reset, exact replacement with it,
determinism, the job form, and the pages on generated data."""

import sqlalchemy as sa

from app.db import db
from app.jobs import JobStatus, enqueue
from app.models import Agency, Clinic, Person, Role, User
from app.scale.generate import TINY, spec_for
from app.security import hash_password
from implementation_outcomes.delivery.models import FidelityRating, MioSession, TrialParticipant
from qualitative.models import Coding, Document, DocumentTurn, QualProject
from readiness.surveys.models import Score, SurveyLink, SurveyResponse
from tests.conftest import TEST_PASSWORD


def _count(model, *where):
    return db.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


def _counts():
    return {
        "agencies": _count(Agency, Agency.code.startswith("SCALE-")),
        "clinics": _count(Clinic, Clinic.code.startswith("SCALE-")),
        "counselors": _count(Person, Person.kind == "counselor"),
        "mothers": _count(TrialParticipant),
        "sessions": _count(MioSession),
        "fidelity_ratings": _count(FidelityRating),
        "survey_responses": _count(SurveyResponse),
        "transcripts": _count(Document),
        "codings": _count(Coding),
    }


def _fingerprint():
    """Content that must be identical between two runs with the same seed (ids excluded)."""
    return (
        db.session.execute(sa.select(TrialParticipant.study_id, TrialParticipant.arm, TrialParticipant.screened_on)
                           .order_by(TrialParticipant.study_id)).all(),
        db.session.execute(sa.select(SurveyLink.token_hash).order_by(SurveyLink.token_hash)).scalars().all(),
        db.session.execute(sa.select(Document.name, Document.text).order_by(Document.name)).all(),
        db.session.execute(sa.select(sa.func.count(), sa.func.sum(Coding.end - Coding.start))).one(),
    )


def test_tiny_scale_creates_the_expected_counts(runner, app_ctx):
    result = runner.invoke(args=["generate-scale", "--scale", "tiny"])
    assert result.exit_code == 0, result.output
    assert "[7/7]" in result.output and "Done in" in result.output
    assert _counts() == TINY.expected
    assert TINY.expected == {"agencies": 2, "clinics": 4, "counselors": 12, "mothers": 36, "sessions": 96,
                             "fidelity_ratings": 24, "survey_responses": 20, "transcripts": 8, "codings": 96}
    assert _count(Score) == 20 and _count(DocumentTurn) == 80
    # every rating names a session of its own clinic, and every coding lies inside its document
    assert _count(FidelityRating, FidelityRating.mio_session_id.in_(
        sa.select(MioSession.id).where(MioSession.clinic_id == FidelityRating.clinic_id))) == 24
    for doc in db.session.execute(sa.select(Document)).scalars():
        spans = db.session.execute(sa.select(Coding.start, Coding.end).where(Coding.document_id == doc.id)).all()
        assert spans and all(0 <= a < b <= len(doc.text) for a, b in spans)


def test_refuses_second_run_and_reset_replaces_exactly(runner, app_ctx, create_agency):
    other = create_agency(name="Real agency", code="REAL")
    assert runner.invoke(args=["generate-scale", "--scale", "tiny"]).exit_code == 0
    first = _fingerprint()
    again = runner.invoke(args=["generate-scale", "--scale", "tiny"])
    assert again.exit_code == 2 and "already exists; run again with --reset" in again.output
    assert _counts() == TINY.expected
    reset = runner.invoke(args=["generate-scale", "--scale", "tiny", "--reset"])
    assert reset.exit_code == 0, reset.output
    assert _counts() == TINY.expected and _fingerprint() == first  # deterministic: same seed, same data
    assert db.session.get(Agency, other.id) is not None  # --reset deletes only what the generator made


def test_other_seed_gives_other_data_and_bad_sizes_are_named(runner, app_ctx):
    assert runner.invoke(args=["generate-scale", "--scale", "tiny"]).exit_code == 0
    first = _fingerprint()
    assert runner.invoke(args=["generate-scale", "--scale", "tiny", "--reset", "--seed", "7"]).exit_code == 0
    assert _fingerprint() != first
    bad = runner.invoke(args=["generate-scale", "--scale", "tiny", "--sessions-per-mother", "13"])
    assert bad.exit_code == 2 and "--sessions-per-mother" in bad.output
    bad = runner.invoke(args=["generate-scale", "--scale", "huge"])
    assert bad.exit_code != 0
    assert spec_for("0.01").agencies == 1 and spec_for("1").expected["sessions"] == 480_000
    assert spec_for(None).expected == {"agencies": 100, "clinics": 400, "counselors": 4000, "mothers": 60000,
                                       "sessions": 480000, "fidelity_ratings": 40000, "survey_responses": 20000,
                                       "transcripts": 2000, "codings": 200000}


def test_generation_runs_as_a_job(app_ctx, create_user):
    director = create_user(Role.DIRECTOR)
    record = enqueue("scale.generate", {"scale": "tiny"}, "Generate scale data", user_id=director.id)
    db.session.refresh(record)
    assert record.status == JobStatus.DONE, record.error
    assert record.progress == record.total == 7 and record.result["qual_coding"] == 96
    again = enqueue("scale.generate", {"scale": "tiny"}, "Generate scale data", user_id=director.id)
    db.session.refresh(again)
    assert again.status == JobStatus.FAILED and "--reset" in again.error
    assert _counts() == TINY.expected


def test_pages_work_on_generated_data(runner, client, app_ctx, create_user, login):
    assert runner.invoke(args=["generate-scale", "--scale", "tiny"]).exit_code == 0
    director = create_user(Role.DIRECTOR)
    login(director)
    clinic = db.session.execute(sa.select(Clinic).where(Clinic.code == "SCALE-001-1")).scalar_one()
    for url in ("/", f"/outcomes/clinics/{clinic.id}/reach", f"/outcomes/clinics/{clinic.id}/screening-log",
                f"/outcomes/clinics/{clinic.id}/sessions", f"/outcomes/clinics/{clinic.id}/feasibility",
                f"/outcomes/clinics/{clinic.id}/fidelity", "/outcomes/fidelity", "/outcomes/overview/",
                f"/outcomes/overview/clinics/{clinic.id}", "/readiness/surveys", "/readiness/profiles"):
        response = client.get(url)
        assert response.status_code == 200, url
    assert b"SCALE-001-1" in client.get("/readiness/profiles").data
    project = db.session.execute(sa.select(QualProject).where(QualProject.name == "Scale project 001")).scalar_one()
    analyst = db.session.execute(sa.select(User).where(User.email == "analyst1@scale.example")).scalar_one()
    client.post("/auth/logout")
    analyst.password_hash, analyst.must_change_password = hash_password(TEST_PASSWORD), False
    db.session.commit()
    login(analyst)
    document = project.documents[0]
    for url in (f"/qualitative/projects/{project.id}", f"/qualitative/documents/{document.id}",
                f"/qualitative/projects/{project.id}/agreement"):
        response = client.get(url)
        assert response.status_code == 200, url


def test_every_generated_rating_is_of_a_recorded_attended_session(runner, app_ctx):
    """Fidelity coders rate recordings: the app refuses a rating of a session that was not attended and recorded,
    and the fidelity overview counts on it. One session per mother is the hardest case (the generator used to rate
    the last session even when it was a no-show)."""
    result = runner.invoke(args=["generate-scale", "--scale", "tiny", "--sessions-per-mother", "1"])
    assert result.exit_code == 0, result.output
    rated = sa.select(FidelityRating.id).join(MioSession, MioSession.id == FidelityRating.mio_session_id)
    assert _count(FidelityRating) == TINY.agencies * TINY.clinics_per_agency * TINY.ratings_per_clinic
    valid = rated.where(MioSession.status == "attended", MioSession.audio_recorded.is_(True))
    assert len(db.session.execute(valid).all()) == _count(FidelityRating)


def test_a_sixth_of_the_ratings_double_code_sessions_with_matching_assignments(runner, app_ctx):
    """As the trial double-codes about a fifth of the rated sessions: per clinic ratings // 6 sessions have two
    coder ratings (the two coders), every rating has its coder's assignment (primary, or second), so reliability
    and coders' workload have data at scale."""
    from implementation_outcomes.delivery.models import CodingAssignment

    assert runner.invoke(args=["generate-scale", "--scale", "tiny", "--ratings-per-clinic", "6"]).exit_code == 0
    clinics = TINY.agencies * TINY.clinics_per_agency
    per_session = db.session.execute(sa.select(FidelityRating.mio_session_id, sa.func.count(sa.distinct(
        FidelityRating.coder_id))).group_by(FidelityRating.mio_session_id)).all()
    assert sum(n == 2 for _sid, n in per_session) == clinics * (6 // 6)
    assert sum(n for _sid, n in per_session) == _count(FidelityRating) == clinics * 6
    pairs = set(db.session.execute(sa.select(CodingAssignment.mio_session_id, CodingAssignment.coder_id)).all())
    rated = set(db.session.execute(sa.select(FidelityRating.mio_session_id, FidelityRating.coder_id)).all())
    assert pairs == rated
    assert _count(CodingAssignment, CodingAssignment.role == "second") == clinics
