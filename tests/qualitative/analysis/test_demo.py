"""The analysis demo seeder, run on a project shaped like the workspace seeder's (built here from the models)."""

from __future__ import annotations

import random

import sqlalchemy as sa

from app.db import db
from app.demo import DemoContext
from app.models import Role
from qualitative.analysis.demo import DEMO_PROJECT, PATTERNS, seed_analysis
from qualitative.analysis.models import BlindSample, ClinicGroup, ConsensusRating, ConstructRating, Suggestion
from qualitative.analysis.services import ratings
from qualitative.codebook import load_cfir_codebook
from qualitative.models import Code, Coding, Document, DocumentTurn, Privilege, ProjectMember, QualProject

LINES = [
    "Honestly the staffing and time were the hardest part, we never had enough of either.",
    "The culture here is supportive and people trust each other.",
    "Our supervisor made it a priority and the training helped a lot.",
    "Compared to what we did before, MIO fits how we already work with mothers.",
]


def _context(factories) -> DemoContext:
    """The parts of the demo organisation the seeder reads (the full ``app.demo.seed`` hashes ten passwords)."""
    agency = factories.agency(code="SPR")
    clinics = {code: factories.clinic(agency, code=code) for code in ("SPR-1", "SPR-2", "HFR-1", "HFR-2")}
    users = {email: factories.user(Role.ANALYST, email=email) for email in ("analyst@mio.example",
                                                                             "analyst2@mio.example")}
    return DemoContext({"SPR": agency}, clinics, users, {}, {})


def _workspace_like_project(ctx: DemoContext) -> QualProject:
    """What the workspace seeder leaves: the CFIR codebook, transcripts per clinic, two analysts' codings."""
    analyst, second = ctx.users["analyst@mio.example"], ctx.users["analyst2@mio.example"]
    project = QualProject(name=DEMO_PROJECT, created_by_id=analyst.id)
    db.session.add(project)
    db.session.flush()
    db.session.add_all([ProjectMember(project_id=project.id, user_id=analyst.id, privilege=Privilege.MANAGE),
                        ProjectMember(project_id=project.id, user_id=second.id, privilege=Privilege.CODE)])
    codes: dict[str, Code] = {}
    for i, entry in enumerate(load_cfir_codebook()):
        codes[entry["key"]] = Code(project_id=project.id, key=entry["key"], name=entry["name"], kind=entry["kind"],
                                   codable=entry["codable"], lexicon=entry["lexicon"], colour=entry["colour"],
                                   position=i, parent=codes.get(entry["parent_key"]))
    db.session.add_all(codes.values())
    rng = random.Random(7)
    for clinic in ("SPR-1", "SPR-2", "HFR-1", "HFR-2"):
        for n in (1, 2):
            parts, spans, pos = [], [], 0
            for i, line in enumerate(LINES):
                label = ("Interviewer: " if i % 2 == 0 else "Counselor: ")
                if i:
                    parts.append("\n\n")
                    pos += 2
                parts.append(label + line)
                spans.append((pos + len(label), pos + len(label) + len(line)))
                pos += len(label) + len(line)
            doc = Document(project_id=project.id, clinic_id=ctx.clinics[clinic].id, name=f"{clinic} interview {n}",
                           kind="interview", text="".join(parts), deidentification="applied")
            db.session.add(doc)
            db.session.flush()
            for index, (s, e) in enumerate(spans):
                db.session.add(DocumentTurn(document_id=doc.id, index=index, start=s, end=e,
                                            speaker="Interviewer" if index % 2 == 0 else "Counselor"))
            for key in rng.sample(list(PATTERNS), 4):
                for coder in (analyst, second):
                    s, e = spans[rng.randrange(len(spans))]
                    db.session.add(Coding(document_id=doc.id, code=codes[key], coder_id=coder.id, start=s, end=e))
    db.session.commit()
    return project


def test_seeder_does_nothing_without_the_workspace_project(factories):
    seed_analysis(_context(factories))  # no workspace seeder on this branch, so no project
    assert db.session.execute(sa.select(sa.func.count(Suggestion.id))).scalar() == 0


def test_seeder_builds_the_analysis_demo(factories):
    ctx = _context(factories)
    project = _workspace_like_project(ctx)
    seed_analysis(ctx)
    statuses = dict(db.session.execute(sa.select(Suggestion.status, sa.func.count()).group_by(Suggestion.status)).all())
    assert statuses.get("pending", 0) > 0 and statuses.get("accepted", 0) > 0 and statuses.get("rejected", 0) > 0
    assert db.session.execute(sa.select(sa.func.count(Coding.id)).where(Coding.source == "suggestion")).scalar() > 0
    sample = db.session.execute(sa.select(BlindSample)).scalar_one()
    assert len(sample.documents) == 3 and len(sample.coders) == 2 and sample.blind
    consensus = db.session.execute(sa.select(sa.func.count(ConsensusRating.id))).scalar()
    assert consensus == 39  # ten constructs x four clinics, one not discussed
    assert db.session.execute(sa.select(sa.func.count(ConstructRating.id))).scalar() == 78
    assert db.session.execute(sa.select(sa.func.count(ClinicGroup.id))).scalar() == 4
    strengths = {d["code"].key: d["result"].strength for d in ratings.distinguishing(project)}
    assert strengths["I.C"] == "strong" and strengths["III.D"] == "weak" and strengths["III.K"] == "none"
    agreement = ratings.rating_agreement(project)
    assert agreement["pairs"][0]["n"] > 30 and agreement["alpha"] is not None
    before = db.session.execute(sa.select(sa.func.count(Suggestion.id))).scalar()
    seed_analysis(ctx)  # a second run adds nothing
    assert db.session.execute(sa.select(sa.func.count(Suggestion.id))).scalar() == before
    assert db.session.execute(sa.select(sa.func.count(ConsensusRating.id))).scalar() == consensus
    assert db.session.execute(sa.select(sa.func.count(BlindSample.id))).scalar() == 1
