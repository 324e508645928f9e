"""Create, read, update and tombstone records of any kind, validated the same everywhere.

The GUI's detail forms and the `records` command both call these functions, so a record
the form refuses is refused on the command line with the same Chinese message.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wushan_desk import files
from wushan_desk.domain import entities, text
from wushan_desk.domain.errors import ValidationError
from wushan_desk.store import changes, sync_state
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync import authorship, scope


@dataclass(frozen=True)
class PutResult:
    id: str
    created: bool
    changed: list[str]


def lookup_for(ws: Workspace) -> entities.Lookup:
    """A lookup of live (not tombstoned) records, for cross-record validation."""

    def lookup(kind_name: str, record_id: str) -> dict[str, Any] | None:
        return get(ws, kind_name, record_id)

    return lookup


def get(
    ws: Workspace, kind_name: str, record_id: str, *, deleted: bool = False
) -> dict[str, Any] | None:
    """The record with `record_id`, or None (tombstones only if `deleted`)."""
    kind = entities.kind(kind_name)
    row = changes.read_row(ws, kind.table, record_id)
    if row is None or (row["deleted"] and not deleted):
        return None
    return changes.from_sql(kind, row)


def iter_records(
    ws: Workspace, kind_name: str, *, deleted: bool = False
) -> Iterator[dict[str, Any]]:
    """Every record of a kind in creation order, streamed (safe for 60,000 students)."""
    kind = entities.kind(kind_name)
    for row in sync_state.rows_of(ws, kind.table, live=not deleted):
        yield changes.from_sql(kind, row)


def prepare(
    ws: Workspace, kind_name: str, record: Mapping[str, Any]
) -> tuple[str, dict[str, Any], bool]:
    """Validate `record` (a new one, or changes to an existing one merged over it).

    Returns (id, clean full record, created). Raises RecordInvalid.
    """
    record_id = record.get("id") or str(uuid.uuid4())
    if not entities.UUID_RE.fullmatch(str(record_id)):
        raise entities.RecordInvalid([ValidationError("编号（id）应为 UUID 格式", "id")])
    existing = get(ws, kind_name, record_id, deleted=True)
    merged = {**(existing or {}), **record, "id": record_id}
    clean = entities.validate_record(kind_name, merged, lookup_for(ws))
    _within_zone(ws, kind_name, existing, clean | {"id": record_id})
    refusal = authorship.draft_refusal(ws, kind_name, clean | {"id": record_id}, ws.device_id)
    if refusal:
        raise entities.RecordInvalid([ValidationError(refusal + "。")])
    return record_id, clean, existing is None


def _within_zone(ws: Workspace, kind_name: str, before: Mapping[str, Any] | None,
                 after: Mapping[str, Any]) -> None:
    """A centre device writes only inside its zone, as the county would judge its package
    (a write the hub would refuse must not wait in the laptop's log forever)."""
    if ws.state("role") != "centre" or ws.state("enrolled") != "1":
        return
    kind = entities.kind(kind_name)
    zone = scope.device_scope(ws, ws.device_id)
    row = changes.read_row(ws, kind.table, str(after.get("id"))) if after.get("id") else None
    origin = {"origin_device": row["origin_device"] if row else ws.device_id}
    refusal = scope.zone_refusal(ws, zone, kind, before and {**before, **origin},
                                 {**after, **origin})
    if refusal:
        raise entities.RecordInvalid([ValidationError(refusal + "。")])


def versions(ws: Workspace, kind_name: str, record_id: str) -> dict[str, str]:
    """The version (HLC stamp) of every field of a stored record, as a form shows it:
    handed back to `put(seen=...)`, it tells a concurrent change from the user's."""
    kind = entities.kind(kind_name)
    row = changes.read_row(ws, kind.table, record_id)
    if row is None:
        return {}
    return {f: changes.field_version(row, f) for f in (*kind.field_names, "deleted")}


@dataclass(frozen=True)
class Meanwhile:
    """A field the user changed that also changed here after the form showed it."""

    field: str
    label: str
    now: Any  # the value stored now (by an import, another window)
    version: str


class ChangedMeanwhile(ValidationError):
    """Some fields the user edited were changed by someone else after they were shown;
    nothing was written. `fields` says which, with the values stored now."""

    code = "changed-meanwhile"

    def __init__(self, kind_label: str, fields: list[Meanwhile]) -> None:
        names = "、".join(f"“{f.label}”" for f in fields)
        super().__init__(f"在你编辑期间，这条{kind_label}的{names}已被修改（例如导入了同步包）。")
        self.fields = fields


def _check_seen(ws: Workspace, kind_name: str, record: Mapping[str, Any],
                seen: Mapping[str, str]) -> None:
    """Refuse when a field being written (or the record's deletion) changed after the
    versions in `seen`."""
    kind = entities.kind(kind_name)
    row = changes.read_row(ws, kind.table, str(record.get("id")))
    if row is None:
        return
    now = changes.from_sql(kind, row)
    moved = [Meanwhile(f, kind.field(f).label, now.get(f), changes.field_version(row, f))
             for f in record if f in kind.field_names
             and changes.field_version(row, f) != seen.get(f)]
    if changes.field_version(row, "deleted") != seen.get("deleted"):
        moved.append(Meanwhile("deleted", "删除状态", bool(row["deleted"]),
                               changes.field_version(row, "deleted")))
    if moved:
        raise ChangedMeanwhile(kind.label, moved)


def put(ws: Workspace, kind_name: str, record: Mapping[str, Any],
        *, seen: Mapping[str, str] | None = None, seal: bool = False) -> PutResult:
    """Create or update one record by `id` (a new id is made when absent).

    Putting a tombstoned record brings it back: the restore is a change that syncs.
    `seen` (from `versions`, when the record was shown) makes the write refuse with
    ChangedMeanwhile if a field it writes was changed since; the fields it does not
    write keep whatever they hold now. `seal` (a record locking, sync/merge.SEALING)
    logs every field, changed or not: the change carries the content as locked, which
    then wins over edits made elsewhere meanwhile.
    """
    with ws.transaction():  # validated against what is stored under the write lock
        if seen is not None and record.get("id"):
            _check_seen(ws, kind_name, record, seen)
        record_id, clean, created = prepare(ws, kind_name, record)
        if not created:
            clean["deleted"] = False
        kind = entities.kind(kind_name)
        changed = changes.write_local(ws, kind.table, record_id, clean,
                                      force=kind.field_names if seal else ())
    return PutResult(record_id, created, changed)


def put_many(
    ws: Workspace, kind_name: str, records: Iterable[Mapping[str, Any]]
) -> list[PutResult]:
    """All-or-nothing: every record is validated and written in one transaction.

    A record later in the batch may refer to one earlier in it (a school then its
    students), so validation runs inside the transaction, after the earlier writes.
    Raises BatchInvalid naming every bad line; then nothing at all is written.
    """
    results: list[PutResult] = []
    problems: list[tuple[int, entities.RecordInvalid]] = []
    with ws.transaction():
        for line, record in enumerate(records, start=1):
            try:
                results.append(put(ws, kind_name, record))
            except entities.RecordInvalid as exc:
                problems.append((line, exc))
        if problems:
            raise BatchInvalid(problems)
    return results


def delete(ws: Workspace, kind_name: str, record_id: str) -> bool:
    """Tombstone a record (it stays, marked deleted, and the deletion syncs)."""
    kind = entities.kind(kind_name)
    with ws.transaction():
        record = get(ws, kind_name, record_id)
        if record is None:
            return False
        check_delete(ws, kind_name, record)
        return bool(changes.write_local(ws, kind.table, record_id, {"deleted": True}))


def check_delete(ws: Workspace, kind_name: str, record: Mapping[str, Any]) -> None:
    """May this record be deleted here? Raises ValidationError (or RecordInvalid) if not."""
    kind = entities.kind(kind_name)
    if kind.delete_check:
        kind.delete_check(dict(record), lookup_for(ws))
    _within_zone(ws, kind_name, record, record)
    refusal = authorship.draft_refusal(ws, kind_name, record, ws.device_id)
    if refusal:
        raise ValidationError(refusal + "。")


#: Largest JSON-lines file `records put` reads: 60,000 students take about 30 MB.
MAX_JSONL_BYTES = 64 << 20
#: Longest line (one record) read: a record is under 2 KB; longer is a missing line break
#: or a hostile file, refused before it is decoded or parsed.
MAX_JSONL_LINE_BYTES = 1 << 20
#: Most lines a file may have (blank ones included): a county's students or three years
#: of aid records fit; a file of millions of "{}" would otherwise take gigabytes.
MAX_JSONL_LINES = 200_000
#: Most values a file may hold, counted before parsing as its commas and opening brackets
#: (those inside text too: an upper bound): 60,000 students of 30 fields are 1.8 million.
#: A parsed value takes 30 to 70 bytes, so "[]," (3 bytes) would grow 64 MB into 1.6 GB.
MAX_JSONL_VALUES = 4_000_000
#: Deepest nesting a line may have: records are flat, lists of text at most. Checked on
#: the text before parsing, so json.loads never recurses deeper.
_MAX_DEPTH = 20


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Parse a JSON-lines file of records; every bad line is reported, then none is used.

    Raises ValidationError for a missing, unreadable, non-regular or oversized file
    (never reading /dev/zero forever) or one of too many lines or values, and
    BatchInvalid listing each bad line by number (too long, not UTF-8, nested too deep,
    not a JSON object).
    """
    data = _read_bounded(path)
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    if lines > MAX_JSONL_LINES:
        raise ValidationError(
            f"{path.name} 有 {lines:,} 行，超过 {MAX_JSONL_LINES:,} 行，"
            "请分成几个文件分批导入。"
        )
    values = data.count(b",") + data.count(b"[") + data.count(b"{")
    if values > MAX_JSONL_VALUES:
        raise ValidationError(
            f"{path.name} 的内容过多（约 {values:,} 个值，超过 {MAX_JSONL_VALUES:,} 个），"
            "不像是记录文件；如确是记录，请分成几个文件分批导入。"
        )
    found: list[dict[str, Any]] = []
    problems: list[tuple[int, str]] = []
    start = 0
    for number in range(1, lines + 1):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        raw, start = data[start:end], end + 1  # one line at a time, never all at once
        if number == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")  # a BOM from Notepad
        if not raw.strip():
            continue
        try:
            value = _json_line(raw)
        except ValueError as exc:
            problems.append((number, str(exc)))
            continue
        found.append(value)
    if problems:
        raise BatchInvalid([(n, entities.RecordInvalid([ValidationError(m)])) for n, m in problems])
    return found


def _read_bounded(path: Path) -> bytes:
    return files.read_limited(
        path, MAX_JSONL_BYTES,
        f"{path.name} 超过 {MAX_JSONL_BYTES >> 20} MB，请分成几个文件分批导入。",
    )


def _json_line(raw: bytes) -> dict[str, Any]:
    """One line as a JSON object; ValueError with the Chinese reason otherwise.

    Length and nesting are checked before json.loads sees the line.
    """
    if len(raw) > MAX_JSONL_LINE_BYTES:
        raise ValueError(
            f"这一行超过 {MAX_JSONL_LINE_BYTES >> 20} MB（一条记录通常不到 2 KB），"
            "可能少了换行或不是记录文件"
        )
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("不是 UTF-8 编码的文字（请在记事本或 WPS 中另存为 UTF-8）") from None
    if _depth(line) > _MAX_DEPTH:
        raise ValueError(f"JSON 嵌套层次过深（超过 {_MAX_DEPTH} 层）")
    try:
        value = json.loads(line, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError(f"JSON 嵌套层次过深（超过 {_MAX_DEPTH} 层）") from None
    except ValueError as exc:
        raise ValueError(f"不是有效的 JSON（{getattr(exc, 'msg', exc)}）") from None
    if not isinstance(value, dict):
        raise ValueError("应为一个 JSON 对象")
    return value


#: A JSON string (to skip: its brackets are text) or a bracket.
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]++|\\.)*+"|[\[\]{}]')


def _depth(line: str) -> int:
    """How deep the brackets of a JSON text nest, outside its strings, without parsing it:
    exact up to _MAX_DEPTH + 1 (where it stops), else a bound that is within _MAX_DEPTH.

    A string runs to the next unescaped quote, as in JSON; an unterminated one is left to
    json.loads (its brackets then count, so a broken line may be called too deep rather
    than invalid: refused either way).
    """
    brackets = line.count("[") + line.count("{")
    if brackets <= _MAX_DEPTH:
        return brackets  # a flat record: no need to look closer
    depth = deepest = 0
    for token in _STRING_OR_BRACKET.finditer(line):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > _MAX_DEPTH:
                break
        elif bracket in ("]", "}"):
            depth -= 1
    return deepest


def _no_constant(name: str) -> Any:
    raise ValueError(f"不支持 {name}")


class BatchInvalid(ValidationError):
    """Some lines of a batch were invalid; `problems` lists (line number, error)."""

    code = "invalid-records"

    def __init__(self, problems: list[tuple[int, entities.RecordInvalid]]) -> None:
        text = "\n".join(f"第 {line} 行：{exc.message}" for line, exc in problems)
        super().__init__(f"{len(problems)} 行有错误，未写入任何记录：\n{text}")
        self.problems = problems


def masked(kind_name: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """`record` as lists show it: ID numbers, phones, addresses and bank cards masked."""
    from wushan_desk.services.browse import mask_field

    names = set(entities.kind(kind_name).field_names)
    return {f: (mask_field(kind_name, f, v) if isinstance(v, str) and f in names else v)
            for f, v in record.items()}


def disclose(ws: Workspace, kind_name: str, purpose: str,
             record_ids: list[str] | None = None) -> None:
    """Allow full values of `kind_name` records to be shown for `purpose`: the role must
    allow it (a supervisor only inside their zone), the purpose is stated, and the view is
    written to the audit trail. `record_ids` None: the whole list. Raises PermissionDenied
    or ValidationError; shows nothing itself."""
    from wushan_desk.services import audit, permissions

    permissions.require(ws, "view_full")
    purpose = text.clean(purpose or "", multiline=False).strip()
    if len(purpose) < 2:
        raise ValidationError("查看完整信息须说明用途（例如“核对资助名单”），请填写用途。",
                              "purpose")
    kind = entities.kind(kind_name)
    if ws.user is not None and ws.user.role == "supervisor" and record_ids:
        zone = scope.centre_scope(ws, ws.user.centre_id or "")
        for record_id in record_ids:
            row = changes.read_row(ws, kind.table, record_id)
            if row is not None and not scope.in_zone(ws, zone, kind.table, row):
                raise permissions.PermissionDenied(
                    "督导员只能查看本督导中心责任区内的完整信息。")
    audit.record(ws, "view-full", kind=kind_name,
                 record_id=record_ids[0] if record_ids and len(record_ids) == 1 else None,
                 detail={"purpose": purpose[:200], "records": len(record_ids or []) or "全部",
                         "fields": [f.label for f in kind.fields if f.sensitive]})


def masked_values(ws: Workspace, kind_name: str, found: Iterable[Mapping[str, Any]]
                  ) -> Iterator[dict[str, Any]]:
    """Records as a list shows them to anyone: sensitive fields masked."""
    for record in found:
        yield masked(kind_name, record)


def full_values(ws: Workspace, kind_name: str, found: Iterable[Mapping[str, Any]]
                ) -> Iterator[dict[str, Any]]:
    """Records with full values, after `disclose`: a supervisor sees full values only
    inside their centre's zone (the rest stays masked)."""
    actor = ws.user
    zone = (scope.centre_scope(ws, actor.centre_id or "")
            if actor is not None and actor.role == "supervisor" else None)
    table = entities.kind(kind_name).table
    for record in found:
        if zone is None or scope.in_zone(ws, zone, table, record):
            yield dict(record)
        else:
            yield masked(kind_name, record)
