"""The workspace page and its JSON take a constant number of SQL queries, whatever the number of turns and codings
(no N+1), counted with a SQLAlchemy ``before_cursor_execute`` listener."""

from __future__ import annotations

import contextlib

import sqlalchemy as sa

from app.db import db
from qualitative.models import Coding, Memo


@contextlib.contextmanager
def count_queries():
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def _transcript(turns: int) -> bytes:
    lines = []
    for i in range(turns):
        speaker = "Interviewer" if i % 2 == 0 else f"Counselor {i % 3 + 1}"
        lines.append(f"{speaker}: Turn {i} talks about supervision, recording 🎙 sessions and the caseload we carry.")
    return "\n\n".join(lines).encode()


def _code_everything(document, coders, code_ids, per_turn: int) -> None:
    rows = []
    for turn in document.turns:
        for k in range(per_turn):
            rows.append(Coding(document_id=document.id, code_id=code_ids[k % len(code_ids)],
                               coder_id=coders[k % len(coders)].id, start=turn.start + k, end=turn.end))
    db.session.add_all(rows)
    db.session.flush()
    db.session.add_all(Memo(project_id=document.project_id, target_type="coding", target_id=c.id,
                            author_id=c.coder_id, text="memo") for c in rows[::7])
    db.session.commit()


def _queries_for(client, document_id: int) -> tuple[int, int]:
    """Queries of one request each, with every loaded object expired first (as good as a fresh session)."""
    db.session.expire_all()
    with count_queries() as page:
        assert client.get(f"/qualitative/documents/{document_id}").status_code == 200
    db.session.expire_all()
    with count_queries() as data:
        assert client.get(f"/qualitative/documents/{document_id}/codings.json").status_code == 200
    return len(page), len(data)


def test_query_count_does_not_grow_with_codings(client, login, people, import_text, code_id):
    codes = [code_id(k) for k in ("III.K", "III.A.3", "II.C", "IV.CHAR.C", "I.H")]
    coders = [people["manager"], people["coder"], people["reader"]]
    small = import_text("small.txt", _transcript(4))
    _code_everything(small, coders, codes, per_turn=1)
    large = import_text("large.txt", _transcript(60))
    _code_everything(large, coders, codes, per_turn=10)
    assert db.session.execute(sa.select(sa.func.count(Coding.id)).where(Coding.document_id == large.id)).scalar() == 600
    small_id, large_id = small.id, large.id
    login(people["coder"])
    small_counts = _queries_for(client, small_id)
    large_counts = _queries_for(client, large_id)
    assert large_counts == small_counts, (small_counts, large_counts)
    # 22: the page of turns costs a COUNT of the turns, and the counts beside the codes a grouped query of their own
    assert small_counts[0] <= 22
