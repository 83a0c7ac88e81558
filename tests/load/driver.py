"""Load driver for scripts/load-test.sh and scripts/fault-test.sh (loopback only, bounded in users and time).

``setup``: on the database in DATABASE_URL (demo already seeded) open a survey wave with N unused links at SPR-1 and
print the tokens. ``run``: R respondent threads each complete one survey through /s/<token> (GET welcome, choose a
role, GET page, save the page, next, submit; think time between steps) while D director threads sign in and GET
overview pages until the duration ends. Failed requests (connection errors, 5xx) are retried with back-off, so a
database restart costs time, not responses. Prints requests, errors, retries and p50/p95 per kind, then checks the
database: submitted links == respondents who saw the thank-you page, and one submitted response per instrument.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import threading
import time
from collections import defaultdict

import httpx

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
RADIO = re.compile(r'type="radio" name="([a-z0-9_]+)" value="(\d+)"')
DIRECTOR_PAGES = ["/", "/outcomes/", "/readiness/profiles", "/readiness/surveys", "/implementation/",
                  "/implementation/strategies", "/readiness/applications/", "/outcomes/fidelity"]
THANKS = 'data-survey-state="submitted"'  # the thank-you page (tests/readiness/surveys/test_respond.py)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.retries: dict[str, int] = defaultdict(int)
        self.completed: list[str] = []

    def record(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.times[kind].append(seconds)


class Failed(Exception):
    pass


def request(client: httpx.Client, stats: Stats, kind: str, method: str, url: str, retries: int, **kw) -> httpx.Response:
    """One logical request; transport errors and 5xx are retried (the fault test restarts the database)."""
    for attempt in range(retries + 1):
        started = time.perf_counter()
        try:
            response = client.request(method, url, **kw)
        except httpx.HTTPError:
            response = None
        elapsed = time.perf_counter() - started
        if response is not None and response.status_code < 500:
            stats.record(kind, elapsed)
            if response.status_code >= 400:
                with stats.lock:
                    stats.errors[kind] += 1
                raise Failed(f"{kind} {url}: HTTP {response.status_code}")
            return response
        with stats.lock:
            stats.retries[kind] += 1
        time.sleep(min(2.0, 0.2 * 2 ** attempt))
    with stats.lock:
        stats.errors[kind] += 1
    raise Failed(f"{kind} {url}: gave up after {retries} retries")


def csrf(response: httpx.Response) -> str:
    found = CSRF.search(response.text)
    if not found:
        raise Failed(f"no CSRF token on {response.url}")
    return found.group(1)


def respondent(base: str, token: str, stats: Stats, rng: random.Random, retries: int, think: float) -> None:
    with httpx.Client(base_url=base, follow_redirects=True, timeout=30) as client:
        def pause():
            time.sleep(rng.uniform(0.2, think))

        try:
            page = request(client, stats, "survey GET", "GET", f"/s/{token}", retries)
            if THANKS not in page.text:
                page = request(client, stats, "survey role POST", "POST", f"/s/{token}", retries,
                               data={"csrf_token": csrf(page), "role": "clinician"})
                number = 1
                while f"/s/{token}/{number}" in str(page.url):
                    pause()
                    items = {}
                    for name, value in RADIO.findall(page.text):
                        items.setdefault(name, []).append(value)
                    answers = {name: rng.choice(values) for name, values in items.items()}
                    token_value = csrf(page)
                    request(client, stats, "survey save POST", "POST", f"/s/{token}/{number}", retries,
                            data={**answers, "csrf_token": token_value, "action": "save"})
                    pause()
                    page = request(client, stats, "survey next POST", "POST", f"/s/{token}/{number}", retries,
                                   data={**answers, "csrf_token": token_value, "action": "next"})
                    number += 1
                pause()
                page = request(client, stats, "survey submit POST", "POST", f"/s/{token}/submit", retries,
                               data={"csrf_token": csrf(page)})
            if THANKS in page.text:
                with stats.lock:
                    stats.completed.append(token)
        except Failed as exc:
            print(f"respondent {token[:6]}…: {exc}", file=sys.stderr)


def director(base: str, email: str, password: str, stats: Stats, until: float, rng: random.Random, retries: int):
    with httpx.Client(base_url=base, follow_redirects=True, timeout=30) as client:
        try:
            page = request(client, stats, "sign-in", "GET", "/auth/login", retries)
            page = request(client, stats, "sign-in", "POST", "/auth/login", retries,
                           data={"csrf_token": csrf(page), "email": email, "password": password})
            if "/auth/login" in str(page.url):
                raise Failed("sign-in refused")
            while time.monotonic() < until:
                page = rng.choice(DIRECTOR_PAGES)
                request(client, stats, f"director GET {page}", "GET", page, retries)
                time.sleep(rng.uniform(0.1, 0.5))
        except Failed as exc:
            print(f"director: {exc}", file=sys.stderr)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def setup(links: int) -> None:
    from datetime import timedelta

    import sqlalchemy as sa

    from app import create_app
    from app.audit import acting_as
    from app.db import db
    from app.models import Clinic
    from readiness.surveys import services

    app = create_app({"ALLOW_DEFAULT_SECRET": True})
    with app.app_context(), acting_as("load-test:setup"):
        clinic = db.session.execute(sa.select(Clinic).where(Clinic.code == "SPR-1")).scalar_one()
        today = services.survey_today()
        tokens: list[str] = []

        def token_factory() -> str:
            tokens.append(services.new_token())
            return tokens[-1]

        services.create_wave(clinic=clinic, title="Load test wave", instrument_refs=["shipped:aim@1.0.0",
                             "shipped:iam@1.0.0"], opens_on=today - timedelta(days=1),
                             closes_on=today + timedelta(days=7), n_links=links, token_factory=token_factory)
        print("\n".join(tokens))


def verify(tokens: list[str], completed: list[str]) -> dict[str, int]:
    import sqlalchemy as sa

    from app import create_app
    from app.db import db
    from readiness.surveys.models import SurveyLink, SurveyResponse
    from readiness.surveys.services import token_hash

    app = create_app({"ALLOW_DEFAULT_SECRET": True})
    with app.app_context():
        hashes = [token_hash(t) for t in tokens]
        submitted = db.session.execute(sa.select(sa.func.count()).select_from(SurveyLink).where(
            SurveyLink.token_hash.in_(hashes), SurveyLink.submitted_at.is_not(None))).scalar_one()
        responses = db.session.execute(sa.select(sa.func.count()).select_from(SurveyResponse).join(SurveyLink).where(
            SurveyLink.token_hash.in_(hashes), SurveyResponse.status == "submitted")).scalar_one()
        instruments = 2
        return {"links submitted (DB)": submitted, "respondents who saw the thank-you page": len(completed),
                "submitted responses (DB)": responses, "expected responses": len(completed) * instruments}


def run(args) -> int:
    tokens = [t.strip() for t in open(args.tokens, encoding="utf-8") if t.strip()][: args.respondents]
    stats = Stats()
    until = time.monotonic() + args.duration
    threads = [threading.Thread(target=respondent, args=(args.base_url, t, stats, random.Random(i), args.retries,
                                                          args.think)) for i, t in enumerate(tokens)]
    threads += [threading.Thread(target=director, args=(args.base_url, args.director_email, args.director_password,
                                                        stats, until, random.Random(100 + i), args.retries))
                for i in range(args.directors)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=args.duration + 120)
    wall = time.monotonic() - started
    total = sum(len(v) for v in stats.times.values())
    errors = sum(stats.errors.values())
    print(f"\n{len(tokens)} respondents, {args.directors} directors, {wall:.1f} s wall: {total} requests "
          f"({total / wall:.1f}/s), errors {errors}, retried {sum(stats.retries.values())}")
    print(f"{'kind':<40}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}{'retries':>9}")
    directors = [k for k in stats.times if k.startswith("director GET")]
    rows = [(kind, stats.times[kind], stats.errors[kind], stats.retries[kind]) for kind in sorted(stats.times)]
    if directors:
        rows.append(("director GET (every page)", [t for k in directors for t in stats.times[k]],
                     sum(stats.errors[k] for k in directors), sum(stats.retries[k] for k in directors)))
    for kind, values, kind_errors, kind_retries in rows:
        print(f"{kind:<40}{len(values):>6}{percentile(values, 50) * 1000:>9.0f}{percentile(values, 95) * 1000:>9.0f}"
              f"{kind_errors:>8}{kind_retries:>9}")
    figures = verify(tokens, stats.completed)
    for name, value in figures.items():
        print(f"{name}: {value}")
    lost = figures["links submitted (DB)"] != figures["respondents who saw the thank-you page"]
    duplicated = figures["submitted responses (DB)"] != figures["expected responses"]
    ok = errors == 0 and not lost and not duplicated and len(stats.completed) == len(tokens)
    print("RESULT:", "OK" if ok else "FAILED", "(no errors, every respondent completed, none lost or duplicated)")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("setup")
    s.add_argument("--links", type=int, default=50)
    r = sub.add_parser("run")
    r.add_argument("--base-url", default="http://127.0.0.1:8765")
    r.add_argument("--tokens", required=True)
    r.add_argument("--respondents", type=int, default=50)
    r.add_argument("--directors", type=int, default=10)
    r.add_argument("--duration", type=float, default=60)
    r.add_argument("--think", type=float, default=3.0, help="most seconds a respondent waits between steps")
    r.add_argument("--retries", type=int, default=8)
    r.add_argument("--director-email", default="director@mio.example")
    r.add_argument("--director-password", default="director-demo-2026")
    args = parser.parse_args()
    if args.command == "setup":
        setup(args.links)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
