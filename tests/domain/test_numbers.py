"""Forgiving number input and number formatting (domain/numbers.py)."""

from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.i18n import t
from domain.numbers import (
    ParsedNumber,
    format_money,
    format_number,
    format_percent,
    normalize_digits,
    parse_money,
    parse_number,
    quote_input,
)

# Pieces that steer generated text into every branch of the number grammar.
NUMBER_PIECES = st.sampled_from(
    [
        "0", "1", "9", "12", "123", "๘", "๕", "٣", "８", ",", ".", " ", "  ", "%", "-", "+",
        "−", "฿", "บาท", "ร้อยละ", "เปอร์เซ็นต์", "THB", "e", "E", "NaN", "inf", "\u200b",
        "\x00", "\n", "\u202e", "😀", "١٢٣",
    ]
)  # fmt: skip
MIXED_TEXT = st.lists(NUMBER_PIECES | st.text(max_size=4), max_size=12).map("".join)
LONG_TEXT = st.text(min_size=1, max_size=12).map(lambda piece: piece * (10_000 // len(piece)))
NUMBER_REFUSALS = {None, "number.empty", "number.not_a_number", "number.too_long"}


def refusal(parse: Callable[[str], object], typed: str) -> str | None:
    """The error key ``parse`` refuses ``typed`` with; None when it is accepted."""
    try:
        parse(typed)
    except InvalidInput as error:
        return error.key
    return None


# ------------------------------------------------------------------- digits


def test_thai_digits_become_ascii() -> None:
    assert normalize_digits("๐๑๒๓๔๕๖๗๘๙") == "0123456789"


def test_other_unicode_decimal_digits_become_ascii() -> None:
    assert normalize_digits("٣٤ ۵ ８") == "34 5 8"


def test_non_digit_characters_are_kept() -> None:
    assert normalize_digits("ร้อยละ ๘๕.๕%") == "ร้อยละ 85.5%"


# ------------------------------------------------------------------- accepted forms


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("85", ParsedNumber(Decimal("85"), percent=False)),
        ("85.5", ParsedNumber(Decimal("85.5"), percent=False)),
        (" 85.50 ", ParsedNumber(Decimal("85.50"), percent=False)),
        ("1,234,567.89", ParsedNumber(Decimal("1234567.89"), percent=False)),
        ("1 234", ParsedNumber(Decimal("1234"), percent=False)),
        ("๘๕.๕", ParsedNumber(Decimal("85.5"), percent=False)),
        ("85%", ParsedNumber(Decimal("85"), percent=True)),
        ("85 %", ParsedNumber(Decimal("85"), percent=True)),
        ("ร้อยละ 85", ParsedNumber(Decimal("85"), percent=True)),
        ("ร้อยละ๘๕.๕", ParsedNumber(Decimal("85.5"), percent=True)),
        ("85 เปอร์เซ็นต์", ParsedNumber(Decimal("85"), percent=True)),
        ("+3", ParsedNumber(Decimal("3"), percent=False)),
        ("-2.5", ParsedNumber(Decimal("-2.5"), percent=False)),
        ("−2.5", ParsedNumber(Decimal("-2.5"), percent=False)),
        ("12,000 บาท", ParsedNumber(Decimal("12000"), percent=False)),
        ("฿12,000", ParsedNumber(Decimal("12000"), percent=False)),
        ("THB 12,000", ParsedNumber(Decimal("12000"), percent=False)),
        (".5", ParsedNumber(Decimal("0.5"), percent=False)),
        ("8\u200b5", ParsedNumber(Decimal("85"), percent=False)),
        ("-0", ParsedNumber(Decimal("0"), percent=False)),
    ],
)
def test_number_typed_in_a_common_form_is_read(typed: str, expected: ParsedNumber) -> None:
    assert parse_number(typed) == expected


def test_minus_zero_is_plain_zero() -> None:
    assert str(parse_number("-0").value) == "0"


# ------------------------------------------------------------------- refused forms


@pytest.mark.parametrize("typed", ["", "   ", "\n\t"])
def test_empty_answer_asks_for_a_number_with_an_example(typed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_number(typed)
    assert caught.value.key == "number.empty"
    assert t("th", caught.value.key) == "กรุณาพิมพ์ตัวเลข เช่น <code>85.5</code>"
    assert t("en", caught.value.key) == "Please type a number, for example <code>85.5</code>."


@pytest.mark.parametrize(
    "typed",
    ["abc", "1.2.3", "12,34", "1e5", "NaN", "inf", "85 90", "1,23,456", "%", "บาท", ".",
     "ร้อยละ 12,000 บาท", "1-2", "--5", "10²"],
)  # fmt: skip
def test_text_that_is_not_one_number_is_refused(typed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_number(typed)
    assert caught.value.key == "number.not_a_number"
    assert caught.value.params == {"text": typed}


def test_not_a_number_message_repeats_the_input_and_shows_the_form() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_number("<b>สิบ</b>")
    assert t("th", caught.value.key, **caught.value.params) == (
        "“&lt;b&gt;สิบ&lt;/b&gt;” ไม่ใช่ตัวเลขที่ระบบอ่านได้ กรุณาพิมพ์ตัวเลขเพียงค่าเดียว "
        "เช่น <code>85.5</code> หรือ <code>1,234</code>"
    )
    assert t("en", caught.value.key, **caught.value.params).startswith(
        "“&lt;b&gt;สิบ&lt;/b&gt;” is not a number I can read."
    )


def test_long_bad_input_is_quoted_shortened_to_forty_characters() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_number("x" * 500)
    assert caught.value.params["text"] == "x" * 39 + "…"


def test_quoted_input_is_one_line_without_control_characters() -> None:
    assert quote_input("ab\x00c\n\nd") == "ab c d"


def test_number_with_more_digits_than_allowed_is_too_long() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_number("1234567890123456")
    assert caught.value.key == "number.too_long"
    assert t("th", caught.value.key, **caught.value.params) == (
        "ตัวเลขยาวเกินไป (ไม่เกิน 15 หลัก) กรุณาตรวจสอบแล้วพิมพ์ใหม่ เช่น <code>1,234,567.89</code>"
    )


def test_digit_limit_can_be_tightened() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_number("123.45", max_digits=4)
    assert caught.value.params == {"limit": 4}


def test_fifteen_digits_are_accepted() -> None:
    assert parse_number("123,456,789,012,345").value == Decimal("123456789012345")


@settings(max_examples=300, deadline=None)
@given(MIXED_TEXT)
def test_any_text_gives_a_number_or_invalid_input(typed: str) -> None:
    assert refusal(parse_number, typed) in NUMBER_REFUSALS


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_unicode_gives_a_number_or_invalid_input(typed: str) -> None:
    assert refusal(parse_number, typed) in NUMBER_REFUSALS


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LONG_TEXT)
def test_ten_thousand_characters_give_a_number_or_invalid_input(typed: str) -> None:
    assert refusal(parse_number, typed) in NUMBER_REFUSALS


@settings(max_examples=200, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False, places=4, max_value=10**10,
                   min_value=-(10**10)))  # fmt: skip
def test_formatted_number_reads_back_as_the_same_value(value: Decimal) -> None:
    assert parse_number(format_number(value)).value == value


# ------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1234.5"), "1,234.5"),
        (Decimal("85.50"), "85.5"),
        (Decimal("100.00"), "100"),
        (Decimal("1E+3"), "1,000"),
        (Decimal("-1234567.125"), "-1,234,567.125"),
        (Decimal("0.0001"), "0.0001"),
        (Decimal("-0"), "0"),
    ],
)
def test_number_shows_only_significant_decimals(value: Decimal, expected: str) -> None:
    assert format_number(value) == expected


def test_number_with_fixed_decimals_rounds_half_up() -> None:
    assert format_number(Decimal("2.345"), decimals=2) == "2.35"
    assert format_number(Decimal("1234"), decimals=2) == "1,234.00"
    assert format_number(Decimal("-0.001"), decimals=2) == "0.00"


def test_money_reads_in_baht_in_both_languages() -> None:
    assert format_money(Decimal("12000"), "th") == "12,000.00 บาท"
    assert format_money(Decimal("12000"), "en") == "THB 12,000.00"


def test_percent_has_one_decimal_by_default() -> None:
    assert format_percent(Decimal("85.54")) == "85.5%"
    assert format_percent(Decimal("85")) == "85.0%"
    assert format_percent(Decimal("85.50"), decimals=None) == "85.5%"


def test_formatting_refuses_nan() -> None:
    with pytest.raises(ValueError, match="NaN"):
        format_number(Decimal("NaN"))


# ------------------------------------------------------------------- money


def test_money_is_rounded_half_up_to_satang() -> None:
    assert parse_money("฿12,000.005") == Decimal("12000.01")
    assert parse_money("๑๒,๐๐๐ บาท") == Decimal("12000.00")


def test_negative_money_is_refused_with_an_example() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_money("-500")
    assert caught.value.key == "money.negative"
    assert "<code>12,000</code>" in t("th", caught.value.key)
    assert t("en", caught.value.key).startswith("An amount of money cannot be negative.")


def test_percent_typed_as_money_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_money("15%")
    assert caught.value.key == "money.not_percent"
    assert t("th", caught.value.key).startswith("กรุณาพิมพ์จำนวนเงินเป็นบาท ไม่ใช่ร้อยละ")


def test_money_that_is_not_a_number_reports_the_number_error() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_money("หนึ่งหมื่น")
    assert caught.value.key == "number.not_a_number"
