"""The official JS/TS client (@langchain/langgraph-sdk from npm) works unchanged against our server."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

JS_DIR = Path(__file__).parent / "js"
NODE = shutil.which("node")
NPM = shutil.which("npm")

pytestmark = pytest.mark.skipif(not (NODE and NPM), reason="needs node and npm")


def install_client() -> None:
    if (JS_DIR / "node_modules" / "@langchain" / "langgraph-sdk").exists():
        return
    subprocess.run([NPM, "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=JS_DIR, check=True, timeout=300)


def test_js_client_threads_wait_stream_and_crons(url: str) -> None:
    install_client()
    result = subprocess.run([NODE, "client.mjs", url], cwd=JS_DIR, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["lastMessage"] == "You said: hello from js"
    assert report["events"] == ["metadata", "values", "updates", "values"]
    assert report["cronId"] in report["cronsFound"]


def test_js_client_thread_stream_events_since_and_cancel(url: str) -> None:
    """client.threads.stream() of the JS client: upstream's events in order, reconnect with
    `since`, and a cancelled run ending with the terminal lifecycle event (thread_stream.mjs)."""
    install_client()
    result = subprocess.run([NODE, "thread_stream.mjs", url], cwd=JS_DIR, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    names = [[method, event] for _, method, event in report["events"]]
    assert names == [
        ["lifecycle", "running"],
        ["values", None],
        ["messages", "message-start"],
        ["messages", "content-block-start"],
        *[["messages", "content-block-delta"]] * 3,
        ["messages", "content-block-finish"],
        ["messages", "message-finish"],
        ["values", None],
        ["lifecycle", "completed"],
    ]
    assert [seq for seq, _, _ in report["events"]] == list(range(1, 12))
    assert report["firstEvent"]["event_id"] == f"synth:{report['runId']}:lc||running"
    assert report["firstEvent"]["params"]["data"] == {"event": "running", "graph_name": "agent"}
    assert report["text"] == report["lastMessage"] == "You said: hi"
    assert report["replayed"] == report["events"][5:] and report["replayedSame"]
    assert report["cancelEvents"] == [[1, "lifecycle", "running"], [2, "values", None], [3, "lifecycle", "interrupted"]]
