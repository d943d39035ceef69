"""A browser app on another origin (as Agent Chat UI, Studio or a useStream app is) uses the
official JS SDK against the server: the page is served from a second port, so every call is
cross-origin and needs CORS; headless Chromium runs it and the test reads each step's outcome
from the page.

Under CI=true a missing Chromium or node is a failure, not a skip.
"""

import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from apps.devserver.embedded import free_port
from tests.conftest import wait_for
from tests.e2e.test_admin_browser import CHROMEDRIVER, CHROMIUM, browser
from tests.e2e.test_js_client import JS_DIR, NODE, NPM, install_client

PAGE_DIR = JS_DIR / "browser"


@pytest.fixture(autouse=True)
def needs_browser_and_node() -> None:
    tools = {"chromium": CHROMIUM, "chromedriver": CHROMEDRIVER, "node": NODE, "npm": NPM}
    missing = [name for name, found in tools.items() if not found]
    if missing and os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the browser test: {', '.join(missing)} not found")
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (scripts/test installs chromium)")


def bundle(out_dir: Path) -> None:
    """The page's script: the SDK and app.mjs bundled for the browser with esbuild (no CDN)."""
    install_client()
    esbuild = JS_DIR / "node_modules" / ".bin" / "esbuild"
    if not esbuild.exists():  # node_modules from before esbuild was a dependency
        subprocess.run([NPM, "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=JS_DIR, check=True)
    subprocess.run(
        [str(esbuild), "browser/app.mjs", "--bundle", "--format=iife", "--platform=browser", "--target=es2020",
         f"--outfile={out_dir / 'bundle.js'}", "--log-level=warning"],
        cwd=JS_DIR, check=True, timeout=120,
    )  # fmt: skip
    shutil.copy(PAGE_DIR / "index.html", out_dir / "index.html")


@pytest.fixture
def page_origin(tmp_path: Path) -> Iterator[str]:
    """The page served by a plain static server on its own port: a second origin."""
    bundle(tmp_path)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # "localhost" vs the API's "127.0.0.1": different hosts as well as ports.
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_js_sdk_in_a_browser_on_another_origin_creates_streams_and_reads_history(url: str, page_origin: str) -> None:
    driver = browser()
    try:
        driver.get(f"{page_origin}/index.html?api={url}")
        wait_for(lambda: driver.find_elements(By.ID, "step-done"), timeout_s=60, interval_s=0.2)
        steps = {
            item.get_attribute("id").removeprefix("step-"): (item.get_attribute("data-status"), item.text)
            for item in driver.find_elements(By.CSS_SELECTOR, "#steps li")
        }
    finally:
        driver.quit()
    failed = {name: detail for name, (status, detail) in steps.items() if status != "ok"}
    assert not failed, failed
    assert list(steps) == ["create-thread", "stream-run", "history", "search", "done"]

    streamed = json.loads(steps["stream-run"][1])
    assert streamed["runId"], "the run id comes from Content-Location, which CORS must expose"
    assert streamed["events"][0] == "metadata" and "values" in streamed["events"]
    assert streamed["last"] == "You said: hello from a browser"  # content sent as a list of blocks
    history = json.loads(steps["history"][1])
    assert history["checkpoints"] >= 2 and history["last"] == "You said: hello from a browser"
    assert json.loads(steps["search"][1]) == {"found": True}
