"""Keep the garbage collector off the objects a process made while starting.

A worker or API process holds ~190,000 container objects once Django, Celery,
LangGraph and the graphs are imported; a full collection walks them all (37-49 ms
measured as bench/HISTORY.md records, with every run or request of the process stalled meanwhile).
Frozen, they are left out of every later collection (~0 ms for the same walk).
Full collections are rare (they wait for a quarter as many new long-lived objects
as there are old ones), but a long-running process does reach them.
"""

import gc
import logging

logger = logging.getLogger(__name__)


def freeze_startup_objects() -> None:
    """Collect start-up garbage, then move what survives out of the collector's reach."""
    gc.collect()
    gc.freeze()
    logger.info("froze %d start-up objects out of garbage collection", gc.get_freeze_count())
