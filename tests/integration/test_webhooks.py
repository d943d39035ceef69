"""Webhooks: a run that ends (however it ends) sends its payload once committed; delivery
signs, retries what may succeed later, and re-checks the address."""

import json
import time

import pytest
from django.test import Client

from apps.graphs.config import get_config
from apps.runs import services, webhook_outbox, webhooks
from apps.runs.models import RunStatus
from apps.threads.models import Thread
from apps.threads.services import create_thread
from tests.conftest import FIXTURE_CONFIG
from tests.integration.helpers import create_and_execute
from tests.webhook_receiver import webhook_receiver

pytestmark = pytest.mark.django_db(transaction=True)

HOOK = "http://127.0.0.1:9/hook"  # never contacted: sends are recorded


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict]]:
    """Record enqueued deliveries instead of sending the Celery task."""
    recorded: list[tuple[str, dict]] = []
    monkeypatch.setattr(webhook_outbox, "send_delivery_task", lambda url, payload: recorded.append((url, payload)))
    return recorded


@pytest.fixture(autouse=True)
def private_allowed(settings) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = True


def test_successful_run_sends_the_run_and_its_final_values(assistants, no_dispatch, sent) -> None:
    thread = create_thread()
    run = create_and_execute({"assistant_id": "slow", "input": {}, "webhook": HOOK}, thread.thread_id)

    thread.refresh_from_db()
    run.refresh_from_db()
    [(url, payload)] = sent
    assert url == HOOK
    assert payload["run_id"] == str(run.run_id) and payload["thread_id"] == str(thread.thread_id)
    assert payload["status"] == "success"
    assert payload["values"] == thread.values == {"steps": ["slept", "finished"]}
    assert payload["kwargs"]["webhook"] == HOOK
    assert payload["run_started_at"] and payload["run_ended_at"] >= payload["run_started_at"]
    assert "error" not in payload


def test_failed_run_sends_its_error(assistants, no_dispatch, sent) -> None:
    thread = create_thread()
    create_and_execute({"assistant_id": "failing", "input": {}, "webhook": HOOK}, thread.thread_id)

    [(_, payload)] = sent
    assert payload["status"] == "error"
    assert payload["error"] == "boom"


def test_run_cancelled_while_pending_sends_interrupted(assistants, no_dispatch, sent) -> None:
    thread = create_thread()
    run = services.create_run({"assistant_id": "agent", "input": {}, "webhook": HOOK}, thread.thread_id)
    services.cancel_run(thread.thread_id, run.run_id)

    [(_, payload)] = sent
    assert payload["run_id"] == str(run.run_id)
    assert payload["status"] == RunStatus.INTERRUPTED
    assert payload["run_started_at"] is None and payload["run_ended_at"]


def test_stateless_run_sends_although_its_thread_is_gone(assistants, no_dispatch, sent) -> None:
    run = create_and_execute({"assistant_id": "slow", "input": {}, "webhook": HOOK})

    assert not Thread.objects.filter(pk=run.thread_id).exists()
    [(_, payload)] = sent
    assert payload["status"] == "success" and payload["values"] == {"steps": ["slept", "finished"]}


def test_run_without_webhook_sends_nothing(assistants, no_dispatch, sent) -> None:
    create_and_execute({"assistant_id": "agent", "input": {}}, create_thread().thread_id)
    assert sent == []


def test_delivery_posts_a_signed_body(settings) -> None:
    settings.WEBHOOK_SECRET = "s3cret"
    with webhook_receiver() as receiver:
        result = webhooks.deliver(f"{receiver.url}/hook?x=1", {"run_id": "r1", "status": "success", "values": {}})

    assert result.delivered
    [delivery] = receiver.received()
    assert delivery.path == "/hook?x=1"
    assert delivery.json["run_id"] == "r1" and delivery.json["webhook_sent_at"]
    headers = delivery.headers
    assert headers["content-type"] == "application/json"
    assert headers["x-webhook-id"] == "r1"
    assert headers["host"] == receiver.url.removeprefix("http://")
    assert webhooks.verify("s3cret", headers["x-webhook-timestamp"], delivery.body, headers["x-webhook-signature"])
    assert abs(int(headers["x-webhook-timestamp"]) - time.time()) < 60


def test_unsigned_without_a_secret(settings) -> None:
    settings.WEBHOOK_SECRET = ""
    with webhook_receiver() as receiver:
        assert webhooks.deliver(receiver.url, {"run_id": "r1"}).delivered
    assert "x-webhook-signature" not in receiver.received()[0].headers


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (503, True), (429, True), (404, False), (400, False)])
def test_which_answers_are_retried(status: int, retryable: bool) -> None:
    with webhook_receiver([status]) as receiver:
        result = webhooks.deliver(receiver.url, {"run_id": "r1"})
    assert not result.delivered and result.retryable is retryable


def test_connection_refused_is_retried() -> None:
    with webhook_receiver() as receiver:
        url = receiver.url
    result = webhooks.deliver(url, {"run_id": "r1"})  # the receiver is closed now
    assert not result.delivered and result.retryable


def test_address_refused_at_delivery_is_final_and_nothing_is_sent(settings) -> None:
    with webhook_receiver() as receiver:
        settings.WEBHOOK_ALLOW_PRIVATE = False  # e.g. the name now resolves to a private address
        result = webhooks.deliver(receiver.url, {"run_id": "r1"})
    assert not result.delivered and not result.retryable
    assert receiver.received() == []


def test_celery_task_retries_until_delivered(settings) -> None:
    """The task, run eagerly: 500, 500, then 200 is three deliveries, and success."""
    from apps.runs.tasks import deliver_webhook

    settings.WEBHOOK_BACKOFF_S = 0.0
    settings.WEBHOOK_MAX_ATTEMPTS = 5
    with webhook_receiver([500, 500]) as receiver:
        deliver_webhook.apply(args=[receiver.url, {"run_id": "r1"}])
    assert len(receiver.received()) == 3


def test_celery_task_gives_up_after_max_attempts(settings) -> None:
    from apps.runs.tasks import deliver_webhook

    settings.WEBHOOK_BACKOFF_S = 0.0
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    with webhook_receiver([500, 500, 500]) as receiver:
        deliver_webhook.apply(args=[receiver.url, {"run_id": "r1"}])
    assert len(receiver.received()) == 2


@pytest.mark.parametrize(
    ("webhook", "message"),
    [("ftp://example.com/x", "scheme 'ftp'"), ("/relative", "absolute"), ("http://127.0.0.1:1/x", "127.0.0.1")],
)
def test_bad_webhook_is_422_naming_the_field(assistants, settings, webhook: str, message: str) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = False
    client = Client()
    thread = client.post("/threads", {}, content_type="application/json").json()
    for path in (f"/threads/{thread['thread_id']}/runs", "/runs/wait", "/runs/crons"):
        body = {"assistant_id": "agent", "input": {}, "webhook": webhook}
        if path.endswith("crons"):
            body["schedule"] = "* * * * *"
        response = client.post(path, body, content_type="application/json")
        assert response.status_code == 422, (path, response.content)
        detail = response.json()["detail"]
        assert detail.startswith("webhook:") and message in detail, detail


def test_cron_runs_carry_the_webhook(assistants, no_dispatch, sent) -> None:
    from apps.crons.services import create_cron, fire_cron

    cron = create_cron({"assistant_id": "agent", "schedule": "* * * * *", "input": {}, "webhook": HOOK})
    run_id = fire_cron(str(cron.cron_id))
    no_dispatch.deliver()

    [(url, payload)] = sent
    assert url == HOOK and payload["run_id"] == str(run_id)
    assert payload["metadata"]["cron_id"] == str(cron.cron_id)


def test_langgraph_json_can_turn_webhooks_off(assistants, no_dispatch, sent, settings, tmp_path) -> None:
    use_config(settings, tmp_path, http={"disable_webhooks": True})  # the graphs stay loaded from the fixture app

    run = create_and_execute({"assistant_id": "slow", "input": {}, "webhook": HOOK}, create_thread().thread_id)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCESS and sent == []


def use_config(settings, tmp_path, **sections: dict) -> None:
    """The fixture app's langgraph.json with `sections` added, as this test's config."""
    config = {**json.loads(FIXTURE_CONFIG.read_text()), **sections}
    (tmp_path / "langgraph.json").write_text(json.dumps(config))
    settings.LANGGRAPH_CONFIG = str(tmp_path / "langgraph.json")


def test_langgraph_json_headers_go_with_every_delivery(settings, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LG_WEBHOOK_TOKEN", "t0ken")
    headers = {"Authorization": "Bearer ${{ env.LG_WEBHOOK_TOKEN }}", "X-Team": "agents"}
    use_config(settings, tmp_path, webhooks={"headers": headers})
    with webhook_receiver() as receiver:
        assert webhooks.deliver(receiver.url, {"run_id": "r1"}).delivered
        monkeypatch.delenv("LG_WEBHOOK_TOKEN")
        unset = webhooks.deliver(receiver.url, {"run_id": "r2"})
        monkeypatch.setenv("LG_WEBHOOK_TOKEN", "caf\u00e9")
        not_ascii = webhooks.deliver(receiver.url, {"run_id": "r3"})
    [delivery] = receiver.received()  # the others are never sent: their header cannot be filled
    assert delivery.headers["authorization"] == "Bearer t0ken" and delivery.headers["x-team"] == "agents"
    assert not unset.delivered and not unset.retryable and "LG_WEBHOOK_TOKEN is not set" in unset.detail
    assert not not_ascii.delivered and not not_ascii.retryable and "not one line of ASCII" in not_ascii.detail


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.com/x", "must be an https URL"),
        ("https://example.com/x", "not in webhooks.url.allowed_domains"),
        ("https://evil-example.com/x", "not in webhooks.url.allowed_domains"),
        ("https://hooks.example.com:8443/x", "port 8443 is not in webhooks.url.allowed_ports"),
        ("https://a.example.org/" + "x" * 100, "at most 100 characters"),
    ],
)
def test_langgraph_json_url_policy_refuses_at_the_door(assistants, settings, tmp_path, url: str, message: str) -> None:
    policy = {"require_https": True, "allowed_domains": ["*.example.com", "a.example.org"], "allowed_ports": [443]}
    use_config(settings, tmp_path, webhooks={"url": {**policy, "max_url_length": 100}})
    response = Client().post(
        "/runs", {"assistant_id": "agent", "input": {}, "webhook": url}, content_type="application/json"
    )
    assert response.status_code == 422 and message in response.json()["detail"], response.content
    assert webhooks.policy_refusal(get_config().webhooks, "https", "hooks.example.com", 443) is None
