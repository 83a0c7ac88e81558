"""Real-browser fixtures: the platform served on loopback with the demo loaded, driven by Playwright in Debian's
Chromium (``/usr/bin/chromium``; Playwright's own browser download is impossible here). Screenshots go to
``$MIO_ARTIFACTS/screenshots`` (CI keeps them)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from tests.conftest import own_database_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


@pytest.fixture(scope="session")
def live_server():
    """The demo platform on 127.0.0.1:<free port>, in a thread, on its own database."""
    from werkzeug.serving import make_server

    from app.demo import seed

    config = {"TESTING": False, "SECRET_KEY": "browser-tests", "WTF_CSRF_ENABLED": True}
    with own_database_app(config, seed=seed, actor="browser-tests:seed-demo") as application:
        server = make_server("127.0.0.1", 0, application, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_port}"
        server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Debian chromium is required at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def screenshot():
    folder = Path(os.environ.get("MIO_ARTIFACTS", "artifacts")) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)

    def take(pg, name: str) -> Path:
        path = folder / f"{name}.png"
        pg.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in(pg, email: str, password: str | None = None) -> None:
    from app.demo import demo_password

    pg.goto("/auth/login")
    pg.get_by_label("Email").fill(email)
    pg.get_by_label("Password").fill(password or demo_password(email))
    pg.get_by_role("button", name="Sign in").click()
    pg.wait_for_load_state()
