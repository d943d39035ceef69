"""A person in a real browser (headless Chromium): log in to the admin, list runs, cancel one;
see the dashboard's charts refresh, an assistant's graph drawn, a thread's conversation and a
failed run's timeline, each as server-drawn SVG, and screenshot them (test-artifacts/)."""

import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from langgraph_sdk import get_client
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.conftest import wait_for
from tests.e2e.conftest import REPO, headless_chromium, live_server, require_chromium, run

ARTIFACTS = REPO / "test-artifacts"
SCREENSHOT = ARTIFACTS / "admin-runs.png"
SCREEN_WIDTH_PX = 1280


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


TOOL_CONVERSATION = [
    {"type": "human", "content": "search the weather in Paris"},
    {
        "type": "ai",
        "content": "",
        "tool_calls": [{"name": "weather_lookup", "args": {"city": "Paris"}, "id": "call_paris"}],
    },
    {"type": "tool", "content": "sunny, 21 °C", "tool_call_id": "call_paris", "name": "weather_lookup"},
]


async def make_history(url: str) -> dict[str, str]:
    """A conversation with a tool call, a failed run and a slow one: what the pictures show."""
    client = get_client(url=url)
    thread = await client.threads.create()
    thread_id = thread["thread_id"]
    await client.runs.wait(thread_id, "agent", input={"messages": [{"role": "user", "content": "hello there"}]})
    await client.threads.update_state(thread_id, {"messages": TOOL_CONVERSATION}, as_node="search")
    await client.runs.wait(thread_id, "agent", input={"messages": [{"role": "user", "content": "thanks!"}]})
    failed_thread = await client.threads.create()
    failed = await client.runs.create(failed_thread["thread_id"], "failing", input={"steps": ["x"]})
    await client.runs.join(failed_thread["thread_id"], failed["run_id"])
    for _ in range(3):
        await client.runs.wait(None, "agent", input={"messages": [{"role": "user", "content": "stateless"}]})
    agent = (await client.assistants.search(graph_id="agent"))[0]
    nested = (await client.assistants.search(graph_id="nested"))[0]
    return {
        "thread_id": thread_id,
        "failed_run_id": failed["run_id"],
        "agent_id": agent["assistant_id"],
        "nested_id": nested["assistant_id"],
    }


def log_in(driver: webdriver.Chrome, url: str, next_path: str) -> None:
    driver.get(f"{url}/admin/login/?next={next_path}")
    driver.find_element(By.NAME, "username").send_keys("operator")
    driver.find_element(By.NAME, "password").send_keys("correct-horse")
    driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(lambda: urlsplit(driver.current_url).path == next_path, timeout_s=10)


def texts(driver: webdriver.Chrome, css: str) -> list[str]:
    """Text of SVG/HTML elements, read in one go (the live dashboard swaps its charts meanwhile;
    textContent because SVG <title> elements are not rendered text)."""
    script = "return Array.from(document.querySelectorAll(arguments[0]), e => e.textContent)"
    return driver.execute_script(script, css)


def count(driver: webdriver.Chrome, css: str) -> int:
    return driver.execute_script("return document.querySelectorAll(arguments[0]).length", css)


def screenshot(driver: webdriver.Chrome, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(SCREEN_WIDTH_PX, min(max(height, 900), 4000))
    assert driver.save_screenshot(str(path))
    return path


def fits_the_screen(driver: webdriver.Chrome) -> bool:
    """No horizontal scroll: neither the page nor a list's own scroll box (Django wraps lists in one)."""
    script = """
        const boxes = [document.documentElement, ...document.querySelectorAll('.results, .readonly')];
        return boxes.every(box => box.scrollWidth <= box.clientWidth + 1);
    """
    return driver.execute_script(script)


def test_operator_sees_charts_graph_conversation_and_run_timeline(tmp_path: Path) -> None:
    credentials = {"DJANGO_SUPERUSER_USERNAME": "operator", "DJANGO_SUPERUSER_PASSWORD": "correct-horse"}
    with live_server(tmp_path, **credentials) as server:
        made = run(make_history(server.url))
        driver = headless_chromium()
        driver.set_window_size(SCREEN_WIDTH_PX, 900)
        try:
            log_in(driver, server.url, "/admin/dashboard/")
            # Every chart is an inline SVG drawn by the server, with its series and labels.
            for chart in ("throughput-hour", "throughput-day", "durations-hour", "durations-day", "queue", "errors"):
                assert count(driver, f"#chart-{chart} svg"), chart
            legend = texts(driver, "#chart-throughput-hour svg .legend text")
            assert {"success", "error"} <= set(legend) and "running" not in legend  # statuses the hour has seen
            assert count(driver, "#chart-throughput-hour svg .series rect")  # bars per minute
            day_series = count(driver, "#chart-throughput-day svg .series path.line")  # an area per status
            assert day_series == len(texts(driver, "#chart-throughput-day svg .legend text"))
            assert {"p50", "p95"} <= set(texts(driver, "#chart-durations-hour svg .legend text"))
            assert count(driver, "#chart-durations-hour svg .series .dot")
            assert "failing" in texts(driver, "#chart-errors svg .axis text")
            assert "Runs per minute by status, last hour" in texts(driver, "#chart-throughput-hour svg .title")
            # Live: a run started after the page loaded shows up without a reload.
            assert texts(driver, ".console-stats div strong")[0] == "0"
            slow_thread, slow_run = run(start_slow_run(server.url))
            wait_for(lambda: texts(driver, ".console-stats div strong")[0] == "1", timeout_s=20)
            wait_for(lambda: "running" in texts(driver, "#chart-throughput-hour svg .legend text"), timeout_s=20)
            assert int(driver.find_element(By.ID, "live-charts").get_attribute("data-refreshed")) >= 1
            assert fits_the_screen(driver)
            screenshot(driver, "admin-dashboard.png")

            driver.get(f"{server.url}/admin/assistants/assistant/{made['agent_id']}/change/")
            nodes = texts(driver, ".console-diagram svg g.node title")
            assert {"__start__", "search", "respond", "__end__"} <= set(nodes)
            assert count(driver, ".console-diagram svg g.edge path[stroke-dasharray]")
            assert fits_the_screen(driver)
            screenshot(driver, "admin-assistant.png")
            driver.get(f"{server.url}/admin/assistants/assistant/{made['nested_id']}/change/")
            assert "inner › inner_step" in texts(driver, ".console-diagram svg g.node title")
            assert "subgraph: inner" in texts(driver, ".console-diagram svg g.cluster text")
            screenshot(driver, "admin-assistant-subgraph.png")

            driver.get(f"{server.url}/admin/threads/thread/{made['thread_id']}/change/")
            assert texts(driver, ".msg.human .text")[:2] == ["hello there", "search the weather in Paris"]
            assert "You said: thanks!" in texts(driver, ".msg.ai .text")
            assert texts(driver, ".msg.ai details.tool-call summary code") == ["weather_lookup"]
            assert "sunny, 21 °C" in texts(driver, ".msg.tool .text")
            step_labels = " ".join(texts(driver, ".console-svg svg .axis text"))
            assert "respond" in step_labels and "input" in step_labels
            assert fits_the_screen(driver)
            screenshot(driver, "admin-thread.png")

            driver.get(f"{server.url}/admin/runs/run/{made['failed_run_id']}/change/")
            assert any("explode" in t and "ValueError: boom" in t for t in texts(driver, ".console-svg svg .axis text"))
            assert count(driver, ".console-svg svg .series rect")
            assert "boom" in texts(driver, ".steps-table td.error")[0]
            assert "error" in texts(driver, ".events code")
            assert fits_the_screen(driver)
            screenshot(driver, "admin-run.png")

            driver.get(f"{server.url}/admin/runs/run/")
            cell = driver.find_element(By.CSS_SELECTOR, f".short-id[title='{made['failed_run_id']}']")
            assert cell.text == made["failed_run_id"][:8]
            assert fits_the_screen(driver)
            screenshot(driver, "admin-runs-list.png")
            for listing in ("threads/thread", "assistants/assistant"):
                driver.get(f"{server.url}/admin/{listing}/")
                screenshot(driver, f"admin-{listing.split('/')[0]}-list.png")
                assert fits_the_screen(driver), listing
            run(get_client(url=server.url).runs.cancel(slow_thread, slow_run))
        finally:
            driver.quit()
