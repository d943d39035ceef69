"""A person in a real browser (headless Chromium): log in to the admin, list runs, cancel one."""

import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from langgraph_sdk import get_client
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.conftest import wait_for
from tests.e2e.conftest import REPO, headless_chromium, live_server, require_chromium, run

SCREENSHOT = REPO / "test-artifacts" / "admin-runs.png"


@pytest.fixture(autouse=True)
def _chromium() -> None:
    # Before the server starts: skip (or fail under CI) at once when the browser is missing.
    require_chromium()


async def start_slow_run(url: str) -> tuple[str, str]:
    client = get_client(url=url)
    thread = await client.threads.create()
    created = await client.runs.create(thread["thread_id"], "slow", input={}, config={"configurable": {"delay": 60}})
    deadline = time.monotonic() + 30
    while (await client.runs.get(thread["thread_id"], created["run_id"]))["status"] != "running":
        assert time.monotonic() < deadline
    return thread["thread_id"], created["run_id"]


async def run_status(url: str, thread_id: str, run_id: str) -> str:
    return (await get_client(url=url).runs.get(thread_id, run_id))["status"]


def test_operator_logs_in_lists_runs_and_cancels_one(tmp_path: Path) -> None:
    credentials = {"DJANGO_SUPERUSER_USERNAME": "operator", "DJANGO_SUPERUSER_PASSWORD": "correct-horse"}
    with live_server(tmp_path, **credentials) as server:
        thread_id, run_id = run(start_slow_run(server.url))
        driver = headless_chromium()
        try:
            driver.get(f"{server.url}/admin/login/?next=/admin/runs/run/")
            driver.find_element(By.NAME, "username").send_keys("operator")
            driver.find_element(By.NAME, "password").send_keys("correct-horse")
            driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
            # The login page's own URL names the list too (?next=...): wait for the path itself.
            wait_for(lambda: urlsplit(driver.current_url).path == "/admin/runs/run/", timeout_s=10)
            assert run_id in driver.page_source
            assert "running" in driver.page_source

            driver.find_element(By.CSS_SELECTOR, f"input[name=_selected_action][value='{run_id}']").click()
            Select(driver.find_element(By.NAME, "action")).select_by_value("cancel_interrupt")
            driver.find_element(By.NAME, "index").click()
            wait_for(lambda: run(run_status(server.url, thread_id, run_id)) == "interrupted", timeout_s=20)

            driver.refresh()
            assert "interrupted" in driver.page_source
            SCREENSHOT.parent.mkdir(exist_ok=True)
            assert driver.save_screenshot(str(SCREENSHOT))
        finally:
            driver.quit()
