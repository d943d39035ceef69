"""Cron schedules: validation and next run dates across time zones and DST."""

import datetime

import pytest

from apps.core.errors import InvalidInput
from apps.crons.schedule import CronSchedule

UTC = datetime.UTC


def test_next_run_in_utc_by_default() -> None:
    schedule = CronSchedule.parse("0 8 * * 1-5", None)
    friday_evening = datetime.datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    assert schedule.next_after(friday_evening) == datetime.datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def test_next_run_follows_the_zone_wall_clock_across_dst() -> None:
    schedule = CronSchedule.parse("0 8 * * *", "America/New_York")
    # 8:00 in New York is 12:00 UTC in summer (EDT) and 13:00 UTC in winter (EST);
    # DST ended on 2026-11-01.
    assert schedule.next_after(datetime.datetime(2026, 10, 31, 13, 0, tzinfo=UTC)) == datetime.datetime(
        2026, 11, 1, 13, 0, tzinfo=UTC
    )
    assert schedule.next_after(datetime.datetime(2026, 10, 30, 13, 0, tzinfo=UTC)) == datetime.datetime(
        2026, 10, 31, 12, 0, tzinfo=UTC
    )


def test_every_minute() -> None:
    schedule = CronSchedule.parse("* * * * *", "UTC")
    moment = datetime.datetime(2026, 11, 24, 10, 0, 30, tzinfo=UTC)
    assert schedule.next_after(moment) == datetime.datetime(2026, 11, 24, 10, 1, tzinfo=UTC)


def test_crontab_fields_for_celery_beat() -> None:
    assert CronSchedule.parse("*/30 9-17 1 * 0", "UTC").crontab_fields() == {
        "minute": "*/30",
        "hour": "9-17",
        "day_of_month": "1",
        "month_of_year": "*",
        "day_of_week": "0",
    }


@pytest.mark.parametrize(
    ("expression", "zone", "message"),
    [
        ("0 8 * *", "UTC", "must have 5 fields"),
        ("0 8 * * * *", "UTC", "must have 5 fields"),
        ("61 8 * * *", "UTC", "not a valid cron expression"),
        ("0 8 * * mon-xyz", "UTC", "not a valid cron expression"),
        ("0 8 * * *", "Mars/Olympus", "not a known IANA time zone"),
    ],
)
def test_bad_schedules_are_rejected_with_a_clear_message(expression: str, zone: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        CronSchedule.parse(expression, zone)
