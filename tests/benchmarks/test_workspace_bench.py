"""Benchmark: the coding workspace page for a 20,000-word transcript with 2,000 codings (two coders), reported as
a ratio to the trivial /healthz endpoint measured in the same run, interleaved so both see the same machine load.
No time is asserted; the query count is (it must not depend on the number of codings: see
tests/qualitative/workspace/test_ws_queries.py).

Run: pytest tests/benchmarks/test_workspace_bench.py -m benchmark --benchmark-enable -s
"""

from __future__ import annotations

import random
import statistics
import time

import pytest
import sqlalchemy as sa

from app.db import db
from app.models import Role
from qualitative.models import Code, Coding
from qualitative.workspace.services import deidentify, projects
from qualitative.workspace.services.transcripts import ImportSettings, import_files

WORDS = ("supervision recording session caseload billing transportation childcare reflective functioning leadership "
         "support mother baby counselor consent recorder time room manual group clinic week really think kind of "
         "we they it was is the a and to of in for with on at but so").split()


def make_transcript(n_words: int = 20_000, seed: int = 2026) -> bytes:
    rng = random.Random(seed)
    turns, written = [], 0
    while written < n_words:
        speaker = "Interviewer" if len(turns) % 2 == 0 else f"Counselor {rng.randint(1, 4)}"
        length = rng.randint(60, 140)
        words = [rng.choice(WORDS) for _ in range(length)]
        if rng.random() < 0.2:
            words[rng.randrange(length)] = "🙂"  # astral characters: UTF-16 offsets differ from code points
        turns.append(f"{speaker}: " + " ".join(words).capitalize() + ".")
        written += length
    return "\n\n".join(turns).encode("utf-8")


def _median(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@pytest.mark.benchmark
def test_workspace_page_20k_words_2000_codings(benchmark, app, app_ctx, factories, client, login):
    agency = factories.agency(code="SPR")
    clinic = factories.clinic(agency, code="SPR-1")
    analyst, second = factories.user(Role.ANALYST), factories.user(Role.ANALYST)
    project = projects.create_project("Bench", None, analyst)
    projects.add_member(project, second.id, "code")
    data = make_transcript()
    outcome = import_files(ImportSettings(project.id, clinic.id, "interview"), [("bench.txt", lambda: data)], 1)[0]
    assert outcome.ok, outcome.error
    db.session.commit()
    from qualitative.models import Document

    document = db.session.get(Document, outcome.document_id)
    deidentify.skip(document)
    codes = db.session.execute(sa.select(Code.id).where(Code.project_id == project.id, Code.codable)).scalars().all()
    rng = random.Random(7)
    rows, seen = [], set()
    turns = document.turns
    while len(rows) < 2000:
        turn = rng.choice(turns)
        start = rng.randint(turn.start, turn.end - 2)
        end = rng.randint(start + 1, min(turn.end, start + 300))
        key = (rng.choice(codes), rng.choice((analyst.id, second.id)), start, end)
        if key in seen:
            continue
        seen.add(key)
        rows.append({"document_id": document.id, "code_id": key[0], "coder_id": key[1], "start": start, "end": end,
                     "source": "manual", "version": 1, "created_at": document.created_at,
                     "updated_at": document.created_at})
    db.session.execute(sa.insert(Coding), rows)
    db.session.commit()
    words = len(document.text.split())
    login(analyst)
    url = f"/qualitative/documents/{document.id}"

    def page():
        response = client.get(url)
        assert response.status_code == 200

    def health():
        assert client.get("/healthz").status_code == 200

    def codings_json():
        assert client.get(f"{url}/codings.json").status_code == 200

    page()  # warm-up: templates compiled, caches filled
    health()
    page_times, health_times, json_times = [], [], []
    for _ in range(5):  # interleaved
        page_times.append(_median(page, 1))
        health_times.append(_median(health, 5))
        json_times.append(_median(codings_json, 1))
    page_s, health_s, json_s = min(page_times), min(health_times), min(json_times)
    size = len(client.get(url).data)
    benchmark.extra_info.update(words=words, turns=len(turns), codings=len(rows), page_bytes=size,
                                page_s=round(page_s, 4), json_s=round(json_s, 4), healthz_s=round(health_s, 5),
                                page_ratio_to_healthz=round(page_s / health_s, 1),
                                json_ratio_to_healthz=round(json_s / health_s, 1))
    print(f"\n{words:,} words, {len(turns)} turns, {len(rows):,} codings, page {size / 1024:,.0f} KiB: "
          f"page {page_s * 1000:.0f} ms, codings.json {json_s * 1000:.0f} ms, /healthz {health_s * 1000:.2f} ms; "
          f"ratio page/healthz {page_s / health_s:.0f}, json/healthz {json_s / health_s:.0f}")
    benchmark.pedantic(page, rounds=3, iterations=1)
    assert words >= 20_000
