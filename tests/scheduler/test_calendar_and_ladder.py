"""The office calendar and the reminder ladder: pure rules, no I/O."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from domain.errors import InvalidInput
from domain.values import Role
from scheduler.calendar import OfficeCalendar, Override
from scheduler.ladder import (
    DEFAULT_LADDER,
    Step,
    digest_due,
    ladder_text,
    latest_due,
    parse_ladder,
    schedule,
)
from scheduler.messages import split_message

BKK = ZoneInfo("Asia/Bangkok")


def at(day: dt.date, hour: int = 8, minute: int = 30) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BKK).astimezone(dt.UTC)


def test_weekends_and_thai_public_holidays_are_not_working_days():
    calendar = OfficeCalendar()
    assert calendar.is_working_day(dt.date(2027, 4, 12))  # Monday
    assert not calendar.is_working_day(dt.date(2027, 4, 10))  # Saturday
    assert not calendar.is_working_day(dt.date(2027, 4, 13))  # Songkran
    assert not calendar.is_working_day(dt.date(2027, 2, 22))  # Makha Bucha, in lieu
    assert calendar.holiday_name(dt.date(2027, 1, 1)) == "วันขึ้นปีใหม่"


def test_the_offices_own_days_win_over_the_public_calendar():
    calendar = OfficeCalendar(
        overrides={
            dt.date(2027, 4, 12): Override(dt.date(2027, 4, 12), False, "หยุดชดเชย"),
            dt.date(2027, 4, 24): Override(dt.date(2027, 4, 24), True, "ทำงานชดเชย"),
        }
    )
    assert not calendar.is_working_day(dt.date(2027, 4, 12))
    assert calendar.is_working_day(dt.date(2027, 4, 24))  # a Saturday
    # Friday 9 April → Songkran Tue–Thu and the office's Monday off → Friday 16 April
    assert calendar.next_working_day(dt.date(2027, 4, 10)) == dt.date(2027, 4, 16)


def test_sending_window_is_office_hours_on_working_days():
    calendar = OfficeCalendar()
    monday = dt.date(2027, 1, 4)
    assert not calendar.in_window(at(monday, 8, 29))
    assert calendar.in_window(at(monday, 8, 30))
    assert calendar.in_window(at(monday, 16, 30))
    assert not calendar.in_window(at(monday, 16, 31))
    assert not calendar.in_window(at(dt.date(2027, 1, 2), 9, 0))  # Saturday


def test_a_configured_reminder_time_moves_every_slot():
    calendar = OfficeCalendar(reminder_time=dt.time(9, 15))
    assert calendar.slot(dt.date(2027, 1, 4)) == at(dt.date(2027, 1, 4), 9, 15)
    assert not calendar.in_window(at(dt.date(2027, 1, 4), 9, 0))


def test_the_default_ladder_and_its_step_names():
    steps = parse_ladder(None)
    assert [step.key for step in steps] == [
        "open",
        "due-7",
        "due-3",
        "due-1",
        "due",
        "due+1",
        "due+3",
        "due+7",
    ]
    assert ladder_text(steps) == ",".join(str(item) for item in DEFAULT_LADDER)


@pytest.mark.parametrize(
    ("value", "keys"),
    [
        ("open, -2, 0, 2", ["open", "due-2", "due", "due+2"]),
        (["due+3", "due", "open", -1, -1], ["open", "due-1", "due", "due+3"]),
        ("0", ["due"]),
    ],
)
def test_ladders_are_read_from_text_or_json(value, keys):
    assert [step.key for step in parse_ladder(value)] == keys


@pytest.mark.parametrize("value", ["", "open,soon", [True], [500], "due+x", 3])
def test_an_unreadable_ladder_is_refused_with_a_catalog_error(value):
    with pytest.raises(InvalidInput) as caught:
        parse_ladder(value)
    assert caught.value.key == "reminders.ladder_invalid"


def test_heads_get_only_the_overdue_steps():
    assert Step(-3).reaches(Role.REPORTER)
    assert not Step(-3).reaches(Role.HEAD)
    assert not Step(0).reaches(Role.HEAD)
    assert Step(1).reaches(Role.HEAD)
    assert not Step(1).reaches(Role.OFFICER)


def test_schedule_moves_steps_to_working_days_and_drops_those_before_opening():
    calendar = OfficeCalendar()
    opens = at(dt.date(2027, 4, 9), 10, 0)  # Friday 10:00
    due = at(dt.date(2027, 4, 19), 16, 30)  # Monday
    scheduled = schedule(parse_ladder(None), opens_at=opens, due_at=due, calendar=calendar)
    moments = {item.step.key: item.at for item in scheduled}
    assert moments["open"] == at(dt.date(2027, 4, 12))  # the next sending moment after 10:00
    assert moments["due-7"] == at(dt.date(2027, 4, 12))
    assert moments["due-3"] == at(dt.date(2027, 4, 16))
    assert moments["due-1"] == moments["due"] == at(dt.date(2027, 4, 19))  # Sunday → Monday
    late_opening = schedule(
        parse_ladder(None), opens_at=at(dt.date(2027, 4, 14)), due_at=due, calendar=calendar
    )
    assert "due-7" not in {item.step.key for item in late_opening}  # before the round opens


def test_the_latest_due_step_stands_for_the_missed_ones():
    calendar = OfficeCalendar()
    scheduled = schedule(
        parse_ladder(None),
        opens_at=at(dt.date(2027, 1, 4)),
        due_at=at(dt.date(2027, 1, 29), 16, 30),
        calendar=calendar,
    )
    latest, older = latest_due(
        scheduled, now=at(dt.date(2027, 1, 28), 9, 0), role=Role.REPORTER, joined_at=None
    )
    assert latest is not None and latest.step.key == "due-1"
    assert [item.step.key for item in older] == ["open", "due-7", "due-3"]
    # someone who joined on the 27th is not sent the steps from before they joined
    joined = at(dt.date(2027, 1, 27), 10, 0)
    latest, older = latest_due(
        scheduled, now=at(dt.date(2027, 1, 28), 9, 0), role=Role.REPORTER, joined_at=joined
    )
    assert latest is not None and latest.step.key == "due-1" and older == []


def test_the_digest_runs_daily_from_three_days_overdue_for_a_month():
    calendar = OfficeCalendar()
    due = at(dt.date(2027, 1, 15), 16, 30)  # Friday
    assert digest_due(due_at=due, now=at(dt.date(2027, 1, 15)), calendar=calendar) is None
    first = digest_due(due_at=due, now=at(dt.date(2027, 1, 18)), calendar=calendar)
    assert first == dt.date(2027, 1, 18)  # three days overdue, a Monday
    assert digest_due(due_at=due, now=at(dt.date(2027, 1, 19), 8, 0), calendar=calendar) is None
    assert digest_due(due_at=due, now=at(dt.date(2027, 1, 23), 9), calendar=calendar) is None
    assert digest_due(due_at=due, now=at(dt.date(2027, 3, 1)), calendar=calendar) is None


def test_long_digests_are_split_on_line_boundaries():
    lines = [f"• line {index} " + "x" * 90 for index in range(100)]
    parts = split_message(lines, limit=1000)  # type: ignore[arg-type]
    assert all(len(part) <= 1000 for part in parts)
    assert "\n".join(parts).split("\n") == lines
