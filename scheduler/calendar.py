"""The office calendar: which days are working days, and when reminders go out.

A working day is a weekday that is not a Thai public holiday (from the
``holidays`` package), unless the office says otherwise: its own additions
(a bridge day off, a staff seminar) and removals (a Saturday made up for a
long weekend) come from the ``calendar_overrides`` table and always win.

Reminders go out at one configured time of day (08:30 by default) in the
office time zone, and only inside office hours on a working day; a pass that
runs outside that window sends nothing and leaves the work for the next
window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from domain.calendar import BANGKOK, to_local

DEFAULT_REMINDER_TIME = dt.time(8, 30)
OFFICE_CLOSES = dt.time(16, 30)
"""End of the sending window: nobody is messaged by the bot in the evening."""

# A step is never moved further than this looking for a working day; a
# calendar with a month of days off is a data-entry mistake, not a holiday.
_MAX_SEARCH_DAYS = 60


@cache
def thai_public_holidays() -> holidays.HolidayBase:
    """Thai public holidays (names in Thai); years are filled in as they are asked for."""
    return holidays.country_holidays("TH", language="th")


@dataclass(frozen=True, slots=True)
class Override:
    """A day the office treats differently from the public holiday calendar."""

    day: dt.date
    working: bool
    note: str | None


@dataclass(slots=True)
class OfficeCalendar:
    """Working days and sending moments of the office."""

    overrides: Mapping[dt.date, Override] = field(default_factory=dict)
    tz: ZoneInfo = BANGKOK
    reminder_time: dt.time = DEFAULT_REMINDER_TIME
    _public: holidays.HolidayBase = field(default_factory=thai_public_holidays)

    def holiday_name(self, day: dt.date) -> str | None:
        """The Thai public holiday on ``day`` (None when it is not one)."""
        name = self._public.get(day)
        return None if name is None else str(name)

    def is_working_day(self, day: dt.date) -> bool:
        """Whether the office works on ``day``: overrides first, then weekends and holidays."""
        override = self.overrides.get(day)
        if override is not None:
            return override.working
        return day.weekday() < 5 and day not in self._public

    def next_working_day(self, day: dt.date) -> dt.date:
        """``day`` itself when it is a working day, else the first working day after it."""
        candidate = day
        for _ in range(_MAX_SEARCH_DAYS):
            if self.is_working_day(candidate):
                return candidate
            candidate += dt.timedelta(days=1)
        raise ValueError(f"no working day within {_MAX_SEARCH_DAYS} days of {day.isoformat()}")

    def slot(self, day: dt.date) -> dt.datetime:
        """The sending moment (UTC) of a day: the reminder time on the office clock."""
        return dt.datetime.combine(day, self.reminder_time, tzinfo=self.tz).astimezone(dt.UTC)

    def first_slot_at_or_after(self, moment: dt.datetime) -> dt.datetime:
        """The first sending moment on a working day that is not before ``moment``."""
        day = to_local(moment, self.tz).date()
        if self.slot(day) < moment:
            day += dt.timedelta(days=1)
        return self.slot(self.next_working_day(day))

    def slot_on_or_after(self, day: dt.date) -> dt.datetime:
        """The sending moment of ``day``, moved to the next working day when needed."""
        return self.slot(self.next_working_day(day))

    def in_window(self, moment: dt.datetime) -> bool:
        """Whether reminders may be sent at ``moment``: a working day, in office hours."""
        local = to_local(moment, self.tz)
        return (
            self.is_working_day(local.date())
            and self.reminder_time <= local.time() <= OFFICE_CLOSES
        )

    def local_date(self, moment: dt.datetime) -> dt.date:
        """The office date of a moment."""
        return to_local(moment, self.tz).date()

    def days_off(self, start: dt.date, end: dt.date) -> list[tuple[dt.date, str]]:
        """Every non-working weekday and every working weekend day between two dates.

        Each with the reason: the office's note, or the public holiday's name.
        """
        out: list[tuple[dt.date, str]] = []
        day = start
        while day <= end:
            override = self.overrides.get(day)
            holiday = self.holiday_name(day)
            if override is not None:
                out.append((day, override.note or holiday or ""))
            elif holiday is not None and day.weekday() < 5:
                out.append((day, holiday))
            day += dt.timedelta(days=1)
        return out
