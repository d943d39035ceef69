"""The README's Quick start works as written: its two commands exist, its first SDK call runs."""

import os
import re
import subprocess
import sys

from tests.e2e.conftest import REPO

README = (REPO / "README.md").read_text()
QUICK_START = README[README.index("## Quick start") : README.index("\n## ", README.index("## Quick start") + 1)]


def test_the_two_commands_are_the_scripts() -> None:
    commands = re.findall(r"^(scripts/\w+)\s+#", QUICK_START, flags=re.MULTILINE)
    assert commands == ["scripts/dev", "scripts/test"]
    for command in commands:
        assert os.access(REPO / command, os.X_OK), command


def test_the_first_sdk_call_runs_against_the_server(url: str) -> None:
    snippet = re.search(r"```python\n(.*?)```", QUICK_START, flags=re.DOTALL).group(1)
    assert "http://127.0.0.1:2024" in snippet
    snippet = snippet.replace("http://127.0.0.1:2024", url)
    done = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    # The stream's events, then the thread's state with the example agent's answer.
    assert "values" in done.stdout
    assert "'checkpoint'" in done.stdout and "What is AI?" in done.stdout
