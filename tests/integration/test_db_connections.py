"""ORM work run from async code (streams, disconnect callbacks) gives its connection back."""

import asyncio

import pytest
from django.db import connections

from agentplatform.handler import database_sync_to_async
from apps.threads.models import Thread

pytestmark = pytest.mark.django_db(transaction=True)


def _query_and_report_connection() -> object:
    Thread.objects.exists()
    wrapper = connections["default"]  # this executor thread's own
    assert wrapper.connection is not None  # the query did check one out
    return wrapper


def test_an_executor_thread_keeps_no_connection_after_orm_work() -> None:
    wrapper = asyncio.run(database_sync_to_async(_query_and_report_connection)())
    assert wrapper.connection is None
