from typing import Any

from django.db.models import Expression, F, Func, JSONField, Value

from apps.core.jsonutil import normalize


class JSONBMerge(Func):
    """`column || value`: merge keys into a jsonb column inside an UPDATE, without a read."""

    template = "%(expressions)s"
    arg_joiner = " || "
    output_field = JSONField()

    def __init__(self, column: str, value: dict[str, Any] | Expression) -> None:
        if isinstance(value, dict):
            value = Value(normalize(value), output_field=JSONField())
        super().__init__(F(column), value)
