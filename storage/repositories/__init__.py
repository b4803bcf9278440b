"""Repositories: one per aggregate, all sharing one connection and transaction.

Use them through :meth:`storage.database.Database.transaction` (writes) or
:meth:`~storage.database.Database.read`; a repository never commits itself, so
a use case that touches several aggregates is atomic.
"""

from __future__ import annotations

from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.repositories.audit import AuditLog
from storage.repositories.bot_state import BotState
from storage.repositories.drafts import Drafts
from storage.repositories.entries import KpiValues, ProgressReports
from storage.repositories.invites import Invites
from storage.repositories.people import People
from storage.repositories.people_admin import PeopleAdmin
from storage.repositories.plan import Plan
from storage.repositories.plan_bulk import PlanBulk
from storage.repositories.reminders import Reminders
from storage.repositories.report_data import ReportData
from storage.repositories.review import Certifications, EntryHistory, Evidence
from storage.repositories.schools import Schools


class Repositories:
    """Every repository, bound to one connection."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    @cached_property
    def schools(self) -> Schools:
        return Schools(self.connection)

    @cached_property
    def people(self) -> People:
        return People(self.connection)

    @cached_property
    def invites(self) -> Invites:
        return Invites(self.connection)

    @cached_property
    def plan(self) -> Plan:
        return Plan(self.connection)

    @cached_property
    def kpi_values(self) -> KpiValues:
        return KpiValues(self.connection)

    @cached_property
    def progress(self) -> ProgressReports:
        return ProgressReports(self.connection)

    @cached_property
    def report_data(self) -> ReportData:
        return ReportData(self.connection)

    @cached_property
    def audit(self) -> AuditLog:
        return AuditLog(self.connection)

    @cached_property
    def bot_state(self) -> BotState:
        return BotState(self.connection)

    @cached_property
    def drafts(self) -> Drafts:
        return Drafts(self.connection)

    @cached_property
    def evidence(self) -> Evidence:
        return Evidence(self.connection)

    @cached_property
    def certifications(self) -> Certifications:
        return Certifications(self.connection)

    @cached_property
    def entry_history(self) -> EntryHistory:
        return EntryHistory(self.connection)

    @cached_property
    def reminders(self) -> Reminders:
        return Reminders(self.connection)

    @cached_property
    def plan_bulk(self) -> PlanBulk:
        return PlanBulk(self.connection)

    @cached_property
    def people_admin(self) -> PeopleAdmin:
        return PeopleAdmin(self.connection)


__all__ = ["Repositories"]
