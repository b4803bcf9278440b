"""KPI value rules, free text, scoring bands, achievement and soft checks (domain/values.py)."""

from collections.abc import Callable
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.i18n import LANGUAGES, catalog, plain, t
from domain.values import (
    LEVEL_MAX,
    LEVEL_MIN,
    MAX_NOTE_LENGTH,
    Achievement,
    Direction,
    Frequency,
    ProjectStatus,
    Role,
    ScoringBand,
    SoftCheck,
    ValueType,
    achievement,
    check_kpi_value,
    clean_text,
    format_bands,
    format_kpi_value,
    kpi_soft_checks,
    parse_bands,
    parse_kpi_value,
    progress_soft_checks,
    score,
)

D = Decimal
PLAN_BANDS = ">=90:5; 85-89.99:4; 80-84.99:3; 70-79.99:2; <70:1"


def refused(call: Callable[..., object], *args: object, **kwargs: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call(*args, **kwargs)
    return caught.value


# ------------------------------------------------------------------- names in the catalogs


@pytest.mark.parametrize("member", [*ValueType, *Direction, *Frequency, *ProjectStatus, *Role])
def test_every_choice_has_a_name_in_both_languages(
    member: ValueType | Direction | Frequency | ProjectStatus | Role,
) -> None:
    for lang in LANGUAGES:
        assert plain(lang, member.label_key)


def test_thai_names_are_the_office_words() -> None:
    names = [plain("th", member.label_key) for member in ValueType]
    assert names == ["ตัวเลข", "ร้อยละ", "จำนวนนับ", "ใช่/ไม่ใช่", "ระดับ 1–5"]
    assert plain("th", ProjectStatus.COMPLETED.label_key) == "ดำเนินการแล้วเสร็จ"
    assert plain("th", Role.OFFICER.label_key) == "เจ้าหน้าที่ติดตามและประเมินผล"
    assert plain("th", Direction.LOWER.label_key) == "ต่ำยิ่งดี"
    assert plain("th", Frequency.EACH_ROUND.label_key) == "ทุกรอบการรายงาน"


def test_enum_values_are_stable_strings() -> None:
    assert Direction.HIGHER.value == "higher_better"
    assert str(Frequency.EACH_ROUND) == "each_round"
    assert ValueType("yes_no") is ValueType.YES_NO


def test_school_staff_and_district_roles_are_told_apart() -> None:
    assert [role for role in Role if role.is_school_staff] == [Role.REPORTER, Role.HEAD]
    assert [role for role in Role if role.is_district] == [Role.OFFICER, Role.ADMIN]


@pytest.mark.parametrize("check", list(SoftCheck))
def test_every_soft_check_has_a_question_in_both_languages(check: SoftCheck) -> None:
    for lang in LANGUAGES:
        assert check.message_key in catalog(lang)


# ------------------------------------------------------------------- typed KPI values


@pytest.mark.parametrize(
    ("value_type", "typed", "expected"),
    [
        (ValueType.NUMBER, "-2.5", D("-2.5")),
        (ValueType.NUMBER, "1,234.5", D("1234.5")),
        (ValueType.PERCENT, "85.5", D("85.5")),
        (ValueType.PERCENT, "ร้อยละ ๘๕", D("85")),
        (ValueType.PERCENT, "100%", D("100")),
        (ValueType.PERCENT, "0", D("0")),
        (ValueType.COUNT, "1,234", D("1234")),
        (ValueType.COUNT, "12.0", D("12")),
        (ValueType.LEVEL, "4", D("4")),
        (ValueType.LEVEL, "ระดับ ๕", D("5")),
        (ValueType.LEVEL, "Level 1", D("1")),
    ],
)
def test_kpi_value_is_read_by_its_type(value_type: ValueType, typed: str, expected: D) -> None:
    assert parse_kpi_value(value_type, typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("ใช่", 1), ("มี", 1), ("Yes", 1), ("y", 1), ("1", 1), ("๑", 1), ("มีค่ะ", 1),
     ("ไม่ใช่", 0), ("ไม่มี", 0), ("NO", 0), ("n", 0), ("0", 0), (" ไม่ใช่ครับ ", 0)],
)  # fmt: skip
def test_yes_no_answers_are_understood(typed: str, expected: int) -> None:
    assert parse_kpi_value(ValueType.YES_NO, typed) == D(expected)


def test_unclear_yes_no_answer_asks_again() -> None:
    error = refused(parse_kpi_value, ValueType.YES_NO, "อาจจะ")
    assert error.key == "value.yes_no"
    assert t("th", error.key) == (
        "กรุณาตอบ <code>ใช่</code> หรือ <code>ไม่ใช่</code> (หรือ <code>มี</code> / <code>ไม่มี</code>)"
    )


def test_percent_over_100_is_refused_with_what_was_typed() -> None:
    error = refused(parse_kpi_value, ValueType.PERCENT, "105.5")
    assert error.key == "value.percent_over_100"
    assert t("th", error.key, **error.params) == (
        "ร้อยละต้องไม่เกิน 100 (ค่าที่กรอกคือ 105.5) กรุณาพิมพ์ใหม่ เช่น <code>85.5</code>"
    )
    assert t("en", error.key, **error.params) == (
        "A percentage cannot be over 100 (you typed 105.5). "
        "Please type it again, for example <code>85.5</code>."
    )


def test_negative_percent_is_refused() -> None:
    assert refused(parse_kpi_value, ValueType.PERCENT, "-1").key == "value.percent_negative"


def test_fractional_count_is_refused() -> None:
    error = refused(parse_kpi_value, ValueType.COUNT, "12.5")
    assert error.key == "value.count_whole"
    assert "(ค่าที่กรอกคือ 12.5)" in t("th", error.key, **error.params)


def test_negative_count_is_refused() -> None:
    assert refused(parse_kpi_value, ValueType.COUNT, "-3").key == "value.count_negative"


@pytest.mark.parametrize("typed", ["0", "6", "4.5", "-1"])
def test_level_outside_one_to_five_is_refused(typed: str) -> None:
    error = refused(parse_kpi_value, ValueType.LEVEL, typed)
    assert error.key == "value.level_range"
    assert t("en", error.key, **error.params).startswith(
        f"A level must be a whole number from {LEVEL_MIN} to {LEVEL_MAX}"
    )


@pytest.mark.parametrize("value_type", [ValueType.NUMBER, ValueType.COUNT, ValueType.LEVEL])
def test_percent_sign_for_a_non_percent_kpi_is_refused(value_type: ValueType) -> None:
    error = refused(parse_kpi_value, value_type, "4%")
    assert error.key == "value.percent_not_expected"
    assert "<code>120</code>" in t("th", error.key)


def test_kpi_value_that_is_not_a_number_reports_the_number_error() -> None:
    assert refused(parse_kpi_value, ValueType.PERCENT, "ดี").key == "number.not_a_number"


def test_value_from_buttons_or_import_follows_the_same_rules() -> None:
    assert check_kpi_value(ValueType.LEVEL, D("3.0")) == D(3)
    assert check_kpi_value(ValueType.YES_NO, D("1.0")) == D(1)
    assert refused(check_kpi_value, ValueType.YES_NO, D(2)).key == "value.yes_no"
    assert refused(check_kpi_value, ValueType.PERCENT, D("100.01")).key == "value.percent_over_100"
    assert refused(check_kpi_value, ValueType.NUMBER, D("NaN")).key == "number.not_a_number"
    assert refused(check_kpi_value, ValueType.COUNT, D("1E+20")).key == "number.too_long"


KPI_PIECES = st.sampled_from(
    ["1", "85", "100", "101", ".", ",", "%", "-", "ร้อยละ", "ระดับ", "ใช่", "ไม่", "มี", "yes",
     "๕", " ", "ค่ะ", "\x00", "😀", "e"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(list(ValueType)), st.lists(KPI_PIECES, max_size=8).map("".join) | st.text())
def test_any_text_gives_a_kpi_value_or_invalid_input(value_type: ValueType, typed: str) -> None:
    try:
        value = parse_kpi_value(value_type, typed)
    except InvalidInput as error:
        refused_with: str | None = error.key
    else:
        refused_with = None
        assert check_kpi_value(value_type, value) == value
    assert refused_with is None or refused_with in catalog("th")


# ------------------------------------------------------------------- formatting values


@pytest.mark.parametrize(
    ("value_type", "value", "thai", "english"),
    [
        (ValueType.PERCENT, D("85.50"), "85.5%", "85.5%"),
        (ValueType.YES_NO, D(1), "ใช่", "Yes"),
        (ValueType.YES_NO, D(0), "ไม่ใช่", "No"),
        (ValueType.LEVEL, D(4), "ระดับ 4", "Level 4"),
        (ValueType.COUNT, D(1234), "1,234", "1,234"),
        (ValueType.NUMBER, D("1234.50"), "1,234.5", "1,234.5"),
    ],
)
def test_kpi_value_is_shown_as_people_read_it(
    value_type: ValueType, value: D, thai: str, english: str
) -> None:
    assert format_kpi_value(value_type, value, "th") == thai
    assert format_kpi_value(value_type, value, "en") == english


# ------------------------------------------------------------------- free text


def test_text_is_trimmed_and_control_characters_removed() -> None:
    assert clean_text("  ปัญหา\x00อุปสรรค\x07\n\tงบมาช้า  ") == "ปัญหาอุปสรรค\n\tงบมาช้า"


def test_windows_line_breaks_become_newlines() -> None:
    assert clean_text("บรรทัดแรก\r\nบรรทัดสอง\rบรรทัดสาม") == "บรรทัดแรก\nบรรทัดสอง\nบรรทัดสาม"


def test_text_is_normalized_to_nfc() -> None:
    assert clean_text("e\u0301") == "\u00e9"


@pytest.mark.parametrize("typed", ["", "   \n", "\x00\x01", "\u200b"])
def test_empty_text_is_refused_with_an_example(typed: str) -> None:
    error = refused(clean_text, typed)
    assert error.key == "text.empty"
    assert "<code>" in t("th", error.key)


def test_too_long_text_says_how_long_it_is_and_the_limit() -> None:
    error = refused(clean_text, "ก" * (MAX_NOTE_LENGTH + 1))
    assert error.key == "text.too_long"
    assert t("th", error.key, **error.params).startswith(
        "ข้อความยาว 1001 ตัวอักษร เกินกว่าที่บันทึกได้ (1000 ตัวอักษร)"
    )
    assert t("en", error.key, **error.params).startswith("The text is 1001 characters long")


def test_text_at_the_limit_is_kept() -> None:
    assert len(clean_text("ก" * 10, max_length=10)) == 10


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_cleaned_or_refused(typed: str) -> None:
    try:
        cleaned = clean_text(typed)
    except InvalidInput as error:
        refused_with: str | None = error.key
    else:
        refused_with = None
        assert cleaned == cleaned.strip()
        assert clean_text(cleaned) == cleaned
    assert refused_with in {None, "text.empty", "text.too_long"}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=1, max_size=10).map(lambda piece: piece * (10_000 // len(piece))))
def test_ten_thousand_characters_are_cleaned_or_refused(typed: str) -> None:
    try:
        cleaned = clean_text(typed, max_length=20_000)
    except InvalidInput as error:
        assert error.key == "text.empty"  # noqa: PT017 (a property, not one expected error)
    else:
        assert cleaned == cleaned.strip()


# ------------------------------------------------------------------- scoring bands


def test_plan_bands_are_read() -> None:
    assert parse_bands(PLAN_BANDS) == (
        ScoringBand(D(90), None, 5),
        ScoringBand(D(85), D("89.99"), 4),
        ScoringBand(D(80), D("84.99"), 3),
        ScoringBand(D(70), D("79.99"), 2),
        ScoringBand(None, D(70), 1, upper_inclusive=False),
    )


def test_bands_written_with_symbols_and_new_lines_are_read() -> None:
    text = "≥90 : 5\n85 – 89.99 : 4\n≤84.99 : 3\n"
    assert parse_bands(text) == (
        ScoringBand(D(90), None, 5),
        ScoringBand(D(85), D("89.99"), 4),
        ScoringBand(None, D("84.99"), 3),
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [(D(95), 5), (D(90), 5), (D("89.99"), 4), (D(85), 4), (D(70), 2), (D("69.99"), 1),
     (D(0), 1), (D("89.995"), None)],
)  # fmt: skip
def test_value_scores_by_its_band(value: D, expected: int | None) -> None:
    assert score(value, parse_bands(PLAN_BANDS)) == expected


def test_bands_round_trip_through_their_notation() -> None:
    assert format_bands(parse_bands(PLAN_BANDS)) == PLAN_BANDS
    text = ">95:5; 1:3; -5--1:2; <-5:0"
    assert format_bands(parse_bands(text)) == text


BOUNDS = st.decimals(min_value=-1000, max_value=1000, places=2)


@st.composite
def band_sets(draw: st.DrawFn) -> tuple[ScoringBand, ...]:
    """Non-overlapping bands: cut points in order, open bands at both ends."""
    cuts = sorted(set(draw(st.lists(BOUNDS, min_size=2, max_size=6))))
    if len(cuts) < 2:
        cuts.append(cuts[0] + 1)
    bands = [ScoringBand(None, cuts[0], 0, upper_inclusive=False)]
    for low, high in pairwise(cuts):
        bands.append(ScoringBand(low, high - D("0.01") if high - low > D("0.01") else low, 1))
    bands.append(ScoringBand(cuts[-1], None, 9, lower_inclusive=draw(st.booleans())))
    return tuple(draw(st.permutations(bands)))


@settings(max_examples=100, deadline=None)
@given(band_sets())
def test_any_valid_bands_round_trip(bands: tuple[ScoringBand, ...]) -> None:
    assert parse_bands(format_bands(bands)) == bands


@pytest.mark.parametrize(
    "text",
    ["", ";", "90", ">=90", ">=90:x", "90-80:3", "abc:1", ">=90:5; >=95:4", "<70:1; 60-75:2",
     "<=70:1; >=70:2", "12,34:1", "1e5:1", ">=:5"],
)  # fmt: skip
def test_malformed_or_overlapping_bands_are_refused_with_the_notation(text: str) -> None:
    error = refused(parse_bands, text)
    assert error.key == "value.bands_invalid"
    assert t("en", error.key, **error.params).endswith(
        "for example <code>&gt;=90:5; 85-89.99:4; 80-84.99:3; 70-79.99:2; &lt;70:1</code>."
    )


def test_overlap_error_names_the_clashing_bands() -> None:
    error = refused(parse_bands, ">=90:5; 85-95:4")
    assert error.params == {"text": ">=90:5; 85-95:4"}


def test_touching_bands_with_an_excluded_bound_do_not_overlap() -> None:
    assert len(parse_bands("<70:1; 70-80:2; >80:3")) == 3


def test_a_band_without_bounds_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="bound"):
        ScoringBand(None, None, 1)


# ------------------------------------------------------------------- achievement


def judge(
    value: str,
    target: str | None,
    value_type: ValueType = ValueType.NUMBER,
    direction: Direction = Direction.HIGHER,
) -> Achievement:
    return achievement(
        D(value),
        None if target is None else D(target),
        value_type=value_type,
        direction=direction,
    )


def test_higher_is_better_is_met_at_or_above_target() -> None:
    assert judge("80", "80") == Achievement(met=True, percent_of_target=D("100.00"))
    assert judge("79", "80") == Achievement(met=False, percent_of_target=D("98.75"))


def test_percent_of_target_is_rounded_half_up_to_two_decimals() -> None:
    assert judge("2", "3").percent_of_target == D("66.67")
    assert judge("1", "8").percent_of_target == D("12.50")


def test_lower_is_better_is_met_at_or_below_target() -> None:
    assert judge("4", "5", direction=Direction.LOWER) == Achievement(True, D("125.00"))
    assert judge("6", "5", direction=Direction.LOWER) == Achievement(False, D("83.33"))


def test_lower_is_better_with_zero_value_is_met_without_percent() -> None:
    assert judge("0", "5", direction=Direction.LOWER) == Achievement(True, None)


def test_yes_no_is_met_by_yes_without_percent() -> None:
    assert judge("1", "1", ValueType.YES_NO) == Achievement(True, None)
    assert judge("0", "1", ValueType.YES_NO) == Achievement(False, None)


def test_level_is_met_at_or_above_target_whatever_the_direction() -> None:
    assert judge("4", "3", ValueType.LEVEL, Direction.LOWER) == Achievement(True, D("133.33"))
    assert judge("2", "3", ValueType.LEVEL) == Achievement(False, D("66.67"))


def test_without_a_target_nothing_is_judged() -> None:
    assert judge("80", None) == Achievement(None, None)
    assert judge("1", None, ValueType.YES_NO) == Achievement(None, None)


def test_zero_target_has_no_percent() -> None:
    assert judge("3", "0") == Achievement(True, None)


# ------------------------------------------------------------------- soft checks


def kpi_checks(
    value: str,
    previous: str | None,
    target: str | None = None,
    *,
    value_type: ValueType = ValueType.NUMBER,
    direction: Direction = Direction.HIGHER,
) -> list[SoftCheck]:
    return kpi_soft_checks(
        D(value),
        previous=None if previous is None else D(previous),
        target=None if target is None else D(target),
        value_type=value_type,
        direction=direction,
    )


def test_value_more_than_three_times_last_round_asks_for_confirmation() -> None:
    assert kpi_checks("31", "10") == [SoftCheck.FAR_FROM_PREVIOUS]
    assert kpi_checks("30", "10") == []


def test_value_under_a_third_of_last_round_asks_for_confirmation() -> None:
    assert kpi_checks("3", "10", value_type=ValueType.COUNT) == [SoftCheck.FAR_FROM_PREVIOUS]
    assert kpi_checks("4", "10", value_type=ValueType.PERCENT) == []


def test_no_previous_or_zero_previous_is_never_far() -> None:
    assert kpi_checks("1000", None) == []
    assert kpi_checks("1000", "0") == []


def test_levels_and_yes_no_are_never_far_from_previous() -> None:
    assert kpi_checks("5", "1", value_type=ValueType.LEVEL) == []
    assert kpi_checks("0", "1", value_type=ValueType.YES_NO) == []


def test_negative_previous_is_compared_by_size() -> None:
    assert kpi_checks("-12", "-10") == []
    assert kpi_checks("-40", "-10") == [SoftCheck.FAR_FROM_PREVIOUS]
    assert kpi_checks("5", "-10") == [SoftCheck.FAR_FROM_PREVIOUS]


def test_achievement_over_200_percent_asks_for_confirmation() -> None:
    assert kpi_checks("201", None, "100") == [SoftCheck.OVER_200_PERCENT]
    assert kpi_checks("200", None, "100") == []
    assert kpi_checks("40", "10", "10") == [
        SoftCheck.FAR_FROM_PREVIOUS,
        SoftCheck.OVER_200_PERCENT,
    ]


def test_spending_over_allocation_asks_for_confirmation() -> None:
    checks = progress_soft_checks(
        percent=D(50), previous_percent=None, spent=D("12000.01"), allocated=D(12000)
    )
    assert checks == [SoftCheck.SPENT_OVER_ALLOCATED]


def test_progress_going_backwards_asks_for_confirmation() -> None:
    checks = progress_soft_checks(percent=D(40), previous_percent=D(60), spent=D(0), allocated=None)
    assert checks == [SoftCheck.PROGRESS_BACKWARDS]


def test_ordinary_progress_needs_no_confirmation() -> None:
    checks = progress_soft_checks(
        percent=D(60), previous_percent=D(60), spent=D(12000), allocated=D(12000)
    )
    assert checks == []


def test_soft_check_messages_render_in_both_languages() -> None:
    params = {
        SoftCheck.FAR_FROM_PREVIOUS: {"value": "310", "previous": "100"},
        SoftCheck.OVER_200_PERCENT: {"value": "250", "target": "100", "percent": "250"},
        SoftCheck.SPENT_OVER_ALLOCATED: {"spent": "12,500.00 บาท", "allocated": "12,000.00 บาท"},
        SoftCheck.PROGRESS_BACKWARDS: {"percent": "40%", "previous": "60%"},
    }
    for check, values in params.items():
        for lang in LANGUAGES:
            assert "{" not in t(lang, check.message_key, **values)
    assert t("th", SoftCheck.FAR_FROM_PREVIOUS.message_key, **params[SoftCheck.FAR_FROM_PREVIOUS])
    assert t("th", SoftCheck.PROGRESS_BACKWARDS.message_key, percent="40%", previous="60%") == (
        "ความก้าวหน้า 40% น้อยกว่าที่รายงานไว้ในรอบที่แล้ว (60%) กรุณาตรวจสอบอีกครั้ง "
        "หากถูกต้องแล้ว โปรดกดยืนยันและพิมพ์หมายเหตุสั้น ๆ อธิบายเหตุผล"
    )
