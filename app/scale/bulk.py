"""Bulk writing for the scale generator: id allocation, COPY on PostgreSQL (psycopg ``cursor.copy``), Core
``insert`` executemany elsewhere, and the removal of all scale data.

Everything runs on the session's own connection, so a whole generation is one transaction: an interrupted run
leaves nothing behind and can simply be started again. Rows are written through Core (never the ORM), so no audit
events are produced: generated data is synthetic test load, not research activity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa

#: how scale rows are recognised (and only those are ever deleted by --reset)
SCALE_AGENCY_PREFIX = "SCALE-"
SCALE_EMAIL_DOMAIN = "@scale.example"
SCALE_PROJECT_PREFIX = "Scale project "
CHUNK = 5_000


class BulkWriter:
    def __init__(self, connection: sa.Connection):
        self.conn = connection
        self.postgresql = connection.dialect.name == "postgresql"
        self._next: dict[str, int] = {}
        self.counts: dict[str, int] = {}

    def ids(self, table: sa.Table, n: int) -> list[int]:
        """``n`` fresh primary keys: drawn from the table's sequence on PostgreSQL (safe beside other writers),
        after the current maximum on SQLite (one writer at a time)."""
        if n <= 0:
            return []
        if self.postgresql:
            rows = self.conn.execute(
                sa.text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                {"t": table.name, "n": n},
            ).scalars().all()
            return list(rows)
        if table.name not in self._next:
            self._next[table.name] = (self.conn.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0) + 1
        start = self._next[table.name]
        self._next[table.name] = start + n
        return list(range(start, start + n))

    def insert(self, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
        """Write ``rows`` (tuples in ``columns`` order); returns how many."""
        if self.postgresql:
            n = self._copy(table, columns, rows)
        else:
            n = 0
            chunk: list[dict] = []
            for row in rows:
                chunk.append(dict(zip(columns, row, strict=True)))
                if len(chunk) >= CHUNK:
                    self.conn.execute(table.insert(), chunk)
                    n += len(chunk)
                    chunk = []
            if chunk:
                self.conn.execute(table.insert(), chunk)
                n += len(chunk)
        self.counts[table.name] = self.counts.get(table.name, 0) + n
        return n

    def _copy(self, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
        from psycopg.types.json import Json

        quote = self.conn.dialect.identifier_preparer.quote
        json_at = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, sa.JSON)]
        raw = self.conn.connection.driver_connection
        n = 0
        with raw.cursor() as cursor, cursor.copy(
            f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        ) as copy:
            for row in rows:
                if json_at:
                    row = list(row)
                    for i in json_at:
                        row[i] = None if row[i] is None else Json(row[i])
                copy.write_row(row)
                n += 1
        return n


def scale_rows_exist(connection: sa.Connection, metadata: sa.MetaData) -> bool:
    agency = metadata.tables["agency"]
    return connection.execute(
        sa.select(sa.func.count()).select_from(agency).where(agency.c.code.startswith(SCALE_AGENCY_PREFIX))
    ).scalar_one() > 0


def _roots(metadata: sa.MetaData) -> dict[str, sa.ColumnElement]:
    t = metadata.tables
    return {
        "agency": t["agency"].c.code.startswith(SCALE_AGENCY_PREFIX),
        "user_account": t["user_account"].c.email.endswith(SCALE_EMAIL_DOMAIN),
        "qual_project": t["qual_project"].c.name.startswith(SCALE_PROJECT_PREFIX),
    }


def delete_scale_rows(connection: sa.Connection, metadata: sa.MetaData) -> dict[str, int]:
    """Delete every row that is, or hangs (through foreign keys, at any depth) from, a scale agency, scale user
    or scale project; children first. Nothing else is touched."""
    roots = _roots(metadata)
    clauses: dict[str, sa.ColumnElement | None] = {}

    def clause(table: sa.Table) -> sa.ColumnElement | None:
        if table.name in clauses:
            return clauses[table.name]
        clauses[table.name] = None  # guards against cycles while recursing
        parts = [roots[table.name]] if table.name in roots else []
        for fk in table.foreign_keys:
            parent = fk.column.table
            if parent is table:
                continue
            parent_clause = clause(parent)
            if parent_clause is not None:
                parts.append(fk.parent.in_(sa.select(fk.column).where(parent_clause)))
        clauses[table.name] = sa.or_(*parts) if parts else None
        return clauses[table.name]

    deleted: dict[str, int] = {}
    for table in reversed(metadata.sorted_tables):
        where = clause(table)
        if where is None:
            continue
        result = connection.execute(table.delete().where(where))
        if result.rowcount:
            deleted[table.name] = result.rowcount
    return deleted
