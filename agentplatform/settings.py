"""Settings, read from the environment (see the settings table in README.md).

Production sets DATABASE_URL, REDIS_URL, SECRET_KEY and DEBUG=false;
`manage.py dev` fills in DATABASE_URL / REDIS_URL from embedded servers.
"""

import ipaddress

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from agentplatform.production import api_keys_problem, secret_key_problem
from apps.core import defaults
from apps.core.cors import cors_policy
from apps.core.env import env_bool, env_float, env_int, env_list, env_str
from apps.graphs.config import read_http_config

BASE_DIR = defaults.BASE_DIR

# Off unless the operator turns it on (`manage.py dev` does not): API errors are JSON
# either way, and only the admin shows Django's debug pages when it is on.
DEBUG = env_bool("DEBUG", False)
# Uncaught exceptions reach our ASGI handler, which logs the traceback and answers JSON
# (agentplatform/handler.py), instead of Django's debug page with settings and environment.
DEBUG_PROPAGATE_EXCEPTIONS = True
SECRET_KEY = env_str("SECRET_KEY", "")
if not DEBUG and (problem := secret_key_problem(SECRET_KEY)):
    raise ImproperlyConfigured(problem)
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-do-not-use-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["*"] if DEBUG else ["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    # Admin modules (and the services, LangGraph and chart libraries they import) load with
    # the URLconf (agentplatform/urls.py calls autodiscover), i.e. only in processes that serve
    # HTTP: Celery workers, beat and the dev supervisor stay without them (~25 MB each).
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "apps.core",
    "apps.console",
    "apps.graphs",
    "apps.assistants",
    "apps.threads",
    "apps.runs",
    "apps.crons",
    "apps.store",
    "apps.mcp",
    "apps.a2a",
    "apps.devserver",
]

MIDDLEWARE = [
    # First: preflights are answered before auth (browsers send them without credentials),
    # and every response, errors included, carries the CORS headers.
    "apps.core.cors.UpstreamCorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Outside the session and CSRF middleware: sees the cookies they set.
    "apps.core.middleware.SecureCookiesMiddleware",
    # Admin and API-docs assets, served from the installed apps (no collectstatic step).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apps.core.middleware.DisabledRoutesMiddleware",
    "apps.core.middleware.BodySizeLimitMiddleware",
    "apps.core.middleware.ApiKeyMiddleware",
    "apps.auth.custom_auth.CustomAuthMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "agentplatform.urls"
ASGI_APPLICATION = "agentplatform.asgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/agentplatform")
# Health checks: a connection broken by a PostgreSQL restart is replaced at checkout, by the
# pool's check (agentplatform/postgres: as on our other pools, only after the connection idled).
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
# Under ASGI every request runs its sync code on a fresh thread, so thread-bound
# persistent connections would reconnect per request (~8 ms, bench/HISTORY.md); a pool makes
# checkout cheap for API requests and Celery worker threads alike.
# In an outage (apps/core/dbpools.py): a checkout waits at most DB_POOL_TIMEOUT_S before
# the request answers 503 (pools are sized above their threads: only connecting makes one
# wait), connecting at most DB_CONNECT_TIMEOUT_S (libpq counts whole seconds, 2 at least),
# and a pool gives up a failed reconnection after DB_RECONNECT_TIMEOUT_S to try afresh.
DB_POOL_TIMEOUT_S = env_float("DB_POOL_TIMEOUT_S", 1.0)
DB_CONNECT_TIMEOUT_S = env_int("DB_CONNECT_TIMEOUT_S", 2, minimum=2)
DB_RECONNECT_TIMEOUT_S = env_float("DB_RECONNECT_TIMEOUT_S", 5.0)
DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
    "min_size": env_int("DB_POOL_MIN_SIZE", 2, minimum=0),
    "max_size": env_int("DB_POOL_MAX_SIZE", 20, minimum=1),
    "timeout": DB_POOL_TIMEOUT_S,
    "reconnect_timeout": DB_RECONNECT_TIMEOUT_S,
}
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", DB_CONNECT_TIMEOUT_S)
# Server-side binding (Django's default is client-side): parameters travel apart from
# the SQL instead of being quoted into it in Python, and psycopg prepares a statement
# once a connection has run it 5 times, so PostgreSQL stops parsing and planning the
# per-run statements each time: -10% CPU per run in bench.cpu_per_run. A pooler in
# front of PostgreSQL must support prepared statements either way (the checkpointer's
# connections prepare every statement); DB_SERVER_SIDE_BINDING=false turns both off.
if env_bool("DB_SERVER_SIDE_BINDING", True):
    DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=5)
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL")
DATABASES["default"]["ENGINE"] = "agentplatform.postgres"

REDIS_URL = defaults.redis_url()

# API keys (comma-separated). When set, every endpoint but /ok (and the admin,
# which has its own login) needs one in the x-api-key header. Production refuses to
# start without them unless API_KEYS_DISABLED=true says the open API is intended.
API_KEYS = env_list("API_KEYS", [])
API_KEYS_DISABLED = env_bool("API_KEYS_DISABLED", False)
if not DEBUG and (problem := api_keys_problem(API_KEYS, API_KEYS_DISABLED)):
    raise ImproperlyConfigured(problem)

# Session and CSRF cookies (the admin): "auto" marks them Secure when the request came
# over HTTPS (directly, or through a proxy named by SECURE_PROXY_SSL_HEADER);
# "true" always, "false" never.
SECURE_COOKIES = env_str("SECURE_COOKIES", "auto").lower()
if SECURE_COOKIES not in ("auto", "true", "false"):
    raise ImproperlyConfigured(f"SECURE_COOKIES must be auto, true or false, got {SECURE_COOKIES!r}")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_COOKIES == "true"
# The header a TLS-terminating proxy sets, e.g. X-Forwarded-Proto (only behind a proxy that
# overwrites it: a client could otherwise claim HTTPS).
if proxy_header := env_str("SECURE_PROXY_SSL_HEADER", ""):
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + proxy_header.upper().replace("-", "_"), "https")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
STATIC_URL = "static/"
# Only `collectstatic` needs a folder; by default assets are served from the installed apps.
STATIC_ROOT = env_str("STATIC_ROOT", "") or None
WHITENOISE_USE_FINDERS = True
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BODY_BYTES", 10 * 1024 * 1024, minimum=1024)

# The LangGraph application served: langgraph.json, as for `langgraph dev`.
LANGGRAPH_CONFIG = defaults.langgraph_config()

# CORS as upstream (apps/core/cors.py): langgraph.json's http.cors, else every origin, method and
# header. CORS_ALLOW_ORIGINS (comma-separated) narrows the origins; production should set it.
_app_config = read_http_config(LANGGRAPH_CONFIG)
_mount_prefix = _app_config.mount_prefix if _app_config else ""  # http.mount_prefix (agentplatform/mount.py)
if _mount_prefix:
    # Pages link their assets below the prefix, and WhiteNoise matches the path below it.
    STATIC_URL = f"{_mount_prefix}/static/"
    WHITENOISE_STATIC_PREFIX = "/static/"
_cors = cors_policy(_app_config.cors if _app_config else None, env_list("CORS_ALLOW_ORIGINS", []) or None)
CORS_ALLOW_ALL_ORIGINS = _cors.allow_all_origins
CORS_ALLOWED_ORIGINS = _cors.allowed_origins
CORS_ALLOWED_ORIGIN_REGEXES = _cors.allowed_origin_regexes
CORS_ALLOW_METHODS = _cors.allow_methods
CORS_ALLOW_HEADERS = _cors.allow_headers
CORS_ALLOW_CREDENTIALS = _cors.allow_credentials
CORS_EXPOSE_HEADERS = _cors.expose_headers
CORS_PREFLIGHT_MAX_AGE = _cors.max_age
# Chrome asks before a public page may call a private address (a server on localhost or a LAN).
CORS_ALLOW_PRIVATE_NETWORK = True
# langgraph.json's http.disable_<group>: those routes answer 404 (apps/core/middleware.py).
DISABLED_ROUTE_GROUPS = _app_config.disabled_routes if _app_config else ()

# Runs
RUN_STREAM_MAXLEN = env_int("RUN_STREAM_MAXLEN", 10_000, minimum=10)
RUN_STREAM_TTL_S = env_int("RUN_STREAM_TTL_S", 3600, minimum=1)
# Each thread's list of started runs (for GET /threads/{id}/stream): capped, expiring when idle.
THREAD_STREAM_MAXLEN = env_int("THREAD_STREAM_MAXLEN", 1000, minimum=10)
THREAD_STREAM_TTL_S = env_int("THREAD_STREAM_TTL_S", 86400, minimum=1)
THREAD_LOCK_TTL_S = env_float("THREAD_LOCK_TTL_S", 30.0)
THREAD_LOCK_RENEW_S = env_float("THREAD_LOCK_RENEW_S", 10.0)
# A running run's lease in PostgreSQL (renewed with the lock); lapsed = its worker is gone.
RUN_LEASE_S = env_float("RUN_LEASE_S", THREAD_LOCK_TTL_S)
# Executions a run may get after losing its worker, before it ends in `error`.
RUN_MAX_ATTEMPTS = env_int("RUN_MAX_ATTEMPTS", 3, minimum=1)
# The sweeper (a beat task) re-dispatches lapsed runs and pending runs whose task got lost.
SWEEP_INTERVAL_S = env_float("SWEEP_INTERVAL_S", 5.0)
PENDING_REDISPATCH_AFTER_S = env_float("PENDING_REDISPATCH_AFTER_S", 10.0)
# Runs delayed (after_seconds) up to this long are sent with a broker countdown; longer ones by the sweeper.
DELAYED_DISPATCH_MAX_S = env_float("DELAYED_DISPATCH_MAX_S", 120.0)
# POST /runs/batch creates its runs in one transaction: at most this many per request (upstream sets no cap).
RUNS_BATCH_MAX = env_int("RUNS_BATCH_MAX", 100, minimum=1)
# On SIGTERM a worker lets in-flight runs finish this long, then requeues the rest.
WORKER_SHUTDOWN_GRACE_S = env_float("WORKER_SHUTDOWN_GRACE_S", 5.0)
# Keep-alive on idle SSE streams and /wait, /join bodies: upstream's 5 s (clients time out beyond it).
SSE_HEARTBEAT_S = env_float("SSE_HEARTBEAT_S", 5.0)
# Threads per API process running the (sync) views; each holds a pooled DB connection while busy.
REQUEST_THREADS = env_int("REQUEST_THREADS", 8, minimum=1)
# A worker's Celery threads only hand runs to its event loop (apps/runs/worker.py); how many
# runs a process holds at once is MAX_RUNS_PER_WORKER, each an awaiting coroutine.
N_JOBS_PER_WORKER = defaults.n_jobs_per_worker()
MAX_RUNS_PER_WORKER = env_int("MAX_RUNS_PER_WORKER", 500, minimum=1)
# Back-pressure on memory: a worker claims no more runs while its RSS is above WORKER_MAX_RSS_MB,
# or the host's available memory below WORKER_MIN_AVAILABLE_MEMORY_MB (0: no such check).
WORKER_MAX_RSS_MB = env_int("WORKER_MAX_RSS_MB", 0, minimum=0)
WORKER_MIN_AVAILABLE_MEMORY_MB = env_int("WORKER_MIN_AVAILABLE_MEMORY_MB", 256, minimum=0)
# Threads per worker process for its runs' blocking database work (claim, finish); each holds a
# pooled connection.
WORKER_DB_THREADS = env_int("WORKER_DB_THREADS", 4, minimum=1)
# Cost guard: a cron pauses itself after this many failed runs in a row.
CRON_MAX_CONSECUTIVE_FAILURES = env_int("CRON_MAX_CONSECUTIVE_FAILURES", 5, minimum=1)
# A cron's run history (status, timings, error, output summary) outlives its runs this many days.
CRON_HISTORY_DAYS = env_int("CRON_HISTORY_DAYS", 30, minimum=1)
CHECKPOINTER_POOL_SIZE = env_int("CHECKPOINTER_POOL_SIZE", 10, minimum=1)
# Store (long-term memory): connections per process, and how often beat checks whether a sweep
# of expired items is due (langgraph.json's store.ttl.sweep_interval_minutes sets the sweep period).
# (As many as REQUEST_THREADS: a request waiting for a store connection would get a 503.)
STORE_POOL_SIZE = env_int("STORE_POOL_SIZE", 10, minimum=1)
STORE_SWEEP_CHECK_S = env_float("STORE_SWEEP_CHECK_S", 60.0)

# Webhooks: a finished run is POSTed to the `webhook` URL it was created with (apps/runs/webhooks.py).
# When set, every delivery carries an HMAC-SHA256 signature of timestamp + body (see the README).
WEBHOOK_SECRET = env_str("WEBHOOK_SECRET", "")
WEBHOOK_TIMEOUT_S = env_float("WEBHOOK_TIMEOUT_S", 10.0)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 5, minimum=1)
# Delay before the first retry, doubled for each later one, capped: a Celery countdown longer than
# the broker's visibility timeout would get the task redelivered twice.
WEBHOOK_BACKOFF_S = env_float("WEBHOOK_BACKOFF_S", 1.0)
WEBHOOK_BACKOFF_MAX_S = env_float("WEBHOOK_BACKOFF_MAX_S", 60.0)
# SSRF guard: webhooks to loopback, private, link-local, reserved or multicast addresses are
# refused unless allowed here (`manage.py dev` allows them: its receivers are usually local).
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)
try:
    WEBHOOK_ALLOWED_NETWORKS = [
        ipaddress.ip_network(cidr, strict=False) for cidr in env_list("WEBHOOK_ALLOWED_NETWORKS", [])
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"WEBHOOK_ALLOWED_NETWORKS: {exc}") from exc

# Thread TTL: a beat task deletes (or prunes) threads idle past their TTL (apps/threads/retention.py).
# Unset (or 0): langgraph.json's checkpointer.ttl.sweep_interval_minutes, else 5 minutes, read when
# Celery configures itself (apps.graphs.config.thread_ttl_sweep_interval_s), not here.
THREAD_TTL_SWEEP_INTERVAL_S = env_float("THREAD_TTL_SWEEP_INTERVAL_S", 0.0) or None

# Workers commit checkpoints asynchronously; a run's terminal status is always a
# synchronous commit, which makes them durable (see apps/graphs/checkpointer.py).
CHECKPOINT_ASYNC_COMMIT = env_bool("CHECKPOINT_ASYNC_COMMIT", True)

# Celery: Redis broker, no result backend (run results live in PostgreSQL).
CELERY_BROKER_URL = defaults.broker_url()
if CELERY_BROKER_URL.startswith("redis://"):
    # Kombu's Redis transport, sharing one client per channel (see agentplatform/compat.py).
    CELERY_BROKER_TRANSPORT = "agentplatform.compat:RedisTransport"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# `celery -A agentplatform worker` alone starts the right pool: threads that hand runs to the
# process's event loop (prefork would give each child its own loop, checkpointer and Redis pools).
CELERY_WORKER_POOL = "threads"
CELERY_WORKER_CONCURRENCY = N_JOBS_PER_WORKER
# Workers consume this queue (`-Q`); separate deployments sharing one Redis use separate queues.
RUNS_QUEUE = defaults.runs_queue()
CELERY_TASK_DEFAULT_QUEUE = RUNS_QUEUE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Task events cost a Redis PUBLISH and a JSON encode per event, three per run in the
# worker and one in the API: ~17% of a worker's CPU on trivial runs (py-spy). Off by
# default; Flower switches workers' events on by itself (its `enable_events`).
CELERY_WORKER_SEND_TASK_EVENTS = env_bool("CELERY_TASK_EVENTS", False)
CELERY_TASK_SEND_SENT_EVENT = CELERY_WORKER_SEND_TASK_EVENTS
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Plus "sweep-thread-ttl", whose period may come from langgraph.json: added by agentplatform/celery.py.
CELERY_BEAT_SCHEDULE = {
    "sweep-runs": {"task": "runs.sweep", "schedule": SWEEP_INTERVAL_S, "options": {"expires": SWEEP_INTERVAL_S}},
    "prune-cron-history": {"task": "crons.prune_history", "schedule": 3600.0, "options": {"expires": 3600.0}},
    "sweep-store": {
        "task": "store.sweep",
        "schedule": STORE_SWEEP_CHECK_S,
        "options": {"expires": STORE_SWEEP_CHECK_S},
    },
}
# A message a dead worker held is redelivered after this; execution is idempotent per run.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT_S", 300, minimum=10)}
CELERY_TIMEZONE = "UTC"

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["apps.core.renderers.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["apps.core.parsers.SafeJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "apps.core.renderers.JSONOnlyNegotiation",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "apps.core.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Agent Server",
    "DESCRIPTION": "Self-hosted, LangGraph SDK-compatible Agent Server on Django + Celery.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed sidecar package: /docs works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}
if _mount_prefix:  # the docs' "Try it out" calls the API below the prefix
    SPECTACULAR_SETTINGS["SERVERS"] = [{"url": _mount_prefix}]

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FORMAT = env_str("LOG_FORMAT", "plain")  # or "json": one object per line, with run_id / thread_id
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"run_context": {"()": "apps.core.logcontext.RunContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [run=%(run_id)s thread=%(thread_id)s] %(message)s"},
        "json": {"()": "apps.core.logcontext.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["run_context"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "httpx": {"level": "WARNING"},
    },
}
