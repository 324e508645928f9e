"""The foundation's record kinds: county, townships, centres, schools, students, staff,
devices, attachments. Later features declare theirs in their own modules (inspection.py).

Importing this module registers every kind; the schema language (FieldSpec, Kind,
validate_record, json_schema) lives in schema.py and is re-exported here, so callers
keep one import: `from wushan_desk.domain import entities`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import Any

from wushan_desk.domain import codes, ids
from wushan_desk.domain.errors import ValidationError
from wushan_desk.domain.schema import (  # noqa: F401 - re-exported for callers
    KINDS,
    UUID_RE,
    FieldSpec,
    Kind,
    Lookup,
    RecordInvalid,
    check_record,
    check_refs,
    json_schema,
    kind,
    register,
    validate_record,
)


def _school_code(text: str) -> str:
    if not re.fullmatch(r"\d{10}", text):
        raise ValidationError("学校标识码应为10位数字")
    return text


def _county_code(text: str) -> str:
    if not re.fullmatch(r"\d{6}", text):
        raise ValidationError("行政区划代码应为6位数字")
    return text


def _sha256(text: str) -> str:
    text = text.lower()
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise ValidationError("文件校验值（sha256）应为64位十六进制")
    return text


def _check_student(record: dict[str, Any], lookup: Lookup) -> None:
    """Cross-field rules: ID agrees with birth date and sex; grade fits the school."""
    rid = record.get("resident_id")
    if rid:
        ids.check_id_matches(rid, _as_date(record.get("birth_date")), record.get("sex"))
    number = record.get("student_number")
    if number:
        record["student_number"] = ids.parse_student_number(number, resident_id=rid or None)
    school = lookup("school", record["school_id"]) if record.get("school_id") else None
    if record.get("school_id") and school is None:
        raise ValidationError("所选学校不存在，请重新选择学校", "school_id")
    grade = record.get("grade")
    if school and grade:
        allowed = codes.GRADES_BY_SCHOOL_TYPE.get(school.get("type", ""), codes.ALL_GRADES)
        if grade not in allowed:
            raise ValidationError(
                f"{school.get('type')}没有“{grade}”，可选：{'、'.join(allowed)}", "grade"
            )


def _as_date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None


F = FieldSpec
register(
    Kind(
        "county",
        "counties",
        "区县",
        (
            F("code", "行政区划代码", required=True, normalize=_county_code),
            F("name", "名称", required=True),
        ),
    ),
    Kind(
        "township",
        "townships",
        "乡镇（街道）",
        (
            F("name", "名称", required=True),
            F("kind", "类别", "choice", required=True, choices=codes.TOWNSHIP_KINDS),
            F("county_id", "所属区县", "ref", required=True, ref="county"),
        ),
    ),
    Kind(
        "centre",
        "centres",
        "督导中心",
        (
            F("name", "名称", required=True),
            F("county_id", "所属区县", "ref", required=True, ref="county"),
            F("address", "地址"),
            F("phone", "电话", normalize=ids.normalize_phone),
        ),
    ),
    Kind(
        "centre_township",
        "centre_townships",
        "督导责任区",
        (
            F("centre_id", "督导中心", "ref", required=True, ref="centre"),
            F("township_id", "乡镇", "ref", required=True, ref="township"),
        ),
        title_field="township_id",
    ),
    Kind(
        "school",
        "schools",
        "学校",
        (
            F("name", "学校名称", required=True),
            F("code", "学校标识码", normalize=_school_code),
            F("type", "办学类型", "choice", required=True, choices=codes.SCHOOL_TYPES),
            F("township_id", "所在乡镇", "ref", required=True, ref="township"),
            F("address", "地址"),
            F("head", "校长（园长）"),
            F("phone", "联系电话", normalize=ids.normalize_phone),
            F("boarding", "寄宿制", "bool"),
        ),
    ),
    Kind(
        "student",
        "students",
        "学生",
        (
            F("name", "姓名", required=True, max_length=40),
            F("sex", "性别", "choice", required=True, choices=codes.SEXES),
            F("birth_date", "出生日期", "date", required=True),
            F(
                "resident_id",
                "身份证号",
                sensitive=True,
                normalize=lambda t: ids.parse_resident_id(t).number,
            ),
            F("student_number", "学籍号", max_length=19),
            F("school_id", "学校", "ref", required=True, ref="school"),
            F("grade", "年级", "choice", required=True, choices=codes.ALL_GRADES),
            F("class_name", "班级", max_length=20),
            F("guardian_name", "监护人", max_length=40),
            F("guardian_relation", "与学生关系", max_length=10),
            F("guardian_phone", "监护人电话", sensitive=True, normalize=ids.normalize_phone),
            F("hukou_type", "户籍类别", "choice", choices=codes.HUKOU_TYPES),
            F("hukou_address", "户籍地址", sensitive=True),
            F("special_groups", "特殊群体", "list", choices=codes.SPECIAL_GROUPS),
        ),
        check=_check_student,
    ),
    Kind(
        "staff",
        "staff",
        "人员",
        (
            F("name", "姓名", required=True, max_length=40),
            F("sex", "性别", "choice", choices=codes.SEXES),
            F("role", "岗位", "choice", required=True, choices=codes.STAFF_ROLES),
            F("phone", "电话", sensitive=True, normalize=ids.normalize_phone),
            F("centre_id", "督导中心", "ref", ref="centre"),
            F("school_id", "学校", "ref", ref="school"),
            F("certificate_no", "督学证号", max_length=40),
        ),
    ),
    Kind(
        "device",
        "devices",
        "设备",
        (
            F("name", "设备名称", required=True),
            F("role", "角色", "choice", required=True, choices=codes.DEVICE_ROLES),
            F("centre_id", "督导中心", "ref", ref="centre"),
            F("sign_public_key", "签名公钥", max_length=200),
            F("encrypt_public_key", "加密公钥", max_length=200),
            F("revoked", "已吊销", "bool"),
            # X.509 (PEM) from the county hub: the reports' digital signatures
            F("certificate", "证书", max_length=4000),
            # 发文代字 given by the hub at enrolment (domain/doc_numbers.py)
            F("doc_code", "发文代字", max_length=20),
        ),
    ),
    Kind(
        "attachment",
        "attachments",
        "附件",
        (
            F("sha256", "校验值", required=True, normalize=_sha256),
            F("size", "大小（字节）", "int", required=True),
            F("filename", "文件名", required=True),
            F("mime", "类型", max_length=100),
            F("owner_kind", "所属类别", max_length=40),
            F("owner_id", "所属记录", max_length=36),
            F("note", "说明", max_length=500),
        ),
        title_field="filename",
    ),
)

# Kinds whose `ref` fields need only the generic existence check.
for _name in ("township", "centre", "centre_township", "school", "staff", "device"):
    KINDS[_name] = replace(KINDS[_name], check=check_refs(_name))


# Later features declare their kinds in their own modules; importing them here means
# `entities.KINDS` always holds every kind, in order: foundation first.
from wushan_desk.domain import (  # noqa: E402, F401
    aid,
    aid_check,
    aid_recognition,
    aid_roster,
    dropout,
    inspection,
    term_rosters,
)
