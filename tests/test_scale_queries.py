"""List pages issue a number of SQL statements that does not grow with the rows they show (no N+1): each page is
requested on a dataset with N rows and again with 3N rows, and the statements are counted
(``before_cursor_execute``)."""

import contextlib

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.db import db
from app.models import Agency, Clinic, Person, Role, User
from app.scale.generate import TINY, generate
from app.security import hash_password
from implementation_outcomes.implementation.models import StrategyUse
from qualitative.analysis.models import Suggestion
from qualitative.models import Code, QualProject
from readiness.application.models import Application
from tests.conftest import TEST_PASSWORD

N = 3


@contextlib.contextmanager
def count_statements():
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def _dataset(n: int, factories) -> dict:
    """n agencies (one clinic each), n counselors and 1.5 n mothers with sessions at the first clinic, n transcripts
    in the first project, and n strategies, applications and auto-coding suggestions."""
    from dataclasses import replace

    spec = replace(TINY, agencies=n, clinics_per_agency=1, counselors_per_clinic=n, mothers_per_clinic=2 * n,
                   ratings_per_clinic=n, respondents_per_clinic=2, transcripts_per_clinic=n, codes_per_project=n)
    generate(spec, reset=True)
    db.session.commit()
    agencies = db.session.execute(sa.select(Agency).where(Agency.code.startswith("SCALE-"))
                                  .order_by(Agency.code)).scalars().all()
    clinic = db.session.execute(sa.select(Clinic).where(Clinic.code == "SCALE-001-1")).scalar_one()
    project = db.session.execute(sa.select(QualProject).where(QualProject.name == "Scale project 001")).scalar_one()
    cohort = factories.generic(Application, agencies[0], clinic, "cohort").cohort
    db.session.delete(db.session.execute(sa.select(Application)).scalar_one())
    db.session.commit()
    for i, agency in enumerate(agencies):
        first_clinic = agency.clinics[0]
        factories.generic(StrategyUse, agency, first_clinic, f"strategy{i}", {})
        factories.generic(Application, agency, first_clinic, f"app{i}", {type(cohort): cohort})
    codes = db.session.execute(sa.select(Code).where(Code.project_id == project.id)).scalars().all()
    document = project.documents[0]
    for i in range(n):
        db.session.add(Suggestion(project_id=project.id, document_id=document.id, code_id=codes[i % len(codes)].id,
                                  start=i, end=i + 5, rule_version="scale-test", matched_terms=["trust"],
                                  term_spans=[], valence="neutral", score=1.0))
    analyst = db.session.execute(sa.select(User).where(User.email == "analyst1@scale.example")).scalar_one()
    analyst.password_hash, analyst.must_change_password = hash_password(TEST_PASSWORD), False
    db.session.commit()
    counselor = db.session.execute(sa.select(Person.id).where(Person.clinic_id == clinic.id, Person.kind == "counselor")
                                   .order_by(Person.id).limit(1)).scalar_one()
    return {"clinic": clinic.id, "counselor": counselor, "project": project.id, "analyst": analyst}


PAGES = {
    "screening log": (Role.DIRECTOR, "/outcomes/clinics/{clinic}/screening-log"),
    "sessions": (Role.DIRECTOR, "/outcomes/clinics/{clinic}/sessions"),
    "sessions, filtered, page past the end": (
        Role.DIRECTOR, "/outcomes/clinics/{clinic}/sessions?status=attended&from=2000-01-01&counselor={counselor}&page=9"),
    "applications list": (Role.DIRECTOR, "/readiness/applications/"),
    "survey waves": (Role.DIRECTOR, "/readiness/surveys"),
    "survey waves, filtered": (Role.DIRECTOR, "/readiness/surveys?agency=SCALE-001&clinic=SCALE-001-1&status=open"),
    "people": (Role.DIRECTOR, "/admin/people"),
    "people, filtered": (Role.DIRECTOR, "/admin/people?agency=SCALE-001&kind=counselor&active=yes&q=counselor"),
    "audit trail": (Role.DIRECTOR, "/admin/audit"),
    "readiness profiles (every clinic)": (Role.DIRECTOR, "/readiness/profiles"),
    "outcomes overview (every clinic)": (Role.DIRECTOR, "/outcomes/overview/"),
    "fidelity (every clinic)": (Role.DIRECTOR, "/outcomes/fidelity"),
    "strategies": (Role.DIRECTOR, "/implementation/strategies"),
    "project documents": (Role.ANALYST, "/qualitative/projects/{project}"),
    "suggestions": (Role.ANALYST, "/qualitative/projects/{project}/suggestions"),
    "coded segments": (Role.ANALYST, "/qualitative/projects/{project}/segments"),
}


def _statements_per_page(client, login, director, ids) -> dict[str, int]:
    counts = {}
    for name, (role, pattern) in PAGES.items():
        user = director if role == Role.DIRECTOR else ids["analyst"]
        login(user)
        url = pattern.format(**ids)
        client.get(url)  # warm caches (instrument snapshots, scheme) so both runs compare the same work
        with count_statements() as statements:
            response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        counts[name] = len(statements)
        client.post("/auth/logout")
    return counts


@pytest.mark.slow
def test_list_pages_issue_the_same_number_of_statements_for_n_and_3n_rows(client, login, factories, create_user):
    director = create_user(Role.DIRECTOR)
    small = _statements_per_page(client, login, director, _dataset(N, factories))
    large = _statements_per_page(client, login, director, _dataset(3 * N, factories))
    grows = {name: (small[name], large[name]) for name in PAGES if large[name] != small[name]}
    assert not grows, f"statements grow with rows (N={N} vs 3N): {grows}"
