"""The record kinds the app keeps: their fields, labels and validation rules.

One description per kind serves every door into the data: the GUI forms, `records put`
on the command line, the demo generator and (later) sync imports all validate through
``validate_record`` so a record that passes in one place passes everywhere.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from wushan_desk.domain import codes, ids
from wushan_desk.domain.errors import ValidationError

#: Looks up a referenced record: (kind, id) -> the record's fields, or None if absent.
Lookup = Callable[[str, str], Mapping[str, Any] | None]


@dataclass(frozen=True)
class FieldSpec:
    """One field of a kind: its storage type, Chinese label and rules."""

    name: str
    label: str
    type: str = "text"  # text | date | bool | int | choice | ref | list
    required: bool = False
    choices: tuple[str, ...] = ()
    ref: str | None = None  # kind referenced by a `ref` field
    max_length: int = 200
    sensitive: bool = False  # masked in lists and public outputs
    normalize: Callable[[str], str] | None = None


@dataclass(frozen=True)
class Kind:
    """A record kind: the CLI name, its table and its fields."""

    name: str
    table: str
    label: str
    fields: tuple[FieldSpec, ...]
    check: Callable[[dict[str, Any], Lookup], None] | None = None
    title_field: str = "name"

    def field(self, name: str) -> FieldSpec:
        return self._by_name[name]

    @cached_property
    def _by_name(self) -> dict[str, FieldSpec]:
        return {spec.name: spec for spec in self.fields}

    @cached_property
    def field_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields)


class RecordInvalid(ValidationError):
    """A record broke one or more rules; ``errors`` holds one entry per field."""

    def __init__(self, errors: list[ValidationError]) -> None:
        super().__init__("；".join(e.message for e in errors), errors[0].field if errors else None)
        self.errors = errors


UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


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


def _check_refs(kind_name: str) -> Callable[[dict[str, Any], Lookup], None]:
    """Every `ref` field must point at an existing record of its kind."""

    def check(record: dict[str, Any], lookup: Lookup) -> None:
        for spec in KINDS[kind_name].fields:
            value = record.get(spec.name)
            if spec.type == "ref" and value and spec.ref and lookup(spec.ref, value) is None:
                raise ValidationError(f"{spec.label}指向的记录不存在", spec.name)

    return check


def _as_date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None


F = FieldSpec
KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
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
}

# Kinds whose `ref` fields need only the generic existence check.
for _name in ("township", "centre", "centre_township", "school", "staff", "device"):
    KINDS[_name] = replace(KINDS[_name], check=_check_refs(_name))


def kind(name: str) -> Kind:
    """The kind called `name`; a Chinese message lists the valid names otherwise."""
    try:
        return KINDS[name]
    except KeyError:
        raise ValidationError(f"没有“{name}”这类记录，可用：{', '.join(KINDS)}") from None


def validate_record(kind_name: str, record: Mapping[str, Any], lookup: Lookup) -> dict[str, Any]:
    """Check and normalise a whole record; returns the cleaned field values.

    Raises RecordInvalid listing every field that is wrong, so that a form can mark
    all of them at once instead of one per save attempt.
    """
    spec_kind = kind(kind_name)
    unknown = set(record) - set(spec_kind.field_names) - {"id"}
    errors: list[ValidationError] = [
        ValidationError(f"未知字段“{name}”", name) for name in sorted(unknown)
    ]
    clean: dict[str, Any] = {}
    for spec in spec_kind.fields:
        try:
            clean[spec.name] = _clean_value(spec, record.get(spec.name))
        except ValidationError as exc:
            errors.append(ValidationError(f"{spec.label}：{exc.message}", spec.name))
    if not errors and spec_kind.check:
        try:
            spec_kind.check(clean, lookup)
        except ValidationError as exc:
            errors.append(exc)
    if errors:
        raise RecordInvalid(errors)
    return clean


def _clean_value(spec: FieldSpec, value: Any) -> Any:
    """Normalise one value by its field type; None stands for "empty"."""
    if isinstance(value, str):
        value = value.strip()
    if value in (None, "", []):
        if spec.required:
            raise ValidationError("不能为空")
        return [] if spec.type == "list" else (False if spec.type == "bool" else None)
    if spec.type == "bool":
        if isinstance(value, bool) or value in (0, 1):
            return bool(value)
        raise ValidationError("应为“是”或“否”")
    if spec.type == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValidationError("应为非负整数")
        return value
    if spec.type == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationError("应为选项列表")
        bad = [v for v in value if spec.choices and v not in spec.choices]
        if bad:
            raise ValidationError(f"“{'、'.join(bad)}”不是可选项")
        return sorted(set(value), key=spec.choices.index if spec.choices else None)
    if not isinstance(value, str):
        raise ValidationError("应为文字")
    return _clean_text(spec, value)


def _clean_text(spec: FieldSpec, value: str) -> str:
    if len(value) > spec.max_length:
        raise ValidationError(f"不能超过{spec.max_length}个字")
    if spec.type == "date":
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise ValidationError("日期格式应为 2026-11-28") from None
        if not dt.date(1900, 1, 1) <= day <= dt.date(2100, 12, 31):
            raise ValidationError("日期不合理，请核对")
        return day.isoformat()
    if spec.type == "choice" and value not in spec.choices:
        raise ValidationError(f"“{value}”不是可选项，可选：{'、'.join(spec.choices)}")
    if spec.type == "ref" and not UUID_RE.fullmatch(value):
        raise ValidationError("记录编号格式不对")
    return spec.normalize(value) if spec.normalize else value


def json_schema(kind_name: str) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) describing one JSON line of `records put`."""
    spec_kind = kind(kind_name)
    props: dict[str, Any] = {"id": {"type": "string", "format": "uuid", "title": "编号"}}
    for spec in spec_kind.fields:
        prop: dict[str, Any] = {"title": spec.label}
        if spec.type == "bool":
            prop["type"] = "boolean"
        elif spec.type == "int":
            prop.update(type="integer", minimum=0)
        elif spec.type == "list":
            prop.update(type="array", items={"enum": list(spec.choices)}, uniqueItems=True)
        else:
            prop.update(type=["string", "null"], maxLength=spec.max_length)
            if spec.type == "date":
                prop["format"] = "date"
            if spec.type == "choice":
                prop["enum"] = [*spec.choices, None]
            if spec.type == "ref":
                prop.update(format="uuid", description=f"{spec.ref} 的编号")
        if spec.sensitive:
            prop["x-sensitive"] = True
        props[spec.name] = prop
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": spec_kind.label,
        "type": "object",
        "properties": props,
        "required": [s.name for s in spec_kind.fields if s.required],
        "additionalProperties": False,
    }
