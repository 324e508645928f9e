"""SQL of the accounts table and the append-only audit trail (db/0005)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from wushan_desk.store.changes import dict_rows
from wushan_desk.store.workspace import Workspace

ACCOUNT_COLUMNS = ("id", "login", "display_name", "role", "centre_id", "active",
                   "must_change", "created_at", "created_by", "changed_at", "issue",
                   "hub_version")


def insert_account(ws: Workspace, row: Mapping[str, Any]) -> None:
    ws.conn.execute(
        f"INSERT INTO accounts ({', '.join(ACCOUNT_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(ACCOUNT_COLUMNS))})",
        tuple(row.get(c) for c in ACCOUNT_COLUMNS),
    )


def update_account(ws: Workspace, account_id: str, values: Mapping[str, Any]) -> None:
    allowed = set(ACCOUNT_COLUMNS) - {"id", "created_at", "created_by"}
    names = [n for n in values if n in allowed]
    ws.conn.execute(
        f"UPDATE accounts SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?",
        (*(values[n] for n in names), account_id),
    )


def account_by_login(ws: Workspace, login: str) -> dict[str, Any] | None:
    cur = ws.conn.execute("SELECT * FROM accounts WHERE login = ?", (login.strip(),))
    return next(dict_rows(cur), None)


def all_accounts(ws: Workspace) -> list[dict[str, Any]]:
    return list(dict_rows(ws.conn.execute("SELECT * FROM accounts ORDER BY role, login")))


def account_count(ws: Workspace) -> int:
    return int(ws.conn.execute("SELECT count(*) FROM accounts").fetchone()[0])


def append_audit(ws: Workspace, entry: Mapping[str, Any], *, ignore_existing: bool = False
                 ) -> None:
    """One audit entry (the table refuses updates and deletes: db/0005's triggers);
    `ignore_existing`: an entry with the same id is already there (written once)."""
    ws.conn.execute(
        f"INSERT {'OR IGNORE ' if ignore_existing else ''}INTO audit_log (id, at, device_id, "
        "user_id, login, role, action, kind, record_id, detail, source, origin_seq) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (entry.get("id") or str(uuid.uuid4()), entry["at"], entry["device_id"],
         entry.get("user_id"), entry.get("login"), entry.get("role"), entry["action"],
         entry.get("kind"), entry.get("record_id"),
         json.dumps(entry.get("detail") or {}, ensure_ascii=False, sort_keys=True),
         entry.get("source"), entry.get("origin_seq")),
    )


def account_by_id(ws: Workspace, account_id: str) -> dict[str, Any] | None:
    return next(dict_rows(ws.conn.execute("SELECT * FROM accounts WHERE id = ?",
                                          (account_id,))), None)


def centre_accounts(ws: Workspace, centre_id: str) -> list[dict[str, Any]]:
    """The accounts belonging to one centre (sent to its laptops)."""
    return list(dict_rows(ws.conn.execute(
        "SELECT * FROM accounts WHERE centre_id = ? ORDER BY login", (centre_id,))))


def own_audit_after(ws: Workspace, after_seq: int, limit: int = 50_000
                    ) -> list[dict[str, Any]]:
    """Audit entries written here with seq > after_seq (sent to the hub)."""
    cur = ws.conn.execute(
        "SELECT * FROM audit_log WHERE source IS NULL AND seq > ? ORDER BY seq LIMIT ?",
        (after_seq, limit))
    return [r | {"detail": json.loads(r["detail"])} for r in dict_rows(cur)]


def audit_received_from(ws: Workspace, peer: str) -> int:
    """The newest seq of `peer`'s own audit entries held here (our receipt for them)."""
    row = ws.conn.execute("SELECT max(origin_seq) FROM audit_log WHERE source = ?",
                          (peer,)).fetchone()
    return int(row[0] or 0)


def audit_entries(
    ws: Workspace, *, action: str | None = None, login: str | None = None,
    record_id: str | None = None, since: str | None = None, until: str | None = None,
    text: str | None = None, limit: int = 1000,
) -> Iterator[dict[str, Any]]:
    """Audit entries, newest first, filtered by the given values (all optional)."""
    where, args = [], []
    for column, value in (("action", action), ("login", login), ("record_id", record_id)):
        if value:
            where.append(f"{column} = ?")
            args.append(value)
    if since:
        where.append("at >= ?")
        args.append(since)
    if until:
        where.append("at < ?")
        args.append(until)
    if text:
        where.append("instr(detail, ?) > 0")
        args.append(text)
    sql = "SELECT * FROM audit_log"
    if where:
        sql += " WHERE " + " AND ".join(where)
    cur = ws.conn.execute(sql + " ORDER BY seq DESC LIMIT ?", (*args, limit))
    for row in dict_rows(cur):
        yield row | {"detail": json.loads(row["detail"])}


def row_history(ws: Workspace, table: str, row_id: str) -> list[dict[str, Any]]:
    """A record's change-log entries, oldest first: when, which device, who, what."""
    cur = ws.conn.execute(
        "SELECT seq, hlc, device_id, op, data, author, source, purged FROM change_log "
        "WHERE tbl = ? AND row_id = ? ORDER BY seq", (table, row_id))
    return [r | {"data": json.loads(r["data"])} for r in dict_rows(cur)]


def raise_audit_numbers(ws: Workspace, at_least: int) -> None:
    """Number new audit entries above `at_least` (a laptop restored from a backup must
    not reuse numbers the hub already confirmed: those entries would never be sent)."""
    current = ws.conn.execute(
        "SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").fetchone()
    if current is None:
        ws.conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('audit_log', ?)",
                        (at_least,))
    elif current[0] < at_least:
        ws.conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'audit_log'",
                        (at_least,))


def all_audit_rows(ws: Workspace) -> list[dict[str, Any]]:
    """Every audit entry as stored (kept across a restore)."""
    return list(dict_rows(ws.conn.execute("SELECT * FROM audit_log ORDER BY seq")))


def keep_audit_rows(ws: Workspace, rows: list[dict[str, Any]]) -> None:
    """Put back audit entries a restore took away (by id; with their numbers where free)."""
    have = {r[0] for r in ws.conn.execute("SELECT id FROM audit_log")}
    taken = {r[0] for r in ws.conn.execute("SELECT seq FROM audit_log")}
    columns = [c for c in rows[0] if c != "seq"] if rows else []
    for row in rows:
        if row["id"] in have:
            continue
        names = columns if row["seq"] in taken else ["seq", *columns]
        ws.conn.execute(
            f"INSERT INTO audit_log ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            tuple(row[n] for n in names))


def keep_accounts(ws: Workspace, rows: list[dict[str, Any]]) -> None:
    """The accounts as they were before a restore (the key file was not restored)."""
    ws.conn.execute("DELETE FROM accounts")
    for row in rows:
        insert_account(ws, row)
