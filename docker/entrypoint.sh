#!/bin/sh
# Container entry point: `entrypoint.sh api|worker|beat|prepare|flower|dev [args...]`.
# Waits for PostgreSQL (and Redis) to answer, then execs the real command.
# ENTRYPOINT_DRY_RUN=1 prints the command instead of running it (used by the tests).
set -eu

role="${1:-api}"
[ "$#" -gt 0 ] && shift

PYTHON="${PYTHON:-python}"
API_PORT="${API_PORT:-8000}"
API_PROCESSES="${API_PROCESSES:-2}"
N_JOBS_PER_WORKER="${N_JOBS_PER_WORKER:-10}"
RUNS_QUEUE="${RUNS_QUEUE:-runs}"

case "$role" in
    api) set -- "$PYTHON" -m uvicorn agentplatform.asgi:application --host 0.0.0.0 --port "$API_PORT" --workers "$API_PROCESSES" --timeout-graceful-shutdown 10 "$@" ;;
    worker) set -- "$PYTHON" -m celery -A agentplatform worker -Q "$RUNS_QUEUE" --loglevel INFO "$@" ;;
    beat) set -- "$PYTHON" -m celery -A agentplatform beat --loglevel INFO "$@" ;;
    prepare) set -- "$PYTHON" manage.py prepare "$@" ;;
    flower)
        # Flower can cancel and inspect tasks: never serve it without a password.
        case "${FLOWER_BASIC_AUTH:-}" in
            ?*:?*) ;;
            *) echo "flower needs FLOWER_BASIC_AUTH=user:password" >&2; exit 64 ;;
        esac
        set -- "$PYTHON" -m celery -A agentplatform flower --port=5555 --basic-auth="$FLOWER_BASIC_AUTH" "$@" ;;
    dev) set -- "$PYTHON" manage.py dev --host 0.0.0.0 "$@" ;;
    *) echo "unknown role '$role': use api, worker, beat, prepare, flower or dev" >&2; exit 64 ;;
esac

if [ "${ENTRYPOINT_DRY_RUN:-0}" = "1" ]; then
    echo "$@"
    exit 0
fi

if [ "$role" != "dev" ] && [ -n "${DATABASE_URL:-}" ]; then
    "$PYTHON" - <<'PY'
import os, sys, time
import psycopg
deadline = time.monotonic() + float(os.environ.get("WAIT_FOR_SERVICES_S", "60"))
while True:
    try:
        psycopg.connect(os.environ["DATABASE_URL"], connect_timeout=2).close()
        break
    except psycopg.OperationalError as exc:
        if time.monotonic() > deadline:
            sys.exit(f"PostgreSQL did not answer: {exc}")
        time.sleep(1)
PY
fi

exec "$@"
