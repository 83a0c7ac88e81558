"""REFI-QDA export of a large project (20 documents, 20,000 codings), as a ratio to reading the same rows
(documents with their texts, codes, codings, users) in the same run. The ratio is reported, never asserted.
Run: pytest tests/benchmarks/test_qdpx_export_bench.py -m benchmark --benchmark-enable -s
"""


import pytest
import sqlalchemy as sa

from app.db import db
from app.models import User
from qualitative.analysis.services.refi_export import qdpx_bytes
from qualitative.models import Code, Coding, Document
from tests.benchmarks.qual_bench_data import build_project
from tests.benchmarks.timing import best_of


@pytest.mark.benchmark
def test_qdpx_export_ratio_to_reading_the_rows(app_ctx, benchmark):
    project, _coders = build_project()

    def read_rows():
        db.session.expire_all()
        docs = db.session.execute(sa.select(Document).where(Document.project_id == project.id)).scalars().all()
        codes = db.session.execute(sa.select(Code).where(Code.project_id == project.id)).scalars().all()
        codings = db.session.execute(sa.select(Coding).join(Document, Document.id == Coding.document_id)
                                     .where(Document.project_id == project.id)).scalars().all()
        users = db.session.execute(sa.select(User)).scalars().all()
        return sum(len(d.text) for d in docs), len(codes), len(codings), len(users)

    def export():
        db.session.expire_all()
        return qdpx_bytes(project)

    chars, n_codes, n_codings, _ = read_rows()
    data = export()  # warm up
    read_s = best_of(read_rows)
    export_s = best_of(export, rounds=2)
    benchmark.extra_info.update(codings=n_codings, characters=chars, bytes=len(data), export_s=round(export_s, 3),
                                read_s=round(read_s, 4), ratio=round(export_s / read_s, 1))
    print(f"\n{n_codings:,} codings, {chars:,} characters, {len(data):,} bytes; export {export_s:.3f} s, "
          f"reading the rows {read_s:.3f} s, ratio {export_s / read_s:.1f}")
    benchmark.pedantic(export, rounds=1, iterations=1)
    assert n_codings == 20_000 and data[:2] == b"PK"
