"""The admin lists and opens assistants, threads and runs for staff."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from apps.runs import services
from apps.threads.services import create_thread

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff(assistants) -> Client:
    get_user_model().objects.create_superuser("ops", "", "pw")
    client = Client()
    client.login(username="ops", password="pw")
    return client


def test_admin_requires_login() -> None:
    response = Client().get("/admin/runs/run/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_changelists_and_detail_pages_render(staff: Client, no_dispatch) -> None:
    thread = create_thread()
    run = services.create_run({"assistant_id": "agent", "input": {}}, thread.thread_id)
    for path in ("/admin/assistants/assistant/", "/admin/threads/thread/", "/admin/runs/run/", "/admin/crons/cron/"):
        response = staff.get(path)
        assert response.status_code == 200, path
    assert str(run.run_id) in staff.get("/admin/runs/run/").content.decode()
    assert staff.get(f"/admin/runs/run/{run.run_id}/change/").status_code == 200
    assert staff.get(f"/admin/threads/thread/{thread.thread_id}/change/").status_code == 200
    assistant_id = run.assistant_id
    assert staff.get(f"/admin/assistants/assistant/{assistant_id}/change/").status_code == 200
