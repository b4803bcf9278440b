"""/kpi: a round's indicator values as one batch.

The school's outstanding KPIs come one at a time on one message: name, unit,
target and last round's value; numbers and percents are typed, yes/no and
levels are buttons; back and skip move through the batch; a photo or
document sent at a question is attached to that KPI as evidence. Unusual
values (far from last round's, over twice the target) are confirmed with a
note. A review card lists the batch with an edit and a note button per KPI,
and one confirm stores it all in one transaction; "saved" is said only after
the commit.

A button press edits the flow's message in place; a typed answer gets the
next question as a new message below it. Ten KPIs thus take about eleven
messages from the bot.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from telegram import Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from domain.calendar import format_datetime
from domain.errors import InvalidInput, UserError
from domain.i18n import Html, Lang, plain, t
from domain.numbers import format_number
from domain.values import (
    LEVEL_MAX,
    LEVEL_MIN,
    ValueType,
    achievement,
    clean_text,
    format_kpi_value,
    kpi_soft_checks,
    parse_kpi_value,
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
    offer_resume,
    register_flow,
    start_turn,
)
from storage.models import Kpi, Round
from storage.repositories.drafts import Draft
from storage.repositories.review import EvidenceFile
from storage.services import (
    KpiAnswer,
    KpiToReport,
    kpis_to_report,
    outstanding_items,
    submit_kpi_batch,
)

FLOW = "kpi"
NAME_LIMIT = 48  # characters of a KPI name on a button
NOTE_SHOWN = 200  # characters of a note on the review card (ten of them fit one message)


class Step:
    """Steps of the /kpi flow, as stored in the draft."""

    ROUND = "round"
    VALUE = "value"
    SOFT = "soft"
    NOTE = "note"
    REVIEW = "review"


def _short(text: str, limit: int = NAME_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- loading
#
# The questions are asked from the form as it stood when the batch began:
# each KPI's name, unit, type, target and last round's value are kept in the
# draft (``form``) next to the version the person started from (``items``),
# so typing a value reads nothing but the draft. The form is read afresh from
# the plan for the review card and when the batch is resumed, and the confirm
# checks every value against the live plan (round open, KPI still expected,
# no one else's version in between) exactly as a single value is checked.

FORM_KEY = "form"


async def _items(turn: Turn, *, live: bool = False) -> list[KpiToReport]:
    """The batch's KPIs, as the person started them, still owed by the school.

    From the draft's form unless ``live`` (or the draft has no readable
    form): then from the plan, and the draft's form is brought up to date.
    """
    form = turn.answers.get(FORM_KEY)
    if not live and isinstance(form, dict):
        items = _from_form(turn, form)
        if items is not None:
            return items
    return (await _load(turn))[1]


async def _round(turn: Turn) -> Round | None:
    """The batch's round as the plan holds it now (read with the items)."""
    return (await _load(turn))[0]


def _round_name(turn: Turn) -> str:
    """The round's name for a question's header, from the draft's form."""
    form = turn.answers.get(FORM_KEY)
    names = form.get("round") if isinstance(form, dict) else None
    if not isinstance(names, list) or len(names) != 2:
        return ""
    name_th, name_en = names
    return str(name_en) if turn.lang == "en" and name_en else str(name_th)


async def _load(turn: Turn) -> tuple[Round | None, list[KpiToReport]]:
    """Round and items from the plan, once per update; the draft's form follows them."""
    round_id = turn.answers.get("round")
    if not isinstance(round_id, int):
        return None, []
    memo_key = _memo_key(round_id)
    known = turn.context.per_update.get(memo_key)
    if isinstance(known, _Loaded):
        return known.round, known.items
    order = [(int(kpi_id), int(version)) for kpi_id, version in turn.answers.get("items", [])]
    items: list[KpiToReport] = []
    async with turn.context.services.database.read() as repos:
        round_ = await repos.plan.round(round_id)
        if round_ is not None:
            expected = {
                kpi.id: (kpi, target)
                for kpi, target in await repos.plan.expected_kpis(
                    school_id=turn.person.school_id, round_=round_
                )
            }
            earlier = await repos.kpi_values.latest_before_each(
                school_id=turn.person.school_id, round_=round_
            )
    if round_ is not None:
        for kpi_id, version in order:
            if kpi_id not in expected:
                continue
            kpi, target = expected[kpi_id]
            previous = earlier.get(kpi_id)
            items.append(
                KpiToReport(kpi, target, None if previous is None else previous.value, version)
            )
        _keep_form(turn, round_, items)
    turn.context.per_update[memo_key] = _Loaded(round_, items)
    return round_, items


def _memo_key(round_id: int) -> str:
    return f"kpi.live:{round_id}"


@dataclass(frozen=True, slots=True)
class _Loaded:
    round: Round | None
    items: list[KpiToReport]


def _keep_form(turn: Turn, round_: Round, items: list[KpiToReport]) -> None:
    """Keep in the draft what the questions show (saved with the next step)."""
    form_id = uuid.uuid4().hex
    _remember_form(form_id, {item.kpi.id: (item.kpi, item.target, item.previous) for item in items})
    turn.answers[FORM_KEY] = {
        "id": form_id,
        "round": [round_.name_th, round_.name_en],
        "kpis": {
            str(item.kpi.id): {
                "kpi": {name: getattr(item.kpi, name) for name in _KPI_FIELDS},
                "target": str(item.target),
                "previous": None if item.previous is None else str(item.previous),
            }
            for item in items
        },
    }


_KPI_FIELDS = tuple(f.name for f in fields(Kpi))


def _from_form(turn: Turn, form: dict[str, Any]) -> list[KpiToReport] | None:
    """The items from the draft's form; None when it cannot be read (then the plan is)."""
    questions = _form_questions(form)
    if questions is None:
        return None
    items = []
    try:
        for kpi_id, version in turn.answers.get("items", []):
            question = questions.get(int(kpi_id))
            if question is None:
                continue  # no longer expected when the form was last read
            kpi, target, previous = question
            items.append(KpiToReport(kpi, target, previous, int(version)))
    except (TypeError, ValueError):
        return None
    return items


_Question = tuple[Kpi, Decimal, Decimal | None]

_FORMS_KEPT = 1024
_forms: OrderedDict[str, dict[int, _Question]] = OrderedDict()
"""Forms already read, by their id: a form is never changed, only replaced by one
with a new id, so each person's batch is decoded once per process, not at
every typed value."""


def _form_questions(form: dict[str, Any]) -> dict[int, _Question] | None:
    """Each KPI of a draft's form as shown at its question (None when unreadable)."""
    form_id = form.get("id")
    if isinstance(form_id, str) and form_id in _forms:
        _forms.move_to_end(form_id)
        return _forms[form_id]
    kept = form.get("kpis")
    if not isinstance(kept, dict):
        return None
    try:
        questions = {
            int(kpi_id): (
                Kpi.from_row(entry["kpi"]),
                Decimal(entry["target"]),
                None if entry["previous"] is None else Decimal(entry["previous"]),
            )
            for kpi_id, entry in kept.items()
        }
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return None
    if isinstance(form_id, str):
        _remember_form(form_id, questions)
    return questions


def _remember_form(form_id: str, questions: dict[int, _Question]) -> None:
    _forms[form_id] = questions
    if len(_forms) > _FORMS_KEPT:
        _forms.popitem(last=False)


def _values(turn: Turn) -> dict[str, str]:
    values = turn.answers.setdefault("values", {})
    assert isinstance(values, dict)
    return values


def _notes(turn: Turn) -> dict[str, str]:
    notes = turn.answers.setdefault("notes", {})
    assert isinstance(notes, dict)
    return notes


def _files(turn: Turn) -> dict[str, list[dict[str, Any]]]:
    files = turn.answers.setdefault("files", {})
    assert isinstance(files, dict)
    return files


def _index(turn: Turn, items: list[KpiToReport]) -> int:
    index = turn.answers.get("i", 0)
    return max(0, min(int(index) if isinstance(index, int) else 0, len(items) - 1))


# ---------------------------------------------------------------- entry


async def begin_command(update: Update, context: Ctx) -> None:
    """/kpi or a "report indicators" button: continue a draft, or start the batch."""
    turn = await start_turn(update, context, FLOW)
    if turn is None:
        return
    if await offer_resume(turn):
        return
    await begin(turn)


async def begin(turn: Turn) -> None:
    """Start afresh: choose the round when several are open, then the first KPI."""
    now = turn.now
    async with turn.context.services.database.read() as repos:
        rounds = await repos.plan.open_rounds(now)
        current = await repos.plan.current_round(now)
    if current is None:
        await _close(turn, t(turn.lang, "kpi.no_round"), [])
        return
    if len(rounds) > 1:
        turn.restart_answers({"rounds": [r.id for r in rounds]})
        rows = [[(r.name(turn.lang), f"kpi:round:{r.id}")] for r in rounds]
        rows.append([(plain(turn.lang, "common.cancel"), "kpi:cancel")])
        await turn.show(Step.ROUND, t(turn.lang, "reporting.kpi.choose_round"), rows, adopt=True)
        return
    await _start_round(turn, current)


async def _close(turn: Turn, text: Html, rows: Rows) -> None:
    """Say something that ends the flow before it began (no draft is kept)."""
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
    offered = turn.answers.get("rounds", [])
    async with context.services.database.read() as repos:
        open_ids = {r.id for r in await repos.plan.open_rounds(turn.now)}
        round_ = await repos.plan.round(round_id)
    if round_ is None or round_id not in offered or round_id not in open_ids:
        await turn.send(t(turn.lang, "reporting.flow.not_yours"))
        return
    await _start_round(turn, round_)


async def _start_round(turn: Turn, round_: Round) -> None:
    async with turn.context.services.database.read() as repos:
        items = await kpis_to_report(repos, school_id=turn.person.school_id, round_=round_)
        outstanding = await outstanding_items(repos, school_id=turn.person.school_id, round_=round_)
    if not items:
        rows: Rows = []
        if outstanding.projects:
            rows.append([(plain(turn.lang, "reporting.report.start"), "report:start")])
        rows.append([(plain(turn.lang, "menu.back"), "menu")])
        await _close(turn, t(turn.lang, "kpi.all_done", round=round_.name(turn.lang)), rows)
        return
    turn.restart_answers(
        {
            "round": round_.id,
            "items": [[item.kpi.id, item.version] for item in items],
            "i": 0,
            "values": {},
            "notes": {},
            "files": {},
        }
    )
    _keep_form(turn, round_, items)
    # a batch begun afresh: what this update read of the one before no longer applies
    turn.context.per_update.pop(_memo_key(round_.id), None)
    await _ask(turn, items, 0, adopt=True)


# ---------------------------------------------------------------- the question


def _value_buttons(item: KpiToReport, lang: Lang) -> Rows:
    kpi_id = item.kpi.id
    if item.kpi.value_type is ValueType.YES_NO:
        return [
            [
                (plain(lang, "value.yes"), f"kpi:v:{kpi_id}:1"),
                (plain(lang, "value.no"), f"kpi:v:{kpi_id}:0"),
            ]
        ]
    if item.kpi.value_type is ValueType.LEVEL:
        return [[(str(n), f"kpi:v:{kpi_id}:{n}") for n in range(LEVEL_MIN, LEVEL_MAX + 1)]]
    return []


def _shown(item: KpiToReport, value: Decimal, lang: Lang) -> str:
    return format_kpi_value(item.kpi.value_type, value, lang)


async def _question(turn: Turn, items: list[KpiToReport], index: int) -> Html:
    item = items[index]
    lang = turn.lang
    parts = [
        t(
            lang,
            "reporting.kpi.header",
            round=_round_name(turn),
            n=index + 1,
            total=len(items),
        ),
        t(
            lang,
            "kpi.ask",
            name=item.kpi.name(lang),
            unit=item.kpi.unit(lang),
            target=_shown(item, item.target, lang),
            type=plain(lang, item.kpi.value_type.label_key),
        ),
        t(lang, "reporting.kpi.previous", value=_shown(item, item.previous, lang))
        if item.previous is not None
        else t(lang, "reporting.kpi.no_previous"),
    ]
    answered = _values(turn).get(str(item.kpi.id))
    if answered is not None:
        parts.append(t(lang, "reporting.kpi.answered", value=_shown(item, Decimal(answered), lang)))
    files = _files(turn).get(str(item.kpi.id), [])
    if files:
        parts.append(t(lang, "reporting.kpi.files", count=len(files)))
    parts.append(Html(t(lang, f"kpi.hint.{item.kpi.value_type.value}")))
    parts.append(t(lang, "reporting.kpi.evidence_hint"))
    return Html("\n".join(parts))


def _question_rows(turn: Turn, items: list[KpiToReport], index: int) -> Rows:
    lang = turn.lang
    rows = _value_buttons(items[index], lang)
    moves = []
    if index > 0:
        moves.append((plain(lang, "reporting.flow.back"), "kpi:back"))
    moves.append((plain(lang, "reporting.flow.skip"), "kpi:skip"))
    rows.append(moves)
    answered = len(_values(turn))
    if answered:
        rows.append([(plain(lang, "reporting.kpi.to_review", count=answered), "kpi:review")])
    rows.append([(plain(lang, "common.cancel"), "kpi:cancel")])
    return rows


async def _ask(turn: Turn, items: list[KpiToReport], index: int, *, adopt: bool = False) -> None:
    turn.answers["i"] = index
    turn.answers.pop("pending", None)
    await turn.show(
        Step.VALUE,
        await _question(turn, items, index),
        _question_rows(turn, items, index),
        adopt=adopt,
    )


async def render(turn: Turn) -> None:
    """Show the draft's current step again (resuming): the form is read afresh."""
    items = await _items(turn, live=True)
    if turn.step == Step.ROUND or not items:
        await begin(turn)
        return
    if turn.step == Step.REVIEW:
        await _review(turn, adopt=True)
    elif turn.step == Step.NOTE:
        await _ask_note(turn, items, adopt=True)
    elif turn.step == Step.SOFT and isinstance(turn.answers.get("pending"), dict):
        await _ask_soft(turn, items, adopt=True)
    else:
        await _ask(turn, items, _index(turn, items), adopt=True)


# ---------------------------------------------------------------- answers


async def value_pressed(update: Update, context: Ctx) -> None:
    """A yes/no or level button of the current KPI."""
    turn = await button_turn(update, context, FLOW)
    query = update.callback_query
    if turn is None or query is None or query.data is None:
        return
    _, _, kpi_id, raw = query.data.split(":")
    items = await _items(turn)
    if turn.step != Step.VALUE or not items:
        await turn.send(t(turn.lang, "reporting.flow.old_button"))
        return
    index = _index(turn, items)
    if items[index].kpi.id != int(kpi_id):
        await turn.send(t(turn.lang, "reporting.flow.not_yours"))
        return
    await _accept_text(turn, items, index, raw)


async def _accept_text(turn: Turn, items: list[KpiToReport], index: int, text: str) -> None:
    item = items[index]
    try:
        value = parse_kpi_value(item.kpi.value_type, text)
    except InvalidInput as problem:
        await _retry(turn, items, index, problem)
        return
    checks = kpi_soft_checks(
        value,
        previous=item.previous,
        target=item.target,
        value_type=item.kpi.value_type,
        direction=item.kpi.direction,
    )
    if checks:
        turn.answers["pending"] = {
            "kpi": item.kpi.id,
            "value": str(value),
            "checks": [check.value for check in checks],
        }
        await _ask_soft(turn, items)
        return
    await _record(turn, items, index, value, note=None)


async def _retry(turn: Turn, items: list[KpiToReport], index: int, problem: InvalidInput) -> None:
    """A hard error: say what is wrong and ask the same question again."""
    text = Html(
        t(turn.lang, problem.key, **problem.params) + "\n\n" + await _question(turn, items, index)
    )
    await turn.show(Step.VALUE, text, _question_rows(turn, items, index))


async def _record(
    turn: Turn, items: list[KpiToReport], index: int, value: Decimal, *, note: str | None
) -> None:
    """Keep an accepted value (and a soft-check note), then move on."""
    key = str(items[index].kpi.id)
    _values(turn)[key] = str(value)
    if note is not None:
        _notes(turn)[key] = note
    turn.answers.pop("pending", None)
    if turn.answers.pop("to_review", False) or index + 1 >= len(items):
        await _review(turn)
        return
    await _ask(turn, items, index + 1)


async def _ask_soft(turn: Turn, items: list[KpiToReport], *, adopt: bool = False) -> None:
    pending = turn.answers["pending"]
    item = next(i for i in items if i.kpi.id == pending["kpi"])
    value = Decimal(pending["value"])
    lang = turn.lang
    reached = achievement(
        value, item.target, value_type=item.kpi.value_type, direction=item.kpi.direction
    )
    params = {
        "value": _shown(item, value, lang),
        "previous": "" if item.previous is None else _shown(item, item.previous, lang),
        "target": _shown(item, item.target, lang),
        "percent": ""
        if reached.percent_of_target is None
        else format_number(reached.percent_of_target),
    }
    lines = [t(lang, "reporting.kpi.soft_title", name=item.kpi.name(lang))]
    lines += [t(lang, f"soft.{check}", **params) for check in pending["checks"]]
    lines.append(t(lang, "reporting.flow.soft_note"))
    rows = [
        [(plain(lang, "reporting.flow.change_value"), "kpi:change")],
        [(plain(lang, "common.cancel"), "kpi:cancel")],
    ]
    await turn.show(Step.SOFT, Html("\n\n".join(lines)), rows, adopt=adopt)


async def change_value(update: Update, context: Ctx) -> None:
    """From a soft check: ask the value again."""
    turn = await button_turn(update, context, FLOW)
    if turn is None:
        return
    items = await _items(turn)
    if not items:
        await begin(turn)
        return
    await _ask(turn, items, _index(turn, items))


async def move(update: Update, context: Ctx) -> None:
    """Back, skip, or straight to the review card."""
    turn = await button_turn(update, context, FLOW)
    query = update.callback_query
    if turn is None or query is None or query.data is None:
        return
    action = query.data.split(":", 1)[1]
    items = await _items(turn)
    if not items:
        await begin(turn)
        return
    index = _index(turn, items)
    if action == "review" or (action == "skip" and turn.answers.pop("to_review", False)):
        await _review(turn)
    elif action == "back":
        await _ask(turn, items, max(0, index - 1))
    elif index + 1 < len(items):
        await _ask(turn, items, index + 1)
    else:
        await _review(turn)


async def on_input(turn: Turn, message: Message) -> None:
    """Typed text or a file while the flow is open."""
    items = await _items(turn)
    if not items:
        await begin(turn)
        return
    index = _index(turn, items)
    file = evidence_of(message)
    if file is not None and turn.step in (Step.VALUE, Step.SOFT):
        await _attach(turn, items, index, file)
        return
    text = message.text
    if text is None:
        await turn.send(t(turn.lang, "reporting.flow.stray", hint=_hint(turn, items, index)))
        return
    if turn.step == Step.VALUE:
        await _accept_text(turn, items, index, text)
    elif turn.step == Step.SOFT:
        await _soft_note(turn, items, text)
    elif turn.step == Step.NOTE:
        await _note_typed(turn, text)
    else:
        await turn.send(t(turn.lang, "reporting.flow.stray", hint=_hint(turn, items, index)))


def _hint(turn: Turn, items: list[KpiToReport], index: int) -> Html:
    if turn.step == Step.VALUE:
        return t(turn.lang, f"kpi.hint.{items[index].kpi.value_type.value}")
    if turn.step in (Step.SOFT, Step.NOTE):
        return t(turn.lang, "reporting.flow.hint_note")
    return t(turn.lang, "reporting.flow.hint_buttons")


async def _attach(turn: Turn, items: list[KpiToReport], index: int, file: EvidenceFile) -> None:
    files = _files(turn).setdefault(str(items[index].kpi.id), [])
    if len(files) >= MAX_FILES:
        await turn.send(t(turn.lang, "reporting.flow.too_many_files", limit=MAX_FILES))
        return
    files.append(file.to_json())
    if turn.step == Step.SOFT:
        await _ask_soft(turn, items)
    else:
        await turn.show(
            Step.VALUE,
            await _question(turn, items, index),
            _question_rows(turn, items, index),
        )


async def _soft_note(turn: Turn, items: list[KpiToReport], text: str) -> None:
    pending = turn.answers.get("pending")
    if not isinstance(pending, dict):
        await _ask(turn, items, _index(turn, items))
        return
    try:
        note = clean_text(text)
    except InvalidInput as problem:
        await turn.send(t(turn.lang, problem.key, **problem.params))
        return
    index = next(n for n, item in enumerate(items) if item.kpi.id == pending["kpi"])
    await _record(turn, items, index, Decimal(pending["value"]), note=note)


# ---------------------------------------------------------------- review


def _answered(turn: Turn, items: list[KpiToReport]) -> int:
    """Answered KPIs of the batch (a value for a KPI no longer expected is not counted)."""
    values = _values(turn)
    return sum(str(item.kpi.id) in values for item in items)


def _review_text(turn: Turn, items: list[KpiToReport], round_: Round | None) -> Html:
    lang = turn.lang
    values, notes, files = _values(turn), _notes(turn), _files(turn)
    answered = _answered(turn, items)
    lines = [
        t(
            lang,
            "reporting.kpi.review_title",
            round="" if round_ is None else round_.name(lang),
            count=answered,
            total=len(items),
        )
    ]
    for number, item in enumerate(items, start=1):
        key = str(item.kpi.id)
        if key in values:
            line = t(
                lang,
                "reporting.kpi.review_line",
                n=number,
                name=_short(item.kpi.name(lang), 90),
                value=_shown(item, Decimal(values[key]), lang),
                target=_shown(item, item.target, lang),
            )
        else:
            line = t(
                lang, "reporting.kpi.review_skipped", n=number, name=_short(item.kpi.name(lang), 90)
            )
        if key in notes:
            note = _short(notes[key], NOTE_SHOWN)
            line = Html(line + "\n" + t(lang, "reporting.kpi.review_note", note=note))
        if files.get(key):
            line = Html(line + "\n" + t(lang, "reporting.kpi.files", count=len(files[key])))
        lines.append(line)
    lines.append(
        t(lang, "reporting.kpi.review_confirm")
        if answered
        else t(lang, "reporting.kpi.review_nothing")
    )
    return Html("\n\n".join(lines))


async def _review(turn: Turn, *, adopt: bool = False) -> None:
    """The review card, from the plan as it is now (what the confirm checks against)."""
    items = await _items(turn, live=True)
    lang = turn.lang
    values = _values(turn)
    rows: Rows = []
    for number, item in enumerate(items, start=1):
        label = _short(item.kpi.name(lang), 28)
        row = [(f"✏️ {number}. {label}", f"kpi:edit:{item.kpi.id}")]
        if str(item.kpi.id) in values:
            row.append(
                (plain(lang, "reporting.kpi.note_button", n=number), f"kpi:note:{item.kpi.id}")
            )
        rows.append(row)
    answered = _answered(turn, items)
    if answered:
        rows.append([(plain(lang, "reporting.kpi.confirm", count=answered), "kpi:confirm")])
    rows.append([(plain(lang, "common.cancel"), "kpi:cancel")])
    turn.answers.pop("to_review", None)
    await turn.show(Step.REVIEW, _review_text(turn, items, await _round(turn)), rows, adopt=adopt)


def _item_index(items: list[KpiToReport], data: str | None) -> int | None:
    if data is None:
        return None
    tail = data.rsplit(":", 1)[-1]
    if not tail.isdigit():
        return None
    return next((n for n, item in enumerate(items) if item.kpi.id == int(tail)), None)


async def edit_item(update: Update, context: Ctx) -> None:
    """✏️ on the review card: ask that KPI again, then come back to the card."""
    turn = await button_turn(update, context, FLOW)
    if turn is None or update.callback_query is None:
        return
    items = await _items(turn)
    index = _item_index(items, update.callback_query.data)
    if index is None:
        await turn.send(t(turn.lang, "reporting.flow.not_yours"))
        return
    turn.answers["to_review"] = True
    await _ask(turn, items, index)


async def note_item(update: Update, context: Ctx) -> None:
    """📝 on the review card: ask for a note to that KPI's value."""
    turn = await button_turn(update, context, FLOW)
    if turn is None or update.callback_query is None:
        return
    items = await _items(turn)
    index = _item_index(items, update.callback_query.data)
    if index is None or str(items[index].kpi.id) not in _values(turn):
        await turn.send(t(turn.lang, "reporting.flow.not_yours"))
        return
    turn.answers["note_for"] = items[index].kpi.id
    await _ask_note(turn, items)


async def _ask_note(turn: Turn, items: list[KpiToReport], *, adopt: bool = False) -> None:
    kpi_id = turn.answers.get("note_for")
    item = next((i for i in items if i.kpi.id == kpi_id), None)
    if item is None:
        await _review(turn, adopt=adopt)
        return
    lang = turn.lang
    current = _notes(turn).get(str(item.kpi.id))
    text = t(lang, "reporting.kpi.ask_note", name=item.kpi.name(lang))
    if current:
        text = Html(text + "\n" + t(lang, "reporting.kpi.review_note", note=current))
    rows = []
    if current:
        rows.append([(plain(lang, "reporting.kpi.remove_note"), "kpi:nonote")])
    rows.append([(plain(lang, "reporting.kpi.back_to_review"), "kpi:review")])
    await turn.show(Step.NOTE, text, rows, adopt=adopt)


async def _note_typed(turn: Turn, text: str) -> None:
    try:
        note = clean_text(text)
    except InvalidInput as problem:
        await turn.send(t(turn.lang, problem.key, **problem.params))
        return
    kpi_id = turn.answers.pop("note_for", None)
    if kpi_id is not None:
        _notes(turn)[str(kpi_id)] = note
    await _review(turn)


async def remove_note(update: Update, context: Ctx) -> None:
    """Remove the note of the KPI being annotated."""
    turn = await button_turn(update, context, FLOW)
    if turn is None:
        return
    kpi_id = turn.answers.pop("note_for", None)
    _notes(turn).pop(str(kpi_id), None)
    await _review(turn)


# ---------------------------------------------------------------- confirm


async def confirm(update: Update, context: Ctx) -> None:
    """Store the batch in one transaction; say "saved" after the commit; offer what is next."""
    turn = await button_turn(update, context, FLOW)
    if turn is None:
        return
    items = await _items(turn, live=True)
    values, notes, files = _values(turn), _notes(turn), _files(turn)
    answers = [
        KpiAnswer(
            kpi_id=item.kpi.id,
            value=Decimal(values[str(item.kpi.id)]),
            expected_version=item.version,
            note=notes.get(str(item.kpi.id)),
            evidence=tuple(EvidenceFile.from_json(f) for f in files.get(str(item.kpi.id), [])),
        )
        for item in items
        if str(item.kpi.id) in values
    ]
    round_ = await _round(turn)
    if not answers or round_ is None:
        await _review(turn)
        return
    services = context.services
    now = services.clock()
    try:
        async with services.database.transaction() as repos:
            outcome = await submit_kpi_batch(
                repos, person=turn.person, round_id=round_.id, answers=answers, now=now
            )
            await repos.drafts.drop(person_id=turn.person.id, flow=FLOW)
            left = await outstanding_items(repos, school_id=turn.person.school_id, round_=round_)
            people = {
                current.submitted_by_id: await repos.people.get(current.submitted_by_id)
                for _, current in outcome.conflicts
            }
    except UserError as problem:
        await turn.end(t(turn.lang, problem.key, **problem.params), [])
        return
    lang = turn.lang
    by_id = {item.kpi.id: item for item in items}
    lines = [
        t(
            lang,
            "reporting.kpi.saved",
            count=len(outcome.saved),
            at=format_datetime(now, lang, tz=services.timezone),
        )
    ]
    for stored in outcome.saved:
        item = by_id[stored.kpi_id]
        lines.append(
            t(
                lang,
                "reporting.kpi.saved_line",
                name=_short(item.kpi.name(lang), 90),
                value=_shown(item, stored.value, lang),
            )
        )
    rows: Rows = []
    for answer, current in outcome.conflicts:
        item = by_id[answer.kpi_id]
        who = people.get(current.submitted_by_id)
        lines.append(
            t(
                lang,
                "reporting.kpi.conflict",
                name=item.kpi.name(lang),
                yours=_shown(item, answer.value, lang),
                stored=_shown(item, current.value, lang),
                who="" if who is None else who.full_name,
                at=format_datetime(current.submitted_at, lang, tz=services.timezone),
            )
        )
        rows.append(
            [
                (
                    plain(lang, "reporting.correct.button", name=_short(item.kpi.name(lang), 30)),
                    f"fix:kv:{current.id}",
                )
            ]
        )
    rows += next_rows(lang, kpis=len(left.kpis), projects=len(left.projects))
    if left:
        lines.append(
            t(lang, "reporting.flow.left", kpis=len(left.kpis), projects=len(left.projects))
        )
    else:
        lines.append(t(lang, "reporting.flow.all_done", round=round_.name(lang)))
    await turn.end(Html("\n".join(lines)), rows)


def next_rows(lang: Lang, *, kpis: int, projects: int) -> Rows:
    """Buttons offering what the school still owes, then the menu."""
    rows: Rows = []
    if projects:
        rows.append([(plain(lang, "reporting.report.start"), "report:start")])
    if kpis:
        rows.append([(plain(lang, "kpi.next"), "kpi:start")])
    rows.append([(plain(lang, "menu.back"), "menu")])
    return rows


def describe(draft: Draft, lang: Lang) -> str:
    """What a /kpi draft is, for "continue where you left off?"."""
    values = draft.answers.get("values", {})
    items = draft.answers.get("items", [])
    return plain(
        lang,
        "reporting.kpi.draft",
        count=len(values) if isinstance(values, dict) else 0,
        total=len(items) if isinstance(items, list) else 0,
    )


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    """/kpi, its entry button (also used by reminders: ``kpi:start``) and its buttons."""
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
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("kpi", begin_command, filters=private))
    patterns = {
        r"^kpi:start$": begin_command,
        r"^kpi:round:\d+$": round_chosen,
        r"^kpi:v:\d+:\d+$": value_pressed,
        r"^kpi:(back|skip|review)$": move,
        r"^kpi:change$": change_value,
        r"^kpi:edit:\d+$": edit_item,
        r"^kpi:note:\d+$": note_item,
        r"^kpi:nonote$": remove_note,
        r"^kpi:confirm$": confirm,
    }
    for pattern, callback in patterns.items():
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern))


__all__ = ["next_rows", "register_handlers"]
