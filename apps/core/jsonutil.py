"""JSON encoding for anything a graph may put in its state or stream.

LangChain messages, pydantic models, dataclasses, Interrupts and Sends must reach
the client as the same JSON upstream sends, so one encoder serves the API, the
Redis streams and the ORM's JSON columns.
"""

import dataclasses
import datetime
import enum
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import orjson

ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def to_jsonable(obj: Any) -> Any:
    """The fallback for objects orjson does not know; raises TypeError otherwise."""
    if hasattr(obj, "model_dump") and callable(obj.model_dump):
        return obj.model_dump()
    if hasattr(obj, "dict") and callable(obj.dict) and hasattr(obj, "__fields__"):
        return obj.dict()
    if hasattr(obj, "_asdict"):
        return obj._asdict()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    if isinstance(obj, Mapping):
        return dict(obj)
    if isinstance(obj, Decimal):
        return float(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, uuid.UUID | datetime.datetime | datetime.date):
        return str(obj)
    if isinstance(obj, bytes):
        return obj.decode(errors="replace")
    if isinstance(obj, BaseException):
        return {"error": type(obj).__name__, "message": str(obj)}
    if hasattr(obj, "__dict__"):
        return {k: v for k, v in vars(obj).items() if not k.startswith("_")}
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def dumps(obj: Any) -> bytes:
    try:
        return orjson.dumps(obj, default=to_jsonable, option=ORJSON_OPTIONS)
    except orjson.JSONEncodeError as exc:
        if "64-bit" not in str(exc):
            raise
        # An integer orjson cannot write. The API refuses them at the door, but PostgreSQL's jsonb
        # gives a large float back as its integer digits (1e123 reads back as a 124-digit int):
        # write those as the floats they were, as upstream's reads (orjson.loads) do.
        return orjson.dumps(_wide_ints_as_floats(obj), default=_jsonable_without_wide_ints, option=ORJSON_OPTIONS)


def _wide_ints_as_floats(obj: Any) -> Any:
    if isinstance(obj, bool):
        return obj
    if isinstance(obj, int):
        if -(2**63) <= obj < 2**64:
            return obj
        try:
            return float(obj)
        except OverflowError:  # beyond any double: only a graph's own arithmetic gets here
            return None
    if isinstance(obj, dict):
        return {key: _wide_ints_as_floats(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return [_wide_ints_as_floats(item) for item in obj]
    return obj


def _jsonable_without_wide_ints(obj: Any) -> Any:
    return _wide_ints_as_floats(to_jsonable(obj))


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)


def normalize(obj: Any) -> Any:
    """Plain JSON types only (for JSONField columns)."""
    return orjson.loads(dumps(obj))
