"""The declared database schema: one table per thing the office keeps.

Migrations under ``storage/migrations`` must produce exactly this schema; a
test compares them. Conventions: surrogate integer ids, human codes unique
for upsert on import, times as aware UTC (:class:`UtcDateTime`), money and
values as :class:`ExactDecimal`, free text as TEXT.

Entries (progress reports and KPI values) are versioned: a correction adds a
row with the next version number and a reason; nothing is overwritten.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from storage.types import ExactDecimal, JsonText, UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Money = ExactDecimal(14, 2)
Value = ExactDecimal(18, 4)


def _timestamps() -> list[Column[object]]:
    return [
        Column("created_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    ]


# A school, or the district office itself (kind "office"): people and projects
# belong to one of these.
schools = Table(
    "schools",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("kind", String(16), nullable=False, server_default="school"),
    Column("name_th", String(200), nullable=False),
    Column("name_en", String(200)),
    Column("province", String(100)),
    Column("district", String(100)),
    Column("subdistrict", String(100)),
    Column("obec_code", String(16)),
    Column("active", Boolean, nullable=False, server_default="1"),
    *_timestamps(),
    CheckConstraint("kind IN ('school', 'office')", name="kind"),
)

people = Table(
    "people",
    metadata,
    Column("id", Integer, primary_key=True),
    # optional key from the plan's people sheet, for upsert on re-import
    Column("code", String(64), unique=True),
    Column("telegram_user_id", BigInteger, unique=True),
    Column("full_name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("school_id", ForeignKey("schools.id"), nullable=False, index=True),
    Column("language", String(8)),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("joined_at", UtcDateTime),
    Column("unreachable_at", UtcDateTime),
    *_timestamps(),
    CheckConstraint("role IN ('reporter', 'head', 'officer', 'admin')", name="role"),
)

# Only a hash of each invite code is kept, so a copy of the database does not
# hand out working codes; lookup by hash also makes the comparison
# independent of how much of a guess was right.
invites = Table(
    "invites",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("school_id", ForeignKey("schools.id"), nullable=False, index=True),
    Column("role", String(16), nullable=False),
    # a personal invite binds the person listed in the plan instead of adding one
    Column("person_id", ForeignKey("people.id"), index=True),
    Column("max_uses", Integer, nullable=False, server_default="1"),
    Column("use_count", Integer, nullable=False, server_default="0"),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("created_by_id", ForeignKey("people.id")),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("role IN ('reporter', 'head', 'officer', 'admin')", name="role"),
    CheckConstraint("use_count <= max_uses", name="uses"),
)

invite_redemptions = Table(
    "invite_redemptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("invite_id", ForeignKey("invites.id"), nullable=False, index=True),
    Column("person_id", ForeignKey("people.id"), nullable=False, index=True),
    Column("redeemed_at", UtcDateTime, nullable=False),
)

# Failed code attempts per Telegram account, kept across restarts so that
# guessing cannot be sped up by waiting for a redeploy.
invite_attempts = Table(
    "invite_attempts",
    metadata,
    Column("telegram_user_id", BigInteger, primary_key=True),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("window_started_at", UtcDateTime, nullable=False),
    Column("locked_until", UtcDateTime),
)

fiscal_years = Table(
    "fiscal_years",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),  # Buddhist Era, year it ends
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
)

strategies = Table(
    "strategies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name_th", Text, nullable=False),
    Column("name_en", Text),
    Column("sort_order", Integer, nullable=False, server_default="0"),
    *_timestamps(),
)

csfs = Table(
    "csfs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("strategy_id", ForeignKey("strategies.id"), nullable=False, index=True),
    Column("name_th", Text, nullable=False),
    Column("name_en", Text),
    *_timestamps(),
)

kpis = Table(
    "kpis",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("strategy_id", ForeignKey("strategies.id"), index=True),
    Column("csf_id", ForeignKey("csfs.id"), index=True),
    Column("name_th", Text, nullable=False),
    Column("name_en", Text),
    Column("unit_th", String(64), nullable=False),
    Column("unit_en", String(64)),
    Column("value_type", String(16), nullable=False),
    Column("direction", String(16), nullable=False, server_default="higher_better"),
    Column("frequency", String(16), nullable=False, server_default="each_round"),
    Column("scoring_bands", Text),  # the plan's notation, e.g. ">=90:5; 85-89.99:4"
    Column("sort_order", Integer, nullable=False, server_default="0"),
    Column("active", Boolean, nullable=False, server_default="1"),
    *_timestamps(),
    CheckConstraint(
        "value_type IN ('number', 'percent', 'count', 'yes_no', 'level')", name="value_type"
    ),
    CheckConstraint("direction IN ('higher_better', 'lower_better')", name="direction"),
    CheckConstraint("frequency IN ('each_round', 'annual')", name="frequency"),
)

# A school's agreed value for a KPI in a fiscal year (its performance agreement).
targets = Table(
    "targets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("school_id", ForeignKey("schools.id"), nullable=False),
    Column("kpi_id", ForeignKey("kpis.id"), nullable=False, index=True),
    Column("fiscal_year", ForeignKey("fiscal_years.year"), nullable=False),
    Column("target_value", Value, nullable=False),
    *_timestamps(),
    UniqueConstraint("school_id", "kpi_id", "fiscal_year"),
)

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("fiscal_year", ForeignKey("fiscal_years.year"), nullable=False, index=True),
    Column("school_id", ForeignKey("schools.id"), nullable=False, index=True),
    Column("strategy_id", ForeignKey("strategies.id")),
    Column("name", Text, nullable=False),
    Column("budget_allocated", Money, nullable=False, server_default="0"),
    Column("responsible_name", String(200)),
    Column("responsible_person_id", ForeignKey("people.id")),
    Column("planned_start", Date),
    Column("planned_end", Date),
    Column("active", Boolean, nullable=False, server_default="1"),
    *_timestamps(),
    CheckConstraint("budget_allocated >= 0", name="budget"),
)

rounds = Table(
    "rounds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("fiscal_year", ForeignKey("fiscal_years.year"), nullable=False, index=True),
    Column("name_th", String(200), nullable=False),
    Column("name_en", String(200)),
    Column("opens_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("includes_progress", Boolean, nullable=False, server_default="1"),
    # which KPI frequencies are due: "each_round" or "each_round,annual"
    Column("kpi_frequencies", String(64), nullable=False, server_default="each_round"),
    # reminder steps in days relative to due_at ("open" for opening); null = default ladder
    Column("reminder_ladder", JsonText),
    Column("closed_at", UtcDateTime),
    *_timestamps(),
    CheckConstraint("due_at > opens_at", name="window"),
)


def _entry_review_columns() -> list[Column[object]]:
    return [
        Column("submitted_by_id", ForeignKey("people.id"), nullable=False),
        Column("submitted_at", UtcDateTime, nullable=False),
        Column("reason", Text),  # why a correction was made (versions after the first)
        Column("returned_at", UtcDateTime),
        Column("returned_by_id", ForeignKey("people.id")),
        Column("return_comment", Text),
    ]


progress_reports = Table(
    "progress_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", ForeignKey("projects.id"), nullable=False),
    Column("round_id", ForeignKey("rounds.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("percent_complete", Value, nullable=False),
    Column("budget_spent", Money, nullable=False, server_default="0"),
    Column("outputs", Text),
    Column("problems", Text),
    Column("suggestions", Text),
    *_entry_review_columns(),
    UniqueConstraint("project_id", "round_id", "version"),
    CheckConstraint(
        "status IN ('not_started', 'in_progress', 'completed', 'postponed', 'cancelled')",
        name="status",
    ),
    CheckConstraint("percent_complete >= 0 AND percent_complete <= 100", name="percent"),
    CheckConstraint("budget_spent >= 0", name="spent"),
    CheckConstraint("version >= 1", name="version"),
)

kpi_values = Table(
    "kpi_values",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kpi_id", ForeignKey("kpis.id"), nullable=False, index=True),
    Column("school_id", ForeignKey("schools.id"), nullable=False),
    Column("round_id", ForeignKey("rounds.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("value", Value, nullable=False),
    Column("note", Text),
    *_entry_review_columns(),
    UniqueConstraint("school_id", "round_id", "kpi_id", "version"),
    CheckConstraint("version >= 1", name="version"),
)

evidence = Table(
    "evidence",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("school_id", ForeignKey("schools.id"), nullable=False, index=True),
    Column("progress_report_id", ForeignKey("progress_reports.id"), index=True),
    Column("kpi_value_id", ForeignKey("kpi_values.id"), index=True),
    Column("kind", String(16), nullable=False),
    Column("telegram_file_id", String(256), nullable=False),
    Column("telegram_file_unique_id", String(128), nullable=False),
    Column("file_name", String(256)),
    Column("mime_type", String(128)),
    Column("file_size", Integer),
    # The local copy, relative to TIDTAM_EVIDENCE_DIR; archived_at is when the
    # copy was made or given up, not_copied_reason why Telegram would not serve it.
    Column("local_path", String(512)),
    Column("uploaded_by_id", ForeignKey("people.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("archived_at", UtcDateTime),
    Column("not_copied_reason", String(256)),
    CheckConstraint("kind IN ('photo', 'document')", name="kind"),
)

# The school head's certification of a school's round; a row per act, so a
# re-certification after corrections keeps the earlier one.
certifications = Table(
    "certifications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("school_id", ForeignKey("schools.id"), nullable=False),
    Column("round_id", ForeignKey("rounds.id"), nullable=False, index=True),
    Column("certified_by_id", ForeignKey("people.id"), nullable=False),
    Column("certified_at", UtcDateTime, nullable=False),
    Column("note", Text),
    Index("ix_certifications_school_round", "school_id", "round_id"),
)

# Answers of an unfinished flow, stored step by step so nothing typed is lost.
drafts = Table(
    "drafts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", ForeignKey("people.id"), nullable=False),
    Column("flow", String(32), nullable=False),
    Column("subject", String(128), nullable=False),  # e.g. "round:3/kpi:7"
    Column("step", String(64), nullable=False),
    Column("answers", JsonText, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
    UniqueConstraint("person_id", "flow"),
)

# One row per (round, person, step): the unique key is what makes sending a
# reminder idempotent across restarts and processes.
reminder_log = Table(
    "reminder_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("round_id", ForeignKey("rounds.id"), nullable=False),
    Column("person_id", ForeignKey("people.id"), nullable=False, index=True),
    Column("step", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("claimed_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("error", Text),
    UniqueConstraint("round_id", "person_id", "step"),
    CheckConstraint("status IN ('claimed', 'held', 'sent', 'failed', 'skipped')", name="status"),
)

# Days the office treats differently from the public holiday calendar.
calendar_overrides = Table(
    "calendar_overrides",
    metadata,
    Column("day", Date, primary_key=True),
    Column("working", Boolean, nullable=False),
    Column("note", String(200)),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("actor_person_id", ForeignKey("people.id")),
    Column("actor", String(64), nullable=False),  # "person", "cli", "import", "system"
    Column("action", String(64), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("entity_id", String(64)),
    Column("before", JsonText),
    Column("after", JsonText),
)

# python-telegram-bot's persistence (conversation states, user data) as JSON.
bot_state = Table(
    "bot_state",
    metadata,
    Column("kind", String(32), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("data", JsonText, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
