"""Which failures go away by themselves: the one classification that the HTTP error
mapping (503 + Retry-After) and the run worker (retry from the last checkpoint, or
end the run `error` at once) both follow."""

import psycopg
from django.db import utils as db_utils
from kombu.exceptions import OperationalError as BrokerUnavailable
from redis import exceptions as redis_exceptions

# A connection to PostgreSQL or Redis that was refused, lost or timed out (a restart, a
# failover, a network blip), or a pool with no connection to give in time. psycopg's
# OperationalError covers its pools' PoolTimeout, server shutdowns (57P0x), too many
# connections (53300) and serialization failures or deadlocks (40001, 40P01).
# Not transient: what retrying cannot change (DataError, IntegrityError, ProgrammingError,
# a graph's own exceptions).
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    db_utils.OperationalError,
    db_utils.InterfaceError,
    redis_exceptions.ConnectionError,
    redis_exceptions.TimeoutError,
    BrokerUnavailable,
)


def is_transient(exc: BaseException) -> bool:
    """True if `exc` (or the error it wraps, as Django wraps psycopg's) is an outage, not a fault."""
    while exc is not None:
        if isinstance(exc, TRANSIENT_ERRORS):
            return True
        exc = exc.__cause__
    return False
