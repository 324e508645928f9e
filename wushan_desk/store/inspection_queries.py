"""SQL of the inspection screens and reports: a visit's parts, lists, findings, coverage.

Reads only; every write goes through services.records (validation and the change log).
Rows come back as logical records (lists decoded, booleans) via changes.from_sql.
"""

from __future__ import annotations

import json
from typing import Any

from wushan_desk.store import changes
from wushan_desk.store.workspace import Workspace


def _records(
    ws: Workspace, kind_table: str, where: str, params: tuple[Any, ...], order: str
) -> list[dict[str, Any]]:
    kind = changes.table_kind(kind_table)
    cur = ws.conn.execute(
        f"SELECT * FROM {kind_table} WHERE deleted = 0 AND {where} ORDER BY {order}", params
    )
    return [changes.from_sql(kind, r) for r in changes.dict_rows(cur)]


def _in_zone(where: list[str], params: list[Any], zone: tuple[str, ...] | None) -> None:
    """Limit to schools of a centre's townships (`s` is the schools alias)."""
    if zone is not None:
        where.append(f"s.township_id IN ({', '.join('?' * len(zone)) or 'NULL'})")
        params += list(zone)


def visit_origin(ws: Workspace, visit_id: str) -> str | None:
    """The device where a visit was started (None: no such visit here)."""
    row = ws.conn.execute("SELECT origin_device FROM visits WHERE id = ?", (visit_id,)).fetchone()
    return row[0] if row else None


def template_items(ws: Workspace, template_id: str) -> list[dict[str, Any]]:
    return _records(ws, "checklist_items", "template_id = ?", (template_id,), "position, id")


def visit_answers(ws: Workspace, visit_id: str) -> list[dict[str, Any]]:
    return _records(ws, "visit_answers", "visit_id = ?", (visit_id,), "created_hlc")


def visit_findings(ws: Workspace, visit_id: str) -> list[dict[str, Any]]:
    return _records(ws, "findings", "visit_id = ?", (visit_id,), "created_hlc")


def visit_signatures(ws: Workspace, visit_id: str) -> list[dict[str, Any]]:
    return _records(ws, "visit_signatures", "visit_id = ?", (visit_id,), "created_hlc")


def visit_amendments(ws: Workspace, visit_id: str) -> list[dict[str, Any]]:
    return _records(ws, "visit_amendments", "visit_id = ?", (visit_id,), "created_hlc")


def finding_checks(ws: Workspace, finding_id: str) -> list[dict[str, Any]]:
    return _records(
        ws, "finding_checks", "finding_id = ?", (finding_id,), "checked_on, created_hlc"
    )


def answer_id(ws: Workspace, visit_id: str, item_id: str) -> str | None:
    row = ws.conn.execute(
        "SELECT id FROM visit_answers WHERE visit_id = ? AND item_id = ? AND deleted = 0 "
        "ORDER BY created_hlc LIMIT 1",
        (visit_id, item_id),
    ).fetchone()
    return row[0] if row else None


def visits(
    ws: Workspace,
    *,
    school_id: str | None = None,
    inspector_id: str | None = None,
    status: str | None = None,
    first: str | None = None,
    last: str | None = None,
    zone: tuple[str, ...] | None = None,
    limit: int = 5000,
) -> list[dict[str, Any]]:
    """Visits newest first with the school, township and counts of findings (open, overdue
    counted by the caller's date)."""
    where, params = ["v.deleted = 0"], []
    for clause, value in (
        ("v.school_id = ?", school_id),
        ("v.status = ?", status),
        ("v.date >= ?", first),
        ("v.date <= ?", last),
    ):
        if value:
            where.append(clause)
            params.append(value)
    if inspector_id:
        where.append("EXISTS (SELECT 1 FROM json_each(v.inspector_ids) WHERE value = ?)")
        params.append(inspector_id)
    _in_zone(where, params, zone)
    cur = ws.conn.execute(
        "SELECT v.id, v.date, v.kind, v.status, v.school_id, s.name, t.name, v.inspector_ids, "
        "v.total_score, v.max_score, v.term, "
        "(SELECT count(*) FROM findings f WHERE f.visit_id = v.id AND f.deleted = 0), "
        "(SELECT count(*) FROM findings f WHERE f.visit_id = v.id AND f.deleted = 0 "
        "  AND f.status <> '已整改'), "
        "(SELECT min(f.deadline) FROM findings f WHERE f.visit_id = v.id AND f.deleted = 0 "
        "  AND f.status <> '已整改') "
        "FROM visits v JOIN schools s ON s.id = v.school_id "
        "LEFT JOIN townships t ON t.id = s.township_id "
        f"WHERE {' AND '.join(where)} ORDER BY v.date DESC, v.created_hlc DESC LIMIT ?",
        (*params, limit),
    )
    keys = (
        "id",
        "date",
        "kind",
        "status",
        "school_id",
        "school",
        "township",
        "inspector_ids",
        "total_score",
        "max_score",
        "term",
        "findings",
        "open_findings",
        "earliest_deadline",
    )
    out = []
    for r in cur:
        row = dict(zip(keys, r, strict=True))
        row["inspector_ids"] = json.loads(row["inspector_ids"] or "[]")
        out.append(row)
    return out


def open_findings(
    ws: Workspace, *, school_id: str | None = None, zone: tuple[str, ...] | None = None
) -> list[dict[str, Any]]:
    """Findings not yet rectified, earliest deadline first, with their visit and school."""
    where, params = ["f.deleted = 0", "f.status <> '已整改'", "v.deleted = 0"], []
    if school_id:
        where.append("v.school_id = ?")
        params.append(school_id)
    _in_zone(where, params, zone)
    cur = ws.conn.execute(
        "SELECT f.id, f.visit_id, f.description, f.severity, f.requirement, f.deadline, "
        "f.responsible, f.status, v.date, v.school_id, s.name "
        "FROM findings f JOIN visits v ON v.id = f.visit_id JOIN schools s ON s.id = v.school_id "
        f"WHERE {' AND '.join(where)} ORDER BY f.deadline, v.date",
        params,
    )
    keys = (
        "id",
        "visit_id",
        "description",
        "severity",
        "requirement",
        "deadline",
        "responsible",
        "status",
        "visit_date",
        "school_id",
        "school",
    )
    return [dict(zip(keys, r, strict=True)) for r in cur]


def visit_counts(
    ws: Workspace, first: str, last: str, zone: tuple[str, ...] | None = None
) -> list[dict[str, Any]]:
    """Every live school with its township and number of visits in [first, last]."""
    where, params = ["s.deleted = 0"], [first, last]
    _in_zone(where, params, zone)
    cur = ws.conn.execute(
        "SELECT s.id, s.name, s.type, t.id, t.name, "
        "(SELECT count(*) FROM visits v WHERE v.school_id = s.id AND v.deleted = 0 "
        "  AND v.kind = '经常性' AND v.date BETWEEN ? AND ?) "
        "FROM schools s LEFT JOIN townships t ON t.id = s.township_id "
        f"WHERE {' AND '.join(where)} ORDER BY t.name, s.sort_key",
        params,
    )
    keys = ("school_id", "school", "type", "township_id", "township", "visits")
    return [dict(zip(keys, r, strict=True)) for r in cur]


def inspectors_of_schools(ws: Workspace) -> dict[str, list[str]]:
    """School id -> ids of the inspectors who visited it most recently (their 责任督学)."""
    out: dict[str, list[str]] = {}
    for school_id, ids in ws.conn.execute(
        "SELECT school_id, inspector_ids FROM visits WHERE deleted = 0 ORDER BY date"
    ):
        out[school_id] = json.loads(ids or "[]")
    return out


def doc_numbers_with_prefix(ws: Workspace, prefix: str) -> list[str]:
    """The 发文字号 of visits' documents that start with `prefix` (a code and year)."""
    like = prefix.replace("%", "").replace("_", "") + "%"
    rows = ws.conn.execute(
        "SELECT opinion_no FROM visits WHERE opinion_no LIKE ? "
        "UNION ALL SELECT notice_no FROM visits WHERE notice_no LIKE ?", (like, like))
    return [r[0] for r in rows]


def all_doc_numbers(ws: Workspace) -> list[str]:
    """Every 发文字号 given to a visit's documents (for the duplicates check)."""
    rows = ws.conn.execute(
        "SELECT opinion_no FROM visits WHERE opinion_no IS NOT NULL AND deleted = 0 "
        "UNION ALL SELECT notice_no FROM visits WHERE notice_no IS NOT NULL AND deleted = 0")
    return [r[0] for r in rows]
