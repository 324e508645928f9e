"""Create, read, update and tombstone records of any kind, validated the same everywhere.

The GUI's detail forms and the `records` command both call these functions, so a record
the form refuses is refused on the command line with the same Chinese message.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from wushan_desk.domain import entities
from wushan_desk.domain.errors import ValidationError
from wushan_desk.store import changes, sync_state
from wushan_desk.store.workspace import Workspace


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
    return record_id, clean, existing is None


def put(ws: Workspace, kind_name: str, record: Mapping[str, Any]) -> PutResult:
    """Create or update one record by `id` (a new id is made when absent).

    Putting a tombstoned record brings it back: the restore is a change that syncs.
    """
    record_id, clean, created = prepare(ws, kind_name, record)
    if not created:
        clean["deleted"] = False
    changed = changes.write_local(ws, entities.kind(kind_name).table, record_id, clean)
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
    record = get(ws, kind_name, record_id)
    if record is None:
        return False
    if kind.delete_check:
        kind.delete_check(record, lookup_for(ws))
    return bool(changes.write_local(ws, kind.table, record_id, {"deleted": True}))


class BatchInvalid(ValidationError):
    """Some lines of a batch were invalid; `problems` lists (line number, error)."""

    def __init__(self, problems: list[tuple[int, entities.RecordInvalid]]) -> None:
        text = "\n".join(f"第 {line} 行：{exc.message}" for line, exc in problems)
        super().__init__(f"{len(problems)} 行有错误，未写入任何记录：\n{text}")
        self.problems = problems
