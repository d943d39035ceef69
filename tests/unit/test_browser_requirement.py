"""A browser test that cannot run skips on a developer machine and fails under CI."""

from pathlib import Path

import pytest

from tests.e2e.conftest import require_chromium


@pytest.fixture
def no_browser(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))


def test_missing_browser_skips_locally(no_browser: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium and chromedriver"):
        require_chromium()


def test_missing_driver_fails_under_ci(no_browser: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI: browser test needs chromedriver"):
        require_chromium()
