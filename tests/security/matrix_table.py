"""The permission matrix: what every role sees for every command and button.

Each row names a command, or a callback-data pattern exactly as the
application registers it, with a sample of callback data for the own school
and, where the data carries ids, one forged to point at another school's
entry, project, round or person. ``outcome(role, scope)`` says what the
person must see: :class:`Ok` (the flow's first screen, and which tables it
may change) or :class:`No` (a polite refusal from the catalog, nothing
changed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.security.support import Cast, SchoolIds

MISSING = 999_999  # an id nothing has


@dataclass(frozen=True)
class Ok:
    """Allowed: the person gets the flow's screen.

    ``buttons``: a callback-data prefix on a message the person gets;
    ``text``: a catalog key whose fixed wording the person reads (message or
    alert); ``document``: a file arrives; ``changes``: tables it may change.
    """

    buttons: str | None = None
    text: str | None = None
    document: bool = False
    changes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class No:
    """Refused with this catalog text; nothing changes."""

    key: str


Outcome = Ok | No
Rule = Callable[[str, str], Outcome]

STAFF = ("reporter", "head")
HEADS = ("head",)
DISTRICT = ("officer", "admin")
ADMINS = ("admin",)
REGISTERED = ("reporter", "head", "officer", "admin")


def gate(
    roles: tuple[str, ...],
    refusal: str,
    ok: Outcome,
    *,
    other: Outcome | None = None,
    other_roles: tuple[str, ...] | None = None,
    public: dict[str, Outcome] | None = None,
) -> Rule:
    """The usual rule: strangers and deactivated people are refused, then the
    role is checked, then (for ``scope == "other"``) the forged id.

    ``other`` is what an allowed role sees for the forged id; it applies to
    ``other_roles`` (default: every allowed role), the rest see ``ok``.
    ``public`` overrides the outcome for particular roles (e.g. /help for
    strangers).
    """

    def rule(role: str, scope: str) -> Outcome:
        if public and role in public:
            return public[role]
        if role == "unregistered":
            return No("access.unregistered")
        if role == "deactivated":
            return No("access.deactivated")
        if role not in roles:
            return No(refusal)
        if scope == "other" and other is not None and role in (other_roles or roles):
            return other
        return ok

    return rule


def everyone(outcome: Outcome) -> Rule:
    """The same for every role (buttons of a conversation nobody is in)."""
    return lambda role, scope: outcome


@dataclass(frozen=True)
class Command:
    """A command and what each role sees for it in a private chat."""

    name: str
    rule: Rule


@dataclass(frozen=True)
class Button:
    """A registered callback pattern, sample data for own and other school, the rule."""

    pattern: str | None
    own: Callable[[Cast, SchoolIds], str]
    rule: Rule
    other: Callable[[Cast, SchoolIds], str] | None = None


STAFF_FLOW_ENDED = gate(STAFF, "access.staff_only", Ok(text="reporting.flow.ended"))
RETURN_FLOW_ENDED = gate(DISTRICT, "access.officers_only", Ok(text="reporting.flow.ended"))
EXPIRED = everyone(No("common.button_expired"))
DEACTIVATED_HELP = {"unregistered": Ok(text="help.unregistered")}

COMMANDS: tuple[Command, ...] = (
    Command(
        "start",
        gate(
            (*REGISTERED,),
            "",
            Ok(buttons="lang:menu"),
            public={"unregistered": Ok(text="start.welcome")},
        ),
    ),
    Command(
        "help",
        lambda role, scope: Ok(
            text={
                "unregistered": "help.unregistered",
                "deactivated": "help.deactivated",
                "officer": "help.district",
                "admin": "help.district",
            }.get(role, "help.staff")
        ),
    ),
    Command("language", everyone(Ok(buttons="lang:set:"))),
    Command("cancel", everyone(Ok(text="cancel.nothing"))),
    Command("kpi", gate(STAFF, "access.staff_only", Ok(buttons="kpi:skip"))),
    Command("report", gate(STAFF, "access.staff_only", Ok(buttons="report:pick:"))),
    Command("status", gate(STAFF, "access.staff_only", Ok(buttons="kpi:start"))),
    Command("history", gate(STAFF, "access.staff_only", Ok(buttons="fix:kv:"))),
    Command("certify", gate(HEADS, "reporting.certify.heads_only", Ok(buttons="cert:do:"))),
    Command("return", gate(DISTRICT, "access.officers_only", Ok(buttons="ret:cancel"))),
    Command("summary", gate((*HEADS, *DISTRICT), "access.officers_only", Ok(buttons="sum:f:"))),
    Command("nudge", gate(DISTRICT, "access.officers_only", Ok(buttons="nudge:send:"))),
    Command("announce", gate(DISTRICT, "access.officers_only", Ok(buttons="announce:to:"))),
    Command("ladder", gate(DISTRICT, "access.officers_only", Ok(buttons="ladder:round:"))),
    Command("invite", gate(DISTRICT, "access.officers_only", Ok(buttons="inv:school:"))),
    Command("people", gate(ADMINS, "onboarding.people.admins_only", Ok(buttons="ppl:units:"))),
    Command(
        "import",
        gate(
            ADMINS, "onboarding.import.admins_only", Ok(text="onboarding.import.how", document=True)
        ),
    ),
)


def _kv(c: Cast, s: SchoolIds) -> str:
    return f"fix:kv:{s.kpi_value_id}"


BUTTONS: tuple[Button, ...] = (
    # ---- drafts: resume / start over / discard, and the flows' cancel buttons
    Button(
        r"^flow:resume:\w+$",
        lambda c, s: "flow:resume:kpi",
        gate(STAFF, "access.staff_only", Ok(text="reporting.flow.gone")),
    ),
    Button(
        r"^flow:restart:\w+$",
        lambda c, s: "flow:restart:kpi",
        gate(STAFF, "access.staff_only", Ok(buttons="kpi:skip")),
    ),
    Button(
        r"^flow:discard:\w+$",
        lambda c, s: "flow:discard:kpi",
        gate(STAFF, "access.staff_only", Ok(text="reporting.flow.discarded")),
    ),
    Button(r"^(kpi|report|fix|ret):cancel$", lambda c, s: "kpi:cancel", STAFF_FLOW_ENDED),
    # ---- /kpi
    Button(
        r"^kpi:start$",
        lambda c, s: "kpi:start",
        gate(STAFF, "access.staff_only", Ok(buttons="kpi:skip")),
    ),
    Button(
        r"^kpi:round:\d+$",
        lambda c, s: f"kpi:round:{c.round_id}",
        STAFF_FLOW_ENDED,
        other=lambda c, s: f"kpi:round:{MISSING}",
    ),
    Button(
        r"^kpi:v:\d+:\d+$",
        lambda c, s: f"kpi:v:{s.kpi_id}:1",
        STAFF_FLOW_ENDED,
        other=lambda c, s: f"kpi:v:{MISSING}:1",
    ),
    Button(r"^kpi:(back|skip|review)$", lambda c, s: "kpi:skip", STAFF_FLOW_ENDED),
    Button(r"^kpi:change$", lambda c, s: "kpi:change", STAFF_FLOW_ENDED),
    Button(
        r"^kpi:edit:\d+$",
        lambda c, s: f"kpi:edit:{s.kpi_id}",
        STAFF_FLOW_ENDED,
        other=lambda c, s: f"kpi:edit:{MISSING}",
    ),
    Button(
        r"^kpi:note:\d+$",
        lambda c, s: f"kpi:note:{s.kpi_id}",
        STAFF_FLOW_ENDED,
        other=lambda c, s: f"kpi:note:{MISSING}",
    ),
    Button(r"^kpi:nonote$", lambda c, s: "kpi:nonote", STAFF_FLOW_ENDED),
    Button(r"^kpi:confirm$", lambda c, s: "kpi:confirm", STAFF_FLOW_ENDED),
    # ---- /report
    Button(
        r"^report:start$",
        lambda c, s: "report:start",
        gate(STAFF, "access.staff_only", Ok(buttons="report:pick:")),
    ),
    Button(
        r"^report:go:\d+:\d+$",
        lambda c, s: f"report:go:{c.round_id}:{c.spare['own_unreported_project']}",
        gate(
            STAFF,
            "access.staff_only",
            Ok(buttons="report:status:"),
            other=No("reporting.report.not_expected"),
        ),
        other=lambda c, s: f"report:go:{c.round_id}:{c.spare['other_unreported_project']}",
    ),
    Button(
        r"^report:round:\d+$",
        lambda c, s: f"report:round:{c.round_id}",
        STAFF_FLOW_ENDED,
        other=lambda c, s: f"report:round:{MISSING}",
    ),
    Button(
        r"^report:pick:\d+$",
        lambda c, s: f"report:pick:{s.project_id}",
        STAFF_FLOW_ENDED,
        other=lambda c, s: f"report:pick:{c.other.project_id}",
    ),
    Button(
        r"^report:(status:[a-z_]+|pct:\d+)$",
        lambda c, s: "report:status:completed",
        STAFF_FLOW_ENDED,
    ),
    Button(r"^report:skip$", lambda c, s: "report:skip", STAFF_FLOW_ENDED),
    Button(r"^report:change$", lambda c, s: "report:change", STAFF_FLOW_ENDED),
    Button(r"^report:review$", lambda c, s: "report:review", STAFF_FLOW_ENDED),
    Button(r"^report:edit:[a-z]+$", lambda c, s: "report:edit:outputs", STAFF_FLOW_ENDED),
    Button(r"^report:confirm$", lambda c, s: "report:confirm", STAFF_FLOW_ENDED),
    # ---- corrections: the entry id is checked against the person's school
    Button(
        r"^fix:(kv|pr):\d+$",
        _kv,
        gate(
            STAFF,
            "access.staff_only",
            Ok(buttons="fix:cancel"),
            other=No("reporting.entry.not_found"),
        ),
        other=lambda c, s: f"fix:pr:{c.other.progress_id}",
    ),
    Button(r"^fix:field:[a-z]+$", lambda c, s: "fix:field:outputs", STAFF_FLOW_ENDED),
    Button(r"^fix:(v:\d+|status:[a-z_]+|pct:\d+)$", lambda c, s: "fix:v:1", STAFF_FLOW_ENDED),
    Button(r"^fix:again:(value|reason)$", lambda c, s: "fix:again:value", STAFF_FLOW_ENDED),
    Button(r"^fix:confirm$", lambda c, s: "fix:confirm", STAFF_FLOW_ENDED),
    # ---- /status, /history
    Button(
        r"^status$",
        lambda c, s: "status",
        gate(STAFF, "access.staff_only", Ok(buttons="kpi:start")),
    ),
    Button(
        r"^(history|hist:\d+)$",
        lambda c, s: f"hist:{c.round_id}",
        gate(STAFF, "access.staff_only", Ok(buttons="fix:kv:")),
        # a round that does not exist: the current round of the own school instead
        other=lambda c, s: f"hist:{MISSING}",
    ),
    # ---- /certify: heads only, always their own school
    Button(
        r"^certify$",
        lambda c, s: "certify",
        gate(HEADS, "reporting.certify.heads_only", Ok(buttons="cert:do:")),
    ),
    Button(
        r"^cert:do:\d+$",
        lambda c, s: f"cert:do:{c.round_id}",
        gate(
            HEADS,
            "reporting.certify.heads_only",
            Ok(text="reporting.certify.done", changes=frozenset({"certifications"})),
            other=No("reporting.certify.round_not_open"),
        ),
        other=lambda c, s: f"cert:do:{MISSING}",
    ),
    # ---- /return (officers)
    Button(
        r"^ret:school:\d+$",
        lambda c, s: f"ret:school:{s.school_id}",
        RETURN_FLOW_ENDED,
        other=lambda c, s: f"ret:school:{c.other.school_id}",
    ),
    Button(
        r"^ret:entry:(kv|pr):\d+$",
        lambda c, s: f"ret:entry:kv:{s.kpi_value_id}",
        RETURN_FLOW_ENDED,
        other=lambda c, s: f"ret:entry:pr:{c.other.progress_id}",
    ),
    Button(r"^ret:confirm$", lambda c, s: "ret:confirm", RETURN_FLOW_ENDED),
    # ---- /summary: officers everything, a head the own scorecard only
    Button(
        r"^summary:start$",
        lambda c, s: "summary:start",
        gate((*HEADS, *DISTRICT), "access.officers_only", Ok(buttons="sum:f:")),
    ),
    Button(
        r"^sum:rounds$",
        lambda c, s: "sum:rounds",
        gate(DISTRICT, "access.officers_only", Ok(buttons="sum:r:")),
    ),
    Button(
        r"^sum:r:\d{1,9}$",
        lambda c, s: f"sum:r:{c.round_id}",
        gate(DISTRICT, "access.officers_only", Ok(buttons="sum:v:"), other=No("reports.bot.gone")),
        other=lambda c, s: f"sum:r:{MISSING}",
    ),
    Button(
        r"^sum:v:[a-z]{1,16}:[rsy0-9]{1,24}:\d{1,4}$",
        lambda c, s: f"sum:v:scorecard:r{c.round_id}s{s.school_id}:0",
        gate(
            (*HEADS, *DISTRICT),
            "access.officers_only",
            Ok(buttons="sum:f:"),
            other=No("reports.bot.own_school_only"),
            other_roles=HEADS,
        ),
        other=lambda c, s: f"sum:v:scorecard:r{c.round_id}s{c.other.school_id}:0",
    ),
    Button(
        r"^sum:f:[a-z]{1,8}:[a-z]{1,16}:[rsy0-9]{1,24}$",
        lambda c, s: f"sum:f:xlsx:scorecard:r{c.round_id}s{s.school_id}",
        gate(
            (*HEADS, *DISTRICT),
            "access.officers_only",
            Ok(document=True),
            other=No("reports.bot.own_school_only"),
            other_roles=HEADS,
        ),
        other=lambda c, s: f"sum:f:xlsx:scorecard:r{c.round_id}s{c.other.school_id}",
    ),
    # ---- /nudge
    Button(
        r"^nudge:start$",
        lambda c, s: "nudge:start",
        gate(DISTRICT, "access.officers_only", Ok(buttons="nudge:send:")),
    ),
    Button(
        r"^nudge:round:\d+$",
        lambda c, s: f"nudge:round:{c.round_id}",
        gate(
            DISTRICT, "access.officers_only", Ok(buttons="nudge:send:"), other=No("nudge.no_round")
        ),
        other=lambda c, s: f"nudge:round:{MISSING}",
    ),
    Button(
        r"^nudge:send:\d+:\d+$",
        lambda c, s: f"nudge:send:{c.round_id}:{c.spare['nudge_token']}",
        gate(
            DISTRICT,
            "access.officers_only",
            Ok(text="nudge.sending", changes=frozenset({"reminder_log"})),
            other=No("nudge.no_round"),
        ),
        other=lambda c, s: f"nudge:send:{MISSING}:{c.spare['nudge_token']}",
    ),
    Button(
        r"^nudge:cancel$",
        lambda c, s: "nudge:cancel",
        gate(DISTRICT, "access.officers_only", Ok(text="nudge.cancelled")),
    ),
    # ---- /announce: a conversation; its inner buttons mean nothing outside it
    Button(
        r"^announce:start$",
        lambda c, s: "announce:start",
        gate(DISTRICT, "access.officers_only", Ok(buttons="announce:to:")),
    ),
    Button(
        r"^announce:to:(reporters|heads|staff|schools)$", lambda c, s: "announce:to:staff", EXPIRED
    ),
    Button(r"^announce:send$", lambda c, s: "announce:send", EXPIRED),
    Button(r"^announce:edit$", lambda c, s: "announce:edit", EXPIRED),
    Button(r"^announce:cancel$", lambda c, s: "announce:cancel", EXPIRED),
    # ---- /ladder: a conversation; a round button starts it afresh, the rest mean
    # nothing outside it
    Button(
        r"^ladder:round:\d+$",
        lambda c, s: f"ladder:round:{c.round_id}",
        gate(
            DISTRICT,
            "access.officers_only",
            Ok(buttons="ladder:type:"),
            other=No("ladder.round_gone"),
        ),
        other=lambda c, s: f"ladder:round:{MISSING}",
    ),
    Button(r"^ladder:type:\d+$", lambda c, s: f"ladder:type:{c.round_id}", EXPIRED),
    Button(r"^ladder:default:\d+$", lambda c, s: f"ladder:default:{c.round_id}", EXPIRED),
    Button(r"^ladder:save:\d+$", lambda c, s: f"ladder:save:{c.round_id}", EXPIRED),
    Button(r"^ladder:cancel$", lambda c, s: "ladder:cancel", EXPIRED),
    # ---- /invite
    Button(
        r"^inv:(start|page:\d+)$",
        lambda c, s: "inv:page:1",
        gate(DISTRICT, "access.officers_only", Ok(buttons="inv:school:")),
    ),
    Button(
        r"^inv:school:\d+$",
        lambda c, s: f"inv:school:{s.school_id}",
        gate(
            DISTRICT,
            "access.officers_only",
            Ok(buttons="inv:role:"),
            other=No("common.button_expired"),
        ),
        other=lambda c, s: f"inv:school:{MISSING}",
    ),
    Button(
        r"^inv:role:\d+:[a-z]+$",
        lambda c, s: f"inv:role:{s.school_id}:reporter",
        gate(
            DISTRICT,
            "access.officers_only",
            Ok(text="onboarding.invite.sent_below", changes=frozenset({"invites"})),
            other=No("onboarding.invite.not_allowed_role"),
        ),
        # a school cannot have an administrator: refused for every district role
        other=lambda c, s: f"inv:role:{c.other.school_id}:admin",
    ),
    Button(
        r"^inv:cancel$",
        lambda c, s: "inv:cancel",
        gate(DISTRICT, "access.officers_only", Ok(text="onboarding.invite.cancelled")),
    ),
    # ---- /people (administrators)
    Button(
        r"^ppl:start$",
        lambda c, s: "ppl:start",
        gate(ADMINS, "onboarding.people.admins_only", Ok(buttons="ppl:units:")),
    ),
    Button(
        r"^ppl:units:\d+$",
        lambda c, s: "ppl:units:0",
        gate(ADMINS, "onboarding.people.admins_only", Ok(buttons="ppl:unit:")),
    ),
    Button(
        r"^ppl:unit:\d+$",
        lambda c, s: f"ppl:unit:{s.school_id}",
        gate(
            ADMINS,
            "onboarding.people.admins_only",
            Ok(buttons="ppl:person:"),
            other=No("common.button_expired"),
        ),
        other=lambda c, s: f"ppl:unit:{MISSING}",
    ),
    Button(
        r"^ppl:person:\d+$",
        lambda c, s: f"ppl:person:{s.person_id}",
        gate(ADMINS, "onboarding.people.admins_only", Ok(buttons="ppl:")),
        other=lambda c, s: f"ppl:person:{c.other.person_id}",
    ),
    Button(
        r"^ppl:deact:\d+$",
        lambda c, s: f"ppl:deact:{c.spare['spare_person']}",
        gate(ADMINS, "onboarding.people.admins_only", Ok(buttons="ppl:deact_ok:")),
        other=lambda c, s: f"ppl:deact:{c.other.person_id}",
    ),
    Button(
        r"^ppl:deact_ok:\d+$",
        lambda c, s: f"ppl:deact_ok:{c.spare['spare_person']}",
        gate(
            ADMINS,
            "onboarding.people.admins_only",
            Ok(buttons="ppl:react:", changes=frozenset({"people"})),
            other=No("onboarding.people.not_self"),
        ),
        # an administrator cannot lock themselves out
        other=lambda c, s: f"ppl:deact_ok:{c.person_ids['admin']}",
    ),
    Button(
        r"^ppl:react:\d+$",
        lambda c, s: f"ppl:react:{c.spare['spare_person']}",
        gate(
            ADMINS,
            "onboarding.people.admins_only",
            Ok(buttons="ppl:deact:", changes=frozenset({"people"})),
            other=No("onboarding.people.not_found"),
        ),
        other=lambda c, s: f"ppl:react:{MISSING}",
    ),
    Button(
        r"^ppl:role:\d+:[a-z]+$",
        lambda c, s: f"ppl:role:{c.spare['spare_person']}:head",
        gate(
            ADMINS,
            "onboarding.people.admins_only",
            Ok(buttons="ppl:", changes=frozenset({"people"})),
            other=No("onboarding.people.role_mismatch"),
        ),
        # a school's person cannot be made an administrator
        other=lambda c, s: f"ppl:role:{c.other.person_id}:admin",
    ),
    Button(
        r"^ppl:notjoined$",
        lambda c, s: "ppl:notjoined",
        gate(ADMINS, "onboarding.people.admins_only", Ok(buttons="ppl:")),
    ),
    # ---- /import (administrators)
    Button(
        r"^planimport:start$",
        lambda c, s: "planimport:start",
        gate(
            ADMINS, "onboarding.import.admins_only", Ok(text="onboarding.import.how", document=True)
        ),
    ),
    Button(
        r"^planimport:confirm$",
        lambda c, s: "planimport:confirm",
        gate(ADMINS, "onboarding.import.admins_only", Ok(text="onboarding.import.expired")),
    ),
    Button(
        r"^planimport:cancel$",
        lambda c, s: "planimport:cancel",
        gate(ADMINS, "onboarding.import.admins_only", Ok(text="onboarding.import.cancelled")),
    ),
    # ---- everyone: help, language, menu; anything unknown
    Button(
        r"^help$",
        lambda c, s: "help",
        lambda role, scope: Ok(
            text={
                "unregistered": "help.unregistered",
                "deactivated": "help.deactivated",
                "officer": "help.district",
                "admin": "help.district",
            }.get(role, "help.staff")
        ),
    ),
    Button(r"^lang:menu$", lambda c, s: "lang:menu", everyone(Ok(buttons="lang:set:"))),
    Button(
        r"^lang:set:(th|en)$",
        lambda c, s: "lang:set:{lang}",  # the person's own language, filled in per role
        lambda role, scope: Ok(
            text="language.set",
            changes=frozenset({"people"}) if role in REGISTERED else frozenset(),
        ),
    ),
    Button(r"^menu$", lambda c, s: "menu", gate(REGISTERED, "", Ok(buttons="lang:menu"))),
    Button(None, lambda c, s: "nothing:we:know", EXPIRED),
)
