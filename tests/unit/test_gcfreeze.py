"""Start-up objects are moved out of the garbage collector's reach once a process is ready."""

import gc
from collections.abc import Iterator

import pytest
from celery.signals import worker_ready

from agentplatform.gcfreeze import freeze_startup_objects


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_freezing_leaves_only_newer_objects_to_collect(unfrozen: None) -> None:
    tracked_before = len(gc.get_objects())
    freeze_startup_objects()
    assert gc.get_freeze_count() > 0.5 * tracked_before
    assert len(gc.get_objects()) < 0.05 * tracked_before


def test_a_ready_worker_freezes_its_startup_objects(unfrozen: None) -> None:
    assert gc.get_freeze_count() == 0
    worker_ready.send(sender=None)
    assert gc.get_freeze_count() > 0
