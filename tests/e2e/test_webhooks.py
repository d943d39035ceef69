"""Webhooks end to end: runs made through langgraph_sdk on a live server (`manage.py dev`,
which allows loopback receivers) reach a local HTTP receiver, signed, retried on 5xx."""

import time
from collections.abc import Iterator

import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import UnprocessableEntityError

from apps.runs.webhooks import verify
from tests.conftest import wait_for
from tests.e2e.conftest import LiveServer, live_server, run
from tests.webhook_receiver import Receiver, webhook_receiver

SECRET = "e2e-webhook-secret"
STEPS = {"steps": ["slept", "finished"]}
FAST = {"configurable": {"delay": 0}}
CRON_DEADLINE_S = 80.0  # a `* * * * *` cron fires at the next minute boundary


@pytest.fixture(scope="module")
def signing_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of its own: signed deliveries, and retries a few milliseconds apart."""
    with live_server(
        tmp_path_factory.mktemp("e2e-webhooks"), WEBHOOK_SECRET=SECRET, WEBHOOK_BACKOFF_S="0.05"
    ) as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as receiver:
        yield receiver


def assert_signed(delivery) -> None:
    headers = delivery.headers
    assert verify(SECRET, headers["x-webhook-timestamp"], delivery.body, headers["x-webhook-signature"])


def test_thread_run_webhook_carries_the_run_and_its_values(signing_server: LiveServer, receiver: Receiver) -> None:
    async def main() -> tuple[dict, dict]:
        client = get_client(url=signing_server.url)
        thread = await client.threads.create()
        created = await client.runs.create(
            thread["thread_id"], "slow", input={}, config=FAST, webhook=f"{receiver.url}/thread-run"
        )
        await client.runs.join(thread["thread_id"], created["run_id"])
        return await client.runs.get(thread["thread_id"], created["run_id"]), thread

    finished, thread = run(main())
    [delivery] = wait_for(lambda: receiver.received("/thread-run"))
    payload = delivery.json
    assert payload["run_id"] == finished["run_id"] and payload["thread_id"] == thread["thread_id"]
    assert payload["status"] == "success" == finished["status"]
    assert payload["assistant_id"] == finished["assistant_id"]
    assert payload["values"] == STEPS
    assert payload["kwargs"]["webhook"] == f"{receiver.url}/thread-run"
    assert payload["run_started_at"] and payload["run_ended_at"] and payload["webhook_sent_at"]
    assert delivery.headers["x-webhook-id"] == finished["run_id"]
    assert_signed(delivery)


def test_stateless_wait_and_failed_runs_send_webhooks(signing_server: LiveServer, receiver: Receiver) -> None:
    async def main() -> None:
        client = get_client(url=signing_server.url)
        output = await client.runs.wait(None, "slow", input={}, config=FAST, webhook=f"{receiver.url}/stateless")
        assert output == STEPS
        thread = await client.threads.create()
        await client.runs.wait(
            thread["thread_id"], "failing", input={}, webhook=f"{receiver.url}/failing", raise_error=False
        )

    run(main())
    [stateless] = wait_for(lambda: receiver.received("/stateless"))
    assert stateless.json["status"] == "success" and stateless.json["values"] == STEPS
    [failed] = wait_for(lambda: receiver.received("/failing"))
    assert failed.json["status"] == "error" and failed.json["error"] == "boom"
    assert_signed(failed)


def test_webhook_is_retried_after_5xx_and_delivered_once(signing_server: LiveServer) -> None:
    with webhook_receiver(statuses=[500, 500]) as receiver:

        async def main() -> None:
            client = get_client(url=signing_server.url)
            await client.runs.wait(None, "slow", input={}, config=FAST, webhook=f"{receiver.url}/flaky")

        run(main())
        deliveries = wait_for(lambda: len(receiver.received()) >= 3 and receiver.received())
        time.sleep(1.0)  # room for a wrong fourth delivery to show up
        deliveries = receiver.received()
    assert len(deliveries) == 3
    assert len({d.json["run_id"] for d in deliveries}) == 1  # one run, three attempts
    assert all(d.json["status"] == "success" for d in deliveries)


def test_bad_webhook_url_is_rejected_with_422(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        thread = await client.threads.create()
        with pytest.raises(UnprocessableEntityError, match="webhook"):
            await client.runs.create(thread["thread_id"], "agent", input={}, webhook="ftp://example.com/hook")
        with pytest.raises(UnprocessableEntityError, match="webhook"):
            await client.crons.create("agent", schedule="* * * * *", webhook="not a url")

    run(main())


def test_cron_runs_send_webhooks(url: str, receiver: Receiver) -> None:
    async def main() -> dict:
        client = get_client(url=url)
        return await client.crons.create(
            "slow", schedule="* * * * *", input={}, config=FAST, webhook=f"{receiver.url}/cron"
        )

    cron = run(main())
    try:
        deliveries = wait_for(lambda: receiver.received("/cron"), timeout_s=CRON_DEADLINE_S, interval_s=0.5)
    finally:
        run(get_client(url=url).crons.delete(cron["cron_id"]))
    payload = deliveries[0].json
    assert payload["metadata"]["cron_id"] == cron["cron_id"]
    assert payload["status"] == "success" and payload["values"] == STEPS
