"""A sample district: the real secondary schools of Chonburi and Rayong.

Used by ``tidtam init --sample``, the demo and the tests. Schools come from
``storage/data/schools_sesao18.csv`` (Thai Wikipedia, CC BY-SA 4.0; see
``storage/data/SOURCES.md``); the indicators are real wordings from Thai
planning sources with illustrative targets. The open round is placed around
the moment of loading so the sample is always usable.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from zoneinfo import ZoneInfo

from domain.calendar import BANGKOK, fiscal_year_bounds, fiscal_year_of, quarter_of
from storage.repositories import Repositories

OFFICE_CODE = "SESAO-CBRY"
OFFICE_NAME_TH = "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษาชลบุรี ระยอง"
OFFICE_NAME_EN = "Secondary Educational Service Area Office Chonburi Rayong"
PROVINCE_PREFIX = {"ชลบุรี": "CB", "ระยอง": "RY"}


@dataclass(frozen=True, slots=True)
class SampleKpi:
    code: str
    name_th: str
    name_en: str
    unit_th: str
    unit_en: str
    value_type: str
    direction: str
    frequency: str
    target: Decimal
    scoring_bands: str | None = None


SAMPLE_KPIS: tuple[SampleKpi, ...] = (
    SampleKpi(
        "K01",
        "ร้อยละของนักเรียนที่มีคะแนนผลการทดสอบทางการศึกษาระดับชาติขั้นพื้นฐาน (O-NET) "
        "แต่ละวิชาผ่านเกณฑ์คะแนนร้อยละ 50 ขึ้นไป",
        "Percentage of students scoring at least 50% in each O-NET subject",
        "ร้อยละ",
        "%",
        "percent",
        "higher_better",
        "each_round",
        Decimal(50),
        ">=90:5; 65-89.99:4; 50-64.99:3; <50:1",
    ),
    SampleKpi(
        "K02",
        "ร้อยละของครูผู้สอนวิทยาศาสตร์ คณิตศาสตร์ คอมพิวเตอร์ ที่ได้รับการพัฒนา STEM Education",
        "Percentage of science/maths/computing teachers trained in STEM Education",
        "ร้อยละ",
        "%",
        "percent",
        "higher_better",
        "each_round",
        Decimal(80),
    ),
    SampleKpi(
        "K03",
        "ระดับความสำเร็จในการพัฒนาคุณภาพผู้เรียน",
        "Level of success in developing learner quality",
        "ระดับ",
        "level",
        "level",
        "higher_better",
        "each_round",
        Decimal(4),
    ),
    SampleKpi(
        "K04",
        "ร้อยละของนักเรียนตกหล่นและนักเรียนออกกลางคัน",
        "Percentage of out-of-school and dropout students",
        "ร้อยละ",
        "%",
        "percent",
        "lower_better",
        "annual",
        Decimal("0.5"),
    ),
)


@dataclass(frozen=True, slots=True)
class SampleSummary:
    """What the sample loader created."""

    schools: int
    kpis: int
    round_code: str
    fiscal_year: int
    created: bool


def sample_schools() -> list[dict[str, str]]:
    """Rows of the packaged school list, with Tidtam sample codes."""
    text = resources.files("storage").joinpath("data/schools_sesao18.csv").read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    counters: dict[str, int] = {}
    out = []
    for row in rows:
        prefix = PROVINCE_PREFIX[row["province_th"]]
        counters[prefix] = counters.get(prefix, 0) + 1
        out.append({**row, "code": f"{prefix}{counters[prefix]:02d}"})
    return out


def _local(day: dt.date, hour: int, minute: int, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(dt.UTC)


async def load_sample(
    repos: Repositories, *, now: dt.datetime, tz: ZoneInfo = BANGKOK
) -> SampleSummary:
    """Load the sample district; a second call changes nothing."""
    fiscal_year = fiscal_year_of(now, tz)
    _, quarter = quarter_of(now, tz)
    round_code = f"FY{fiscal_year}-Q{quarter}"
    if await repos.schools.by_code(OFFICE_CODE) is not None:
        return SampleSummary(0, 0, round_code, fiscal_year, created=False)

    starts_on, ends_on = fiscal_year_bounds(fiscal_year)
    await repos.plan.ensure_fiscal_year(fiscal_year, starts_on=starts_on, ends_on=ends_on)
    await repos.schools.upsert(
        code=OFFICE_CODE, name_th=OFFICE_NAME_TH, name_en=OFFICE_NAME_EN, kind="office", now=now
    )
    school_ids = []
    for row in sample_schools():
        school_id, _ = await repos.schools.upsert(
            code=row["code"],
            name_th=row["name_th"],
            province=row["province_th"],
            district=row["district_th"],
            subdistrict=row["subdistrict_th"],
            obec_code=row["obec_code_10"] or None,
            now=now,
        )
        school_ids.append(school_id)

    for order, sample in enumerate(SAMPLE_KPIS, start=1):
        kpi_id = await repos.plan.create_kpi(
            code=sample.code,
            name_th=sample.name_th,
            name_en=sample.name_en,
            unit_th=sample.unit_th,
            unit_en=sample.unit_en,
            value_type=sample.value_type,
            direction=sample.direction,
            frequency=sample.frequency,
            scoring_bands=sample.scoring_bands,
            sort_order=order,
            now=now,
        )
        for school_id in school_ids:
            await repos.plan.set_target(
                school_id=school_id,
                kpi_id=kpi_id,
                fiscal_year=fiscal_year,
                value=sample.target,
                now=now,
            )

    today = now.astimezone(tz).date()
    await repos.plan.create_round(
        code=round_code,
        fiscal_year=fiscal_year,
        name_th=f"รายงานผลไตรมาสที่ {quarter} ปีงบประมาณ {fiscal_year}",
        name_en=f"Quarter {quarter} report, FY {fiscal_year}",
        opens_at=_local(today - dt.timedelta(days=7), 8, 30, tz),
        due_at=_local(today + dt.timedelta(days=14), 16, 30, tz),
        includes_progress=False,
        kpi_frequencies="each_round",
        now=now,
    )
    await repos.audit.record(
        at=now, actor="cli", action="load_sample", entity="plan", entity_id=round_code
    )
    return SampleSummary(len(school_ids), len(SAMPLE_KPIS), round_code, fiscal_year, created=True)
