"""What follows a submission: evidence files, certifications, history and returns.

Entries themselves are written by :mod:`storage.repositories.entries`; here
they are looked up by id (callback data names entries by id), listed with
every version for a school's round, and marked as returned by an officer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update

from storage.models import KpiValue, ProgressReport
from storage.repositories.base import Repository
from storage.schema import (
    certifications,
    evidence,
    kpi_values,
    progress_reports,
    projects,
    rounds,
    schools,
)


@dataclass(frozen=True, slots=True)
class EvidenceFile:
    """A file attached as evidence, known by its Telegram file id."""

    kind: str  # "photo" or "document"
    telegram_file_id: str
    telegram_file_unique_id: str
    file_name: str | None = None
    mime_type: str | None = None
    file_size: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The file as a JSON-ready dict (drafts keep it this way)."""
        return {
            "kind": self.kind,
            "file_id": self.telegram_file_id,
            "unique_id": self.telegram_file_unique_id,
            "name": self.file_name,
            "mime": self.mime_type,
            "size": self.file_size,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EvidenceFile:
        """The inverse of :meth:`to_json`."""
        size = data.get("size")
        return cls(
            kind=str(data["kind"]),
            telegram_file_id=str(data["file_id"]),
            telegram_file_unique_id=str(data["unique_id"]),
            file_name=None if data.get("name") is None else str(data["name"]),
            mime_type=None if data.get("mime") is None else str(data["mime"]),
            file_size=int(size) if isinstance(size, int) else None,
        )


@dataclass(frozen=True, slots=True)
class StoredEvidence:
    """An evidence row."""

    id: int
    school_id: int
    progress_report_id: int | None
    kpi_value_id: int | None
    file: EvidenceFile
    uploaded_by_id: int
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class EvidenceToCopy:
    """An evidence file with no local copy yet, with what names its folder."""

    id: int
    fiscal_year: int  # Buddhist Era, of the entry's round
    school_code: str
    file: EvidenceFile


@dataclass(frozen=True, slots=True)
class Certification:
    """A school head's certification of the school's round."""

    id: int
    school_id: int
    round_id: int
    certified_by_id: int
    certified_at: dt.datetime
    note: str | None


class Evidence(Repository):
    """Evidence files of progress reports and KPI values."""

    async def add(
        self,
        *,
        school_id: int,
        file: EvidenceFile,
        uploaded_by_id: int,
        now: dt.datetime,
        progress_report_id: int | None = None,
        kpi_value_id: int | None = None,
    ) -> int:
        """Keep one file for an entry; return its id."""
        if (progress_report_id is None) == (kpi_value_id is None):
            raise ValueError("evidence belongs to exactly one entry")
        result = await self.connection.execute(
            insert(evidence).values(
                school_id=school_id,
                progress_report_id=progress_report_id,
                kpi_value_id=kpi_value_id,
                kind=file.kind,
                telegram_file_id=file.telegram_file_id,
                telegram_file_unique_id=file.telegram_file_unique_id,
                file_name=file.file_name,
                mime_type=file.mime_type,
                file_size=file.file_size,
                uploaded_by_id=uploaded_by_id,
                created_at=now,
            )
        )
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    async def of_entry(
        self, *, progress_report_id: int | None = None, kpi_value_id: int | None = None
    ) -> list[StoredEvidence]:
        """Files kept for one entry version, oldest first."""
        query = select(evidence).order_by(evidence.c.id)
        if progress_report_id is not None:
            query = query.where(evidence.c.progress_report_id == progress_report_id)
        elif kpi_value_id is not None:
            query = query.where(evidence.c.kpi_value_id == kpi_value_id)
        else:
            return []
        return [
            StoredEvidence(
                id=int(row.id),
                school_id=int(row.school_id),
                progress_report_id=row.progress_report_id,
                kpi_value_id=row.kpi_value_id,
                file=_file_of(row),
                uploaded_by_id=int(row.uploaded_by_id),
                created_at=row.created_at,
            )
            for row in await self.connection.execute(query)
        ]

    async def to_copy(self, *, limit: int) -> list[EvidenceToCopy]:
        """Up to ``limit`` files neither copied locally nor given up on, oldest first."""
        round_id = func.coalesce(progress_reports.c.round_id, kpi_values.c.round_id)
        result = await self.connection.execute(
            select(
                evidence.c.id,
                evidence.c.kind,
                evidence.c.telegram_file_id,
                evidence.c.telegram_file_unique_id,
                evidence.c.file_name,
                evidence.c.mime_type,
                evidence.c.file_size,
                schools.c.code.label("school_code"),
                rounds.c.fiscal_year,
            )
            .join(schools, schools.c.id == evidence.c.school_id)
            .outerjoin(progress_reports, progress_reports.c.id == evidence.c.progress_report_id)
            .outerjoin(kpi_values, kpi_values.c.id == evidence.c.kpi_value_id)
            .join(rounds, rounds.c.id == round_id)
            .where(evidence.c.local_path.is_(None), evidence.c.not_copied_reason.is_(None))
            .order_by(evidence.c.id)
            .limit(limit)
        )
        return [
            EvidenceToCopy(
                id=int(row.id),
                fiscal_year=int(row.fiscal_year),
                school_code=str(row.school_code),
                file=_file_of(row),
            )
            for row in result
        ]

    async def record_copy(self, evidence_id: int, *, local_path: str, now: dt.datetime) -> None:
        """Remember where the local copy of a file is (relative to the evidence folder)."""
        await self.connection.execute(
            update(evidence)
            .where(evidence.c.id == evidence_id)
            .values(local_path=local_path, archived_at=now, not_copied_reason=None)
        )

    async def record_not_copied(self, evidence_id: int, *, reason: str, now: dt.datetime) -> None:
        """Give up copying a file Telegram will not serve, so no pass asks for it again."""
        await self.connection.execute(
            update(evidence)
            .where(evidence.c.id == evidence_id, evidence.c.local_path.is_(None))
            .values(not_copied_reason=reason[:256], archived_at=now)
        )


def _file_of(row: Any) -> EvidenceFile:
    """The Telegram file an ``evidence`` row keeps."""
    return EvidenceFile(
        kind=row.kind,
        telegram_file_id=row.telegram_file_id,
        telegram_file_unique_id=row.telegram_file_unique_id,
        file_name=row.file_name,
        mime_type=row.mime_type,
        file_size=row.file_size,
    )


class Certifications(Repository):
    """School heads' certifications, one row per act."""

    async def add(
        self,
        *,
        school_id: int,
        round_id: int,
        certified_by_id: int,
        now: dt.datetime,
        note: str | None = None,
    ) -> Certification:
        """Record a certification and return it."""
        result = await self.connection.execute(
            insert(certifications).values(
                school_id=school_id,
                round_id=round_id,
                certified_by_id=certified_by_id,
                certified_at=now,
                note=note,
            )
        )
        assert result.inserted_primary_key is not None
        return Certification(
            int(result.inserted_primary_key[0]), school_id, round_id, certified_by_id, now, note
        )

    async def of_school_round(self, *, school_id: int, round_id: int) -> list[Certification]:
        """Every certification of a school's round, oldest first."""
        result = await self.connection.execute(
            select(certifications)
            .where(certifications.c.school_id == school_id, certifications.c.round_id == round_id)
            .order_by(certifications.c.certified_at, certifications.c.id)
        )
        return [
            Certification(
                int(row.id),
                int(row.school_id),
                int(row.round_id),
                int(row.certified_by_id),
                row.certified_at,
                row.note,
            )
            for row in result
        ]


class EntryHistory(Repository):
    """Entries by id, every version of a school's round, and officers' returns."""

    async def kpi_value(self, kpi_value_id: int) -> KpiValue | None:
        """One KPI value version by id."""
        row = (
            await self.connection.execute(select(kpi_values).where(kpi_values.c.id == kpi_value_id))
        ).first()
        return None if row is None else KpiValue.from_row(row)

    async def progress_report(self, report_id: int) -> ProgressReport | None:
        """One progress report version by id."""
        row = (
            await self.connection.execute(
                select(progress_reports).where(progress_reports.c.id == report_id)
            )
        ).first()
        return None if row is None else ProgressReport.from_row(row)

    async def kpi_values_of(self, *, school_id: int, round_id: int) -> list[KpiValue]:
        """Every version of every KPI value of a school's round, by KPI then version."""
        result = await self.connection.execute(
            select(kpi_values)
            .where(kpi_values.c.school_id == school_id, kpi_values.c.round_id == round_id)
            .order_by(kpi_values.c.kpi_id, kpi_values.c.version)
        )
        return [KpiValue.from_row(row) for row in result]

    async def progress_reports_of(self, *, school_id: int, round_id: int) -> list[ProgressReport]:
        """Every version of every progress report of a school's round, by project then version."""
        result = await self.connection.execute(
            select(progress_reports)
            .join(projects, projects.c.id == progress_reports.c.project_id)
            .where(projects.c.school_id == school_id, progress_reports.c.round_id == round_id)
            .order_by(progress_reports.c.project_id, progress_reports.c.version)
        )
        return [ProgressReport.from_row(row) for row in result]

    async def return_kpi_value(
        self, kpi_value_id: int, *, returned_by_id: int, comment: str, now: dt.datetime
    ) -> None:
        """Mark a KPI value version as returned for correction."""
        await self.connection.execute(
            update(kpi_values)
            .where(kpi_values.c.id == kpi_value_id)
            .values(returned_at=now, returned_by_id=returned_by_id, return_comment=comment)
        )

    async def return_progress_report(
        self, report_id: int, *, returned_by_id: int, comment: str, now: dt.datetime
    ) -> None:
        """Mark a progress report version as returned for correction."""
        await self.connection.execute(
            update(progress_reports)
            .where(progress_reports.c.id == report_id)
            .values(returned_at=now, returned_by_id=returned_by_id, return_comment=comment)
        )
