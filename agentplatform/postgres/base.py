"""Django's PostgreSQL backend, whose connection pool checks connections as our other pools do.

settings.DATABASES names this backend; everything but the pool's `check` is Django's.
"""

from typing import Any

from django.db.backends.postgresql import base

from agentplatform.compat import check_pool_connections_with
from apps.core.dbpools import check_if_idle_long


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self) -> Any:
        return check_pool_connections_with(super().pool, check_if_idle_long)
