"""Thai fiscal calendar, Buddhist Era formatting and date input (domain/calendar.py)."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import (
    BANGKOK,
    BE_OFFSET,
    days_until,
    fiscal_year_bounds,
    fiscal_year_of,
    format_date,
    format_datetime,
    format_fiscal_year,
    format_quarter,
    parse_date,
    parse_local_datetime,
    quarter_bounds,
    quarter_of,
    to_local,
    utc_now,
)
from domain.errors import InvalidInput
from domain.i18n import check_catalogs, t

NAIVE = datetime(2027, 1, 5, 8, 30)

# ------------------------------------------------------------------- basics


def test_now_is_aware_utc() -> None:
    assert utc_now().utcoffset() == timedelta(0)


def test_local_time_is_bangkok_seven_hours_ahead() -> None:
    local = to_local(datetime(2027, 1, 5, 1, 30, tzinfo=UTC))
    assert (local.tzinfo, local.hour, local.minute) == (BANGKOK, 8, 30)


def test_buddhist_era_is_543_years_ahead() -> None:
    assert BE_OFFSET == 543


@pytest.mark.parametrize(
    "call",
    [
        lambda: to_local(NAIVE),
        lambda: fiscal_year_of(NAIVE),
        lambda: quarter_of(NAIVE),
        lambda: format_date(NAIVE, "th"),
        lambda: format_datetime(NAIVE, "en"),
        lambda: days_until(NAIVE, utc_now()),
        lambda: days_until(utc_now(), NAIVE),
    ],
)
def test_naive_datetimes_are_refused(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="naive"):
        call()


# ------------------------------------------------------------------- fiscal year


@pytest.mark.parametrize(
    ("day", "fiscal_year"),
    [
        (date(2026, 9, 30), 2569),
        (date(2026, 10, 1), 2570),
        (date(2026, 12, 31), 2570),
        (date(2027, 1, 1), 2570),
        (date(2027, 9, 30), 2570),
        (date(2027, 10, 1), 2571),
    ],
)
def test_fiscal_year_is_named_by_the_be_year_it_ends(day: date, fiscal_year: int) -> None:
    assert fiscal_year_of(day) == fiscal_year


def test_late_utc_30_september_is_already_next_fiscal_year_in_bangkok() -> None:
    moment = datetime(2026, 9, 30, 17, 30, tzinfo=UTC)  # 00:30 on 1 Oct in Bangkok
    assert fiscal_year_of(moment) == 2570
    assert quarter_of(moment) == (2570, 1)
    assert fiscal_year_of(moment, tz=ZoneInfo("UTC")) == 2569


def test_fiscal_year_bounds_run_october_to_september() -> None:
    assert fiscal_year_bounds(2570) == (date(2026, 10, 1), date(2027, 9, 30))


# ------------------------------------------------------------------- quarters


@pytest.mark.parametrize(
    ("day", "quarter"),
    [
        (date(2026, 9, 30), (2569, 4)),
        (date(2026, 10, 1), (2570, 1)),
        (date(2026, 12, 31), (2570, 1)),
        (date(2027, 1, 1), (2570, 2)),
        (date(2027, 3, 31), (2570, 2)),
        (date(2027, 4, 1), (2570, 3)),
        (date(2027, 6, 30), (2570, 3)),
        (date(2027, 7, 1), (2570, 4)),
        (date(2027, 9, 30), (2570, 4)),
    ],
)
def test_quarter_follows_the_fiscal_year(day: date, quarter: tuple[int, int]) -> None:
    assert quarter_of(day) == quarter


def test_late_utc_31_december_is_already_second_quarter_in_bangkok() -> None:
    moment = datetime(2026, 12, 31, 20, 0, tzinfo=UTC)  # 03:00 on 1 Jan in Bangkok
    assert quarter_of(moment) == (2570, 2)


@pytest.mark.parametrize(
    ("quarter", "bounds"),
    [
        (1, (date(2026, 10, 1), date(2026, 12, 31))),
        (2, (date(2027, 1, 1), date(2027, 3, 31))),
        (3, (date(2027, 4, 1), date(2027, 6, 30))),
        (4, (date(2027, 7, 1), date(2027, 9, 30))),
    ],
)
def test_quarter_bounds_cover_three_months(quarter: int, bounds: tuple[date, date]) -> None:
    assert quarter_bounds(2570, quarter) == bounds


def test_quarter_outside_one_to_four_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="quarter"):
        quarter_bounds(2570, 5)


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2300, 12, 31)))
def test_every_day_lies_within_its_quarter_and_fiscal_year(day: date) -> None:
    fiscal_year, quarter = quarter_of(day)
    first, last = quarter_bounds(fiscal_year, quarter)
    year_first, year_last = fiscal_year_bounds(fiscal_year)
    assert year_first <= first <= day <= last <= year_last


# ------------------------------------------------------------------- formatting


def test_thai_date_uses_buddhist_era_and_short_month() -> None:
    assert format_date(date(2027, 1, 5), "th") == "5 ม.ค. 2570"
    assert format_date(date(2027, 1, 5), "th", long=True) == "5 มกราคม 2570"


def test_english_date_uses_common_era() -> None:
    assert format_date(date(2027, 1, 5), "en") == "5 Jan 2027"
    assert format_date(date(2027, 1, 5), "en", long=True) == "5 January 2027"


def test_date_of_a_moment_is_the_bangkok_date() -> None:
    moment = datetime(2026, 12, 31, 20, 0, tzinfo=UTC)
    assert format_date(moment, "th") == "1 ม.ค. 2570"


def test_datetime_shows_office_clock_in_both_languages() -> None:
    moment = datetime(2027, 1, 5, 1, 30, tzinfo=UTC)
    assert format_datetime(moment, "th") == "5 ม.ค. 2570 08:30 น."
    assert format_datetime(moment, "en") == "5 Jan 2027 08:30"


def test_fiscal_year_reads_naturally_in_each_language() -> None:
    assert format_fiscal_year(2570, "th") == "ปีงบประมาณ 2570"
    assert format_fiscal_year(2570, "en") == "FY 2570 (Oct 2026 – Sep 2027)"


def test_fiscal_year_span_can_be_asked_for_or_left_out() -> None:
    assert format_fiscal_year(2570, "th", span=True) == "ปีงบประมาณ 2570 (ต.ค. 2569 – ก.ย. 2570)"
    assert format_fiscal_year(2570, "en", span=False) == "FY 2570"


def test_quarter_reads_naturally_in_each_language() -> None:
    assert format_quarter(2570, 1, "th") == "ไตรมาส 1 ปีงบประมาณ 2570"
    assert format_quarter(2570, 1, "en") == "Q1 FY 2570"


def test_catalogs_agree_on_keys_and_placeholders() -> None:
    assert check_catalogs() == []


# ------------------------------------------------------------------- days until


def test_days_until_counts_bangkok_calendar_days() -> None:
    now = datetime(2027, 1, 4, 16, 59, tzinfo=UTC)  # 23:59 on 4 Jan in Bangkok
    due = datetime(2027, 1, 4, 17, 1, tzinfo=UTC)  # 00:01 on 5 Jan in Bangkok
    assert days_until(due, now) == 1


def test_days_until_is_zero_on_the_day_and_negative_after() -> None:
    due = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)
    assert days_until(due, datetime(2027, 1, 5, 1, 0, tzinfo=UTC)) == 0
    assert days_until(due, datetime(2027, 1, 8, 1, 0, tzinfo=UTC)) == -3


# ------------------------------------------------------------------- date input


@pytest.mark.parametrize(
    "typed",
    [
        "2027-01-05",
        "2570-01-05",
        "5/1/2570",
        "05/01/2027",
        "5-1-2570",
        "5.1.2570",
        "5 ม.ค. 2570",
        "5 มค 2570",
        "5 มกราคม 2570",
        "5 มกรา 2570",
        "5 มกราคม พ.ศ. 2570",
        "วันที่ 5 ม.ค. 2570",
        "5 Jan 2027",
        "5 january 2027",
        "January 5, 2027",
        "๕/๑/๒๕๗๐",
        " 5 / 1 / 2570 ",
    ],
)
def test_date_typed_in_a_common_form_is_read(typed: str) -> None:
    assert parse_date(typed) == date(2027, 1, 5)


def test_slashed_dates_are_day_first() -> None:
    assert parse_date("3/4/2570") == date(2027, 4, 3)


def test_abbreviated_september_is_read() -> None:
    assert parse_date("30 Sept 2027") == date(2027, 9, 30)
    assert parse_date("30 ก.ย. 2570") == date(2027, 9, 30)


@pytest.mark.parametrize(
    "typed",
    ["", "พรุ่งนี้", "31/2/2570", "5/13/2570", "5/1/70", "2570", "5 ค.ศ. 2570", "5 Foo 2027",
     "5/1-2570", "5/1/0070", "1" * 200],
)  # fmt: skip
def test_text_that_is_not_a_date_is_refused_with_an_example(typed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_date(typed)
    assert caught.value.key == "date.invalid"
    assert "<code>5/1/2570</code>" in t("th", caught.value.key, **caught.value.params)


def test_date_error_repeats_what_was_typed() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_date("31/2/2570")
    assert t("th", caught.value.key, **caught.value.params) == (
        "ระบบอ่านวันที่ “31/2/2570” ไม่ได้ กรุณาพิมพ์ วัน/เดือน/ปี พ.ศ. "
        "เช่น <code>5/1/2570</code> หรือ <code>5 ม.ค. 2570</code>"
    )
    assert t("en", caught.value.key, **caught.value.params).startswith(
        "I cannot read “31/2/2570” as a date."
    )


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2399, 12, 31)))
def test_formatted_dates_read_back_in_both_languages(day: date) -> None:
    for lang in ("th", "en"):
        assert parse_date(format_date(day, lang)) == day
        assert parse_date(format_date(day, lang, long=True)) == day
    assert parse_date(day.isoformat()) == day


DATE_PIECES = st.sampled_from(
    ["5", "05", "1", "12", "2570", "2027", "/", "-", ".", " ", "ม.ค.", "มกรา", "Jan", "พ.ศ.",
     "ค.ศ.", ",", "๕", "วันที่", ":", "08:30", "T", "น.", "\x00", "😀"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(DATE_PIECES | st.text(max_size=3), max_size=10).map("".join) | st.text())
def test_any_text_gives_a_date_or_invalid_input(typed: str) -> None:
    assert refusal(parse_date, typed) in {None, "date.invalid"}
    assert refusal(parse_local_datetime, typed) in {None, "date.invalid_datetime"}


def refusal(parse: Callable[[str], object], typed: str) -> str | None:
    """The error key ``parse`` refuses ``typed`` with; None when it is accepted."""
    try:
        parse(typed)
    except InvalidInput as error:
        return error.key
    return None


# ------------------------------------------------------------------- local date-time input


def test_office_time_is_stored_as_utc() -> None:
    expected = datetime(2027, 1, 5, 1, 30, tzinfo=UTC)
    assert parse_local_datetime("2027-01-05 08:30") == expected
    assert parse_local_datetime("5/1/2570 08:30") == expected
    assert parse_local_datetime("5 ม.ค. 2570 8.30 น.") == expected
    assert parse_local_datetime("2027-01-05T08:30") == expected


def test_date_alone_means_local_midnight() -> None:
    assert parse_local_datetime("5/1/2570") == datetime(2027, 1, 4, 17, 0, tzinfo=UTC)


def test_local_datetime_result_is_aware_utc() -> None:
    assert parse_local_datetime("5/1/2570 08:30").tzinfo == UTC


def test_other_office_time_zone_is_respected() -> None:
    tz = ZoneInfo("Asia/Tokyo")
    assert parse_local_datetime("2027-01-05 09:00", tz) == datetime(2027, 1, 5, 0, 0, tzinfo=UTC)


def test_formatted_moment_reads_back() -> None:
    moment = datetime(2027, 3, 9, 2, 45, tzinfo=timezone(timedelta(hours=-3)))
    text = format_datetime(moment, "th")
    assert parse_local_datetime(text) == moment.astimezone(UTC)
    assert parse_local_datetime(format_datetime(moment, "en")) == moment.astimezone(UTC)


@pytest.mark.parametrize("typed", ["5/1/2570 25:00", "5/1/2570 08:61", "2027-01-05 8", "later"])
def test_impossible_time_is_refused_with_an_example(typed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_local_datetime(typed)
    assert caught.value.key == "date.invalid_datetime"
    assert t("th", caught.value.key, **caught.value.params).endswith(
        "เช่น <code>5/1/2570 08:30</code>"
    )
