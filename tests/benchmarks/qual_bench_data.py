"""A large synthetic qualitative project for the agreement and REFI-QDA export benchmarks, inserted in bulk.

20 documents of 200 speaker turns (about 40,000 characters each), 20 codes, 2 coders with 500 codings each per
document (20,000 codings), all deterministic (seeded).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import sqlalchemy as sa

from app.db import db
from app.models import Agency, Clinic, Role, User
from qualitative.models import Code, Coding, Document, DocumentTurn, QualProject

N_DOCUMENTS, N_TURNS, N_CODES, N_CODERS, CODINGS_PER_CODER_DOC = 20, 200, 20, 2, 500
WORDS = ("we the mothers session time staff supervisor trust culture space money training video reflective "
         "baby feelings group clinic counselor manual week hard easy helped never always").split()


def build_project() -> tuple[QualProject, list[User]]:
    rng = random.Random(2026)
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    agency = Agency(name="Bench agency", code="BEN")
    clinic = Clinic(agency=agency, code="BEN-1", name="Bench clinic")
    coders = [User(email=f"coder{i}@bench.example", name=f"Coder {i}", role=Role.ANALYST, password_hash="x")
              for i in range(N_CODERS)]
    project = QualProject(name="Benchmark project")
    db.session.add_all([agency, clinic, project, *coders])
    db.session.flush()
    codes = [Code(project_id=project.id, key=f"C{i:02d}", name=f"Code {i}", position=i, lexicon=[])
             for i in range(N_CODES)]
    db.session.add_all(codes)
    db.session.flush()
    turn_rows, coding_rows = [], []
    for d in range(N_DOCUMENTS):
        parts, spans, position = [], [], 0
        for t in range(N_TURNS):
            label = ("Interviewer: " if t % 2 == 0 else "Counselor: ")
            utterance = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 40)))
            if t:
                parts.append("\n\n")
                position += 2
            parts.append(label + utterance)
            spans.append((position + len(label), position + len(label) + len(utterance)))
            position += len(label) + len(utterance)
        doc = Document(project_id=project.id, clinic_id=clinic.id, name=f"Document {d:02d}", kind="interview",
                       text="".join(parts), deidentification="applied")
        db.session.add(doc)
        db.session.flush()
        turn_rows += [{"document_id": doc.id, "index": i, "speaker": "Counselor", "start": s, "end": e}
                      for i, (s, e) in enumerate(spans)]
        for coder in coders:
            seen = set()
            while len(seen) < CODINGS_PER_CODER_DOC:
                s, e = spans[rng.randrange(N_TURNS)]
                a = rng.randrange(s, e - 1)
                key = (rng.randrange(N_CODES), a, rng.randrange(a + 1, e + 1))
                seen.add(key)
            coding_rows += [{"document_id": doc.id, "code_id": codes[c].id, "coder_id": coder.id, "start": a,
                             "end": b, "source": "manual", "version": 1, "created_at": now, "updated_at": now}
                            for c, a, b in sorted(seen)]
    db.session.execute(sa.insert(DocumentTurn), turn_rows)
    db.session.execute(sa.insert(Coding), coding_rows)
    db.session.commit()
    return project, coders
