"""`python -m apps.devserver.worker_ping BROKER_URL NODE...`: exits 0 once every named
worker answers a Celery control ping (it consumes from the broker).

A child of `manage.py dev`'s supervisor, which waits for its exit: Celery's client would
stay in the supervisor for the server's life (~9 MB, bench/README.md, idle memory).
"""

import sys
import time

from celery import Celery

PING_TIMEOUT_S = 0.5
RETRY_S = 0.1


def all_answer(app: Celery, node_names: list[str]) -> bool:
    try:
        replies = app.control.ping(destination=node_names, timeout=PING_TIMEOUT_S, limit=len(node_names))
    except Exception:  # the broker is still starting: not ready yet
        return False
    answered = {name for reply in replies for name in reply}
    return answered >= set(node_names)


def main(argv: list[str]) -> int:
    broker_url, *node_names = argv
    app = Celery("agentplatform-dev", broker=broker_url)
    while not all_answer(app, node_names):
        time.sleep(RETRY_S)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
