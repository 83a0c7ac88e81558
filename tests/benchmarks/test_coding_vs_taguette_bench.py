"""Benchmark: the server time of one new coding on a 20,000-word transcript that already holds 200 and 2,000
codings, in this platform and in Taguette 1.5.2 (https://pypi.org/project/taguette/1.5.2/), side by side in one run.

Both are real servers on loopback, each with one process and its own SQLite database (this platform on the test
database: PostgreSQL when TEST_DATABASE_URL is set), driven over HTTP with the same client:

- this platform: ``gunicorn -c gunicorn.conf.py wsgi:app`` (one worker, one thread), signed in as an analyst;
  ``POST /qualitative/documents/<id>/codings`` with ``{turn_id, start, end, code_ids}`` (one code);
- Taguette: ``taguette --no-browser --database <file>`` (single-user mode, Tornado, one process), signed in with
  its single-user token; ``POST /api/project/<p>/document/<d>/highlight/new`` with
  ``{start_offset, end_offset, tags}`` (one tag), which is what its web page sends when a highlight is added.

Taguette is installed from PyPI into its own virtual environment (``$MIO_TAGUETTE_VENV``, default
``~/.cache/mio-bench/taguette-1.5.2``), never into the project's; its document, tags and existing highlights are
written into its database by a short script run with its own Python and models (the document is the same transcript
as HTML paragraphs; seeded highlights carry a plain-text snippet instead of ``extract.extract`` output, which only
the display uses). Each round adds one coding to each of the four documents (two systems x 200/2,000), interleaved,
so all four see the same machine load; the median over the rounds is compared:

- platform / Taguette at 2,000 codings (the issue's goal: at most 1);
- 2,000 / 200 codings for each system (must not grow: about 1).

Nothing is asserted about time (machine load varies); every answer is checked. The table is printed and written to
``$MIO_ARTIFACTS/benchmarks/coding-vs-taguette-<dialect>.json``. If Taguette cannot be installed, the test is
skipped with pip's message.

Run: pytest tests/benchmarks/test_coding_vs_taguette_bench.py -m benchmark --benchmark-enable -s
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.db import db
from app.models import Role
from qualitative.models import Code, Coding, Document
from qualitative.offsets import codepoint_to_utf16
from qualitative.workspace.services import deidentify, projects
from qualitative.workspace.services.transcripts import ImportSettings, import_files
from tests.benchmarks.test_workspace_bench import make_transcript
from tests.conftest import TEST_PASSWORD
from tests.qualitative.workspace.test_scale_out import Browser, _free_port, _wait_until_up

ROOT = Path(__file__).resolve().parents[2]
TAGUETTE_VERSION = "1.5.2"
ROUNDS = int(os.environ.get("MIO_BENCH_ROUNDS", "25"))
SIZES = (200, 2000)

#: run with Taguette's own Python: a project, the admin as its member, one document per size, ten tags, and the
#: existing highlights (each with one tag), written through Taguette's models
SEED_TAGUETTE = r"""
import json, random, sys
from taguette import database
spec = json.load(sys.stdin)
db = database.connect(spec["url"])()
admin = db.query(database.User).get("admin")
if admin is None:
    admin = database.User(login="admin")
    db.add(admin)
project = database.Project(name="Bench", description="")
db.add(project)
db.flush()
db.add(database.ProjectMember(project=project, user=admin, privileges=database.Privileges.ADMIN))
tags = [database.Tag(project=project, path=f"code{i}", description="") for i in range(10)]
db.add_all(tags)
db.flush()
out = {"project": project.id, "tags": [t.id for t in tags], "documents": {}}
text = spec["text"]
size = len(text.encode("utf-8"))
for n in spec["sizes"]:
    document = database.Document(name=f"bench-{n}", description="", filename=f"bench-{n}.html", project=project,
                                 text_direction=database.TextDirection.LEFT_TO_RIGHT, contents=spec["html"])
    db.add(document)
    db.flush()
    rng = random.Random(n)
    rows = []
    for _ in range(n):
        start = rng.randrange(0, size - 400)
        end = start + rng.randint(20, 300)
        rows.append(database.Highlight(document_id=document.id, start_offset=start, end_offset=end,
                                       snippet=text[start:end]))
    db.add_all(rows)
    db.flush()
    db.execute(database.highlight_tags.insert(),
               [{"highlight_id": h.id, "tag_id": tags[i % len(tags)].id} for i, h in enumerate(rows)])
    out["documents"][str(n)] = {"id": document.id, "bytes": size}
db.commit()
print(json.dumps(out))
"""


def _taguette_venv() -> Path:
    venv = Path(
        os.environ.get("MIO_TAGUETTE_VENV")
        or Path.home() / ".cache" / "mio-bench" / f"taguette-{TAGUETTE_VERSION}"
    )
    taguette = venv / "bin" / "taguette"
    if taguette.exists():
        return venv
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120)
    pip = subprocess.run(
        [
            str(venv / "bin" / "pip"),
            "install",
            "--disable-pip-version-check",
            f"taguette=={TAGUETTE_VERSION}",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if pip.returncode != 0 or not taguette.exists():
        pytest.skip(
            f"Taguette {TAGUETTE_VERSION} could not be installed from PyPI: {(pip.stderr or pip.stdout)[-1500:]}"
        )
    return venv


class TaguetteClient:
    """Taguette on loopback in single-user mode: signs in with the token it prints, then adds highlights."""

    def __init__(self, venv: Path, folder: Path, text: str):
        self.url = f"sqlite:///{folder / 'taguette.sqlite3'}"
        paragraphs = [p for p in text.split("\n\n") if p.strip()]
        page = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        # the text Taguette counts offsets in (UTF-8 bytes of the text nodes): the paragraphs back to back
        plain = "".join(paragraphs)
        seeded = subprocess.run(
            [str(venv / "bin" / "python"), "-c", SEED_TAGUETTE],
            input=json.dumps({"url": self.url, "html": page, "text": plain, "sizes": list(SIZES)}),
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "HOME": str(folder)},
            check=False,
        )
        assert seeded.returncode == 0, seeded.stderr[-3000:]
        self.meta = json.loads(seeded.stdout.strip().splitlines()[-1])
        self.plain_bytes = len(plain.encode("utf-8"))
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [
                str(venv / "bin" / "taguette"),
                "--no-browser",
                "-p",
                str(port),
                "-b",
                "127.0.0.1",
                "--database",
                str(folder / "taguette.sqlite3"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "HOME": str(folder)},
        )
        token = None
        deadline = time.monotonic() + 120
        while token is None and time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line and self.proc.poll() is not None:
                raise AssertionError("Taguette exited before it was ready")
            match = re.search(r"\?token=([0-9a-f]+)", line)
            token = match.group(1) if match else None
        assert token, "Taguette did not print its sign-in link"
        # keep reading its log so the pipe never fills
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()
        self.browser = Browser(self.base)
        status, headers, _ = self.browser.request(f"/?token={token}")
        assert status == 302, status
        project = self.meta["project"]
        status, _headers, _body = self.browser.request(f"/project/{project}")
        assert status == 200, status
        cookies = self._cookies()
        self.xsrf = cookies.get("_xsrf")
        assert self.xsrf, f"no _xsrf cookie from Taguette: {sorted(cookies)}"
        self.rng = random.Random(11)

    def _cookies(self) -> dict:
        for handler in self.browser.opener.handlers:
            if isinstance(handler, urllib.request.HTTPCookieProcessor):
                return {c.name: c.value for c in handler.cookiejar}
        return {}

    def add(self, size: int) -> float:
        document = self.meta["documents"][str(size)]["id"]
        start = self.rng.randrange(0, self.plain_bytes - 400)
        body = json.dumps(
            {
                "start_offset": start,
                "end_offset": start + self.rng.randint(20, 200),
                "tags": [self.rng.choice(self.meta["tags"])],
            }
        ).encode()
        began = time.perf_counter()
        status, _headers, answer = self.browser.request(
            f"/api/project/{self.meta['project']}/document/{document}/highlight/new",
            body,
            {"Content-Type": "application/json", "X-XSRFToken": self.xsrf},
        )
        elapsed = time.perf_counter() - began
        assert status == 200 and "id" in json.loads(answer), (status, answer[:500])
        return elapsed

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _platform_document(project, clinic, analyst, second, data: bytes, name: str, n: int) -> Document:
    outcome = import_files(ImportSettings(project.id, clinic.id, "interview"), [(name, lambda: data)], 1)[0]
    assert outcome.ok, outcome.error
    db.session.commit()
    document = db.session.get(Document, outcome.document_id)
    deidentify.skip(document)
    codes = (
        db.session.execute(sa.select(Code.id).where(Code.project_id == project.id, Code.codable))
        .scalars()
        .all()
    )
    rng = random.Random(n)
    rows, seen = [], set()
    turns = document.turns
    while len(rows) < n:
        turn = rng.choice(turns)
        start = rng.randint(turn.start, turn.end - 2)
        end = rng.randint(start + 1, min(turn.end, start + 300))
        key = (rng.choice(codes), rng.choice((analyst.id, second.id)), start, end)
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            {
                "document_id": document.id,
                "code_id": key[0],
                "coder_id": key[1],
                "start": start,
                "end": end,
                "source": "manual",
                "version": 1,
                "created_at": document.created_at,
                "updated_at": document.created_at,
            }
        )
    db.session.execute(sa.insert(Coding), rows)
    db.session.commit()
    return document


class PlatformClient:
    def __init__(
        self,
        database_url: str,
        folder: Path,
        email: str,
        documents: dict[int, tuple[int, list]],
        code_ids: list[int],
    ):
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}"
        env = dict(
            os.environ,
            DATABASE_URL=database_url,
            SECRET_KEY="coding-bench-secret",
            WEB_CONCURRENCY="1",
            GUNICORN_THREADS="1",
            HOST="127.0.0.1",
            PORT=str(port),
            MIO_INSTANCE_PATH=str(folder),
            LOG_LEVEL="warning",
        )
        env.pop("MIO_DEBUG", None)
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.proc = subprocess.Popen(
            [str(gunicorn), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_until_up(self.base, self.proc)
        self.browser = Browser(self.base)
        self.browser.login(email, TEST_PASSWORD)
        self.documents = documents  # size -> (document id, [(turn id, utterance)])
        status, _headers, page = self.browser.request(f"/qualitative/documents/{documents[SIZES[-1]][0]}")
        assert status == 200, status
        self.token = re.search(rb'<meta name="csrf-token" content="([^"]+)"', page).group(1).decode()
        self.code_ids = code_ids
        self.rng = random.Random(13)
        self.used: set = set()

    def add(self, size: int) -> float:
        document_id, turns = self.documents[size]
        while True:
            turn_id, utterance = self.rng.choice(turns)
            a = self.rng.randrange(0, max(1, len(utterance) - 60))
            b = min(len(utterance), a + self.rng.randint(20, 200))
            code = self.rng.choice(self.code_ids)
            if utterance[a:b].strip() and (turn_id, a, b, code) not in self.used:
                break
        self.used.add((turn_id, a, b, code))
        body = json.dumps(
            {
                "turn_id": turn_id,
                "start": codepoint_to_utf16(utterance, a),
                "end": codepoint_to_utf16(utterance, b),
                "code_ids": [code],
            }
        ).encode()
        began = time.perf_counter()
        status, _headers, answer = self.browser.request(
            f"/qualitative/documents/{document_id}/codings",
            body,
            {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": self.token},
        )
        elapsed = time.perf_counter() - began
        assert status in (201, 409), (status, answer[:500])  # 409: the trimmed span was coded already
        return elapsed

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


@pytest.mark.benchmark
def test_new_coding_vs_taguette(benchmark, app, app_ctx, factories, database_url, tmp_path):
    venv = _taguette_venv()
    data = make_transcript()
    agency = factories.agency(code="SPR")
    clinic = factories.clinic(agency, code="SPR-1")
    analyst, second = factories.user(Role.ANALYST), factories.user(Role.ANALYST)
    project = projects.create_project("Bench", None, analyst)
    projects.add_member(project, second.id, "code")
    documents = {
        n: _platform_document(project, clinic, analyst, second, data, f"bench-{n}.txt", n) for n in SIZES
    }
    code_ids = (
        db.session.execute(sa.select(Code.id).where(Code.project_id == project.id, Code.codable, Code.active))
        .scalars()
        .all()
    )
    text = data.decode("utf-8")  # the same transcript, its turns as Taguette paragraphs
    counts = {
        n: db.session.execute(sa.select(sa.func.count(Coding.id)).where(Coding.document_id == d.id)).scalar()
        for n, d in documents.items()
    }
    assert counts == {n: n for n in SIZES}
    turns = {n: (d.id, [(t.id, d.text[t.start : t.end]) for t in d.turns]) for n, d in documents.items()}
    email = analyst.email
    db.session.commit()
    db.session.close()  # no open transaction of the test holds the database while the servers write

    (tmp_path / "taguette").mkdir()
    (tmp_path / "instance").mkdir()
    taguette = TaguetteClient(venv, tmp_path / "taguette", text)
    try:
        platform = PlatformClient(database_url, tmp_path / "instance", email, turns, code_ids)
    except BaseException:
        taguette.close()  # a platform server that fails to start must not leave Taguette running
        raise
    try:
        for system in (platform, taguette):  # warm-up: templates, caches, connections
            for n in SIZES:
                system.add(n)
        times: dict[tuple[str, int], list[float]] = {
            (s, n): [] for s in ("platform", "taguette") for n in SIZES
        }
        for _ in range(ROUNDS):
            for n in SIZES:
                times[("platform", n)].append(platform.add(n))
                times[("taguette", n)].append(taguette.add(n))
        medians = {k: statistics.median(v) for k, v in times.items()}
        p95 = {k: sorted(v)[max(0, round(0.95 * len(v)) - 1)] for k, v in times.items()}
        benchmark.pedantic(lambda: platform.add(SIZES[-1]), rounds=3, iterations=1)
    finally:
        platform.close()
        taguette.close()

    big, small = SIZES[-1], SIZES[0]
    result = {
        "rounds": ROUNDS,
        "dialect": database_url.split(":", 1)[0],
        "median_ms": {f"{s}@{n}": round(1000 * v, 1) for (s, n), v in medians.items()},
        "p95_ms": {f"{s}@{n}": round(1000 * v, 1) for (s, n), v in p95.items()},
        "platform_over_taguette_at_2000": round(medians[("platform", big)] / medians[("taguette", big)], 2),
        "platform_2000_over_200": round(medians[("platform", big)] / medians[("platform", small)], 2),
        "taguette_2000_over_200": round(medians[("taguette", big)] / medians[("taguette", small)], 2),
    }
    benchmark.extra_info.update(result)
    folder = Path(os.environ.get("MIO_ARTIFACTS", "artifacts")) / "benchmarks"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"coding-vs-taguette-{result['dialect']}.json").write_text(json.dumps(result, indent=2))
    print(f"\nnew coding, {ROUNDS} rounds, median (p95) ms over HTTP on loopback:")
    for n in SIZES:
        print(
            f"  {n:>5} codings: platform {1000 * medians[('platform', n)]:.1f} ({1000 * p95[('platform', n)]:.1f})"
            f"  Taguette {TAGUETTE_VERSION} {1000 * medians[('taguette', n)]:.1f} ({1000 * p95[('taguette', n)]:.1f})"
        )
    print(
        f"  platform / Taguette at {big}: {result['platform_over_taguette_at_2000']}; "
        f"{big}/{small}: platform {result['platform_2000_over_200']}, Taguette {result['taguette_2000_over_200']}"
    )
