"""Inter-coder agreement of a whole project (20 documents x 2 coders x 500 codings each = 20,000 codings), as a
ratio to a bare SQL count of the same codings timed in the same run (and, for scale, to fetching those rows).

The report covers character-level kappa per code x document, turn-level kappa and Krippendorff's alpha per code,
pooled figures and the disagreement list. The ratios are reported, never asserted.
Run: pytest tests/benchmarks/test_agreement_bench.py -m benchmark --benchmark-enable -s
"""


import pytest
import sqlalchemy as sa

from app.db import db
from qualitative.analysis.services.agreement import agreement_report
from qualitative.models import Coding, Document
from tests.benchmarks.qual_bench_data import build_project
from tests.benchmarks.timing import best_of


@pytest.mark.benchmark
def test_agreement_ratio_to_a_sql_count(app_ctx, benchmark):
    project, coders = build_project()
    ids = [c.id for c in coders]
    select = sa.select(Coding.document_id, Coding.code_id, Coding.coder_id, Coding.start, Coding.end).join(
        Document, Document.id == Coding.document_id).where(Document.project_id == project.id)

    def count():
        return db.session.execute(sa.select(sa.func.count()).select_from(select.subquery())).scalar_one()

    def fetch():
        return db.session.execute(select).all()

    n = count()
    report = agreement_report(project, ids)  # warm up
    count_s, fetch_s = best_of(count), best_of(fetch)
    report_s = best_of(lambda: agreement_report(project, ids), rounds=2)
    pair = report.pairs[0]
    benchmark.extra_info.update(codings=n, rows=len(pair.rows), disagreements=len(pair.disagreements),
                                report_s=round(report_s, 3), count_s=round(count_s, 5), fetch_s=round(fetch_s, 4),
                                ratio_to_count=round(report_s / count_s, 1), ratio_to_fetch=round(report_s / fetch_s, 1))
    print(f"\n{n:,} codings, {len(pair.rows)} code x document rows, {len(pair.disagreements)} disagreeing turns; "
          f"report {report_s:.3f} s, SQL count {count_s * 1000:.1f} ms (ratio {report_s / count_s:,.0f}), "
          f"fetching the rows {fetch_s * 1000:.1f} ms (ratio {report_s / fetch_s:,.1f})")
    benchmark.pedantic(agreement_report, args=(project, ids), rounds=1, iterations=1)
    assert n == 20_000 and pair.pooled_char is not None and report.alpha_pooled is not None
