"""When a schedule's slots fall: hourly, daily at a time, weekly on a day, in the owner's time zone.

Pure functions of a `Schedule` and an instant (UTC): no clock is read here, so tests walk
time by passing it. Slots are wall-clock times in the zone, so "daily at 08:00" stays 08:00
across daylight-saving changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jobspy_web.models import ScheduleKind

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Schedule:
    kind: ScheduleKind
    hour: int = 8
    minute: int = 0
    weekday: int = 0  # 0 = Monday
    timezone: str = "UTC"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def describe(self) -> str:
        at = f"{self.hour:02d}:{self.minute:02d}"
        if self.kind is ScheduleKind.HOURLY:
            return f"every hour at :{self.minute:02d}"
        if self.kind is ScheduleKind.DAILY:
            return f"daily at {at} ({self.timezone})"
        if self.kind is ScheduleKind.WEEKLY:
            return f"every {WEEKDAYS[self.weekday]} at {at} ({self.timezone})"
        return "not scheduled"


def known_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _candidates(schedule: Schedule, around: datetime) -> list[datetime]:
    """Slots (UTC) within a little more than one period either side of `around`."""
    zone = schedule.zone
    if schedule.kind is ScheduleKind.HOURLY:
        hour_start = around.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        slots = []
        for step in range(-2, 3):
            start = hour_start + timedelta(hours=step)
            offset_minutes = int((start.astimezone(zone).utcoffset() or timedelta()).total_seconds() // 60)
            slots.append(start + timedelta(minutes=(schedule.minute - offset_minutes) % 60))
        return slots
    local_day = around.astimezone(zone).date()
    span = 8 if schedule.kind is ScheduleKind.WEEKLY else 2
    days = [local_day + timedelta(days=offset) for offset in range(-span, span + 1)]
    if schedule.kind is ScheduleKind.WEEKLY:
        days = [day for day in days if day.weekday() == schedule.weekday]
    at = time(schedule.hour, schedule.minute)
    return [datetime.combine(day, at, tzinfo=zone).astimezone(UTC) for day in days]


def next_slot(schedule: Schedule, after: datetime) -> datetime | None:
    """The first slot strictly after `after`; None for an unscheduled search."""
    if schedule.kind is ScheduleKind.NONE:
        return None
    return min(slot for slot in _candidates(schedule, after) if slot > after)


def latest_slot(schedule: Schedule, now: datetime) -> datetime | None:
    """The last slot at or before `now`: the one to run when slots were missed."""
    if schedule.kind is ScheduleKind.NONE:
        return None
    return max(slot for slot in _candidates(schedule, now) if slot <= now)
