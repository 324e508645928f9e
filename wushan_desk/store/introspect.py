"""What a workspace's schema really holds, read with sqlite-utils' introspection.

`check` uses it to find drift between the record kinds the code declares and the tables
a file has (a hand-edited file, a failed manual repair, a migration that forgot a
trigger): every kind's fields must be columns of its table, and every synced table must
have its three guard triggers, without which a write could escape the change log.
"""

from __future__ import annotations

from wushan_desk.store.changes import BOOKKEEPING, synced_tables, table_kind
from wushan_desk.store.workspace import Workspace

GUARDED = ("insert", "update", "delete")


def schema_problems(ws: Workspace) -> list[str]:
    """Missing columns and guard triggers, one Chinese line each (empty: all present)."""
    db = ws.db
    triggers = {trigger.name for trigger in db.triggers}
    problems: list[str] = []
    for table in synced_tables(ws):
        if not db[table].exists():
            problems.append(f"缺少数据表 {table}")
            continue
        columns = set(db[table].columns_dict)
        kind = table_kind(table)
        missing = [c for c in (*BOOKKEEPING, *kind.field_names) if c not in columns]
        if missing:
            problems.append(f"数据表 {table} 缺少字段 {'、'.join(missing)}")
        for event in GUARDED:
            name = f"{table}_guard_{event}"
            if name not in triggers:
                problems.append(f"数据表 {table} 缺少保护触发器 {name}（修改可能绕过变更日志）")
    return problems
