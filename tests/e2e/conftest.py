"""Browser journeys: Playwright (the Python package, which ships its driver) driving Chromium from
Debian's packages, headless, against a live server on a demo database. Screenshots of failing
tests are kept in test-artifacts/screenshots/ (CI keeps that folder)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

CHROMIUM = os.environ.get("QALDYQ_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """`qaldyq demo` on a fresh SQLite file, served by uvicorn in a subprocess."""
    folder = tmp_path_factory.mktemp("live")
    env = {**os.environ, "QALDYQ_DATABASE_URL": f"sqlite:///{folder / 'demo.db'}", "QALDYQ_INSTANCE_DIR": str(folder / "instance"),
           "QALDYQ_DEFAULT_LOCALE": "kk"}
    subprocess.run([sys.executable, "-m", "qaldyq.cli", "demo", "--load-only"], env=env, check=True, capture_output=True)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "qaldyq.cli", "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("live server did not start: " + proc.stderr.read().decode()[-2000:])
    yield base
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM} (make test installs Debian's chromium)")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def pytest_sessionstart(session):
    # The folder holds the failures of this run only (under xdist the controller clears it once,
    # before the workers start).
    if not hasattr(session.config, "workerinput") and ARTIFACTS.exists():
        for old in ARTIFACTS.iterdir():
            old.unlink()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing browser test leaves a full-page screenshot and the page's HTML (with its address
    in the first line) in test-artifacts/screenshots/; .ci/run lists them when the suite fails."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and "page" in item.funcargs:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page = item.funcargs["page"]
        try:
            page.screenshot(path=str(ARTIFACTS / f"{item.name}.png"), full_page=True)
            (ARTIFACTS / f"{item.name}.html").write_text(f"<!-- {page.url} -->\n{page.content()}", encoding="utf-8")
        except Exception:  # the page may be gone; the failure itself is what matters
            pass


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1366, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


def login(page, username: str, password: str = "qaldyq-demo-2026", lang: str = "en"):
    page.goto(f"/login?lang={lang}")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
