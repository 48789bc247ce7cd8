"""Schedule slots in the owner's time zone, walked with explicit instants (no clock, no sleeps)."""

from datetime import UTC, datetime

from jobspy_web.models import ScheduleKind
from jobspy_web.saved_searches.schedules import Schedule, latest_slot, next_slot


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_daily_slot_is_the_time_in_the_owners_zone():
    berlin = Schedule(ScheduleKind.DAILY, hour=8, minute=30, timezone="Europe/Berlin")
    # December: Berlin is UTC+1, so 08:30 there is 07:30 UTC.
    assert next_slot(berlin, utc(2026, 12, 2, 7, 0)) == utc(2026, 12, 2, 7, 30)
    assert next_slot(berlin, utc(2026, 12, 2, 7, 30)) == utc(2026, 12, 3, 7, 30)
    assert latest_slot(berlin, utc(2026, 12, 2, 7, 29)) == utc(2026, 12, 1, 7, 30)


def test_daily_slot_keeps_the_wall_clock_across_daylight_saving():
    new_york = Schedule(ScheduleKind.DAILY, hour=9, minute=0, timezone="America/New_York")
    assert next_slot(new_york, utc(2026, 3, 7, 15, 0)) == utc(2026, 3, 8, 13, 0)  # EDT from 8 March
    assert next_slot(new_york, utc(2026, 3, 6, 15, 0)) == utc(2026, 3, 7, 14, 0)  # still EST


def test_weekly_slot_falls_on_its_weekday():
    friday = Schedule(ScheduleKind.WEEKLY, hour=18, minute=0, weekday=4, timezone="UTC")
    assert next_slot(friday, utc(2026, 12, 2, 12, 0)) == utc(2026, 12, 4, 18, 0)  # Wed -> Fri
    assert next_slot(friday, utc(2026, 12, 4, 18, 0)) == utc(2026, 12, 11, 18, 0)


def test_hourly_slot_in_a_half_hour_zone():
    kolkata = Schedule(ScheduleKind.HOURLY, minute=15, timezone="Asia/Kolkata")  # UTC+5:30
    # :15 local is :45 UTC.
    assert next_slot(kolkata, utc(2026, 12, 2, 10, 0)) == utc(2026, 12, 2, 10, 45)
    assert latest_slot(kolkata, utc(2026, 12, 2, 10, 0)) == utc(2026, 12, 2, 9, 45)


def test_unscheduled_has_no_slots():
    assert next_slot(Schedule(ScheduleKind.NONE), utc(2026, 12, 2)) is None
