"""API keys, the body size limit, and safe defaults."""

import uuid

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def keyed(settings, assistants) -> Client:
    settings.API_KEYS = ["k-one", "k-two"]
    return Client()


def test_missing_key_is_401(keyed: Client) -> None:
    response = keyed.post("/threads", {}, content_type="application/json")
    assert response.status_code == 401
    assert "x-api-key" in response.json()["detail"]


def test_wrong_key_is_401(keyed: Client) -> None:
    response = keyed.post("/threads", {}, content_type="application/json", headers={"x-api-key": "nope"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid API key"}


def test_any_configured_key_is_accepted(keyed: Client) -> None:
    for key in ("k-one", "k-two"):
        response = keyed.post("/threads", {}, content_type="application/json", headers={"x-api-key": key})
        assert response.status_code == 200


def test_health_check_and_admin_login_need_no_key(keyed: Client) -> None:
    assert keyed.get("/ok").status_code == 200
    assert keyed.get("/admin/login/").status_code == 200


def test_no_keys_configured_means_open(settings, assistants) -> None:
    settings.API_KEYS = []
    assert Client().get(f"/threads/{uuid.uuid4()}").status_code == 404


def test_oversized_body_is_413(settings, assistants) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = Client().post("/threads", {"metadata": {"blob": "x" * 5000}}, content_type="application/json")
    assert response.status_code == 413
    assert "1024 bytes" in response.json()["detail"]


def test_production_settings_refuse_to_start_without_secret_key() -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    result = subprocess.run([sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is false" in result.stderr
