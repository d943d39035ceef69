"""Cron expressions: validation, the next firing time, and the crontab fields celery beat stores."""

import datetime
import zoneinfo
from dataclasses import dataclass

from croniter import CroniterBadDateError, croniter

from apps.core.errors import InvalidInput

FIELD_NAMES = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")


@dataclass(frozen=True)
class CronSchedule:
    expression: str
    timezone: str

    @classmethod
    def parse(cls, expression: str, timezone: str | None) -> "CronSchedule":
        """Raises InvalidInput for anything but a valid 5-field expression and an IANA time zone."""
        fields = expression.split()
        if len(fields) != 5:
            raise InvalidInput(f"schedule: {expression!r} must have 5 fields (minute hour day month weekday)")
        if not croniter.is_valid(" ".join(fields)):
            raise InvalidInput(f"schedule: {expression!r} is not a valid cron expression")
        zone = timezone or "UTC"
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"timezone: {zone!r} is not a known IANA time zone") from None
        schedule = cls(" ".join(fields), zone)
        try:
            schedule.next_after(datetime.datetime.now(datetime.UTC))
        except CroniterBadDateError:  # e.g. "0 0 30 2 *": a day no month has
            raise InvalidInput(f"schedule: {expression!r} never fires") from None
        return schedule

    def crontab_fields(self) -> dict[str, str]:
        return dict(zip(FIELD_NAMES, self.expression.split(), strict=True))

    def next_after(self, moment: datetime.datetime) -> datetime.datetime:
        """The next firing strictly after `moment`, in UTC (wall-clock rules of the cron's zone, DST included)."""
        local = moment.astimezone(zoneinfo.ZoneInfo(self.timezone))
        following = croniter(self.expression, local).get_next(datetime.datetime)
        return following.astimezone(datetime.UTC)
