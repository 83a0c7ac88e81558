"""app.storage: files in the database, chunked; the streaming download with HTTP Range (RFC 9110 §14)."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.db import db
from app.storage import DatabaseStorage, StoredChunk, StoredFile, StoredFileNotFound, send_stored, storage

DATA = bytes(range(256)) * 3 + b"tail"  # 772 bytes


class TrickleStream(io.RawIOBase):
    """A stream that returns at most ``step`` bytes per read, like a socket."""

    def __init__(self, data: bytes, step: int):
        self.data, self.step, self.pos = data, step, 0

    def readable(self):
        return True

    def read(self, size=-1):
        size = self.step if size is None or size < 0 else min(size, self.step)
        chunk = self.data[self.pos:self.pos + size]
        self.pos += len(chunk)
        return chunk


def test_put_get_info_across_chunks(app_ctx):
    small = DatabaseStorage(chunk_size=100)
    info = small.put("tests/a", TrickleStream(DATA, 33), content_type="audio/mpeg", filename="a.mp3")
    db.session.commit()
    assert (info.size, info.content_type, info.filename) == (len(DATA), "audio/mpeg", "a.mp3")
    assert info.sha256 == hashlib.sha256(DATA).hexdigest() and info.etag == info.sha256
    sizes = db.session.execute(sa.select(sa.func.length(StoredChunk.data)).where(StoredChunk.file_id == info.id)
                               .order_by(StoredChunk.seq)).scalars().all()
    assert sizes == [100] * 7 + [72]  # full chunks even from a stream that trickles
    assert storage().get("tests/a") == DATA and storage().exists("tests/a")
    assert storage().info("tests/a") == info


def test_put_replaces_and_joins_the_callers_transaction(app_ctx):
    storage().put("tests/b", b"first")
    db.session.commit()
    storage().put("tests/b", b"second")
    db.session.commit()
    assert storage().get("tests/b") == b"second"
    assert db.session.execute(sa.select(sa.func.count(StoredFile.id))).scalar() == 1
    storage().put("tests/c", b"never committed")
    db.session.rollback()
    assert not storage().exists("tests/c")
    with pytest.raises(StoredFileNotFound):
        storage().get("tests/c")
    with pytest.raises(ValueError, match="invalid storage key"):
        storage().put("", b"x")


def test_empty_file(app_ctx):
    info = storage().put("tests/empty", b"")
    db.session.commit()
    assert info.size == 0 and storage().get("tests/empty") == b""
    assert list(storage().open_range(info)) == []


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(bounds=st.tuples(st.integers(0, len(DATA)), st.integers(0, len(DATA))), chunk=st.sampled_from([1, 7, 100, 4096]))
def test_open_range_is_a_slice(app_ctx, bounds, chunk):
    start, stop = sorted(bounds)
    info = DatabaseStorage(chunk_size=chunk).put("tests/range", DATA)
    db.session.commit()
    pieces = list(storage().open_range(info, start, stop))
    assert b"".join(pieces) == DATA[start:stop]
    assert all(0 < len(p) <= chunk for p in pieces)  # chunk by chunk, never the whole file at once


def test_delete_and_prefix_and_purge(app_ctx):
    for key in ("up/a_b/1", "up/a_b/2", "up/axb/1", "keep"):
        storage().put(key, b"x")
    storage().put("old", b"x", expires_in=timedelta(seconds=-1))
    storage().put("fresh", b"x", expires_in=timedelta(hours=1))
    db.session.commit()
    assert storage().delete_prefix("up/a_b/") == 2  # "_" is a character, not a LIKE wildcard
    assert storage().exists("up/axb/1")
    assert storage().delete("keep") and not storage().delete("keep")
    assert storage().purge_expired() == 1
    assert storage().purge_expired(now=datetime.now(UTC) + timedelta(hours=2)) == 1
    db.session.commit()
    assert {r for r in db.session.execute(sa.select(StoredFile.key)).scalars()} == {"up/axb/1"}
    assert db.session.execute(sa.select(sa.func.count()).select_from(StoredChunk)).scalar() == 1


def test_a_large_file_is_written_and_read_without_holding_it_in_memory(app_ctx):
    size = 12 * 1024 * 1024
    pattern = hashlib.sha256(b"audio").digest() * 32  # 1 KiB

    class Generated(io.RawIOBase):
        pos = 0

        def readable(self):
            return True

        def read(self, n=-1):
            n = min(n if n and n > 0 else 65536, size - self.pos)
            start = self.pos % len(pattern)
            out = (pattern * (n // len(pattern) + 2))[start:start + n]
            self.pos += n
            return out

    tracemalloc.start()
    try:
        info = storage().put("tests/large", Generated(), content_type="audio/wav")
        db.session.commit()
        _, peak_write = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        digest, total = hashlib.sha256(), 0
        for piece in storage().open_range(info):
            digest.update(piece)
            total += len(piece)
        _, peak_read = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == size and digest.hexdigest() == info.sha256
    # 12 MiB went through; Python held a few 1 MiB chunks at most at any moment
    assert peak_write < 5 * 1024 * 1024 and peak_read < 5 * 1024 * 1024, (peak_write, peak_read)


# --- the streaming download ----------------------------------------------------------------------------------
@pytest.fixture
def stored(app_ctx):
    info = DatabaseStorage(chunk_size=100).put("tests/audio", DATA, content_type="audio/mpeg", filename="s1.mp3")
    db.session.commit()
    return info


def _send(app, headers=None, method="GET", **kwargs):
    with app.test_request_context("/x", method=method, headers=headers or {}):
        response = send_stored("tests/audio", **kwargs)
        body = b"".join(response.response) if response.response else b""
        return response, body


def test_whole_file(app, stored):
    response, body = _send(app)
    assert response.status_code == 200 and body == DATA
    assert response.headers["Content-Length"] == str(len(DATA)) and response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Type"] == "audio/mpeg"
    assert response.headers["Content-Disposition"] == "attachment; filename=s1.mp3"
    assert response.headers["ETag"] == f'"{stored.sha256}"'


@pytest.mark.parametrize(("header", "start", "stop"), [
    ("bytes=0-0", 0, 1), ("bytes=95-205", 95, 206), ("bytes=700-", 700, len(DATA)), ("bytes=-72", 700, len(DATA)),
    ("bytes=700-99999", 700, len(DATA)), ("bytes=-99999", 0, len(DATA)),
])
def test_single_ranges(app, stored, header, start, stop):
    response, body = _send(app, {"Range": header})
    assert response.status_code == 206 and body == DATA[start:stop]
    assert response.headers["Content-Range"] == f"bytes {start}-{stop - 1}/{len(DATA)}"
    assert response.headers["Content-Length"] == str(stop - start)


def test_unsatisfiable_range_is_416(app, stored):
    response, body = _send(app, {"Range": f"bytes={len(DATA)}-"})
    assert response.status_code == 416 and body == b""
    assert response.headers["Content-Range"] == f"bytes */{len(DATA)}"


@pytest.mark.parametrize("headers", [
    {"Range": "bytes=0-1,5-6"},  # several ranges: the whole file (RFC 9110 lets a server ignore Range)
    {"Range": "items=0-1"},  # an unknown unit is ignored
    {"Range": "bytes=oops"},  # so is a malformed header
    {"Range": "bytes=0-1", "If-Range": '"another-version"'},  # the client's copy is stale: send it all
])
def test_ignored_ranges_send_everything(app, stored, headers):
    response, body = _send(app, headers)
    assert response.status_code == 200 and body == DATA


def test_if_range_matching_and_if_none_match(app, stored):
    response, body = _send(app, {"Range": "bytes=0-9", "If-Range": f'"{stored.sha256}"'})
    assert response.status_code == 206 and body == DATA[:10]
    response, body = _send(app, {"If-None-Match": f'"{stored.sha256}"'})
    assert response.status_code == 304 and body == b""


def test_inline_unicode_name_and_missing(app, stored):
    response, _ = _send(app, as_attachment=False, download_name="séance 1.mp3")
    assert response.headers["Content-Disposition"] == "inline; filename=\"seance 1.mp3\"; filename*=UTF-8''s%C3%A9ance%201.mp3"
    from werkzeug.exceptions import NotFound

    with app.test_request_context("/x"), pytest.raises(NotFound):
        send_stored("tests/none")

