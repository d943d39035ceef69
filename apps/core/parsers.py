"""The JSON body parser every endpoint uses: it refuses, at the door, what cannot be stored or read back.

PostgreSQL and our encoders hold less than JSON can say. A value they refuse
used to be stored half-way (a 500 after the INSERT) and then break every read
of the row, e.g. `POST /threads/search` for every caller. So each body is
checked once, here, before any view sees it, and refused with a 422 naming
the field (`metadata.n: ...`):

- integers outside int64: orjson (our API and stream encoder) and msgpack (the
  checkpointer's) stop at 64 bits, and PostgreSQL's bigint at int64;
- non-finite numbers (`1e400` parses as infinity): jsonb has no infinity;
- NUL characters in strings or keys: PostgreSQL's text and jsonb refuse `\\u0000`;
- lone surrogates (`"\\ud800"`): valid JSON escapes that no UTF-8 can hold;
- nesting deeper than MAX_JSON_DEPTH: the encoders, `copy.deepcopy` and the
  checkpointer's serializer recurse per level, and Python's parser itself gives
  up near 1,000 levels (RecursionError). 100 levels is far beyond any message
  list or tool payload we have seen (a LangChain message is ~5 deep), while
  keeping every later recursion far from Python's limit.
"""

import math
from typing import Any

from rest_framework import exceptions, parsers

from apps.core.errors import InvalidInput

MAX_JSON_DEPTH = 100
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _path(trail: tuple | None) -> str:
    """The dotted path of a (parent trail, key) chain, built only when there is a problem to name."""
    keys = []
    while trail is not None:
        trail, key = trail
        keys.append(key)
    path = ""
    for key in reversed(keys):
        path = _child(path, key)
    return path


def _string_problem(text: str) -> str | None:
    if "\x00" in text:
        return "null characters (\\u0000) are not allowed"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "lone surrogate characters (\\ud800-\\udfff) are not allowed"
    return None


def _scalar_problem(value: Any) -> str | None:
    kind = type(value)
    if kind is str:
        return _string_problem(value)
    if kind is int:
        if not INT64_MIN <= value <= INT64_MAX:
            return "integer out of range (must fit in a signed 64-bit integer)"
    elif kind is float and not math.isfinite(value):
        return "number out of range (must be finite)"
    return None


def json_problem(data: Any) -> tuple[str, str] | None:
    """The first value PostgreSQL or our encoders cannot hold, as (path, reason); None when all is well.

    Iterative, so a deep value cannot exhaust the stack while being checked; a
    field's path is only spelled out for the value at fault.
    """
    if not isinstance(data, dict | list):
        problem = _scalar_problem(data)
        return ("", problem) if problem else None
    stack: list[tuple[Any, tuple | None, int]] = [(data, None, 0)]
    while stack:
        container, trail, depth = stack.pop()
        if depth >= MAX_JSON_DEPTH:
            return _path(trail), f"nested deeper than {MAX_JSON_DEPTH} levels"
        items = container.items() if type(container) is dict else enumerate(container)
        for key, value in items:
            if type(key) is str and (problem := _string_problem(key)):
                return _path(trail), f"key {key!r}: {problem}"
            kind = type(value)
            if kind is dict or kind is list:
                stack.append((value, (trail, key), depth + 1))
            elif (kind is str or kind is int or kind is float) and (problem := _scalar_problem(value)):
                return _path((trail, key)), problem
    return None


def check_json(data: Any) -> None:
    """Raise InvalidInput (422) naming the field when `data` holds what cannot be stored."""
    if problem := json_problem(data):
        path, reason = problem
        raise InvalidInput(f"{path or 'body'}: {reason}")


def check_text(value: str, name: str) -> None:
    """The same rule for a single string (a query parameter)."""
    if problem := _string_problem(value):
        raise InvalidInput(f"{name}: {problem}")


class SafeJSONParser(parsers.JSONParser):
    """DRF's JSON parser, plus the checks above."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
        check_json(data)
        return data
