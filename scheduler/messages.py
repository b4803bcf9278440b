"""What reminders, escalations, nudges and digests say, in Thai or English.

Every text comes from the ``reminders`` tables of the catalogs; names of
schools, projects and indicators are escaped by :func:`domain.i18n.t`. Each
message stays within Telegram's 4,096 characters: long lists are cut with an
"and N more" line, and a digest is split into parts on line boundaries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.calendar import days_until, format_datetime
from domain.i18n import Html, Lang, plain, t
from storage.models import Round, School
from storage.repositories.reminders import Recipient
from storage.services import Outstanding

MESSAGE_LIMIT = 3800
"""Characters per message part, below Telegram's 4,096 to leave room for markup."""

ITEMS_SHOWN = 10
"""Items listed per kind in one reminder; the rest are counted."""

NAME_LIMIT = 90

KPI_BUTTON = "kpi:start"
REPORT_BUTTON = "report:start"


class Tone(StrEnum):
    """Which reminder it is: sets the title and the closing line."""

    OPEN = "open"
    BEFORE = "before"
    DUE = "due"
    OVERDUE = "overdue"
    ESCALATION = "escalation"
    NUDGE = "nudge"


def _short(text: str, limit: int = NAME_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def countdown(due_at: dt.datetime, now: dt.datetime, lang: Lang, tz: ZoneInfo) -> Html:
    """The deadline in words ("3 days left", "due today", "2 days overdue"), by office days."""
    days = days_until(due_at, now, tz)
    if days > 1:
        return t(lang, "reminders.countdown.days_left", days=days)
    if days == 1:
        return t(lang, "reminders.countdown.tomorrow")
    if days == 0:
        return (
            t(lang, "reminders.countdown.today")
            if now <= due_at
            else t(lang, "reminders.countdown.overdue_today")
        )
    return t(lang, "reminders.countdown.overdue", days=-days)


def missing_lines(outstanding: Outstanding, lang: Lang) -> list[Html]:
    """The items a school still owes, grouped by kind, at most ITEMS_SHOWN each."""
    lines: list[Html] = []
    if outstanding.projects:
        lines.append(t(lang, "reminders.projects", count=len(outstanding.projects)))
        for project in outstanding.projects[:ITEMS_SHOWN]:
            lines.append(t(lang, "reminders.item", code=project.code, name=_short(project.name)))
        if len(outstanding.projects) > ITEMS_SHOWN:
            lines.append(t(lang, "reminders.more", count=len(outstanding.projects) - ITEMS_SHOWN))
    if outstanding.kpis:
        lines.append(t(lang, "reminders.kpis", count=len(outstanding.kpis)))
        for item in outstanding.kpis[:ITEMS_SHOWN]:
            lines.append(
                t(lang, "reminders.item", code=item.kpi.code, name=_short(item.kpi.name(lang)))
            )
        if len(outstanding.kpis) > ITEMS_SHOWN:
            lines.append(t(lang, "reminders.more", count=len(outstanding.kpis) - ITEMS_SHOWN))
    return lines


def reminder_text(
    *,
    tone: Tone,
    round_: Round,
    school: School,
    outstanding: Outstanding,
    now: dt.datetime,
    lang: Lang,
    tz: ZoneInfo,
) -> Html:
    """A reminder to one person: the round, the deadline, exactly what is missing."""
    name = round_.name(lang)
    parts: list[Html] = [
        t(lang, f"reminders.title.{tone.value}", round=name),
        t(
            lang,
            "reminders.due_line",
            due=format_datetime(round_.due_at, lang, tz=tz),
            countdown=countdown(round_.due_at, now, lang, tz),
        ),
        Html(""),
    ]
    if tone is Tone.ESCALATION:
        parts.append(
            t(
                lang,
                "reminders.escalation",
                school=school.name(lang),
                days=max(1, -days_until(round_.due_at, now, tz)),
            )
        )
    parts.append(t(lang, "reminders.missing", school=school.name(lang)))
    parts.extend(missing_lines(outstanding, lang))
    parts.append(Html(""))
    parts.append(t(lang, f"reminders.closing.{tone.value}"))
    return Html("\n".join(parts))


def reminder_buttons(outstanding: Outstanding, lang: Lang) -> list[list[tuple[str, str]]]:
    """Buttons that start the flow for what is missing."""
    row: list[tuple[str, str]] = []
    if outstanding.projects:
        row.append((plain(lang, "reminders.button.report"), REPORT_BUTTON))
    if outstanding.kpis:
        row.append((plain(lang, "reminders.button.kpi"), KPI_BUTTON))
    return [row] if row else []


def item_codes(outstanding: Outstanding) -> list[str]:
    """Codes of the missing items: projects first, then indicators."""
    return [project.code for project in outstanding.projects] + [
        item.kpi.code for item in outstanding.kpis
    ]


def digest_texts(
    *,
    round_: Round,
    late: Sequence[tuple[School, Outstanding]],
    total_schools: int,
    unreachable: Sequence[tuple[Recipient, School]],
    unregistered: int,
    now: dt.datetime,
    lang: Lang,
    tz: ZoneInfo,
) -> list[Html]:
    """The officers' daily digest of late schools, in as many parts as it needs."""
    lines: list[Html] = [
        t(lang, "reminders.digest.title", round=round_.name(lang)),
        t(
            lang,
            "reminders.due_line",
            due=format_datetime(round_.due_at, lang, tz=tz),
            countdown=countdown(round_.due_at, now, lang, tz),
        ),
        t(lang, "reminders.digest.count", late=len(late), total=total_schools),
        Html(""),
    ]
    for school, outstanding in late:
        codes = item_codes(outstanding)
        shown = ", ".join(codes[:ITEMS_SHOWN]) + (" …" if len(codes) > ITEMS_SHOWN else "")
        lines.append(
            t(
                lang,
                "reminders.digest.school",
                code=school.code,
                school=school.name(lang),
                count=outstanding.count,
                items=shown,
            )
        )
    if unreachable:
        lines.append(Html(""))
        lines.append(t(lang, "reminders.digest.unreachable", count=len(unreachable)))
        for recipient, school in unreachable:
            lines.append(
                t(
                    lang,
                    "reminders.digest.unreachable_person",
                    name=recipient.full_name,
                    role=plain(lang, recipient.role.label_key),
                    code=school.code,
                    school=school.name(lang),
                )
            )
    if unregistered:
        lines.append(Html(""))
        lines.append(t(lang, "reminders.digest.unregistered", count=unregistered))
    lines.append(Html(""))
    lines.append(t(lang, "reminders.digest.footer", at=format_datetime(now, lang, tz=tz)))
    return split_message(lines)


def split_message(lines: Sequence[Html], limit: int = MESSAGE_LIMIT) -> list[Html]:
    """Join lines into messages of at most ``limit`` characters, never splitting a line."""
    parts: list[Html] = []
    current: list[str] = []
    size = 0
    for line in lines:
        text = line if len(line) <= limit else Html(line[: limit - 1] + "…")
        if current and size + len(text) + 1 > limit:
            parts.append(Html("\n".join(current).strip("\n")))
            current, size = [], 0
        current.append(text)
        size += len(text) + 1
    if current:
        parts.append(Html("\n".join(current).strip("\n")))
    return parts
