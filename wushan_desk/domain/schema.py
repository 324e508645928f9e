"""How record kinds are described and validated: the schema language of the domain.

A `Kind` lists its `FieldSpec`s; `validate_record` checks a record against them and the
kind's cross-field rule; `json_schema` describes one line of `records put`. The kinds
themselves are declared in entities.py (foundation) and the modules of later features
(inspection.py ...), each registering them here, so every door into the data (GUI
forms, the CLI, the demo generator, sync) validates the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from wushan_desk.domain import text
from wushan_desk.domain.errors import ValidationError

#: Looks up a referenced record: (kind, id) -> the record's fields, or None if absent.
Lookup = Callable[[str, str], Mapping[str, Any] | None]

#: Every registered kind by name, in registration order (parents before children).
KINDS: dict[str, Kind] = {}


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
    #: Refuses (ValidationError) to tombstone a record that must stay (locked, append-only).
    delete_check: Callable[[dict[str, Any], Lookup], None] | None = None

    def field(self, name: str) -> FieldSpec:
        return self._by_name[name]

    def field_or_none(self, name: str) -> FieldSpec | None:
        return self._by_name.get(name)

    @cached_property
    def _by_name(self) -> dict[str, FieldSpec]:
        return {spec.name: spec for spec in self.fields}

    @cached_property
    def field_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields)

    @cached_property
    def field_name_set(self) -> frozenset[str]:
        return frozenset(self.field_names)

    @cached_property
    def text_field_names(self) -> frozenset[str]:
        """The fields whose values are text (dates, choices and record ids too)."""
        return frozenset(s.name for s in self.fields if s.type in ("text", "date", "choice",
                                                                     "ref"))

    @cached_property
    def reference_fields(self) -> tuple[FieldSpec, ...]:
        """The fields that name other records (`ref`, or lists of them)."""
        return tuple(spec for spec in self.fields if spec.ref)


class RecordInvalid(ValidationError):
    """A record broke one or more rules; ``errors`` holds one entry per field."""

    def __init__(self, errors: list[ValidationError]) -> None:
        super().__init__("；".join(e.message for e in errors), errors[0].field if errors else None)
        self.errors = errors


UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def register(*kinds: Kind) -> None:
    """Add kinds to the registry (at import of the module that declares them)."""
    for k in kinds:
        KINDS[k.name] = k


def check_refs(kind_name: str) -> Callable[[dict[str, Any], Lookup], None]:
    """Every `ref` field must point at an existing record of its kind."""

    def check(record: dict[str, Any], lookup: Lookup) -> None:
        for spec in KINDS[kind_name].fields:
            if not spec.ref:
                continue
            value = record.get(spec.name)
            targets: list[Any] = (value or []) if spec.type == "list" else [value] if value else []
            if any(lookup(spec.ref, target) is None for target in targets):
                raise ValidationError(f"{spec.label}指向的记录不存在", spec.name)

    return check


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
    if record.get("id"):
        clean["id"] = record["id"]  # lets a rule compare with the stored version
    if not errors and spec_kind.check:
        try:
            spec_kind.check(clean, lookup)
        except ValidationError as exc:
            errors.append(exc)
    if errors:
        raise RecordInvalid(errors)
    clean.pop("id", None)
    return clean


def check_record(kind_name: str, record: Mapping[str, Any], lookup: Lookup) -> None:
    """The rules about a whole record whose every value is already in its stored form
    (each came from the workspace, or passed `clean_value` and equalled its result):
    required fields and the kind's cross-record rules, without cleaning every value
    again. A package's judge runs this for each of thousands of rows."""
    spec_kind = kind(kind_name)
    unknown = record.keys() - spec_kind.field_name_set - {"id"}
    errors = [ValidationError(f"未知字段“{name}”", name) for name in sorted(unknown)]
    errors += [ValidationError(f"{spec.label}：不能为空", spec.name) for spec in spec_kind.fields
               if spec.required and record.get(spec.name) in (None, "", [])]
    if not errors and spec_kind.check:
        try:
            spec_kind.check(dict(record), lookup)
        except ValidationError as exc:
            errors.append(exc)
    if errors:
        raise RecordInvalid(errors)


def clean_value(spec: FieldSpec, value: Any) -> Any:
    """One field's value as the validators store it; ValidationError if it is not one.

    For a value that arrives alone (a field of an incoming change): empty passes here,
    since whether a required field may be empty is a question about the whole record.
    """
    if value in (None, "", []):
        return [] if spec.type == "list" else (False if spec.type == "bool" else None)
    return _clean_value(spec, value)


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
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
            raise ValidationError("应为非负整数")
        return value
    if spec.type == "number":
        if (
            isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e15
        ):  # also refuses NaN and infinity
            raise ValidationError("应为不小于 0 的数")
        return float(value)
    if spec.type == "list":
        return _clean_list(spec, value)
    if not isinstance(value, str):
        raise ValidationError("应为文字")
    return _clean_text(spec, value)


def _clean_list(spec: FieldSpec, value: Any) -> list[str]:
    """Choices come back in their canonical order; record ids in the order given."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError("应为选项列表")
    if spec.ref:
        if not all(UUID_RE.fullmatch(v) for v in value):
            raise ValidationError("记录编号格式不对")
        return list(dict.fromkeys(value))
    bad = [v for v in value if spec.choices and v not in spec.choices]
    if bad:
        raise ValidationError(f"“{'、'.join(bad)}”不是可选项")
    return sorted(set(value), key=spec.choices.index if spec.choices else None)


def _clean_text(spec: FieldSpec, value: str) -> str:
    value = text.clean(value, multiline=spec.max_length > text.MULTILINE_FROM)
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
        elif spec.type == "number":
            prop.update(type=["number", "null"], minimum=0)
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


@contextmanager
def acting_as(var: Any) -> Iterator[None]:
    """Run the block as the use case a context variable names (a status change, an
    opening, a confirmation): the record rules then allow what only it may do."""
    token = var.set(True)
    try:
        yield
    finally:
        var.reset(token)
