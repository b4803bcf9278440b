"""/report: a project's progress for a round.

round (when several are open) → the school's projects marked reported /
draft / not yet → status → percent complete (0/25/50/75/100 or typed) →
budget spent to date (the allocation shown) → outputs and results →
problems (or skip) → suggestions (or skip) → evidence (photos or documents,
or skip) → a review card with an edit button per field → confirm → saved,
and the next outstanding item is offered.

Progress lower than last round's and spending over the allocation are asked
to be confirmed with a note; the note is kept with the problems and
obstacles, where officers read explanations. Field prompts and parsing are
shared with corrections (:mod:`handlers.correct`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from telegram import Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from domain.calendar import format_datetime
from domain.errors import Conflict, InvalidInput, UserError
from domain.i18n import Html, Lang, plain, t
from domain.numbers import format_money, format_percent, parse_money, parse_number
from domain.values import (
    ProjectStatus,
    SoftCheck,
    ValueType,
    check_kpi_value,
    clean_text,
    progress_soft_checks,
)
from handlers.common import STAFF_ROLES
from handlers.context import Ctx
from handlers.flow import (
    MAX_FILES,
    FlowSpec,
    Rows,
    Turn,
    button_turn,
    evidence_of,
    file_label,
    offer_resume,
    register_flow,
    start_turn,
)
from storage.models import ProgressReport, Project, Round
from storage.repositories.drafts import Draft
from storage.repositories.review import EvidenceFile
from storage.services import (
    ProgressAnswers,
    outstanding_items,
    projects_to_report,
    submit_progress_report,
)

FLOW = "report"
FIELDS = ("status", "percent", "spent", "outputs", "problems", "suggestions", "evidence")
TEXT_FIELDS = ("outputs", "problems", "suggestions")
SKIPPABLE = ("problems", "suggestions", "evidence")
PERCENT_BUTTONS = (0, 25, 50, 75, 100)
SHOWN_LIMIT = 400  # characters of a long answer shown on a card (the whole is stored)
# which soft check belongs to which field, so a changed answer drops a stale note
FIELD_CHECKS = {"percent": SoftCheck.PROGRESS_BACKWARDS, "spent": SoftCheck.SPENT_OVER_ALLOCATED}


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- fields (shared)


def field_label(lang: Lang, field: str) -> str:
    """The name of a field, as on the review card."""
    return plain(lang, f"reporting.field.{field}")


def field_question(lang: Lang, field: str, project: Project) -> Html:
    """The question for one field of a progress report."""
    if field == "spent":
        return t(
            lang,
            "reporting.report.ask.spent",
            allocated=format_money(project.budget_allocated, lang),
        )
    return t(lang, f"reporting.report.ask.{field}")


def field_rows(lang: Lang, field: str, prefix: str) -> Rows:
    """Answer buttons of a field (status and percent); ``prefix`` names the flow."""
    if field == "status":
        return [
            [(plain(lang, status.label_key), f"{prefix}:status:{status.value}")]
            for status in ProjectStatus
        ]
    if field == "percent":
        return [
            [(format_percent(Decimal(n), decimals=0), f"{prefix}:pct:{n}") for n in PERCENT_BUTTONS]
        ]
    return []


def parse_field(field: str, text: str) -> str:
    """Read a typed answer for a field; the value as kept in the draft.

    Raises :class:`InvalidInput` with the expected form for a hard error.
    """
    if field == "percent":
        value = check_kpi_value(ValueType.PERCENT, parse_number(text).value)
        return str(value)
    if field == "spent":
        return str(parse_money(text))
    if field in TEXT_FIELDS:
        return clean_text(text)
    if field == "status":
        raise InvalidInput("reporting.report.status_buttons")
    raise InvalidInput("reporting.flow.hint_buttons")


def field_hint(lang: Lang, field: str) -> Html:
    """What a field expects, for stray input."""
    return t(lang, f"reporting.report.hint.{field}")


def show_field(lang: Lang, field: str, value: Any, project: Project | None = None) -> str:
    """A field's answer as people read it ("—" when skipped)."""
    if value is None or value == "" or value == []:
        return "—"
    if field == "status":
        return plain(lang, ProjectStatus(str(value)).label_key)
    if field == "percent":
        return format_percent(Decimal(str(value)), decimals=None)
    if field == "spent":
        spent = format_money(Decimal(str(value)), lang)
        if project is None:
            return spent
        return plain(
            lang,
            "reporting.report.spent_of",
            spent=spent,
            allocated=format_money(project.budget_allocated, lang),
        )
    if field == "evidence" and isinstance(value, list):
        return ", ".join(file_label(file, lang) for file in value)
    return _short(str(value), SHOWN_LIMIT)


def report_values(report: ProgressReport) -> dict[str, Any]:
    """A stored report as draft answers."""
    return {
        "status": report.status.value,
        "percent": str(report.percent_complete),
        "spent": str(report.budget_spent),
        "outputs": report.outputs,
        "problems": report.problems,
        "suggestions": report.suggestions,
    }


def soft_checks_for(
    field: str, value: str, project: Project, previous: ProgressReport | None
) -> list[SoftCheck]:
    """The soft checks an answer to ``field`` raises."""
    if field == "percent":
        return progress_soft_checks(
            percent=Decimal(value),
            previous_percent=None if previous is None else previous.percent_complete,
            spent=Decimal(0),
            allocated=None,
        )
    if field == "spent":
        return progress_soft_checks(
            percent=Decimal(0),
            previous_percent=None,
            spent=Decimal(value),
            allocated=project.budget_allocated,
        )
    return []


def soft_params(
    lang: Lang, value: str, field: str, project: Project, previous: ProgressReport | None
) -> dict[str, str]:
    """Placeholders of the ``soft.*`` texts for a progress answer."""
    if field == "percent":
        return {
            "percent": format_percent(Decimal(value), decimals=None),
            "previous": ""
            if previous is None
            else format_percent(previous.percent_complete, decimals=None),
        }
    return {
        "spent": format_money(Decimal(value), lang),
        "allocated": format_money(project.budget_allocated, lang),
    }


# ---------------------------------------------------------------- loading


async def _context(turn: Turn) -> tuple[Round, Project, ProgressReport | None] | None:
    """The round and project of the draft, checked against the person's school again.

    Read once per update: an answer and the question after it share one read.
    """
    round_id, project_id = turn.answers.get("round"), turn.answers.get("project")
    if not isinstance(round_id, int) or not isinstance(project_id, int):
        return None
    memo_key = f"report.context:{round_id}:{project_id}"
    if memo_key in turn.context.per_update:
        known = turn.context.per_update[memo_key]
        return known if isinstance(known, tuple) else None
    found: tuple[Round, Project, ProgressReport | None] | None = None
    async with turn.context.services.database.read() as repos:
        round_ = await repos.plan.round(round_id)
        project = await repos.plan.project(project_id)
        if (
            round_ is not None
            and project is not None
            and project.school_id == turn.person.school_id
        ):
            previous = await repos.progress.latest_before(project_id=project.id, round_=round_)
            found = round_, project, previous
    turn.context.per_update[memo_key] = found
    return found


# ---------------------------------------------------------------- entry


async def begin_command(update: Update, context: Ctx) -> None:
    """/report or its button (also used by reminders: ``report:start``)."""
    turn = await start_turn(update, context, FLOW)
    if turn is None:
        return
    if await offer_resume(turn):
        return
    await begin(turn)


async def begin(turn: Turn) -> None:
    """Start afresh: the round (when several are open), then the project list."""
    now = turn.now
    async with turn.context.services.database.read() as repos:
        rounds = [r for r in await repos.plan.open_rounds(now) if r.includes_progress]
        current = await repos.plan.current_round(now)
    if current is not None and current.includes_progress and current not in rounds:
        rounds.insert(0, current)
    if not rounds:
        await _close(turn, t(turn.lang, "reporting.report.no_round"), [])
        return
    if len(rounds) > 1:
        turn.restart_answers({"rounds": [r.id for r in rounds]})
        rows = [[(r.name(turn.lang), f"report:round:{r.id}")] for r in rounds]
        rows.append([(plain(turn.lang, "common.cancel"), "report:cancel")])
        await turn.show("round", t(turn.lang, "reporting.kpi.choose_round"), rows, adopt=True)
        return
    turn.restart_answers({"round": rounds[0].id})
    await _list(turn, rounds[0], adopt=True)


async def _close(turn: Turn, text: Html, rows: Rows) -> None:
    query = turn.update.callback_query
    if query is not None and isinstance(query.message, Message):
        await turn.end(text, rows)
        return
    if turn.draft is not None:
        await turn.drop()
    await turn.send(text, rows)


async def round_chosen(update: Update, context: Ctx) -> None:
    """A round button: the id must be one of the open rounds offered."""
    turn = await button_turn(update, context, FLOW)
    query = update.callback_query
    if turn is None or query is None or query.data is None:
        return
    round_id = int(query.data.rsplit(":", 1)[-1])
    async with context.services.database.read() as repos:
        round_ = await repos.plan.round(round_id)
    if (
        round_ is None
        or round_id not in turn.answers.get("rounds", [])
        or not round_.is_open(turn.now)
    ):
        await turn.send(t(turn.lang, "reporting.flow.not_yours"))
        return
    turn.restart_answers({"round": round_.id})
    await _list(turn, round_)


async def _list(turn: Turn, round_: Round, *, adopt: bool = False) -> None:
    lang = turn.lang
    services = turn.context.services
    async with services.database.read() as repos:
        items = await projects_to_report(repos, school_id=turn.person.school_id, round_=round_)
        staff = await repos.people.list(school_id=turn.person.school_id)
        drafts = await repos.drafts.of_flow(
            FLOW, person_ids={p.id for p in staff}, now=services.clock()
        )
    drafted = {d.answers.get("project") for d in drafts if d.person_id != turn.person.id}
    if not items:
        await _close(turn, t(lang, "reporting.report.no_projects", round=round_.name(lang)), [])
        return
    reported = sum(1 for item in items if item.current is not None)
    lines = [
        t(
            lang,
            "reporting.report.list_title",
            round=round_.name(lang),
            due=format_datetime(round_.due_at, lang, tz=services.timezone),
            reported=reported,
            total=len(items),
        )
    ]
    rows: Rows = []
    for item in items:
        name = item.project.name
        if item.current is not None:
            mark = "✅"
            lines.append(
                t(
                    lang,
                    "reporting.report.list_reported",
                    name=name,
                    percent=format_percent(item.current.percent_complete, decimals=None),
                )
            )
            rows.append([(f"✅ {_short(name, 40)}", f"fix:pr:{item.current.id}")])
            continue
        mark = "📝" if item.project.id in drafted else "⬜"
        key = "reporting.report.list_draft" if mark == "📝" else "reporting.report.list_todo"
        lines.append(t(lang, key, name=name))
        rows.append([(f"{mark} {_short(name, 40)}", f"report:pick:{item.project.id}")])
    lines.append(
        t(lang, "reporting.report.list_pick")
        if reported < len(items)
        else t(lang, "reporting.report.list_done")
    )
    rows.append([(plain(lang, "common.cancel"), "report:cancel")])
    await turn.show("pick", Html("\n".join(lines)), rows, adopt=adopt)


async def picked(update: Update, context: Ctx) -> None:
    """A project button: it must be one of the school's projects still to report."""
    turn = await button_turn(update, context, FLOW)
    query = update.callback_query
    if turn is None or query is None or query.data is None:
        return
    round_id = turn.answers.get("round")
    await _start_project(turn, round_id, int(query.data.rsplit(":", 1)[-1]))


async def go(update: Update, context: Ctx) -> None:
    """ "Next project" on a saved report: start that project directly (ids re-checked)."""
    turn = await start_turn(update, context, FLOW)
    query = update.callback_query
    if turn is None or query is None or query.data is None:
        return
    if await offer_resume(turn):
        return
    _, _, round_id, project_id = query.data.split(":")
    turn.answers = {}
    await _start_project(turn, int(round_id), int(project_id), adopt=True)


async def _start_project(
    turn: Turn, round_id: object, project_id: int, *, adopt: bool = False
) -> None:
    lang = turn.lang
    if not isinstance(round_id, int):
        await turn.send(t(lang, "reporting.flow.not_yours"))
        return
    async with turn.context.services.database.read() as repos:
        round_ = await repos.plan.round(round_id)
        items = (
            []
            if round_ is None
            else await projects_to_report(repos, school_id=turn.person.school_id, round_=round_)
        )
    item = next((i for i in items if i.project.id == project_id), None)
    if round_ is None or item is None or not round_.is_open(turn.now):
        await turn.send(t(lang, "reporting.report.not_expected"))
        return
    if item.current is not None:
        await turn.send(
            t(lang, "reporting.report.already", name=item.project.name),
            [
                [
                    (
                        plain(lang, "reporting.correct.button", name=_short(item.project.name, 30)),
                        f"fix:pr:{item.current.id}",
                    )
                ]
            ],
        )
        return
    turn.restart_answers(
        {
            "round": round_.id,
            "project": item.project.id,
            "version": 0,
            "files": [],
            "soft": {},
        }
    )
    await turn.save("status", subject=f"round:{round_.id}/project:{item.project.id}")
    await _ask(turn, "status", adopt=adopt)


# ---------------------------------------------------------------- questions


async def _ask(turn: Turn, field: str, *, adopt: bool = False, problem: Html | None = None) -> None:
    found = await _context(turn)
    if found is None:
        await _close(turn, t(turn.lang, "reporting.report.not_expected"), [])
        return
    round_, project, previous = found
    lang = turn.lang
    parts = [
        t(
            lang,
            "reporting.report.header",
            name=project.name,
            round=round_.name(lang),
            n=FIELDS.index(field) + 1,
            total=len(FIELDS),
        )
    ]
    if previous is not None and field in ("status", "percent", "spent"):
        parts.append(
            t(
                lang,
                "reporting.report.previous",
                status=show_field(lang, "status", previous.status.value),
                percent=show_field(lang, "percent", previous.percent_complete),
                spent=show_field(lang, "spent", previous.budget_spent),
            )
        )
    current = turn.answers.get(field)
    if field != "evidence" and current not in (None, ""):
        parts.append(
            t(lang, "reporting.report.current", value=show_field(lang, field, current, project))
        )
    parts.append(field_question(lang, field, project))
    if field == "evidence" and turn.answers.get("files"):
        parts.append(
            t(
                lang,
                "reporting.report.files",
                files=show_field(lang, "evidence", turn.answers["files"]),
            )
        )
    text = Html("\n\n".join(parts))
    if problem is not None:
        text = Html(problem + "\n\n" + text)
    rows = field_rows(lang, field, "report")
    if field in SKIPPABLE:
        done = field == "evidence" and turn.answers.get("files")
        rows.append(
            [
                (
                    plain(lang, "reporting.flow.done" if done else "reporting.flow.skip"),
                    "report:skip",
                )
            ]
        )
    if turn.answers.get("to_review"):
        rows.append([(plain(lang, "reporting.kpi.back_to_review"), "report:review")])
    rows.append([(plain(lang, "common.cancel"), "report:cancel")])
    await turn.show(field, text, rows, adopt=adopt)


async def render(turn: Turn) -> None:
    """Show the draft's current step again (resuming)."""
    step = turn.step
    if step in ("", "round") or not isinstance(turn.answers.get("round"), int):
        await begin(turn)
        return
    if step == "pick":
        async with turn.context.services.database.read() as repos:
            round_ = await repos.plan.round(turn.answers["round"])
        if round_ is None:
            await begin(turn)
            return
        await _list(turn, round_, adopt=True)
    elif step == "review":
        await _review(turn, adopt=True)
    elif step == "soft" and isinstance(turn.answers.get("pending"), dict):
        await _ask_soft(turn, adopt=True)
    elif step in FIELDS:
        await _ask(turn, step, adopt=True)
    else:
        await _ask(turn, "status", adopt=True)


async def _accept(turn: Turn, field: str, value: Any) -> None:
    """Keep an answer (after soft checks), then the next field or the review card."""
    found = await _context(turn)
    if found is None:
        await _close(turn, t(turn.lang, "reporting.report.not_expected"), [])
        return
    _, project, previous = found
    soft = turn.answers.setdefault("soft", {})
    if field in FIELD_CHECKS:
        checks = soft_checks_for(field, str(value), project, previous)
        if checks:
            turn.answers["pending"] = {
                "field": field,
                "value": str(value),
                "checks": [c.value for c in checks],
            }
            await _ask_soft(turn)
            return
        if not checks:
            soft.pop(FIELD_CHECKS[field].value, None)
    turn.answers[field] = value
    await _next(turn, field)


async def _next(turn: Turn, field: str) -> None:
    if turn.answers.pop("to_review", False):
        await _review(turn)
        return
    following = FIELDS.index(field) + 1
    if following >= len(FIELDS):
        await _review(turn)
        return
    await _ask(turn, FIELDS[following])


async def _ask_soft(turn: Turn, *, adopt: bool = False) -> None:
    found = await _context(turn)
    pending = turn.answers.get("pending")
    if found is None or not isinstance(pending, dict):
        await render(turn)
        return
    _, project, previous = found
    lang = turn.lang
    params = soft_params(lang, pending["value"], pending["field"], project, previous)
    lines = [t(lang, "reporting.report.soft_title", name=project.name)]
    lines += [t(lang, f"soft.{check}", **params) for check in pending["checks"]]
    lines.append(t(lang, "reporting.flow.soft_note"))
    rows = [
        [(plain(lang, "reporting.flow.change_value"), "report:change")],
        [(plain(lang, "common.cancel"), "report:cancel")],
    ]
    await turn.show("soft", Html("\n\n".join(lines)), rows, adopt=adopt)


async def _soft_note(turn: Turn, text: str) -> None:
    pending = turn.answers.pop("pending", None)
    if not isinstance(pending, dict):
        await render(turn)
        return
    try:
        note = clean_text(text)
    except InvalidInput as problem:
        turn.answers["pending"] = pending
        await turn.send(t(turn.lang, problem.key, **problem.params))
        return
    soft = turn.answers.setdefault("soft", {})
    for check in pending["checks"]:
        soft[check] = note
    turn.answers[pending["field"]] = pending["value"]
    await _next(turn, pending["field"])


async def change_value(update: Update, context: Ctx) -> None:
    """From a soft check: ask that field again."""
    turn = await button_turn(update, context, FLOW)
    if turn is None:
        return
    pending = turn.answers.pop("pending", None)
    field = pending.get("field") if isinstance(pending, dict) else None
    await _ask(turn, field if field in FIELDS else "status")


async def pressed(update: Update, context: Ctx) -> None:
    """A status or percent button."""
    turn = await button_turn(update, context, FLOW)
    query = update.callback_query
    if turn is None or query is None or query.data is None:
        return
    _, kind, raw = query.data.split(":")
    field = "status" if kind == "status" else "percent"
    statuses = {status.value for status in ProjectStatus}
    if turn.step != field or (field == "status" and raw not in statuses):
        await turn.send(t(turn.lang, "reporting.flow.old_button"))
        return
    if field == "status":
        await _accept(turn, "status", ProjectStatus(raw).value)
    else:
        await _accept(turn, "percent", str(Decimal(raw)))


async def skip(update: Update, context: Ctx) -> None:
    """Skip an optional field (or "done" after evidence files)."""
    turn = await button_turn(update, context, FLOW)
    if turn is None:
        return
    field = turn.step
    if field not in SKIPPABLE:
        await turn.send(t(turn.lang, "reporting.flow.old_button"))
        return
    if field != "evidence":
        turn.answers[field] = None
    await _next(turn, field)


async def on_input(turn: Turn, message: Message) -> None:
    """Typed text or a file while the flow is open."""
    step = turn.step
    lang = turn.lang
    file = evidence_of(message)
    if file is not None and step == "evidence":
        await _attach(turn, file)
        return
    if message.text is None or step not in (*FIELDS, "soft"):
        hint = field_hint(lang, step) if step in FIELDS else t(lang, "reporting.flow.hint_buttons")
        await turn.send(t(lang, "reporting.flow.stray", hint=hint))
        return
    if step == "soft":
        await _soft_note(turn, message.text)
        return
    try:
        value = parse_field(step, message.text)
    except InvalidInput as problem:
        await _ask(turn, step, problem=t(lang, problem.key, **problem.params))
        return
    await _accept(turn, step, value)


async def _attach(turn: Turn, file: EvidenceFile) -> None:
    files = turn.answers.setdefault("files", [])
    if len(files) >= MAX_FILES:
        await turn.send(t(turn.lang, "reporting.flow.too_many_files", limit=MAX_FILES))
        return
    files.append(file.to_json())
    await _ask(turn, "evidence")


# ---------------------------------------------------------------- review


def _problems(turn: Turn) -> str | None:
    """Problems as stored: soft-check notes first, then the person's answer."""
    soft = turn.answers.get("soft") or {}
    notes = list(dict.fromkeys(str(note) for note in soft.values()))
    problems = turn.answers.get("problems")
    parts = [*notes, *([str(problems)] if problems else [])]
    return "\n\n".join(parts) or None


async def _review(turn: Turn, *, adopt: bool = False) -> None:
    found = await _context(turn)
    if found is None:
        await _close(turn, t(turn.lang, "reporting.report.not_expected"), [])
        return
    round_, project, _ = found
    lang = turn.lang
    lines = [t(lang, "reporting.report.review_title", name=project.name, round=round_.name(lang))]
    for field in FIELDS:
        value = turn.answers.get("files") if field == "evidence" else turn.answers.get(field)
        lines.append(
            t(
                lang,
                "reporting.report.review_line",
                label=field_label(lang, field),
                value=show_field(lang, field, value, project),
            )
        )
    soft = turn.answers.get("soft") or {}
    for note in dict.fromkeys(soft.values()):
        lines.append(t(lang, "reporting.report.review_soft", note=_short(str(note), SHOWN_LIMIT)))
    missing = [f for f in ("status", "percent", "spent", "outputs") if not turn.answers.get(f)]
    lines.append(
        t(lang, "reporting.report.review_missing")
        if missing
        else t(lang, "reporting.report.review_confirm")
    )
    rows: Rows = []
    pair: list[tuple[str, str]] = []
    for field in FIELDS:
        pair.append((f"✏️ {field_label(lang, field)}", f"report:edit:{field}"))
        if len(pair) == 2:
            rows.append(pair)
            pair = []
    if pair:
        rows.append(pair)
    if not missing:
        rows.append([(plain(lang, "common.confirm"), "report:confirm")])
    rows.append([(plain(lang, "common.cancel"), "report:cancel")])
    await turn.show("review", Html("\n".join(lines)), rows, adopt=adopt)


async def to_review(update: Update, context: Ctx) -> None:
    """Back to the review card without changing the field."""
    turn = await button_turn(update, context, FLOW)
    if turn is None:
        return
    turn.answers.pop("to_review", None)
    await _review(turn)


async def edit_field(update: Update, context: Ctx) -> None:
    """✏️ on the review card: ask that field again, then come back to the card."""
    turn = await button_turn(update, context, FLOW)
    query = update.callback_query
    if turn is None or query is None or query.data is None:
        return
    field = query.data.rsplit(":", 1)[-1]
    if field not in FIELDS or turn.step != "review":
        await turn.send(t(turn.lang, "reporting.flow.old_button"))
        return
    turn.answers["to_review"] = True
    await _ask(turn, field)


async def confirm(update: Update, context: Ctx) -> None:
    """Store the report; say "saved" after the commit; offer the next outstanding item."""
    turn = await button_turn(update, context, FLOW)
    if turn is None:
        return
    found = await _context(turn)
    if found is None:
        await _close(turn, t(turn.lang, "reporting.report.not_expected"), [])
        return
    round_, project, _ = found
    a = turn.answers
    lang = turn.lang
    if not all(a.get(f) for f in ("status", "percent", "spent", "outputs")):
        await _review(turn)
        return
    answers = ProgressAnswers(
        status=ProjectStatus(a["status"]),
        percent_complete=Decimal(a["percent"]),
        budget_spent=Decimal(a["spent"]),
        outputs=a.get("outputs"),
        problems=_problems(turn),
        suggestions=a.get("suggestions"),
    )
    files = tuple(EvidenceFile.from_json(f) for f in a.get("files", []))
    services = context.services
    now = services.clock()
    try:
        async with services.database.transaction() as repos:
            stored = await submit_progress_report(
                repos,
                person=turn.person,
                round_id=round_.id,
                project_id=project.id,
                answers=answers,
                expected_version=int(a.get("version", 0)),
                now=now,
                evidence=files,
            )
            await repos.drafts.drop(person_id=turn.person.id, flow=FLOW)
            left = await outstanding_items(repos, school_id=turn.person.school_id, round_=round_)
    except Conflict:
        await _conflict(turn, round_, project, answers)
        return
    except UserError as problem:
        await turn.end(t(lang, problem.key, **problem.params), [])
        return
    lines = [
        t(
            lang,
            "reporting.report.saved",
            name=project.name,
            status=show_field(lang, "status", stored.status.value),
            percent=show_field(lang, "percent", stored.percent_complete),
            spent=show_field(lang, "spent", stored.budget_spent, project),
            files=len(files),
            at=format_datetime(stored.submitted_at, lang, tz=services.timezone),
        )
    ]
    rows: Rows = []
    if left.projects:
        following = left.projects[0]
        rows.append(
            [
                (
                    plain(lang, "reporting.report.next", name=_short(following.name, 40)),
                    f"report:go:{round_.id}:{following.id}",
                )
            ]
        )
    if left.kpis:
        rows.append([(plain(lang, "kpi.next"), "kpi:start")])
    rows.append([(plain(lang, "menu.back"), "menu")])
    if left:
        lines.append(
            t(lang, "reporting.flow.left", kpis=len(left.kpis), projects=len(left.projects))
        )
    else:
        lines.append(t(lang, "reporting.flow.all_done", round=round_.name(lang)))
    await turn.end(Html("\n".join(lines)), rows)


async def _conflict(turn: Turn, round_: Round, project: Project, answers: ProgressAnswers) -> None:
    """Someone else at the school saved this report meanwhile: show both, store nothing."""
    lang = turn.lang
    services = turn.context.services
    async with services.database.transaction() as repos:
        current = await repos.progress.current(project_id=project.id, round_id=round_.id)
        who = None if current is None else await repos.people.get(current.submitted_by_id)
        await repos.drafts.drop(person_id=turn.person.id, flow=FLOW)
    assert current is not None
    text = t(
        lang,
        "reporting.report.conflict",
        name=project.name,
        who="" if who is None else who.full_name,
        at=format_datetime(current.submitted_at, lang, tz=services.timezone),
        stored_status=show_field(lang, "status", current.status.value),
        stored_percent=show_field(lang, "percent", current.percent_complete),
        stored_spent=show_field(lang, "spent", current.budget_spent),
        yours_status=show_field(lang, "status", answers.status.value),
        yours_percent=show_field(lang, "percent", answers.percent_complete),
        yours_spent=show_field(lang, "spent", answers.budget_spent),
    )
    rows = [
        [
            (
                plain(lang, "reporting.correct.button", name=_short(project.name, 30)),
                f"fix:pr:{current.id}",
            )
        ],
        [(plain(lang, "menu.back"), "menu")],
    ]
    turn.answers = {k: v for k, v in turn.answers.items() if k.startswith("_")}
    await turn.end(text, rows)


def describe(draft: Draft, lang: Lang) -> str:
    """What a /report draft is, for "continue where you left off?"."""
    return plain(lang, "reporting.report.draft", step=_step_label(draft.step, lang))


def _step_label(step: str, lang: Lang) -> str:
    if step in FIELDS:
        return field_label(lang, step)
    return plain(
        lang, f"reporting.report.step.{step if step in ('pick', 'review', 'soft') else 'pick'}"
    )


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    """/report, its entry button (also used by reminders: ``report:start``) and its buttons."""
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
    application.add_handler(
        CommandHandler("report", begin_command, filters=filters.ChatType.PRIVATE)
    )
    patterns = {
        r"^report:start$": begin_command,
        r"^report:go:\d+:\d+$": go,
        r"^report:round:\d+$": round_chosen,
        r"^report:pick:\d+$": picked,
        r"^report:(status:[a-z_]+|pct:\d+)$": pressed,
        r"^report:skip$": skip,
        r"^report:change$": change_value,
        r"^report:review$": to_review,
        r"^report:edit:[a-z]+$": edit_field,
        r"^report:confirm$": confirm,
    }
    for pattern, callback in patterns.items():
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern))


__all__ = [
    "FIELDS",
    "field_hint",
    "field_label",
    "field_question",
    "field_rows",
    "parse_field",
    "register_handlers",
    "report_values",
    "show_field",
]
