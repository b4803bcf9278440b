"""The engine's rules on small hand-made data: rounding, achievement, behind schedule, paging."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from domain.values import Direction, Frequency, ProjectStatus, ValueType
from reports.achievement import compute_achievement
from reports.chat import PAGE_LIMIT, completeness_pages, digest_pages
from reports.completeness import compute_completeness
from reports.digest import compute_digest
from reports.figures import mean, rate
from reports.projects import BEHIND_SCHEDULE_POINTS, compute_projects, elapsed_share
from storage.models import Kpi, Project, Round, School
from storage.repositories.report_data import CurrentProgress

NOW = dt.datetime(2027, 1, 5, 2, 0, tzinfo=dt.UTC)
ROUND = Round(
    1, "R1", 2570, "รอบ 1", "Round 1", NOW - dt.timedelta(days=30), NOW, True, "each_round", None
)


def school(id_: int) -> School:
    return School(id_, f"S{id_:04d}", "school", f"โรงเรียนทดสอบ{id_}", None, None, None, True)


def kpi(id_: int, value_type: ValueType, direction: Direction, bands: str | None = None) -> Kpi:
    return Kpi(
        id_, f"K{id_}", "ตัวชี้วัด", None, "หน่วย", None, value_type, direction,
        Frequency.EACH_ROUND, bands, id_,
    )  # fmt: skip


def test_rates_and_means_round_half_up_once():
    assert rate(1, 8) == Decimal("12.5")
    assert rate(1, 3) == Decimal("33.3")
    assert rate(2, 3) == Decimal("66.7")
    assert rate(0, 0) is None
    assert mean([Decimal("0.125"), Decimal("0.125")]) == Decimal("0.13")  # not banker's 0.12
    assert mean([]) is None


def test_achievement_across_schools_and_scorecards():
    schools = [school(1), school(2), school(3)]
    percent = kpi(1, ValueType.PERCENT, Direction.HIGHER, ">=90:5; 50-89.99:3; <50:1")
    dropout = kpi(2, ValueType.PERCENT, Direction.LOWER)
    yes_no = kpi(3, ValueType.YES_NO, Direction.HIGHER)
    report = compute_achievement(
        fiscal_year=2570,
        round_=ROUND,
        schools=schools,
        kpis=[percent, dropout, yes_no],
        expected=[(s.id, k) for s in schools for k in (1, 2, 3)],
        targets={(s.id, k): Decimal(50 if k == 1 else 1) for s in schools for k in (1, 2, 3)},
        values={
            (1, 1): Decimal(95), (2, 1): Decimal("40.5"),  # school 3 did not report K1
            (1, 2): Decimal("0.5"), (2, 2): Decimal(2), (3, 2): Decimal(1),
            (1, 3): Decimal(1), (2, 3): Decimal(0),
            (9, 1): Decimal(100),  # a school owing nothing: ignored
        },
        now=NOW,
    )  # fmt: skip
    rows = {row.kpi.code: row for row in report.kpis}
    k1 = rows["K1"]
    assert (k1.expected, k1.reported, k1.mean, k1.minimum, k1.maximum) == (
        3, 2, Decimal("67.75"), Decimal("40.5"), Decimal(95),
    )  # fmt: skip
    assert (k1.met, k1.not_met, k1.met_rate) == (1, 1, Decimal("50.0"))
    k2 = rows["K2"]  # lower is better: 0.5 and 1 meet a target of 1, 2 does not
    assert (k2.met, k2.not_met) == (2, 1)
    k3 = rows["K3"]  # yes/no: no mean, the count of "yes" is what meets
    assert (k3.mean, k3.minimum, k3.met, k3.not_met) == (None, None, 1, 1)
    card = report.scorecard(1)
    assert card is not None
    first = card.results[0]
    assert (first.percent_of_target, first.met, first.score) == (Decimal("190.00"), True, 5)
    assert card.met == 3 and card.mean_score == Decimal("5.00")
    assert report.scorecard(3).results[0].value is None  # type: ignore[union-attr]


def test_elapsed_share_of_planned_time():
    start, end = dt.date(2026, 10, 1), dt.date(2026, 12, 30)  # 90 days
    assert elapsed_share(start, end, dt.date(2026, 9, 1)) == Decimal("0.0")
    assert elapsed_share(start, end, dt.date(2026, 11, 15)) == Decimal("50.0")
    assert elapsed_share(start, end, dt.date(2027, 3, 1)) == Decimal("100.0")
    assert elapsed_share(None, end, dt.date(2026, 11, 15)) is None


def _project(id_: int, *, days: int = 100) -> Project:
    start = dt.date(2026, 10, 1)
    return Project(
        id_, f"P{id_}", 2570, 1, None, f"โครงการ {id_}", Decimal(1000), "ครูสมปอง", None,
        start, start + dt.timedelta(days=days), True,
    )  # fmt: skip


def _progress(
    project_id: int, percent: int, status: ProjectStatus = ProjectStatus.IN_PROGRESS
) -> CurrentProgress:
    return CurrentProgress(
        project_id, ROUND.id, status, Decimal(percent), Decimal(250), None, None, None, 1, NOW
    )


def test_behind_schedule_means_more_than_25_points_below_the_time_elapsed():
    assert Decimal(25) == BEHIND_SCHEDULE_POINTS
    as_of = dt.date(2026, 10, 1) + dt.timedelta(days=60)  # 60 % of a 100-day plan
    report = compute_projects(
        fiscal_year=2570,
        round_=ROUND,
        rounds_in_order=[ROUND],
        projects=[_project(i) for i in range(1, 6)],
        schools=[school(1)],
        reports=[
            _progress(1, 35),  # exactly 25 points behind: not yet
            _progress(2, 34),  # 26 points behind
            _progress(3, 10, ProjectStatus.CANCELLED),  # cancelled is never behind
            _progress(4, 0, ProjectStatus.POSTPONED),  # postponed still counts
        ],  # project 5 never reported: not judged
        as_of=as_of,
        now=NOW,
    )
    assert [row.project.code for row in report.behind] == ["P4", "P2"]  # furthest behind first
    district = report.district
    assert district.count == 5 and district.reported == 4 and district.behind == 2
    assert dict(district.by_status)[None] == 1
    assert district.average_progress == Decimal("23.0")  # (35+34+0)/3, cancelled left out
    assert (district.allocated, district.spent) == (Decimal(5000), Decimal(1000))
    assert district.disbursement_rate == Decimal("20.0")


def test_the_digest_keeps_each_text_once_at_its_latest_round():
    later = Round(
        2, "R2", 2570, "รอบ 2", None, NOW, NOW + dt.timedelta(days=30), True, "each_round", None
    )

    def said(round_id: int, problems: str | None) -> CurrentProgress:
        return CurrentProgress(
            1, round_id, ProjectStatus.IN_PROGRESS, Decimal(10), Decimal(0), None,
            problems, None, 1, NOW,
        )  # fmt: skip

    report = compute_digest(
        fiscal_year=2570,
        round_=None,
        rounds_in_order=[ROUND, later],
        projects=[_project(1)],
        schools=[school(1)],
        reports=[said(1, "งบล่าช้า"), said(2, "งบล่าช้า")],
        now=NOW,
    )
    [entry] = report.entries
    assert (entry.round.code, entry.problems) == ("R2", "งบล่าช้า")
    blank = compute_digest(
        fiscal_year=2570,
        round_=ROUND,
        rounds_in_order=[ROUND],
        projects=[_project(1)],
        schools=[school(1)],
        reports=[said(1, "   ")],
        now=NOW,
    )
    assert blank.entries == ()


def test_a_thousand_schools_page_into_messages_telegram_accepts():
    many = [school(i) for i in range(1, 1001)]
    report = compute_completeness(
        ROUND, schools=many, expected=[(s.id, 1) for s in many], first_submitted={}, now=NOW
    )
    pages = completeness_pages(report, "th")
    assert len(pages) > 1
    assert all(len(page) <= PAGE_LIMIT + 200 for page in pages)
    assert f"หน้า 1/{len(pages)}" in pages[0] and f"หน้า {len(pages)}/{len(pages)}" in pages[-1]
    listed = sum(page.count("• ") for page in pages)
    assert listed == 1000  # every missing school is listed once, none dropped


def test_digest_text_in_chat_is_escaped_and_cut():
    long_text = "<b>ครู</b> " + "ก" * 600
    report = compute_digest(
        fiscal_year=2570,
        round_=ROUND,
        rounds_in_order=[ROUND],
        projects=[_project(1)],
        schools=[school(1)],
        reports=[
            CurrentProgress(
                1, ROUND.id, ProjectStatus.IN_PROGRESS, Decimal(10), Decimal(0), None,
                long_text, None, 1, NOW,
            )
        ],
        now=NOW,
    )  # fmt: skip
    [page] = digest_pages(report, "en")
    assert "&lt;b&gt;ครู&lt;/b&gt;" in page
    assert "ก" * 300 not in page and "…" in page


def test_a_project_silent_this_round_keeps_its_last_figures_but_counts_as_not_reported():
    later = Round(
        2, "R2", 2570, "รอบ 2", None, NOW, NOW + dt.timedelta(days=30), True, "each_round", None
    )
    earlier = _progress(1, 40)
    newer = CurrentProgress(
        2, later.id, ProjectStatus.COMPLETED, Decimal(100), Decimal(900), None, None, None, 1, NOW
    )
    report = compute_projects(
        fiscal_year=2570,
        round_=later,
        rounds_in_order=[ROUND, later],
        projects=[_project(1), _project(2)],
        schools=[school(1)],
        reports=[earlier, newer, _progress(2, 10)],  # project 2's earlier report is superseded
        as_of=dt.date(2026, 11, 1),
        now=NOW,
    )
    rows = {row.project.code: row for row in report.rows}
    assert (rows["P1"].percent_complete, rows["P1"].reported_in_scope) == (Decimal(40), False)
    assert (rows["P2"].percent_complete, rows["P2"].reported_in_scope) == (Decimal(100), True)
    assert report.district.spent == Decimal(1150)
