"""The production profile: gunicorn with several workers, secrets from the environment, structured JSON logs, a
health endpoint, and connection pre-ping so a database restart does not break the app."""

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.db import db

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_gunicorn_serves_with_several_workers_and_json_logs(app, database_url):
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="production-test-secret", PORT=str(port),
               HOST="127.0.0.1", WEB_CONCURRENCY="2", MIO_LOG_FORMAT="json")
    env.pop("MIO_DEBUG", None)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        status = None
        for _ in range(150):
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.1)
        assert status == 200 and json.loads(body) == {"status": "ok", "database": "ok"}
        status, body = _get(f"http://127.0.0.1:{port}/auth/login")
        assert status == 200 and b"Sign in" in body
        assert _get(f"http://127.0.0.1:{port}/nowhere")[0] == 404
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=30)
    booted = err.count("Booting worker")
    assert booted >= 2, err[-2000:]
    request_lines = [json.loads(line) for line in err.splitlines() if line.startswith("{") and '"request"' in line]
    assert {(r["path"], r["status"]) for r in request_lines} >= {("/healthz", 200), ("/auth/login", 200), ("/nowhere", 404)}
    assert all("request_id" in r and "duration_ms" in r for r in request_lines)


def test_refuses_to_serve_with_the_development_secret(database_url):
    env = dict(os.environ, DATABASE_URL=database_url)
    for key in ("SECRET_KEY", "MIO_DEBUG"):
        env.pop(key, None)
    result = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0 and "SECRET_KEY is the built-in development value" in result.stderr


def test_app_recovers_when_the_database_drops_its_connections(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs a database server (runs in the PostgreSQL pass); SQLite has no connections to drop")
    application = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                              "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True,
                                                            "connect_args": {"application_name": "mio_preping_test"}}})
    client = application.test_client()
    assert client.get("/healthz").status_code == 200
    with application.app_context():
        pool_size_before = db.engine.pool.checkedin()
    admin = sa.create_engine(database_url.split("?")[0])
    with admin.begin() as conn:  # what a PostgreSQL restart does to our connections, without touching anyone else's
        killed = conn.execute(sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'mio_preping_test'"
        )).scalar()
    admin.dispose()
    assert killed >= 1 and pool_size_before >= 1
    assert client.get("/healthz").status_code == 200  # pre-ping found the dead connection and opened a new one
    with application.app_context():
        db.engine.dispose()


def test_an_unreachable_database_answers_503_with_retry_after_not_500(app):
    """While PostgreSQL restarts, a request that reaches the database fails with OperationalError: the user gets a
    503 saying nothing was saved and when to retry (the load driver and browsers retry), never a 500 stack."""
    import psycopg
    from sqlalchemy.exc import OperationalError

    from app.errors import RETRY_AFTER_SECONDS

    lost = OperationalError("SELECT 1", {}, psycopg.OperationalError("server closed the connection unexpectedly"))
    with app.test_request_context("/outcomes/overview/"):
        response = app.make_response(app.handle_user_exception(lost))
    assert response.status_code == 503 and response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "was not saved" in response.get_data(as_text=True)
    with app.test_request_context("/api/v1/clinics"):
        api = app.make_response(app.handle_user_exception(lost))
    assert api.status_code == 503 and api.get_json()["status"] == 503
    # a faulty statement is a bug, not an outage: it stays a 500
    from app.errors import connection_lost

    missing = OperationalError("SELECT * FROM nowhere", {}, sqlite3.OperationalError("no such table: nowhere"))
    assert not connection_lost(missing) and connection_lost(lost)


def _serve(database_url: str, **settings: str) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="production-test-secret", PORT=str(port),
               HOST="127.0.0.1", MIO_LOG_FORMAT="json", **settings)
    env.pop("MIO_DEBUG", None)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(300):
        try:
            if _get(f"http://127.0.0.1:{port}/healthz")[0] == 200:
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(proc.communicate(timeout=30)[1][-2000:])


def test_recycled_workers_drop_no_kept_alive_request(app, database_url):
    """Workers restarting every 5 to 7 requests while 5 clients each make 10 requests over one kept-alive
    connection: every request answered (the worker drains: ``app.gunicorn_worker``). A client reopens its connection
    only when the server said ``Connection: close``, as a browser or proxy does; an error is a reset, an empty
    reply or a closed connection the server had offered to keep."""
    import http.client
    import threading

    proc, port = _serve(database_url, WEB_CONCURRENCY="2", GUNICORN_THREADS="2", GUNICORN_MAX_REQUESTS="5",
                        GUNICORN_MAX_REQUESTS_JITTER="2")
    errors: list[str] = []
    answered: list[int] = []

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=180)
        for i in range(10):
            try:
                conn.request("GET", "/healthz", headers={"Connection": "keep-alive"})
                response = conn.getresponse()
                body = response.read()
                answered.append(response.status)
                if response.status != 200 or b'"ok"' not in body:
                    errors.append(f"client {n} request {i}: {response.status}")
                if response.will_close:  # the server said Connection: close: open a new one, as clients do
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=180)
            except (OSError, http.client.HTTPException) as exc:
                errors.append(f"client {n} request {i}: {type(exc).__name__}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=180)
            time.sleep(0.02)
        conn.close()

    try:
        threads = [threading.Thread(target=client, args=(n,)) for n in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=900)
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=60)
    assert errors == [], errors
    assert len(answered) == 50
    assert err.count("Autorestarting worker") >= 5, err[-2000:]  # the workers did recycle, many times
