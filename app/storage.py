"""One storage interface for files: staged uploads, transcripts waiting for their import job, .qdpx imports
waiting for their user mapping, export outputs, session audio.

Files live in the database by default (``stored_file`` + ``stored_file_chunk``, 1 MiB chunks), so any number of
web servers and RQ workers share only PostgreSQL and Redis: a file put by one web server is read by a worker on
another machine and downloaded through a third. A file is written chunk by chunk and read chunk by chunk, so a large
audio file never sits whole in memory.

    from app.storage import storage, send_stored
    info = storage().put("qdpx-export/<job id>", data_or_stream, content_type="application/zip",
                         filename="project.qdpx", expires_in=timedelta(days=7))
    storage().get(key) -> bytes                  # small files (staged imports)
    storage().open_range(key, start, stop)       # iterator of bytes, chunk by chunk (stop exclusive)
    storage().info(key) -> FileInfo | None       # size, content type, filename, sha256, expiry
    storage().exists(key); storage().delete(key); storage().delete_prefix("transcript-upload/abc/")
    storage().purge_expired()                     # temporary files past their expiry
    return send_stored(info, download_name=...)   # streaming download with HTTP Range (206/416), ETag, 304

Writes and deletes join the caller's transaction (``db.session``): the caller commits, so a staged file and the job
that reads it, or an import and the deletion of its staged file, are saved together or not at all. Streaming reads
take a pooled connection per chunk, so a slow client holds no connection between chunks.

Keys are ``kind/identifier`` strings chosen by the caller (``qdpx-export/<job id>``). This module decides nothing
about who may read a file: the caller checks scope (``app/security.py``, the feature's access rules) and records
the read in the audit trail before calling ``send_stored``.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import BinaryIO, Protocol
from urllib.parse import quote

import sqlalchemy as sa
from flask import Response, current_app, request
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, db, utcnow

CHUNK_SIZE = 1024 * 1024
KEY_MAX = 255


class StoredFile(db.Model):
    """A file's metadata; its bytes are in ``StoredChunk`` rows (one per ``chunk_size`` bytes, in order)."""

    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(KEY_MAX), unique=True)
    size: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    content_type: Mapped[str] = mapped_column(sa.String(120))
    filename: Mapped[str | None] = mapped_column(sa.String(255))
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    chunk_size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: temporary files (staged uploads, exports) are deleted by ``purge_expired`` after this moment
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


class StoredChunk(db.Model):
    __tablename__ = "stored_file_chunk"

    file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


class StoredFileNotFound(FileNotFoundError):
    def __init__(self, key: str):
        super().__init__(f"no stored file {key!r}")
        self.key = key


@dataclass(frozen=True)
class FileInfo:
    id: int
    key: str
    size: int
    content_type: str
    filename: str | None
    sha256: str | None
    chunk_size: int
    created_at: datetime
    expires_at: datetime | None

    @property
    def etag(self) -> str:
        return self.sha256 or f"{self.id}-{self.size}"


class Storage(Protocol):
    """What every backend offers (the database one is the default; another, e.g. an object store, would offer the
    same methods and be installed as ``app.extensions["mio.storage"]``)."""

    def put(self, key: str, data: bytes | BinaryIO, *, content_type: str = ..., filename: str | None = ...,
            expires_in: timedelta | None = ...) -> FileInfo: ...

    def get(self, key: str) -> bytes: ...

    def info(self, key: str) -> FileInfo | None: ...

    def exists(self, key: str) -> bool: ...

    def open_range(self, file: str | FileInfo, start: int = 0, stop: int | None = None) -> Iterator[bytes]: ...

    def delete(self, key: str) -> bool: ...

    def delete_prefix(self, prefix: str) -> int: ...

    def purge_expired(self, now: datetime | None = None) -> int: ...


def _info(row: StoredFile) -> FileInfo:
    return FileInfo(row.id, row.key, row.size, row.content_type, row.filename, row.sha256, row.chunk_size,
                    row.created_at, row.expires_at)


def _check_key(key: str) -> str:
    if not key or len(key) > KEY_MAX or key != key.strip():
        raise ValueError(f"invalid storage key {key!r}")
    return key


class DatabaseStorage:
    """Files as rows of the application database (SQLite or PostgreSQL)."""

    def __init__(self, chunk_size: int = CHUNK_SIZE):
        self.chunk_size = chunk_size

    def put(self, key: str, data: bytes | BinaryIO, *, content_type: str = "application/octet-stream",
            filename: str | None = None, expires_in: timedelta | None = None) -> FileInfo:
        """Store ``data`` (bytes, or a binary stream read ``chunk_size`` bytes at a time) under ``key``, replacing
        any file of that key. Joins the session's transaction; the caller commits."""
        _check_key(key)
        self.delete(key)
        stream = io.BytesIO(data) if isinstance(data, bytes | bytearray | memoryview) else data
        row = StoredFile(key=key, size=0, content_type=content_type or "application/octet-stream",
                         filename=filename, chunk_size=self.chunk_size,
                         expires_at=datetime.now(UTC) + expires_in if expires_in is not None else None)
        db.session.add(row)
        db.session.flush()
        digest, size, seq = hashlib.sha256(), 0, 0
        while True:
            chunk = stream.read(self.chunk_size)
            if not chunk:
                break
            # a short read from a socket-backed stream is not the end; fill the chunk so offsets stay aligned
            while len(chunk) < self.chunk_size:
                more = stream.read(self.chunk_size - len(chunk))
                if not more:
                    break
                chunk += more
            digest.update(chunk)
            size += len(chunk)
            db.session.execute(sa.insert(StoredChunk).values(file_id=row.id, seq=seq, data=bytes(chunk)))
            seq += 1
        row.size, row.sha256 = size, digest.hexdigest()
        db.session.flush()
        return _info(row)

    def _row(self, key: str) -> StoredFile | None:
        return db.session.execute(sa.select(StoredFile).where(StoredFile.key == key)).scalar_one_or_none()

    def info(self, key: str) -> FileInfo | None:
        row = self._row(key)
        return _info(row) if row is not None else None

    def exists(self, key: str) -> bool:
        return db.session.execute(sa.select(StoredFile.id).where(StoredFile.key == key)).first() is not None

    def get(self, key: str) -> bytes:
        """The whole file (for small files: staged imports, exports read back); ``StoredFileNotFound`` if absent."""
        row = self._row(key)
        if row is None:
            raise StoredFileNotFound(key)
        return b"".join(db.session.execute(
            sa.select(StoredChunk.data).where(StoredChunk.file_id == row.id).order_by(StoredChunk.seq)).scalars())

    def open_range(self, file: str | FileInfo, start: int = 0, stop: int | None = None) -> Iterator[bytes]:
        """Bytes ``start`` to ``stop`` (exclusive; None = to the end) as an iterator, one chunk row per query on a
        pooled connection of its own (usable after the request's session is gone, e.g. by a streamed response)."""
        info = file if isinstance(file, FileInfo) else self.info(file)
        if info is None:
            raise StoredFileNotFound(str(file))
        stop = info.size if stop is None else min(stop, info.size)
        if not 0 <= start <= stop:
            raise ValueError(f"invalid range {start}-{stop} of a {info.size}-byte file")
        return self._chunks(db.engine, info, start, stop)

    @staticmethod
    def _chunks(engine: sa.Engine, info: FileInfo, start: int, stop: int) -> Iterator[bytes]:
        size = info.chunk_size
        last = (stop - 1) // size if stop > start else start // size - 1
        for seq in range(start // size, last + 1):
            with engine.connect() as conn:
                data = conn.execute(sa.select(StoredChunk.data).where(
                    StoredChunk.file_id == info.id, StoredChunk.seq == seq)).scalar_one_or_none()
            if data is None:  # deleted while being read: end short rather than invent bytes
                return
            base = seq * size
            yield bytes(data[max(0, start - base): stop - base])

    def delete(self, key: str) -> bool:
        file_id = db.session.execute(sa.select(StoredFile.id).where(StoredFile.key == key)).scalar_one_or_none()
        if file_id is None:
            return False
        self._delete_ids([file_id])
        return True

    def delete_prefix(self, prefix: str) -> int:
        """Delete every file whose key starts with ``prefix`` (e.g. one upload batch)."""
        _check_key(prefix)
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        ids = list(db.session.execute(
            sa.select(StoredFile.id).where(StoredFile.key.like(escaped + "%", escape="\\"))).scalars())
        self._delete_ids(ids)
        return len(ids)

    def purge_expired(self, now: datetime | None = None) -> int:
        """Delete temporary files past their expiry; returns how many."""
        now = now or datetime.now(UTC)
        ids = list(db.session.execute(sa.select(StoredFile.id).where(
            StoredFile.expires_at.is_not(None), StoredFile.expires_at < now)).scalars())
        self._delete_ids(ids)
        return len(ids)

    @staticmethod
    def _delete_ids(ids: list[int]) -> None:
        if not ids:
            return
        # chunks first and explicitly: no reliance on ON DELETE CASCADE being enforced by the connection
        db.session.execute(sa.delete(StoredChunk).where(StoredChunk.file_id.in_(ids)))
        db.session.execute(sa.delete(StoredFile).where(StoredFile.id.in_(ids)),
                           execution_options={"synchronize_session": False})
        for obj in [o for o in db.session.identity_map.values() if isinstance(o, StoredFile) and o.id in ids]:
            db.session.expunge(obj)


_DEFAULT = DatabaseStorage()


def storage() -> Storage:
    """The app's storage backend (``app.extensions["mio.storage"]``, else the database)."""
    return current_app.extensions.get("mio.storage", _DEFAULT)


# --- streaming downloads -----------------------------------------------------------------------------------------
def _disposition(response: Response, download_name: str | None, as_attachment: bool) -> None:
    if not download_name and not as_attachment:
        return
    kind = "attachment" if as_attachment else "inline"
    if not download_name:
        response.headers["Content-Disposition"] = kind
        return
    try:
        download_name.encode("ascii")
        names = {"filename": download_name}
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", download_name).encode("ascii", "ignore").decode("ascii")
        names = {"filename": simple or "download", "filename*": f"UTF-8''{quote(download_name, safe='')}"}
    response.headers.set("Content-Disposition", kind, **names)


def _byte_range(first: int, last_exclusive: int | None, size: int) -> tuple[int, int] | None:
    """A parsed byte range (werkzeug: (start, stop) with stop exclusive or None; a suffix ``-n`` as (-n, None))
    resolved against the file's size per RFC 9110 §14.1.2: a last position past the end or a suffix longer than
    the file is cut to the file; a first position at or past the end is unsatisfiable (None)."""
    if first < 0:  # suffix: the last -first bytes
        return (max(0, size + first), size) if size > 0 else None
    if first >= size:
        return None
    return first, size if last_exclusive is None else min(last_exclusive, size)


def send_stored(file: str | FileInfo, *, download_name: str | None = None, as_attachment: bool = True,
                content_type: str | None = None) -> Response:
    """Stream a stored file to the client, chunk by chunk, honouring a single HTTP byte range (RFC 9110 §14:
    ``Range: bytes=a-b``, ``a-``, ``-n``; 206 with ``Content-Range``; 416 when unsatisfiable; several ranges or an
    ``If-Range`` that no longer matches get the whole file), ``ETag`` from the content's SHA-256 and 304 on
    ``If-None-Match``. A missing file is a 404.

    The caller authorises (scope, role) and audits before calling: this helper only serves bytes."""
    from werkzeug.exceptions import NotFound

    backend = storage()
    info = file if isinstance(file, FileInfo) else backend.info(file)
    if info is None:
        raise NotFound()
    response = Response(mimetype=content_type or info.content_type, direct_passthrough=True)
    response.set_etag(info.etag)
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["Cache-Control"] = "private, no-cache"
    _disposition(response, download_name if download_name is not None else info.filename, as_attachment)
    if request.if_none_match and request.if_none_match.contains(info.etag):
        response.status_code = 304
        return response
    start, stop = 0, info.size
    ranges = request.range
    if_range = request.if_range
    range_applies = ranges is not None and ranges.units == "bytes" and len(ranges.ranges) == 1 and (
        if_range.etag is None and if_range.date is None or if_range.etag == info.etag)
    if range_applies:
        bounds = _byte_range(*ranges.ranges[0], info.size)
        if bounds is None:
            response.status_code = 416
            response.headers["Content-Range"] = f"bytes */{info.size}"
            return response
        start, stop = bounds
        response.status_code = 206
        response.headers["Content-Range"] = f"bytes {start}-{stop - 1}/{info.size}"
    response.content_length = stop - start
    response.response = backend.open_range(info, start, stop)
    return response
