"""Benchmark: a transcript at the turn limit (20,000 one-line turns, the shape of the issue 14 probe's 300,000-turn
file) with 2,000 codings: the bytes and time of the coding workspace page, its codings.json and the speakers page.
Before the workspace was paged these were the whole document (issue 14 item 5); the figures go in the report.

Run: pytest tests/benchmarks/test_long_document_bench.py -m benchmark -s
"""

from __future__ import annotations

import random
import time

import pytest
import sqlalchemy as sa

from app.db import db
from app.models import Role
from qualitative.models import Code, Coding, Document, DocumentTurn
from qualitative.workspace.services import deidentify, projects
from qualitative.workspace.services.transcripts import ImportSettings, import_files

TURNS = 20_000


def _best(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


@pytest.mark.benchmark
def test_a_20000_turn_document_page_codings_and_speakers(app, app_ctx, factories, client, login):
    agency = factories.agency(code="SPR")
    clinic = factories.clinic(agency, code="SPR-1")
    analyst = factories.user(Role.ANALYST)
    project = projects.create_project("Long", None, analyst)
    data = "\n".join(f"Speaker{i % 2}: line {i} of the long transcript" for i in range(TURNS)).encode()
    outcome = import_files(ImportSettings(project.id, clinic.id, "interview"), [("long.txt", lambda: data)], 1)[0]
    assert outcome.ok, outcome.error
    db.session.commit()
    document = db.session.get(Document, outcome.document_id)
    deidentify.skip(document)
    codes = db.session.execute(sa.select(Code.id).where(Code.project_id == project.id, Code.codable)).scalars().all()
    turns = db.session.execute(sa.select(DocumentTurn.start, DocumentTurn.end)
                               .where(DocumentTurn.document_id == document.id)).all()
    assert len(turns) == TURNS
    rng = random.Random(7)
    rows = []
    for start, end in rng.sample(turns, 2000):
        rows.append({"document_id": document.id, "code_id": rng.choice(codes), "coder_id": analyst.id,
                     "start": start, "end": end, "source": "manual", "version": 1,
                     "created_at": document.created_at, "updated_at": document.created_at})
    db.session.execute(sa.insert(Coding), rows)
    db.session.commit()
    login(analyst)
    base = f"/qualitative/documents/{document.id}"
    figures = {}
    for name, url in (("page", base), ("page 30", f"{base}?page=30"), ("codings.json", f"{base}/codings.json"),
                      ("codings.json page 30", f"{base}/codings.json?first=8700&last=8999"),
                      ("speakers", f"{base}/speakers")):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        size = len(response.data)
        seconds = _best(lambda: client.get(url))
        figures[name] = (size, seconds)
        print(f"\n{TURNS:,} turns, 2,000 codings: {name}: {size:,} bytes, {seconds * 1000:,.0f} ms")
