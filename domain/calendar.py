"""The Thai fiscal calendar, Buddhist Era dates, and date input.

A Thai fiscal year (ปีงบประมาณ) runs 1 October – 30 September and is named by
the Buddhist Era year in which it ends: FY 2570 is 1 Oct 2026 – 30 Sep 2027.
Its quarters are Q1 Oct–Dec, Q2 Jan–Mar, Q3 Apr–Jun and Q4 Jul–Sep.

Moments are stored in UTC and become office dates only here, in the office's
time zone (Asia/Bangkok unless told otherwise): 23:30 UTC on 30 September is
already 1 October — a new fiscal year — in Bangkok. Every function that takes
a ``datetime`` refuses a naive one with :class:`ValueError`.

Month names and date patterns come from the catalogs (``date.*``), so Thai
reads ``5 ม.ค. 2570`` and English ``5 Jan 2027``; :func:`parse_date` accepts
either language's month names as well as numeric forms.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Final, Literal, TypeAlias
from zoneinfo import ZoneInfo

from domain.errors import InvalidInput
from domain.i18n import LANGUAGES, Lang, catalog, plain
from domain.numbers import normalize_digits, quote_input

BANGKOK: Final[ZoneInfo] = ZoneInfo("Asia/Bangkok")
BE_OFFSET: Final = 543
"""Buddhist Era year minus Common Era year."""

BE_THRESHOLD: Final = 2400
"""A typed year at or above this is Buddhist Era: no one reports for CE 2400."""

FIRST_FISCAL_MONTH: Final = 10

# Typed years outside this range are typos ("5/1/0070"), not dates anyone reports for.
_MIN_YEAR: Final = 1900
_MAX_YEAR: Final = BE_THRESHOLD - 1

# Longer input is never a date; refusing it early keeps the parsers cheap.
_MAX_INPUT: Final = 80

# An era written out next to the year ("พ.ศ. 2570", "2027 AD") overrides the
# year-size rule, so "ค.ศ. 2570" is refused rather than read as 2027.
Era: TypeAlias = Literal["be", "ce"]

_INVISIBLE: Final = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))

_ISO = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})")
_NUMERIC = re.compile(
    r"(?P<day>[0-9]{1,2}) ?(?P<sep>[/.-]) ?(?P<month>[0-9]{1,2}) ?(?P=sep) ?(?P<year>[0-9]{4})"
)
_DAY_NAMED = re.compile(r"(?P<day>[0-9]{1,2})(?P<month>[^0-9]+?)(?P<year>[0-9]{4})")
_NAMED_DAY = re.compile(
    r"(?P<month>[^0-9]+?) ?(?P<day>[0-9]{1,2})(?P<era>[^0-9]*)(?P<year>[0-9]{4})"
)
_ERA_MARK = r"(?:(?P<be>พ\.? ?ศ\.?|b\.? ?e\.?)|(?P<ce>ค\.? ?ศ\.?|a\.? ?d\.?|c\.? ?e\.?))"
_TRAILING_ERA = re.compile(rf"[ ,]*{_ERA_MARK}[ ,]*$", re.IGNORECASE)
_ONLY_ERA = re.compile(rf"[ ,]*(?:{_ERA_MARK}[ ,]*)?", re.IGNORECASE)
_DAY_WORD = re.compile(r"^(?:วันที่|วัน) ?")
_DATETIME = re.compile(
    r"(?P<date>.+?)(?:[ T](?:เวลา ?)?(?P<hour>[0-9]{1,2})[:.](?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2}))?(?: ?น\.?)?)?"
)


def utc_now() -> datetime:
    """The current moment, aware, in UTC."""
    return datetime.now(UTC)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()} has no time zone")


def to_local(moment: datetime, tz: ZoneInfo = BANGKOK) -> datetime:
    """The same moment on the office's clock."""
    _require_aware(moment)
    return moment.astimezone(tz)


def _local_date(day: date | datetime, tz: ZoneInfo) -> date:
    # datetime is a subclass of date, so it must be recognised first.
    if isinstance(day, datetime):
        return to_local(day, tz).date()
    return day


def fiscal_year_of(day: date | datetime, tz: ZoneInfo = BANGKOK) -> int:
    """The BE fiscal year containing ``day`` (a datetime counts by its date in ``tz``)."""
    local = _local_date(day, tz)
    ends_next_year = local.month >= FIRST_FISCAL_MONTH
    return local.year + BE_OFFSET + (1 if ends_next_year else 0)


def fiscal_year_bounds(fiscal_year: int) -> tuple[date, date]:
    """First and last day of a BE fiscal year: 2570 → (1 Oct 2026, 30 Sep 2027)."""
    end_year = fiscal_year - BE_OFFSET
    return date(end_year - 1, FIRST_FISCAL_MONTH, 1), date(end_year, FIRST_FISCAL_MONTH - 1, 30)


def quarter_of(day: date | datetime, tz: ZoneInfo = BANGKOK) -> tuple[int, int]:
    """The (BE fiscal year, quarter 1–4) containing ``day``."""
    local = _local_date(day, tz)
    months_into_year = (local.month - FIRST_FISCAL_MONTH) % 12
    return fiscal_year_of(local), months_into_year // 3 + 1


def quarter_bounds(fiscal_year: int, quarter: int) -> tuple[date, date]:
    """First and last day of a quarter of a BE fiscal year."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1–4, not {quarter}")
    first_of_year, _ = fiscal_year_bounds(fiscal_year)
    months_in = (quarter - 1) * 3
    start_month = (FIRST_FISCAL_MONTH - 1 + months_in) % 12 + 1
    start_year = first_of_year.year + (FIRST_FISCAL_MONTH - 1 + months_in) // 12
    start = date(start_year, start_month, 1)
    after_month = start_month + 3
    after = date(start_year + (after_month - 1) // 12, (after_month - 1) % 12 + 1, 1)
    return start, after - timedelta(days=1)


def _display_year(year: int, lang: Lang) -> int:
    # Thai readers expect the Buddhist Era everywhere; English readers the Common Era.
    return year + BE_OFFSET if lang == "th" else year


def _month_name(month: int, lang: Lang, *, long: bool) -> str:
    return plain(lang, f"date.{'month_long' if long else 'month_short'}.{month}")


def format_date(
    day: date | datetime, lang: Lang, *, long: bool = False, tz: ZoneInfo = BANGKOK
) -> str:
    """A date as people read it: ``5 ม.ค. 2570`` / ``5 Jan 2027`` (long: full month name)."""
    local = _local_date(day, tz)
    return plain(
        lang,
        "date.day_month_year",
        day=local.day,
        month=_month_name(local.month, lang, long=long),
        year=_display_year(local.year, lang),
    )


def format_datetime(moment: datetime, lang: Lang, *, tz: ZoneInfo = BANGKOK) -> str:
    """A moment on the office clock: ``5 ม.ค. 2570 08:30 น.`` / ``5 Jan 2027 08:30``."""
    local = to_local(moment, tz)
    return plain(lang, "date.datetime", date=format_date(local.date(), lang), time=f"{local:%H:%M}")


def _format_month_year(day: date, lang: Lang) -> str:
    return plain(
        lang,
        "date.month_year",
        month=_month_name(day.month, lang, long=False),
        year=_display_year(day.year, lang),
    )


def format_fiscal_year(fiscal_year: int, lang: Lang, *, span: bool | None = None) -> str:
    """A fiscal year: ``ปีงบประมาณ 2570`` / ``FY 2570 (Oct 2026 – Sep 2027)``.

    ``span`` adds the months it covers; by default only English does, because a
    BE fiscal year is second nature to Thai staff and opaque to anyone else.
    """
    show_span = lang != "th" if span is None else span
    if not show_span:
        return plain(lang, "date.fiscal_year", year=fiscal_year)
    start, end = fiscal_year_bounds(fiscal_year)
    return plain(
        lang,
        "date.fiscal_year_span",
        year=fiscal_year,
        start=_format_month_year(start, lang),
        end=_format_month_year(end, lang),
    )


def format_quarter(fiscal_year: int, quarter: int, lang: Lang) -> str:
    """A quarter: ``ไตรมาส 1 ปีงบประมาณ 2570`` / ``Q1 FY 2570``."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1–4, not {quarter}")
    return plain(lang, "date.quarter", quarter=quarter, year=fiscal_year)


def days_until(moment: datetime, now: datetime, tz: ZoneInfo = BANGKOK) -> int:
    """Office-clock calendar days from ``now``'s date to ``moment``'s (negative when past)."""
    return (to_local(moment, tz).date() - to_local(now, tz).date()).days


def _month_key(name: str) -> str:
    return "".join(char for char in name.casefold() if char not in ". ,")


@cache
def _month_names() -> tuple[dict[str, int], dict[str, int]]:
    """Exact month spellings of every language, and the full names for prefix matching."""
    exact: dict[str, int] = {}
    full: dict[str, int] = {}
    for lang in LANGUAGES:
        texts = catalog(lang)
        for month in range(1, 13):
            short = _month_key(texts[f"date.month_short.{month}"])
            long = _month_key(texts[f"date.month_long.{month}"])
            exact[short] = exact[long] = full[long] = month
    return exact, full


def _month_number(name: str) -> int | None:
    """Month from a typed name: ``ม.ค.``, ``มค``, ``มกราคม``, ``มกรา``, ``Jan``, ``Sept``…"""
    key = _month_key(name)
    exact, full = _month_names()
    if key in exact:
        return exact[key]
    # People shorten names freely ("มกรา", "Sept"); accept any unambiguous start.
    if len(key) >= 3:
        candidates = {month for long, month in full.items() if long.startswith(key)}
        if len(candidates) == 1:
            return candidates.pop()
    return None


def _ce_year(year: int, era: Era | None) -> int | None:
    if era == "be" or (era is None and year >= BE_THRESHOLD):
        year -= BE_OFFSET
    return year if _MIN_YEAR <= year <= _MAX_YEAR else None


def _build_date(year: int, month: int, day: int, era: Era | None = None) -> date | None:
    ce_year = _ce_year(year, era)
    if ce_year is None:
        return None
    try:
        return date(ce_year, month, day)
    except ValueError:
        return None


def _era(match: re.Match[str]) -> Era | None:
    if match["be"]:
        return "be"
    return "ce" if match["ce"] else None


def _named_date(prepared: str) -> date | None:
    """``5 ม.ค. 2570``, ``5 มกราคม พ.ศ. 2570``, ``5 Jan 2027``, ``January 5, 2027``."""
    match = _DAY_NAMED.fullmatch(prepared)
    if match is not None:
        name = match["month"]
        era_match = _TRAILING_ERA.search(name)
        era = None if era_match is None else _era(era_match)
        month = _month_number(name if era_match is None else name[: era_match.start()])
        if month is not None:
            return _build_date(int(match["year"]), month, int(match["day"]), era)
    match = _NAMED_DAY.fullmatch(prepared)
    if match is not None:
        month = _month_number(match["month"])
        era_match = _ONLY_ERA.fullmatch(match["era"])
        if month is not None and era_match is not None:
            return _build_date(int(match["year"]), month, int(match["day"]), _era(era_match))
    return None


def _read_date(prepared: str) -> date | None:
    prepared = _DAY_WORD.sub("", prepared)
    match = _ISO.fullmatch(prepared)
    if match is not None:
        return _build_date(int(match["year"]), int(match["month"]), int(match["day"]))
    match = _NUMERIC.fullmatch(prepared)
    if match is not None:
        return _build_date(int(match["year"]), int(match["month"]), int(match["day"]))
    return _named_date(prepared)


def _prepare(text: str) -> str:
    cleaned = normalize_digits(text).translate(_INVISIBLE)
    return " ".join(cleaned.split())


def parse_date(text: str) -> date:
    """Read a date typed in Thai or English; a year of 2400 or more is Buddhist Era.

    Numeric forms are day first, as Thai offices write them: ``5/1/2570``,
    ``05/01/2027``, ``5-1-2570``; also ISO ``2027-01-05`` / ``2570-01-05`` and
    month names ``5 ม.ค. 2570``, ``5 มกราคม พ.ศ. 2570``, ``5 Jan 2027``,
    ``January 5, 2027``. Raises ``InvalidInput("date.invalid", text=...)``.
    """
    prepared = _prepare(text)
    parsed = _read_date(prepared) if len(prepared) <= _MAX_INPUT else None
    if parsed is None:
        raise InvalidInput("date.invalid", text=quote_input(text))
    return parsed


def parse_local_datetime(text: str, tz: ZoneInfo = BANGKOK) -> datetime:
    """Read a date and optional time on the office clock and return the moment in UTC.

    ``2027-01-05 08:30``, ``2027-01-05T08:30``, ``5/1/2570 08:30``,
    ``5 ม.ค. 2570 8.30 น.``; a date alone means 00:00 local time. Raises
    ``InvalidInput("date.invalid_datetime", text=...)``.
    """
    prepared = _prepare(text)
    match = _DATETIME.fullmatch(prepared) if len(prepared) <= _MAX_INPUT else None
    day = _read_date(match["date"]) if match is not None else None
    if match is None or day is None:
        raise InvalidInput("date.invalid_datetime", text=quote_input(text))
    hour, minute, second = (int(match[name] or 0) for name in ("hour", "minute", "second"))
    if hour > 23 or minute > 59 or second > 59:
        raise InvalidInput("date.invalid_datetime", text=quote_input(text))
    local = datetime.combine(day, time(hour, minute, second), tzinfo=tz)
    return local.astimezone(UTC)
