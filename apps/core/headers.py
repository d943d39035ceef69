"""Request headers copied into a run's `configurable` (langgraph.json `http.configurable_headers`).

As upstream: a header is copied when its name matches one of `includes` and none of
`excludes` (exact names or `*` wildcards, case-insensitive, nothing else); with no
`includes` none is. A copied header takes the place of a `configurable` key of the same
name in the request body, and is stored with the run (its kwargs) like the rest.
"""

import contextvars
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# The headers of the request being served (set by the API's base view).
request_headers: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar(
    "request_headers", default=None
)


def _compile(patterns: Iterable[str]) -> re.Pattern | None:
    alternatives = [
        "".join(".*" if part == "*" else re.escape(part) for part in re.split(r"(\*)", p.lower())) for p in patterns
    ]
    return re.compile("|".join(f"(?:{a})" for a in alternatives)) if alternatives else None


@dataclass(frozen=True)
class HeaderFilter:
    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "_include", _compile(self.includes))
        object.__setattr__(self, "_exclude", _compile(self.excludes))

    def copied(self, headers: Mapping[str, str] | None) -> dict[str, str]:
        """The headers to copy, by lower-case name."""
        include, exclude = self._include, self._exclude
        if include is None or not headers:
            return {}
        copied = {}
        for name, value in headers.items():
            name = name.lower()
            if include.fullmatch(name) and not (exclude is not None and exclude.fullmatch(name)):
                copied[name] = value
        return copied
