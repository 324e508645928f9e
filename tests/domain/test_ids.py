"""Tests for wushan_desk.domain.ids: resident IDs, 学籍号, phone numbers and masks."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from wushan_desk.domain.errors import ValidationError
from wushan_desk.domain.ids import (
    MAX_AGE_YEARS,
    PROVINCE_CODES,
    ResidentId,
    check_id_matches,
    is_valid_resident_id,
    mask_bank_card,
    mask_phone,
    mask_resident_id,
    normalize_phone,
    parse_resident_id,
    parse_student_number,
    resident_id_check_char,
)

TODAY = dt.date(2026, 6, 1)
OLDEST = dt.date(TODAY.year - MAX_AGE_YEARS, TODAY.month, TODAY.day)

#: GB 11643 example: check character X, a woman born 1949-12-31.
ID_X = "11010519491231002X"
#: Wushan County (500237), born 2015-09-01, sequence 003 (a boy), check digit 7.
ID_WUSHAN = "500237201509010037"


def with_check(first17: str) -> str:
    """A full ID with the correct check character, to isolate other errors."""
    return first17 + resident_id_check_char(first17)


def fail(func, *args, **kwargs) -> ValidationError:
    """Call `func` expecting a ValidationError; return it for message checks."""
    with pytest.raises(ValidationError) as info:
        func(*args, **kwargs)
    return info.value


# --------------------------------------------------------------------- check character


def test_check_char_x_and_digit():
    assert resident_id_check_char(ID_X[:17]) == "X"
    assert resident_id_check_char(ID_WUSHAN[:17]) == "7"
    assert resident_id_check_char("50023720140301002") == "0"


@pytest.mark.parametrize("bad", ["", "1234", "5002372015090100A", "500237201509010037"])
def test_check_char_needs_17_digits(bad):
    assert "前17位" in fail(resident_id_check_char, bad).message


# ------------------------------------------------------------------------ resident ID


def test_parse_standard_example():
    assert parse_resident_id(ID_X, today=TODAY) == ResidentId(
        number=ID_X,
        area_code="110105",
        birth_date=dt.date(1949, 12, 31),
        sex="女",
        legacy=False,
    )


def test_parse_digit_check_char():
    parsed = parse_resident_id(ID_WUSHAN, today=TODAY)
    assert (parsed.area_code, parsed.birth_date, parsed.sex) == (
        "500237",
        dt.date(2015, 9, 1),
        "男",
    )


@pytest.mark.parametrize(
    "typed",
    [
        "11010519491231002x",
        "  11010519491231002X\t",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５１９４９１２３１００２ｘ",
        "\ufeff11010519491231002X\u200b",
        "\u300011010519491231002x\u3000",
    ],
)
def test_parse_normalises_case_width_and_blanks(typed):
    assert parse_resident_id(typed, today=TODAY).number == ID_X


def test_sex_from_sequence_parity():
    for seq, sex in [("001", "男"), ("002", "女"), ("999", "男"), ("000", "女"), ("358", "女")]:
        number = with_check("50023720150901" + seq)
        assert parse_resident_id(number, today=TODAY).sex == sex


def test_wrong_check_digit_rejected():
    error = fail(parse_resident_id, "500237201509010038", today=TODAY)
    assert error.message == "身份证号最后一位（校验位）不正确，请核对号码是否抄错"
    assert error.field == "resident_id"
    assert "0037" not in error.message


def test_x_where_digit_expected_is_wrong_check():
    assert "校验位" in fail(parse_resident_id, "50023720150901003X", today=TODAY).message


def test_impossible_date_rejected():
    error = fail(parse_resident_id, with_check("50023720150230003"), today=TODAY)
    assert "日期不存在" in error.message
    assert "第7至14位" in error.message


@pytest.mark.parametrize("date", ["20151301", "20150931", "20150900", "00000101"])
def test_other_impossible_dates(date):
    assert "日期不存在" in fail(parse_resident_id, with_check("500237" + date + "003")).message


def test_future_date_rejected():
    error = fail(parse_resident_id, with_check("50023720261231003"), today=TODAY)
    assert "晚于今天" in error.message


def test_today_is_allowed():
    assert parse_resident_id(with_check("50023720260601003"), today=TODAY).birth_date == TODAY


def test_more_than_130_years_ago_rejected():
    assert parse_resident_id(with_check("11010518960601003"), today=TODAY).birth_date == OLDEST
    error = fail(parse_resident_id, with_check("11010518960531003"), today=TODAY)
    assert "超过130年" in error.message


def test_age_limit_on_29_february():
    leap_day = dt.date(2024, 2, 29)
    assert parse_resident_id(with_check("11010518940228003"), today=leap_day)
    assert (
        "超过130年"
        in fail(parse_resident_id, with_check("11010518940227003"), today=leap_day).message
    )


@pytest.mark.parametrize("area", ["000000", "010105", "990105", "160105", "720105", "840105"])
def test_implausible_area_rejected(area):
    error = fail(parse_resident_id, with_check(area + "20150901003"), today=TODAY)
    assert "省份代码" in error.message


@pytest.mark.parametrize("area", ["110105", "500237", "650102", "710000", "810000", "830000"])
def test_plausible_areas_accepted(area):
    assert parse_resident_id(with_check(area + "20150901003"), today=TODAY).area_code == area


@pytest.mark.parametrize(
    ("typed", "length"),
    [("50023720150901003", 17), ("5002372015090100371", 19), ("1234", 4), ("5002371509010", 13)],
)
def test_wrong_length_rejected(typed, length):
    error = fail(parse_resident_id, typed, today=TODAY)
    assert "应为18位" in error.message
    assert f"现在是{length}位" in error.message


def test_empty_rejected():
    assert "为空" in fail(parse_resident_id, "   ").message


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("11010519491231002A", "“A”"),
        ("1101051949123100X2", "“X”"),
        ("110105 1949123100X", "空格"),
        ("11010519491231O02X", "“O”"),
        ("11010519491231-02X", "“-”"),
    ],
)
def test_letters_rejected(typed, shown):
    error = fail(parse_resident_id, typed, today=TODAY)
    assert "不该出现的字符" in error.message
    assert shown in error.message


def test_legacy_15_digit_form():
    parsed = parse_resident_id("110105491231002", today=TODAY)
    assert parsed == ResidentId("110105491231002", "110105", dt.date(1949, 12, 31), "女", True)
    male = parse_resident_id("510228850315001", today=TODAY)
    assert (male.birth_date, male.sex, male.legacy) == (dt.date(1985, 3, 15), "男", True)


def test_legacy_errors():
    assert "只能由数字组成" in fail(parse_resident_id, "11010549123100X").message
    assert "日期不存在" in fail(parse_resident_id, "110105490230002").message
    assert "省份代码" in fail(parse_resident_id, "990105491231002").message


def test_is_valid_resident_id():
    assert is_valid_resident_id(ID_X)
    assert is_valid_resident_id("110105491231002")
    assert not is_valid_resident_id("11010519491231002Y")
    assert not is_valid_resident_id("")


# ------------------------------------------------------------------------------ masks


@pytest.mark.parametrize(
    ("typed", "masked"),
    [
        (ID_X, "110105********002X"),
        ("11010519491231002x", "110105********002X"),
        (" 110105491231002 ", "110105*****1002"),
        ("1234567890", "**********"),
        ("", ""),
    ],
)
def test_mask_resident_id(typed, masked):
    assert mask_resident_id(typed) == masked


@pytest.mark.parametrize(
    ("typed", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("023-57682345", "023-****2345"),
        ("07558600123", "0755-***0123"),
        ("not a phone number", "not***********mber"),
        ("12345", "*****"),
    ],
)
def test_mask_phone(typed, masked):
    assert mask_phone(typed) == masked


@pytest.mark.parametrize(
    ("typed", "masked"),
    [
        ("6222021234567890123", "***************0123"),
        ("6222 0212 3456 7890", "************7890"),
        ("1234567", "*******"),
    ],
)
def test_mask_bank_card(typed, masked):
    assert mask_bank_card(typed) == masked


# ---------------------------------------------------------------------- ID vs. record


def test_check_id_matches_accepts_agreement_and_blanks():
    assert check_id_matches(ID_X, dt.date(1949, 12, 31), "女") is None
    assert check_id_matches(ID_X, None, None) is None
    assert check_id_matches(ID_X, None, "") is None


def test_check_id_matches_birth_date():
    error = fail(check_id_matches, ID_X, dt.date(1949, 12, 30), "女")
    assert error.message.startswith("出生日期与身份证号不一致")
    assert error.field == "birth_date"


def test_check_id_matches_sex():
    error = fail(check_id_matches, ID_X, dt.date(1949, 12, 31), "男")
    assert error.message.startswith("性别与身份证号不一致")
    assert error.field == "sex"


def test_check_id_matches_sex_legacy():
    error = fail(check_id_matches, "110105491231002", None, "男")
    assert "最后一位单数是男" in error.message


def test_check_id_matches_invalid_id():
    assert "校验位" in fail(check_id_matches, "110105194912310021", None, None).message


# --------------------------------------------------------------------- student number


def test_student_number_g():
    assert parse_student_number("G" + ID_WUSHAN, today=TODAY) == "G" + ID_WUSHAN
    assert parse_student_number(" g11010519491231002x ", today=TODAY) == "G" + ID_X
    assert parse_student_number("G" + ID_X, resident_id=ID_X.lower()) == "G" + ID_X


def test_student_number_g_bad_id():
    error = fail(parse_student_number, "G500237201509010038", today=TODAY)
    assert error.message.startswith("学籍号G后面应是学生的18位身份证号，但")
    assert "校验位" in error.message
    assert error.field == "student_number"


def test_student_number_g_must_match_resident_id():
    error = fail(parse_student_number, "G" + ID_WUSHAN, resident_id=ID_X, today=TODAY)
    assert "与填写的身份证号不一致" in error.message


def test_student_number_g_matches_legacy_resident_id():
    upgraded = with_check("11010519491231002")
    assert parse_student_number("G" + upgraded, resident_id="110105491231002")


def test_student_number_j():
    assert parse_student_number("j50023720150901003x", today=TODAY) == "J50023720150901003X"
    assert parse_student_number("J500237201509010031", today=TODAY)  # no check digit rule
    # A J number is not compared with the resident ID: it exists for students without one.
    assert parse_student_number("J500237201509010031", resident_id=ID_X, today=TODAY)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("J5002372015090100A1", "17位数字加最后一位数字或X"),
        ("J500237201502300031", "日期不存在"),
        ("J500237203001010031", "晚于今天"),
        ("J990237201509010031", "省份代码"),
    ],
)
def test_student_number_j_invalid(typed, expected):
    assert expected in fail(parse_student_number, typed, today=TODAY).message


def test_student_number_l():
    assert parse_student_number("l500237201509011234", today=TODAY) == "L500237201509011234"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("L50023720150901123X", "后面18位应全是数字"),
        ("L500237201513011234", "日期不存在"),
        ("L000000201509011234", "省份代码"),
    ],
)
def test_student_number_l_invalid(typed, expected):
    assert expected in fail(parse_student_number, typed, today=TODAY).message


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (ID_WUSHAN, "学籍号应为19位：G、J或L开头，后跟18位；现在是18位"),
        ("G50023720150901003", "学籍号应为19位：G、J或L开头，后跟18位；现在是18位"),
        ("", "现在是0位"),
        ("A" + ID_WUSHAN, "现在开头是“A”"),
        ("1" + ID_WUSHAN, "现在开头是“1”"),
    ],
)
def test_student_number_shape(typed, expected):
    assert expected in fail(parse_student_number, typed, today=TODAY).message


# ----------------------------------------------------------------------------- phones


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("19912345678", "19912345678"),
        ("023-57682345", "023-57682345"),
        ("02357682345", "023-57682345"),
        ("023 5768 2345", "023-57682345"),
        ("(023)57682345", "023-57682345"),
        ("0235-7682345", "023-57682345"),
        ("+86 23 5768 2345", "023-57682345"),
        ("010-62345678", "010-62345678"),
        ("0755-86001234", "0755-86001234"),
        ("08366123456", "0836-6123456"),
    ],
)
def test_normalize_phone_accepts(typed, normalised):
    assert normalize_phone(typed) == normalised


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1381234567", "现在是10位"),
        ("138123456789", "现在是12位"),
        ("12812345678", "以13至19开头"),
        ("57682345", "要带区号"),
        ("023-1768234", "区号加7至8位号码"),
        ("023-576823456", "区号加7至8位号码"),
        ("00-57682345", "区号加7至8位号码"),
        ("138a2345678", "只能有数字"),
        ("", "只能有数字"),
        ("+1 650 253 0000", "只支持中国大陆"),
        ("98765", "格式不对"),
    ],
)
def test_normalize_phone_rejects(typed, expected):
    error = fail(normalize_phone, typed)
    assert expected in error.message
    assert error.field == "phone"


# ------------------------------------------------------------------------- properties

AREAS = st.builds(
    lambda province, rest: f"{province}{rest:04d}",
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.integers(0, 9999),
)
BIRTHS = st.dates(min_value=OLDEST, max_value=TODAY)
SEQUENCES = st.integers(0, 999)


@st.composite
def valid_ids(draw: st.DrawFn) -> tuple[str, str, dt.date, int]:
    """A valid 18-character ID with the parts it was built from."""
    area, born, seq = draw(AREAS), draw(BIRTHS), draw(SEQUENCES)
    return with_check(f"{area}{born:%Y%m%d}{seq:03d}"), area, born, seq


@given(valid_ids())
def test_property_valid_ids_round_trip(built):
    number, area, born, seq = built
    parsed = parse_resident_id(number, today=TODAY)
    assert parsed == ResidentId(number, area, born, "男" if seq % 2 else "女", False)
    assert is_valid_resident_id(number, today=TODAY)
    assert parse_student_number("G" + number, resident_id=number, today=TODAY) == "G" + number


@given(valid_ids(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_property_single_substitution_detected(built, position, replacement):
    number = built[0]
    if position < 17:
        assume(replacement != "X")
    assume(replacement != number[position])
    changed = number[:position] + replacement + number[position + 1 :]
    with pytest.raises(ValidationError):
        parse_resident_id(changed, today=TODAY)


@given(valid_ids(), st.integers(0, 16))
def test_property_adjacent_swap_detected(built, position):
    number = built[0]
    assume(number[position] != number[position + 1])
    swapped = number[:position] + number[position + 1] + number[position] + number[position + 2 :]
    with pytest.raises(ValidationError):
        parse_resident_id(swapped, today=TODAY)


@st.composite
def typed_variants(draw: st.DrawFn, number: str) -> str:
    """`number` as a user might type or paste it: case, width and blanks varied."""
    width = draw(st.sampled_from(["ascii", "full"]))
    text = number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    text = text if width == "full" else number
    text = text.lower() if draw(st.booleans()) else text
    pad = st.sampled_from(["", " ", "\t", "\u3000", "\ufeff"])
    return draw(pad) + text + draw(pad)


@given(st.data(), valid_ids())
def test_property_resident_id_normalisation_idempotent(data, built):
    typed = data.draw(typed_variants(built[0]))
    once = parse_resident_id(typed, today=TODAY).number
    assert once == built[0]
    assert parse_resident_id(once, today=TODAY).number == once
    assert mask_resident_id(typed) == mask_resident_id(once)


@given(st.data(), valid_ids(), st.sampled_from("GgJjLl"))
def test_property_student_number_idempotent(data, built, prefix):
    number = built[0] if prefix in "GgJj" else built[0][:14] + "1234"
    once = parse_student_number(data.draw(typed_variants(prefix + number)), today=TODAY)
    assert once == prefix.upper() + number
    assert parse_student_number(once, today=TODAY) == once


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(1999, 12, 31)), AREAS, SEQUENCES)
def test_property_legacy_matches_its_18_digit_form(born, area, seq):
    legacy = f"{area}{born:%y%m%d}{seq:03d}"
    parsed = parse_resident_id(legacy, today=TODAY)
    assert (parsed.birth_date, parsed.legacy, parsed.number) == (born, True, legacy)
    modern = with_check(f"{area}{born:%Y%m%d}{seq:03d}")
    assert parse_resident_id(modern, today=TODAY).sex == parsed.sex
    assert parse_student_number("G" + modern, resident_id=legacy, today=TODAY)


MOBILES = st.builds(
    lambda second, rest: f"1{second}{rest:09d}", st.integers(3, 9), st.integers(0, 10**9 - 1)
)
LANDLINES = st.builds(
    lambda area, first, rest, size: f"{area}{first}{rest:07d}"[: len(area) + size],
    st.sampled_from(["010", "023", "020", "0755", "0836", "0851"]),
    st.integers(2, 9),
    st.integers(0, 10**7 - 1),
    st.integers(7, 8),
)
SEPARATORS = st.sampled_from(["", " ", "-", "－", "　"])


@given(st.one_of(MOBILES, LANDLINES), SEPARATORS, st.sampled_from(["", "+86 ", "0086-"]))
def test_property_phone_normalisation_idempotent(digits, separator, prefix):
    if prefix and digits.startswith("0"):
        digits = digits[1:]  # after +86 a landline drops its trunk 0
    typed = prefix + separator.join([digits[:3], digits[3:7], digits[7:]])
    once = normalize_phone(typed)
    assert normalize_phone(once) == once
    assert once.replace("-", "").lstrip("0") == digits.lstrip("0")
    assert mask_phone(once)[-4:] == once[-4:]


def test_forbidden_characters_are_exactly_the_unicode_categories() -> None:
    """text.problem scans with one regular expression (it runs for every field of every
    synced row); for every code point it agrees with the rule it implements: control
    characters, line and paragraph separators, lone surrogates, bidi controls; "\\n" and
    "\\t" allowed in multi-line fields."""
    import unicodedata

    from wushan_desk.domain import text

    for cp in range(0x110000):
        char = chr(cp)
        banned = (unicodedata.category(char) in ("Cc", "Zl", "Zp", "Cs")
                  or char in text.BIDI_CONTROLS)
        assert (text.problem(char, multiline=False) is not None) == banned, hex(cp)
        allowed_here = char in "\n\t"
        assert (text.problem(char, multiline=True) is not None) == (banned and not allowed_here)


def test_today_follows_the_county_zone_and_the_clock_within_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`clock.today` is worked out once a second; a change of zone or of the clock in
    that second still gives the right date."""
    import time

    from wushan_desk.domain import clock

    just_after_midnight_in_wushan = 1_795_104_060.5  # 2026-11-20 00:01 UTC+8
    monkeypatch.setattr(time, "time", lambda: just_after_midnight_in_wushan)
    assert clock.today() == dt.date(2026, 11, 20)
    monkeypatch.setenv("WUSHAN_DESK_TZ", "UTC")
    assert clock.today() == dt.date(2026, 11, 19)
    monkeypatch.setattr(time, "time", lambda: just_after_midnight_in_wushan + 86_400)
    assert clock.today() == dt.date(2026, 11, 20)
