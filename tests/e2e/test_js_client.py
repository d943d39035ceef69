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
