"""SQL behind the browse lists (students, schools) and the home page's counts.

Lists page with *keyset* pagination: each page asks for the rows after the last one
shown, by the sort expressions plus rowid, so page 300 costs what page 1 costs (an
OFFSET would re-walk every earlier row on the GUI thread). Search uses the FTS5 trigram
index for 3+ characters; shorter text falls back to instr() on the base table, because
on SQLite 3.40 a 1-2 character LIKE/GLOB on a trigram table silently matches nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from wushan_desk.domain import codes
from wushan_desk.store.driver import sqlite3

#: Shortest text the trigram index can MATCH.
FTS_MIN_CHARS = 3


def _grade_rank(column: str) -> str:
    """A CASE giving each grade its teaching-order index (codes.GRADE_ORDER).

    Built from the codes rather than kept in a table, so the order cannot drift.
    """
    if any("'" in grade for grade in codes.GRADE_ORDER):
        raise ValueError("grade names are inlined as SQL literals and must not hold quotes")
    whens = " ".join(f"WHEN '{g}' THEN {i}" for g, i in codes.GRADE_ORDER.items())
    return f"(CASE {column} {whens} ELSE {len(codes.GRADE_ORDER)} END)"


GRADE_RANK = _grade_rank("s.grade")

#: Sort name -> expressions ordered by (all non-NULL, so row-value comparisons work).
STUDENT_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("s.sort_key",),
    "sex": ("s.sex", "s.sort_key"),
    "birth_date": ("s.birth_date",),
    "resident_id": ("coalesce(s.resident_id, '')",),
    "student_number": ("coalesce(s.student_number, '')",),
    "school": ("coalesce(sc.sort_key, '')", GRADE_RANK, "coalesce(s.class_name, '')",
               "s.sort_key"),
    "grade": (GRADE_RANK, "coalesce(s.class_name, '')", "s.sort_key"),
    "class_name": ("coalesce(s.class_name, '')", "s.sort_key"),
    "guardian_name": ("coalesce(s.guardian_name, '')",),
    "guardian_phone": ("coalesce(s.guardian_phone, '')",),
    "special_groups": ("s.special_groups", "s.sort_key"),
}

# Students per school. NOT INDEXED: walking the (school_id, grade) index visits the rows
# in random order to read `deleted` (~110 ms at 60,000); one sequential scan takes ~30 ms.
_SCHOOL_COUNTS = ("(SELECT school_id, count(*) AS n FROM students NOT INDEXED "
                  "WHERE deleted = 0 GROUP BY school_id)")

SCHOOL_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("sc.sort_key",),
    "type": ("sc.type", "sc.sort_key"),
    "township": ("coalesce(t.rowid, 0)", "sc.sort_key"),
    "head": ("coalesce(sc.head, '')",),
    "phone": ("coalesce(sc.phone, '')",),
    "boarding": ("sc.boarding", "sc.sort_key"),
    "students": ("coalesce(n.n, 0)", "sc.sort_key"),
}


@dataclass(frozen=True)
class ListSql:
    """How one list is selected: its table, the joins its columns and sorts need."""

    table: str  # "students s"
    rowid: str  # "s.rowid"
    columns: str  # the columns shown
    joins: str  # joins the shown columns need
    sort_joins: dict[str, str]  # alias -> join, added to the page query when a sort uses it
    deferred: bool = True  # choose the page by sort values first, then join its columns


STUDENTS = ListSql(
    table="students s",
    rowid="s.rowid",
    columns="s.id, s.name, s.sex, s.birth_date, s.resident_id, s.student_number, sc.name, "
            "s.grade, s.class_name, s.guardian_name, s.guardian_phone, s.special_groups",
    joins="LEFT JOIN schools sc ON sc.id = s.school_id",
    sort_joins={"sc.": "LEFT JOIN schools sc ON sc.id = s.school_id"},
)

SCHOOLS = ListSql(
    table="schools sc",
    rowid="sc.rowid",
    columns="sc.id, sc.name, sc.type, t.name, sc.head, sc.phone, sc.boarding, coalesce(n.n, 0)",
    joins=f"LEFT JOIN townships t ON t.id = sc.township_id "
          f"LEFT JOIN {_SCHOOL_COUNTS} n ON n.school_id = sc.id",
    sort_joins={},
    deferred=False,  # a few hundred rows: one plain query, the counts computed once
)


@dataclass
class Where:
    """A conjunction of SQL conditions with their parameters, built step by step."""

    terms: list[str] = field(default_factory=lambda: [])
    params: list[Any] = field(default_factory=lambda: [])

    def add(self, term: str, *params: Any) -> None:
        self.terms.append(term)
        self.params.extend(params)

    @property
    def sql(self) -> str:
        return " AND ".join(self.terms) if self.terms else "1"


def fts_phrase(text: str) -> str:
    """`text` as one FTS5 phrase: quotes doubled, so no input is read as FTS syntax."""
    return '"' + text.replace('"', '""') + '"'


def student_where(
    text: str, township_id: str | None, school_id: str | None, grade: str | None,
    zone: Sequence[str] | None = None,
) -> Where:
    """Conditions for the students list; tombstones are never shown.

    `zone` (township ids) limits the list to a centre's responsibility zone: a student
    transferred to another centre's school stays in the file but leaves the view.
    """
    where = Where()
    where.add("s.deleted = 0")
    if zone is not None:
        marks = ", ".join("?" * len(zone)) or "NULL"
        where.add(f"s.school_id IN (SELECT id FROM schools WHERE township_id IN ({marks}))",
                  *zone)
    if len(text) >= FTS_MIN_CHARS:
        where.add("s.rowid IN (SELECT rowid FROM students_fts WHERE students_fts MATCH ?)",
                  fts_phrase(text))
    elif text:
        # IDs and student numbers are stored upper-case (a final X, the G prefix).
        where.add("(instr(s.name, ?) > 0 OR instr(s.resident_id, ?) > 0 "
                  "OR instr(s.student_number, ?) > 0)", text, text.upper(), text.upper())
    if school_id:
        where.add("s.school_id = ?", school_id)
    elif township_id:
        where.add("s.school_id IN (SELECT id FROM schools WHERE township_id = ?)", township_id)
    if grade:
        where.add("s.grade = ?", grade)
    return where


def school_where(text: str, township_id: str | None) -> Where:
    where = Where()
    where.add("sc.deleted = 0")
    if text:
        where.add("(instr(sc.name, ?) > 0 OR instr(coalesce(sc.code, ''), ?) > 0)", text, text)
    if township_id:
        where.add("sc.township_id = ?", township_id)
    return where


def page_sql(
    spec: ListSql, where: Where, order: Sequence[str], descending: bool,
    after: Sequence[Any] | None, limit: int, offset: int, *, by_index: bool,
) -> tuple[str, list[Any]]:
    """One page: the shown columns, then the key (sort values + rowid) of each row.

    With `after` (the key of the last row already shown) the page starts right after it
    (keyset); otherwise at `offset`. The page's rowids are chosen first from the sort
    values alone and only those 200 rows are joined for their columns: building every
    column of 60,000 rows just to sort them doubled the time. `by_index` lets SQLite
    walk an index in sort order (fast with no filter); with a filter the walk would
    visit most of the table to find a few matches, so the unary + turns it off.
    """
    keys = [*order, spec.rowid]
    sort_keys = keys if by_index else [f"+{keys[0]}", *keys[1:]]
    params = list(where.params)
    cond = where.sql
    if after is not None:
        if len(after) != len(keys):
            raise ValueError("the page key does not match the sort order")
        op = "<" if descending else ">"
        cond += f" AND ({', '.join(keys)}) {op} ({', '.join('?' * len(keys))})"
        params += list(after)
    joins = " ".join(j for alias, j in spec.sort_joins.items()
                     if any(re.search(rf"\b{re.escape(alias)}", k) for k in keys))
    aliases = [f"k{i}" for i in range(len(keys))]
    direction = " DESC" if descending else ""
    if not spec.deferred:
        sql = (f"SELECT {spec.columns}, {', '.join(keys)} FROM {spec.table} {spec.joins} "
               f"WHERE {cond} ORDER BY {', '.join(k + direction for k in sort_keys)} "
               "LIMIT ? OFFSET ?")
        return sql, [*params, limit, 0 if after is not None else offset]
    inner = (
        f"SELECT {', '.join(f'{k} AS {a}' for k, a in zip(keys, aliases, strict=True))} "
        f"FROM {spec.table} {joins} WHERE {cond} "
        f"ORDER BY {', '.join(k + direction for k in sort_keys)} LIMIT ? OFFSET ?"
    )
    last = aliases[-1]
    sql = (
        f"SELECT {spec.columns}, {', '.join('p.' + a for a in aliases)} FROM ({inner}) p "
        f"JOIN {spec.table} ON {spec.rowid} = p.{last} {spec.joins} "
        f"ORDER BY {', '.join(f'p.{a}{direction}' for a in aliases)}"
    )
    return sql, [*params, limit, 0 if after is not None else offset]


def student_page(
    conn: sqlite3.Connection, where: Where, order_by: str, descending: bool,
    after: Sequence[Any] | None, limit: int, offset: int = 0, *, filtered: bool = False,
) -> list[tuple[Any, ...]]:
    """Rows: the 12 list columns, then the key (sort values + rowid) for the next page."""
    sql, params = page_sql(STUDENTS, where, STUDENT_SORTS[order_by], descending, after,
                           limit, offset, by_index=not filtered)
    return conn.execute(sql, params).fetchall()


def student_count(conn: sqlite3.Connection, where: Where) -> int:
    return conn.execute(f"SELECT count(*) FROM students s WHERE {where.sql}",
                        where.params).fetchone()[0]


def school_page(
    conn: sqlite3.Connection, where: Where, order_by: str, descending: bool,
    after: Sequence[Any] | None, limit: int, offset: int = 0,
) -> list[tuple[Any, ...]]:
    """Rows: the 8 list columns, then the key for the next page."""
    sql, params = page_sql(SCHOOLS, where, SCHOOL_SORTS[order_by], descending, after,
                           limit, offset, by_index=True)
    return conn.execute(sql, params).fetchall()


def school_count(conn: sqlite3.Connection, where: Where) -> int:
    return conn.execute(f"SELECT count(*) FROM schools sc WHERE {where.sql}",
                        where.params).fetchone()[0]


def townships(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(id, name) of live townships in the reference file's (official) order."""
    return conn.execute(
        "SELECT id, name FROM townships WHERE deleted = 0 ORDER BY rowid").fetchall()


def schools_in(conn: sqlite3.Connection, township_id: str | None) -> list[tuple[str, str, str]]:
    """(id, name, type) of live schools, optionally of one township, by pinyin."""
    where = Where()
    where.add("deleted = 0")
    if township_id:
        where.add("township_id = ?", township_id)
    return conn.execute(
        f"SELECT id, name, type FROM schools WHERE {where.sql} ORDER BY sort_key, rowid",
        where.params).fetchall()


def school_type(conn: sqlite3.Connection, school_id: str) -> str | None:
    row = conn.execute("SELECT type FROM schools WHERE id = ?", (school_id,)).fetchone()
    return row[0] if row else None


def school_township(conn: sqlite3.Connection, school_id: str) -> str | None:
    row = conn.execute("SELECT township_id FROM schools WHERE id = ?", (school_id,)).fetchone()
    return row[0] if row else None


_COUNTED = ("townships", "schools", "students", "staff")


def live_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Live (not tombstoned) rows per table, for the home page."""
    return {t: conn.execute(f"SELECT count(*) FROM {t} WHERE deleted = 0").fetchone()[0]
            for t in _COUNTED}


def titles(conn: sqlite3.Connection, table: str, title_field: str) -> list[tuple[str, str]]:
    """(id, title) of every live row of a small table, for a form's choice list.

    `table` and `title_field` come from domain.entities, never from user input.
    """
    order = "sort_key, rowid" if table == "schools" else "rowid"
    return conn.execute(
        f"SELECT id, {title_field} FROM {table} WHERE deleted = 0 ORDER BY {order}").fetchall()
