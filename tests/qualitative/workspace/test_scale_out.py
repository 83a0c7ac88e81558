"""Web servers and workers on different machines (issue 15): two gunicorn servers and one RQ worker, each with its own
instance folder, sharing only PostgreSQL and Redis. A transcript uploaded through server A is imported by the worker;
a .qdpx export asked for on server B is written by the worker and downloaded through server A. Nothing is written to
any instance folder: staged files live behind ``app.storage`` (the database).

Runs in the PostgreSQL pass (``TEST_DATABASE_URL``) with Redis on 127.0.0.1:6379; on SQLite it is skipped, since an
embedded database file cannot be shared between machines.
"""

from __future__ import annotations

import http.cookiejar
import io
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.db import db
from app.jobs import Job
from qualitative.models import Code, Document
from qualitative.workspace.services.coding import create_codings
from tests.conftest import TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = "redis://127.0.0.1:6379/14"
TRANSCRIPT = (
    b"Interviewer: How did the first sessions go?\n"
    b"Counselor: The mothers in our group talked about their babies' feelings for the first time.\n"
    b"Interviewer: What got in the way?\n"
    b"Counselor: Space. We had no private room, so we used the supervisor's office.\n"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """A cookie-keeping HTTP client for one server (urllib: no test client, real sockets)."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def request(self, path: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, dict, bytes]:
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(req, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def csrf(self, path: str) -> str:
        status, _headers, body = self.request(path)
        assert status == 200, (path, status)
        field = re.search(rb'<input[^>]*name="csrf_token"[^>]*>', body)
        match = re.search(rb'value="([^"]+)"', field.group(0)) if field else None
        assert match, f"no CSRF token on {path}"
        return match.group(1).decode()

    def post_form(self, path: str, fields: dict, token_from: str) -> tuple[int, dict, bytes]:
        body = urllib.parse.urlencode({**fields, "csrf_token": self.csrf(token_from)}).encode()
        return self.request(path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def post_multipart(self, path: str, fields: dict, files: list[tuple[str, str, bytes]], token_from: str):
        boundary = uuid.uuid4().hex
        out = io.BytesIO()
        for name, value in {**fields, "csrf_token": self.csrf(token_from)}.items():
            out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, filename, content in files:
            out.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n".encode()
            )
            out.write(content + b"\r\n")
        out.write(f"--{boundary}--\r\n".encode())
        return self.request(path, out.getvalue(), {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def login(self, email: str, password: str) -> None:
        status, headers, _ = self.post_form("/auth/login", {"email": email, "password": password}, "/auth/login")
        assert status == 302 and "/auth/login" not in headers.get("Location", ""), "sign-in failed"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # the test follows redirects itself, to see where they go
        return None


def _wait_until_up(base: str, proc: subprocess.Popen) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read()[-3000:]}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{base} did not start")


def _wait_for_job(job_id: str, timeout: float = 120) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        job = db.session.get(Job, job_id)
        if job is not None and job.status in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


@pytest.fixture
def redis_queue():
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379: the scale-out test needs it in the PostgreSQL pass")
    name = f"mio-test-{secrets.token_hex(4)}"  # concurrent runs on one Redis do not take each other's jobs
    yield name
    from rq import Queue

    Queue(name, connection=connection).delete(delete_jobs=True)


def test_two_web_servers_and_a_worker_share_only_postgresql_and_redis(
    database_url, app_ctx, people, project, org, import_text, tmp_path, redis_queue
):
    if not database_url.startswith("postgresql"):
        pytest.skip("runs in the PostgreSQL pass: web servers and workers on different machines share a database server")
    seeded = import_text("seeded.txt", TRANSCRIPT)
    code = db.session.execute(
        sa.select(Code).where(Code.project_id == project.id, Code.codable.is_(True), Code.active.is_(True))
    ).scalars().first()
    assert code is not None, "the project's codebook has codes"
    create_codings(seeded, people["manager"], 0, 20, [code.id])
    db.session.commit()
    manager = people["manager"]

    instances = {name: tmp_path / f"instance-{name}" for name in ("a", "b", "worker")}
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        MIO_QUEUE=redis_queue,
        SECRET_KEY="scale-out-test-secret",
        MIO_QDPX_SYNC_CODINGS="0",  # every export with a coding runs on the worker
        WEB_CONCURRENCY="1",
        HOST="127.0.0.1",
    )
    env.pop("MIO_DEBUG", None)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    procs, bases = {}, {}
    try:
        for name in ("a", "b"):
            port = _free_port()
            bases[name] = f"http://127.0.0.1:{port}"
            procs[name] = subprocess.Popen(
                [str(gunicorn), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                env={**env, "PORT": str(port), "MIO_INSTANCE_PATH": str(instances[name])},
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            )
        for name in ("a", "b"):
            _wait_until_up(bases[name], procs[name])
        a, b = Browser(bases["a"]), Browser(bases["b"])
        a.login(manager.email, TEST_PASSWORD)
        b.login(manager.email, TEST_PASSWORD)

        # 1. upload through A: the file is staged in the database and the import job queued in Redis
        upload = f"/qualitative/projects/{project.id}/upload"
        status, headers, body = a.post_multipart(
            upload, {"clinic_id": str(org["clinic"].id), "kind": "interview", "interviewer": "QA"},
            [("files", "second-interview.txt", TRANSCRIPT)], upload,
        )
        assert status == 302, body[:2000]
        import_job_id = headers["Location"].rstrip("/").rsplit("/", 1)[-1]
        assert db.session.get(Job, import_job_id).status == "queued"

        # 2. a worker on "another machine" (its own instance folder) runs the queued jobs
        worker_env = {**env, "MIO_INSTANCE_PATH": str(instances["worker"])}
        mio = Path(sys.executable).with_name("mio")
        subprocess.run([str(mio), "worker", "--burst"], cwd=tmp_path, env=worker_env, check=True, timeout=180,
                       capture_output=True)
        job = _wait_for_job(import_job_id)
        assert job.status == "done", job.error
        imported = db.session.execute(
            sa.select(Document).where(Document.project_id == project.id, Document.source_filename == "second-interview.txt")
        ).scalar_one()
        assert "supervisor's office" in imported.text

        # 3. the document shows through B, which never saw the upload
        status, _headers, body = b.request(f"/qualitative/documents/{imported.id}")
        assert status == 200 and b"second-interview" in body

        # 4. export asked for on B runs on the worker; the file is downloaded through A
        exchange = f"/qualitative/projects/{project.id}/exchange"
        status, headers, body = b.post_form(
            f"/qualitative/projects/{project.id}/exchange/qdpx", {"include_unreviewed": "y", "positions": "codepoints"},
            exchange,
        )
        assert status == 302 and "/jobs/" in headers["Location"], body[:2000]
        export_job_id = headers["Location"].rstrip("/").rsplit("/", 1)[-1]
        subprocess.run([str(mio), "worker", "--burst"], cwd=tmp_path, env=worker_env, check=True, timeout=180,
                       capture_output=True)
        job = _wait_for_job(export_job_id)
        assert job.status == "done", job.error
        status, headers, body = a.request(f"/qualitative/exports/{export_job_id}.qdpx")
        assert status == 200, body[:2000]
        with zipfile.ZipFile(io.BytesIO(body)) as qdpx:
            texts = [qdpx.read(n).decode("utf-8") for n in qdpx.namelist() if n.startswith("sources/")]
        assert sum("supervisor's office" in t for t in texts) == 2  # the seeded and the uploaded transcript
        ranged = a.request(f"/qualitative/exports/{export_job_id}.qdpx", headers={"Range": "bytes=0-1"})
        assert ranged[0] == 206 and ranged[2] == b"PK"
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            proc.communicate(timeout=30)
    for name, folder in instances.items():  # nothing was staged on any machine's disk
        files = [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []
        assert files == [], f"{name} wrote {files}"
