"""Identifier rules: resident ID, student number (学籍号), phone numbers and masks.

Pure functions, standard library only. Every rejection is a ``ValidationError`` whose
message tells a township supervisor in plain Chinese what is wrong and what to do. The
messages never repeat the digits of an ID or a birth date: they can end up in the log.
Masks follow ui-guide.md: ID first 6 + last 4, bank card last 4, phone first 3 + last 4.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from wushan_desk.domain import clock
from wushan_desk.domain.errors import ValidationError

__all__ = [
    "MAX_AGE_YEARS",
    "PROVINCE_CODES",
    "ResidentId",
    "check_id_matches",
    "is_valid_resident_id",
    "mask_bank_card",
    "mask_phone",
    "mask_resident_id",
    "normalize_phone",
    "parse_resident_id",
    "parse_student_number",
    "resident_id_check_char",
]

#: ISO 7064 MOD 11-2 weights for the first 17 characters (GB 11643-1999).
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
#: Check character for each remainder 0..10 of the weighted sum.
_CHECK_CHARS = "10X98765432"

#: First two digits of a real province-level area code (GB/T 2260), plus the prefixes
#: used for Taiwan (71, 83), Hong Kong (81), Macao (82) and foreigners' cards (91).
PROVINCE_CODES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23"}
    | {"31", "32", "33", "34", "35", "36", "37"}
    | {"41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54"}
    | {"61", "62", "63", "64", "65", "71", "81", "82", "83", "91"}
)

#: A birth date further back than this is treated as a typing error.
MAX_AGE_YEARS = 130

#: Characters copy-paste from Excel, WeChat or web pages silently brings along.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))

_RID18 = re.compile(r"[0-9]{17}[0-9X]")
_RID15 = re.compile(r"[0-9]{15}")
_ALL_DIGITS = re.compile(r"[0-9]+")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LOCAL_NUMBER = re.compile(r"[2-9][0-9]{6,7}")
_PHONE_SEPARATORS = re.compile(r"[\s\-–—()]")

_PHONE_HELP = "手机号为11位（如13812345678），座机号要带区号（如023-57682345）"


# --------------------------------------------------------------------------- helpers


def _clean(text: str) -> str:
    """Full-width to ASCII, drop invisible characters, strip surrounding blanks.

    Why: numbers arrive typed with a Chinese IME (full-width digits) or pasted from
    Excel or WeChat (zero-width spaces, stray blanks); all mean the same number.
    """
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE).strip()


def _normalise(text: str) -> str:
    """`_clean` plus upper case, so a lower-case x or g/j/l prefix is accepted."""
    return _clean(text).upper()


def _describe_chars(chars: str) -> str:
    """Quote each distinct offending character once, naming blanks as 空格 (invisible)."""
    seen = dict.fromkeys("空格" if c.isspace() else c for c in chars)
    return "、".join(f"“{c}”" for c in seen)


def _area_is_plausible(code: str) -> bool:
    """True if a 6-digit area code starts with a real province code (so 1-9 first)."""
    return len(code) == 6 and code[0] in "123456789" and code[:2] in PROVINCE_CODES


def _check_area(code: str, where: str, field: str) -> None:
    """Reject an implausible area code; `where` names the digits in the message."""
    if not _area_is_plausible(code):
        raise ValidationError(
            f"{where}是地区代码，但开头两位不是有效的省份代码，请核对号码是否抄错", field
        )


def _oldest_allowed(today: dt.date) -> dt.date:
    """The earliest plausible birth date: `MAX_AGE_YEARS` before today (29 Feb safe)."""
    year = today.year - MAX_AGE_YEARS
    try:
        return today.replace(year=year)
    except ValueError:  # today is 29 February and that year is not a leap year
        return dt.date(year, 2, 28)


def _birth_date(yyyymmdd: str, today: dt.date, where: str, field: str) -> dt.date:
    """Parse an 8-digit birth date and check it exists and is neither future nor too old."""
    try:
        born = dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        raise ValidationError(
            f"{where}是出生日期，但这个日期不存在（例如2月30日），请核对号码是否抄错", field
        ) from None
    if born > today:
        raise ValidationError(f"{where}是出生日期，但它晚于今天，请核对号码是否抄错", field)
    if born < _oldest_allowed(today):
        raise ValidationError(
            f"{where}是出生日期，但它距今超过{MAX_AGE_YEARS}年，不合理，请核对号码是否抄错",
            field,
        )
    return born


def _sex_from_sequence(sequence: str) -> str:
    """GB 11643: an odd sequence number is a man, an even one a woman."""
    return "男" if int(sequence) % 2 else "女"


# ----------------------------------------------------------------------- resident ID


def resident_id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character ('0'-'9' or 'X') for 17 ID digits.

    Why: the check character catches every single mistyped digit and every swap of
    two neighbouring digits, the two commonest copying errors.
    """
    if not (len(first17) == 17 and _ALL_DIGITS.fullmatch(first17)):
        raise ValidationError("计算校验位需要身份证号的前17位数字", "resident_id")
    total = sum(map(operator.mul, map(int, first17), _WEIGHTS))  # 17 of each: checked above
    return _CHECK_CHARS[total % 11]


@dataclass(frozen=True)
class ResidentId:
    """A checked resident ID and what it says about its holder.

    `number` is the normalised text (18 characters, or the 15 digits of an old ID,
    for which `legacy` is True).
    """

    number: str
    area_code: str
    birth_date: dt.date
    sex: str
    legacy: bool


def parse_resident_id(text: str, *, today: dt.date | None = None) -> ResidentId:
    """Normalise and validate an 18-character or old 15-digit resident ID.

    `today` bounds the birth date (defaults to the real date; tests pin it).
    Raises ValidationError with a specific Chinese message for each kind of mistake.
    """
    number = _normalise(text)
    return _parse_number(number, today or clock.today())


@functools.lru_cache(maxsize=4096)
def _parse_number(number: str, today: dt.date) -> ResidentId:
    """Parsed once per number and day: an import checks each ID a few times (its value,
    then its agreement with the birth date and sex). Errors are not cached."""
    if len(number) == 18:
        return _parse_18(number, today)
    if len(number) == 15:
        return _parse_15(number, today)
    if not number:
        raise ValidationError("身份证号为空，请填写18位身份证号", "resident_id")
    raise ValidationError(
        f"身份证号应为18位（旧版为15位），现在是{len(number)}位，请核对是否漏输或多输",
        "resident_id",
    )


def _parse_18(number: str, today: dt.date) -> ResidentId:
    """Validate an 18-character ID: characters, area, birth date, then check character."""
    if not _RID18.fullmatch(number):
        bad = [c for c in number[:17] if not c.isascii() or not c.isdigit()]
        bad += [] if number[17] in "0123456789X" else [number[17]]
        raise ValidationError(
            f"身份证号里有不该出现的字符{_describe_chars(''.join(bad))}："
            "前17位只能是数字，最后一位是数字或X，请核对",
            "resident_id",
        )
    _check_area(number[:6], "身份证号前6位", "resident_id")
    born = _birth_date(number[6:14], today, "身份证号第7至14位", "resident_id")
    if resident_id_check_char(number[:17]) != number[17]:
        raise ValidationError("身份证号最后一位（校验位）不正确，请核对号码是否抄错", "resident_id")
    return ResidentId(number, number[:6], born, _sex_from_sequence(number[14:17]), False)


def _parse_15(number: str, today: dt.date) -> ResidentId:
    """Validate an old 15-digit ID (YYMMDD birth date in the 1900s, no check digit)."""
    if not _RID15.fullmatch(number):
        bad = [c for c in number if not c.isascii() or not c.isdigit()]
        raise ValidationError(
            f"旧版15位身份证号只能由数字组成，其中有{_describe_chars(''.join(bad))}，请核对",
            "resident_id",
        )
    _check_area(number[:6], "身份证号前6位", "resident_id")
    born = _birth_date("19" + number[6:12], today, "旧版身份证号第7至12位", "resident_id")
    return ResidentId(number, number[:6], born, _sex_from_sequence(number[12:15]), True)


def _as_18(resident_id: str) -> str:
    """The 18-character form of an ID: old 15-digit IDs get '19' and a check character.

    Why: a G student number always embeds the 18-character form, even for a
    student whose record still holds the old 15-digit number.
    """
    number = _normalise(resident_id)
    if _RID15.fullmatch(number):
        first17 = number[:6] + "19" + number[6:]
        return first17 + resident_id_check_char(first17)
    return number


def is_valid_resident_id(text: str, *, today: dt.date | None = None) -> bool:
    """True if `text` parses as a resident ID (18-character or old 15-digit)."""
    try:
        parse_resident_id(text, today=today)
    except ValidationError:
        return False
    return True


def mask_resident_id(text: str) -> str:
    """Show only the first 6 and last 4 characters of an ID, e.g. 110105********002X.

    Anything shorter than an old 15-digit ID is fully masked: keeping 10 characters of
    a short string would reveal most of it.
    """
    number = _normalise(text)
    if len(number) < 15:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def check_id_matches(resident_id: str, birth_date: dt.date | None, sex: str | None) -> None:
    """Raise if a filled-in birth date or sex contradicts what the ID number encodes.

    Empty values (None or "") are not checked: the form may not have them yet.
    """
    parsed = parse_resident_id(resident_id)
    if birth_date is not None and birth_date != parsed.birth_date:
        raise ValidationError("出生日期与身份证号不一致，请核对出生日期或身份证号", "birth_date")
    if sex and sex != parsed.sex:
        digit = "最后一位" if parsed.legacy else "倒数第二位"
        raise ValidationError(
            f"性别与身份证号不一致（身份证号{digit}单数是男、双数是女），请核对性别或身份证号",
            "sex",
        )


# -------------------------------------------------------------------- student number


def parse_student_number(
    text: str, *, resident_id: str | None = None, today: dt.date | None = None
) -> str:
    """Normalise and validate a 19-character 学籍号 (G, J or L + 18 characters).

    If `resident_id` is given, a G number must embed exactly that ID (an old 15-digit
    ID is compared in its 18-character form). J and L numbers are not compared:
    they exist precisely for students without a usable ID. Returns the number.
    """
    number = _normalise(text)
    today = today or clock.today()
    if len(number) != 19:
        raise ValidationError(
            f"学籍号应为19位：G、J或L开头，后跟18位；现在是{len(number)}位，请核对",
            "student_number",
        )
    check_body = _STUDENT_BODY_CHECKS.get(number[0])
    if check_body is None:
        raise ValidationError(
            f"学籍号应为19位：G、J或L开头，后跟18位；现在开头是{_describe_chars(number[0])}，"
            "请核对",
            "student_number",
        )
    check_body(number[1:], today)
    if resident_id and number[0] == "G" and number[1:] != _as_18(resident_id):
        raise ValidationError(
            "学籍号G后面的身份证号与填写的身份证号不一致，请核对哪一个抄错了",
            "student_number",
        )
    return number


def _check_g_body(body: str, today: dt.date) -> None:
    """A G number is 'G' + the student's valid 18-character resident ID."""
    try:
        _parse_number(body, today)  # (the same ID was just parsed as the resident ID)
    except ValidationError as exc:
        raise ValidationError(
            f"学籍号G后面应是学生的18位身份证号，但{exc.message}", "student_number"
        ) from None


def _check_j_body(body: str, today: dt.date) -> None:
    """A J number is ID-shaped: 17 digits + digit/X, plausible area and birth date."""
    if not _RID18.fullmatch(body):
        raise ValidationError(
            "学籍号J开头时，后面18位应是17位数字加最后一位数字或X，请核对", "student_number"
        )
    _check_area(body[:6], "学籍号第2至7位", "student_number")
    _birth_date(body[6:14], today, "学籍号第8至15位", "student_number")


def _check_l_body(body: str, today: dt.date) -> None:
    """An L (temporary) number is a 6-digit area + 8-digit birth date + 4 digits."""
    if not (len(body) == 18 and _ALL_DIGITS.fullmatch(body)):
        raise ValidationError(
            "学籍号L开头时，后面18位应全是数字（6位地区代码、8位出生日期、4位序号），请核对",
            "student_number",
        )
    _check_area(body[:6], "学籍号第2至7位", "student_number")
    _birth_date(body[6:14], today, "学籍号第8至15位", "student_number")


_STUDENT_BODY_CHECKS: dict[str, Callable[[str, dt.date], None]] = {
    "G": _check_g_body,
    "J": _check_j_body,
    "L": _check_l_body,
}


# ---------------------------------------------------------------------------- phones


def normalize_phone(text: str) -> str:
    """Return a mainland mobile as 11 digits or a landline as '023-57682345'.

    Accepts spaces, dashes, brackets, full-width digits and a +86 / 0086 / 86 prefix.
    Raises ValidationError for anything else, so a wrong number is caught at entry.
    """
    raw = _PHONE_SEPARATORS.sub("", _normalise(text))
    digits = raw.removeprefix("+")
    if not digits or not (digits.isascii() and digits.isdigit()):
        raise ValidationError(
            f"电话号码里只能有数字、空格、短横线或括号。{_PHONE_HELP}，请核对", "phone"
        )
    national = _strip_country_code(digits, international=raw.startswith("+"))
    if _MOBILE.fullmatch(national):
        return national
    if national.startswith("1"):
        size = "" if len(national) == 11 else f"，现在是{len(national)}位"
        raise ValidationError(f"手机号应为11位数字、以13至19开头{size}，请核对", "phone")
    if national.startswith("0"):
        return _landline(national)
    if _LOCAL_NUMBER.fullmatch(national):
        raise ValidationError("座机号码要带区号（巫山是023，如023-57682345），请补上区号", "phone")
    raise ValidationError(f"电话号码格式不对。{_PHONE_HELP}，请核对", "phone")


def _strip_country_code(digits: str, *, international: bool) -> str:
    """Drop a China country code (+86, 0086, or 86 before a mobile) from a number.

    After +86 a landline is written without its leading 0 (+86 23 5768 2345), so the
    trunk 0 is put back.
    """
    if international:
        if not digits.startswith("86"):
            raise ValidationError("只支持中国大陆的电话号码（国际区号+86），请核对", "phone")
        rest = digits[2:]
    elif digits.startswith("0086"):
        rest = digits[4:]
    elif len(digits) == 13 and digits.startswith("86") and _MOBILE.fullmatch(digits[2:]):
        return digits[2:]
    else:
        return digits
    return rest if _MOBILE.fullmatch(rest) or rest.startswith("0") else "0" + rest


def _landline(number: str) -> str:
    """Split a landline into area code and local number: '023-57682345'.

    Area codes 010 and 020-029 have 3 digits, all others 4; local numbers have 7 or 8
    digits and never start with 0 or 1.
    """
    area_length = 3 if number[1:2] in ("1", "2") else 4
    area, local = number[:area_length], number[area_length:]
    if number[1:2] in ("", "0") or not _LOCAL_NUMBER.fullmatch(local):
        raise ValidationError("座机号码应为区号加7至8位号码（如023-57682345），请核对", "phone")
    return f"{area}-{local}"


def mask_phone(text: str) -> str:
    """Show only the first 3 and last 4 digits of a mobile: 138****5678.

    A landline keeps its area code and last 4 digits (023-****2345). Text that is not
    a valid number is masked the same way if long enough, else fully.
    """
    try:
        number = normalize_phone(text)
    except ValidationError:
        raw = _clean(text)
        if len(raw) < 11:
            return "*" * len(raw)
        return raw[:3] + "*" * (len(raw) - 7) + raw[-4:]
    if "-" in number:
        area, local = number.split("-")
        return f"{area}-{'*' * (len(local) - 4)}{local[-4:]}"
    return number[:3] + "****" + number[-4:]


# ------------------------------------------------------------------------ bank cards


def mask_bank_card(text: str) -> str:
    """Show only the last 4 digits of a bank card, separators dropped: ************1234.

    Fewer than 8 characters are fully masked: showing 4 of them would reveal too much.
    """
    number = _PHONE_SEPARATORS.sub("", _normalise(text))
    if len(number) < 8:
        return "*" * len(number)
    return "*" * (len(number) - 4) + number[-4:]
