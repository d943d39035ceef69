"""CPU to validate one run-creating body, with the bound-field reuse and with DRF's own binding.

    .venv/bin/python -m bench.serializer_cpu [--validations 500] [--rounds 7]

In-process, CPU time (`time.process_time`), so a busy machine slows it down but
does not skew it much. Django's settings are loaded, no server is needed. The
reuse is agentplatform.compat.ReusedFieldsMixin.
"""

import argparse
import os
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentplatform.settings")
os.environ.setdefault("DEBUG", "true")
django.setup()

from rest_framework import serializers  # noqa: E402

from apps.runs.serializers import RunCreateSerializer  # noqa: E402

BODY = {
    "assistant_id": "agent",
    "input": {"messages": [{"role": "user", "content": "hi"}]},
    "metadata": {"source": "bench"},
    "stream_mode": ["values"],
}


class DRFBindingRunCreateSerializer(RunCreateSerializer):
    """The same serializer, binding its fields per instance as stock DRF does."""

    fields = serializers.Serializer.__dict__["fields"]


def ms_per_validation(serializer_class: type, validations: int) -> float:
    started = time.process_time()
    for _ in range(validations):
        serializer_class(data=BODY).is_valid(raise_exception=True)
    return (time.process_time() - started) / validations * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--validations", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    classes = {"reused fields": RunCreateSerializer, "DRF binding": DRFBindingRunCreateSerializer}
    timings: dict[str, list[float]] = {label: [] for label in classes}
    for serializer_class in classes.values():
        ms_per_validation(serializer_class, 100)  # warm-up
    for _ in range(args.rounds):  # alternating, so drift hits both alike
        for label, serializer_class in classes.items():
            timings[label].append(ms_per_validation(serializer_class, args.validations))
    for label, values in timings.items():
        print(f"{label:>14}: {statistics.median(values):.3f} ms CPU per validation (median of {args.rounds})")


if __name__ == "__main__":
    main()
