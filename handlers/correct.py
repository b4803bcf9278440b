"""Corrections: a submitted entry gets a new version with a reason.

Started from a ✏️ button (/history, /status, a saved or conflicting entry,
an officer's return notice) whose callback data names the entry by id; the
id is checked against the person's school before anything is shown. A KPI
value: new value → reason → review → confirm. A progress report: which
field → new answer → reason → review → confirm. Nothing is overwritten; if
someone else corrected the entry meanwhile, both are shown and nothing is
stored.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from telegram import Message, Update
from telegram.ext import Application, CallbackQueryHandler

from domain.calendar import format_datetime
from domain.errors import Conflict, InvalidInput, UserError
from domain.i18n import Html, Lang, plain, t
from domain.values import (
    LEVEL_MAX,
    LEVEL_MIN,
    ProjectStatus,
    ValueType,
    clean_text,
    format_kpi_value,
    parse_kpi_value,
)
from handlers.common import STAFF_ROLES
from handlers.context import Ctx
from handlers.flow import FlowSpec, Rows, Turn, button_turn, register_flow, start_turn
from handlers.report import (
    field_hint,
    field_label,
    field_question,
    field_rows,
    parse_field,
    report_values,
    show_field,
)
from storage.models import KpiValue, ProgressReport
from storage.repositories.drafts import Draft
from storage.services import (
    EntryKind,
    EntryRef,
    ProgressAnswers,
    correct_kpi_value,
    correct_progress_report,
    find_entry,
)

FLOW = "correct"
PROJECT_FIELDS = ("status", "percent", "spent", "outputs", "problems", "suggestions")


async def _entry(turn: Turn) -> EntryRef | None:
    """The entry of the draft, re-checked against the person's school."""
    kind, entry_id = turn.answers.get("kind"), turn.answers.get("entry")
    if kind not in ("kv", "pr") or not isinstance(entry_id, int):
        return None
    try:
        async with turn.context.services.database.read() as repos:
            return await find_entry(
                repos, kind=EntryKind(kind), entry_id=entry_id, school_id=turn.person.school_id
            )
    except UserError:
        return None


def _old_value(entry: EntryRef, field: str | None, lang: Lang) -> str:
    current = entry.current
    if isinstance(current, KpiValue):
        assert entry.kpi is not None
        return format_kpi_value(entry.kpi.value_type, current.value, lang)
    assert field is not None
    return show_field(lang, field, report_values(current).get(field))


def _new_value(entry: EntryRef, field: str | None, value: Any, lang: Lang) -> str:
    if entry.kind is EntryKind.KPI:
        assert entry.kpi is not None
        return format_kpi_value(entry.kpi.value_type, Decimal(str(value)), lang)
    assert field is not None
    return show_field(lang, field, value)


# ---------------------------------------------------------------- entry


async def begin_entry(update: Update, context: Ctx) -> None:
    """✏️ on an entry: check the id against the person's school, then ask what to change."""
    turn = await start_turn(update, context, FLOW)
    query = update.callback_query
    if turn is None or query is None or query.data is None:
        return
    _, kind, raw_id = query.data.split(":")
    try:
        async with context.services.database.read() as repos:
            entry = await find_entry(
                repos, kind=EntryKind(kind), entry_id=int(raw_id), school_id=turn.person.school_id
            )
    except UserError as problem:
        await turn.send(t(turn.lang, problem.key, **problem.params))
        return
    if not entry.round.is_open(turn.now):
        await turn.send(t(turn.lang, "kpi.round_closed", round=entry.round.name(turn.lang)))
        return
    turn.answers = {
        "kind": entry.kind.value,
        "entry": entry.current.id,
        "version": entry.current.version,
    }
    await turn.save("start", subject=f"{entry.kind.value}:{entry.current.id}")
    # A new message: the list the button was on (history, a notice) stays readable.
    if entry.kind is EntryKind.KPI:
        await _ask_value(turn, entry)
    else:
        await _ask_field(turn, entry)


async def begin(turn: Turn) -> None:
    """Starting over has nothing to start from: corrections begin on an entry's button."""
    await turn.send(t(turn.lang, "reporting.correct.how"))


async def render(turn: Turn) -> None:
    """Show the draft's current step again (resuming)."""
    entry = await _entry(turn)
    if entry is None:
        await turn.drop()
        await turn.send(t(turn.lang, "reporting.entry.not_found"))
        return
    step = turn.step
    if step == "reason":
        await _ask_reason(turn, entry, adopt=True)
    elif step == "review":
        await _review(turn, entry, adopt=True)
    elif step == "field" or (entry.kind is EntryKind.PROJECT and not turn.answers.get("field")):
        await _ask_field(turn, entry, adopt=True)
    else:
        await _ask_value(turn, entry, adopt=True)


def _header(turn: Turn, entry: EntryRef) -> Html:
    lang = turn.lang
    current = entry.current
    field = turn.answers.get("field")
    text = t(
        lang,
        "reporting.correct.header",
        name=entry.name(lang),
        round=entry.round.name(lang),
        version=current.version,
        at=format_datetime(current.submitted_at, lang, tz=turn.context.services.timezone),
    )
    if entry.kind is EntryKind.KPI or isinstance(field, str):
        text = Html(
            text
            + "\n"
            + t(
                lang,
                "reporting.correct.old",
                value=_old_value(entry, field if isinstance(field, str) else None, lang),
            )
        )
    if current.returned_at is not None:
        text = Html(
            text
            + "\n"
            + t(lang, "reporting.correct.returned", comment=current.return_comment or "")
        )
    return text


async def _ask_field(turn: Turn, entry: EntryRef, *, adopt: bool = False) -> None:
    lang = turn.lang
    rows: Rows = [[(field_label(lang, field), f"fix:field:{field}")] for field in PROJECT_FIELDS]
    rows.append([(plain(lang, "common.cancel"), "fix:cancel")])
    text = Html(_header(turn, entry) + "\n\n" + t(lang, "reporting.correct.which"))
    await turn.show("field", text, rows, adopt=adopt)


async def field_chosen(update: Update, context: Ctx) -> None:
    """A field button of a progress report."""
    turn = await button_turn(update, context, FLOW)
    query = update.callback_query
    if turn is None or query is None or query.data is None:
        return
    field = query.data.rsplit(":", 1)[-1]
    entry = await _entry(turn)
    if entry is None or field not in PROJECT_FIELDS or turn.step != "field":
        await turn.send(t(turn.lang, "reporting.flow.old_button"))
        return
    turn.answers["field"] = field
    await _ask_value(turn, entry)


def _kpi_rows(entry: EntryRef, lang: Lang) -> Rows:
    assert entry.kpi is not None
    if entry.kpi.value_type is ValueType.YES_NO:
        return [[(plain(lang, "value.yes"), "fix:v:1"), (plain(lang, "value.no"), "fix:v:0")]]
    if entry.kpi.value_type is ValueType.LEVEL:
        return [[(str(n), f"fix:v:{n}") for n in range(LEVEL_MIN, LEVEL_MAX + 1)]]
    return []


async def _ask_value(
    turn: Turn, entry: EntryRef, *, adopt: bool = False, problem: Html | None = None
) -> None:
    lang = turn.lang
    field = turn.answers.get("field")
    if entry.kind is EntryKind.KPI:
        assert entry.kpi is not None
        question = Html(
            t(lang, "reporting.correct.ask_value")
            + "\n"
            + t(lang, f"kpi.hint.{entry.kpi.value_type.value}")
        )
        rows = _kpi_rows(entry, lang)
    else:
        assert entry.project is not None and isinstance(field, str)
        question = field_question(lang, field, entry.project)
        rows = field_rows(lang, field, "fix")
    text = Html(_header(turn, entry) + "\n\n" + question)
    if problem is not None:
        text = Html(problem + "\n\n" + text)
    rows.append([(plain(lang, "common.cancel"), "fix:cancel")])
    await turn.show("value", text, rows, adopt=adopt)


async def value_pressed(update: Update, context: Ctx) -> None:
    """A yes/no, level, status or percent button."""
    turn = await button_turn(update, context, FLOW)
    query = update.callback_query
    if turn is None or query is None or query.data is None:
        return
    entry = await _entry(turn)
    parts = query.data.split(":")
    if entry is None or turn.step != "value":
        await turn.send(t(turn.lang, "reporting.flow.old_button"))
        return
    field = turn.answers.get("field")
    kind, raw = parts[1], parts[-1]
    valid = (
        (kind == "v" and entry.kind is EntryKind.KPI)
        or (kind == "status" and field == "status" and raw in {s.value for s in ProjectStatus})
        or (kind == "pct" and field == "percent")
    )
    if not valid:
        await turn.send(t(turn.lang, "reporting.flow.old_button"))
        return
    await _accept(turn, entry, raw)


async def _accept(turn: Turn, entry: EntryRef, text: str) -> None:
    lang = turn.lang
    field = turn.answers.get("field")
    try:
        if entry.kind is EntryKind.KPI:
            assert entry.kpi is not None
            value: str = str(parse_kpi_value(entry.kpi.value_type, text))
        elif field == "status":
            value = ProjectStatus(text).value if text in {s.value for s in ProjectStatus} else ""
            if not value:
                raise InvalidInput("reporting.report.status_buttons")
        else:
            assert isinstance(field, str)
            value = parse_field(field, text)
    except InvalidInput as problem:
        await _ask_value(turn, entry, problem=t(lang, problem.key, **problem.params))
        return
    if _new_value(entry, field if isinstance(field, str) else None, value, lang) == _old_value(
        entry, field if isinstance(field, str) else None, lang
    ):
        await _ask_value(turn, entry, problem=t(lang, "reporting.correct.same"))
        return
    turn.answers["value"] = value
    if turn.answers.get("reason"):
        await _review(turn, entry)
    else:
        await _ask_reason(turn, entry)


async def _ask_reason(turn: Turn, entry: EntryRef, *, adopt: bool = False) -> None:
    lang = turn.lang
    text = Html(_header(turn, entry) + "\n\n" + t(lang, "reporting.correct.ask_reason"))
    rows = [[(plain(lang, "common.cancel"), "fix:cancel")]]
    await turn.show("reason", text, rows, adopt=adopt)


async def on_input(turn: Turn, message: Message) -> None:
    """Typed text while a correction is open."""
    entry = await _entry(turn)
    lang = turn.lang
    if entry is None:
        await turn.drop()
        await turn.send(t(lang, "reporting.entry.not_found"))
        return
    text = message.text
    step = turn.step
    if text is None or step not in ("value", "reason"):
        field = turn.answers.get("field")
        if step == "value" and entry.kind is EntryKind.KPI:
            assert entry.kpi is not None
            hint = t(lang, f"kpi.hint.{entry.kpi.value_type.value}")
        elif step == "value" and isinstance(field, str):
            hint = field_hint(lang, field)
        elif step == "reason":
            hint = t(lang, "reporting.flow.hint_note")
        else:
            hint = t(lang, "reporting.flow.hint_buttons")
        await turn.send(t(lang, "reporting.flow.stray", hint=hint))
        return
    if step == "value":
        await _accept(turn, entry, text)
        return
    try:
        turn.answers["reason"] = clean_text(text)
    except InvalidInput as problem:
        await turn.send(t(lang, problem.key, **problem.params))
        return
    await _review(turn, entry)


async def _review(turn: Turn, entry: EntryRef, *, adopt: bool = False) -> None:
    lang = turn.lang
    field = turn.answers.get("field")
    name_field = field if isinstance(field, str) else None
    text = t(
        lang,
        "reporting.correct.review",
        name=entry.name(lang),
        what=field_label(lang, name_field) if name_field else plain(lang, "reporting.field.value"),
        old=_old_value(entry, name_field, lang),
        new=_new_value(entry, name_field, turn.answers.get("value"), lang),
        reason=turn.answers.get("reason", ""),
    )
    rows = [
        [(plain(lang, "common.confirm"), "fix:confirm")],
        [
            (plain(lang, "reporting.correct.edit_value"), "fix:again:value"),
            (plain(lang, "reporting.correct.edit_reason"), "fix:again:reason"),
        ],
        [(plain(lang, "common.cancel"), "fix:cancel")],
    ]
    await turn.show("review", text, rows, adopt=adopt)


async def again(update: Update, context: Ctx) -> None:
    """Change the value or the reason from the review card."""
    turn = await button_turn(update, context, FLOW)
    query = update.callback_query
    if turn is None or query is None or query.data is None:
        return
    entry = await _entry(turn)
    if entry is None or turn.step != "review":
        await turn.send(t(turn.lang, "reporting.flow.old_button"))
        return
    if query.data.endswith(":reason"):
        await _ask_reason(turn, entry)
    else:
        await _ask_value(turn, entry)


async def confirm(update: Update, context: Ctx) -> None:
    """Store the correction as a new version; "saved" only after the commit."""
    turn = await button_turn(update, context, FLOW)
    if turn is None:
        return
    entry = await _entry(turn)
    lang = turn.lang
    a = turn.answers
    if entry is None or not a.get("value") or not a.get("reason"):
        await turn.send(t(lang, "reporting.flow.old_button"))
        return
    services = context.services
    now = services.clock()
    expected = int(a.get("version", 0))
    try:
        async with services.database.transaction() as repos:
            stored: KpiValue | ProgressReport
            if entry.kind is EntryKind.KPI:
                stored = await correct_kpi_value(
                    repos,
                    person=turn.person,
                    kpi_value_id=entry.current.id,
                    value=Decimal(a["value"]),
                    reason=a["reason"],
                    expected_version=expected,
                    now=now,
                )
            else:
                assert isinstance(entry.current, ProgressReport)
                base = {**report_values(entry.current), a["field"]: a["value"]}
                stored = await correct_progress_report(
                    repos,
                    person=turn.person,
                    report_id=entry.current.id,
                    answers=ProgressAnswers(
                        status=ProjectStatus(base["status"]),
                        percent_complete=Decimal(base["percent"]),
                        budget_spent=Decimal(base["spent"]),
                        outputs=base["outputs"],
                        problems=base["problems"],
                        suggestions=base["suggestions"],
                    ),
                    reason=a["reason"],
                    expected_version=expected,
                    now=now,
                )
            await repos.drafts.drop(person_id=turn.person.id, flow=FLOW)
    except Conflict:
        await _conflict(turn, entry)
        return
    except UserError as problem:
        await turn.end(t(lang, problem.key, **problem.params), [])
        return
    field = a.get("field")
    text = t(
        lang,
        "reporting.correct.saved",
        name=entry.name(lang),
        version=stored.version,
        value=_new_value(entry, field if isinstance(field, str) else None, a["value"], lang),
        reason=a["reason"],
        at=format_datetime(stored.submitted_at, lang, tz=services.timezone),
    )
    await turn.end(text, [[(plain(lang, "reporting.history.button"), "history")]])


async def _conflict(turn: Turn, entry: EntryRef) -> None:
    """Someone corrected the entry meanwhile: show theirs and ours, store nothing."""
    lang = turn.lang
    services = turn.context.services
    fresh = await _entry(turn)
    async with services.database.transaction() as repos:
        who = None if fresh is None else await repos.people.get(fresh.current.submitted_by_id)
        await repos.drafts.drop(person_id=turn.person.id, flow=FLOW)
    field = turn.answers.get("field")
    name_field = field if isinstance(field, str) else None
    text = t(
        lang,
        "reporting.correct.conflict",
        name=entry.name(lang),
        stored="—" if fresh is None else _old_value(fresh, name_field, lang),
        who="" if who is None else who.full_name,
        yours=_new_value(entry, name_field, turn.answers.get("value"), lang),
    )
    rows: Rows = []
    if fresh is not None:
        rows.append(
            [(plain(lang, "reporting.correct.again"), f"fix:{fresh.kind.value}:{fresh.current.id}")]
        )
    await turn.end(text, rows)


def describe(draft: Draft, lang: Lang) -> str:
    """What a correction draft is, for "continue where you left off?"."""
    return plain(lang, "reporting.correct.draft")


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    """The ✏️ entry buttons and the buttons of the correction flow."""
    register_flow(
        FlowSpec(
            name=FLOW,
            roles=STAFF_ROLES,
            refusal="access.staff_only",
            begin=begin,
            render=render,
            on_input=on_input,
            describe=describe,
        )
    )
    patterns = {
        r"^fix:(kv|pr):\d+$": begin_entry,
        r"^fix:field:[a-z]+$": field_chosen,
        r"^fix:(v:\d+|status:[a-z_]+|pct:\d+)$": value_pressed,
        r"^fix:again:(value|reason)$": again,
        r"^fix:confirm$": confirm,
    }
    for pattern, callback in patterns.items():
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern))
