"""发文字号 of this computer's documents: its issuing code, and the next numbers.

The rule (a code per issuing computer, the next number after the largest in use) is in
domain/doc_numbers.py; here is what this workspace is. The county hub and a demo county
issue as 巫督. A centre's laptop issues under the code the hub gave it at enrolment
(`doc_code` on its device record: 巫督 + its centre, + 二, 三 ... for the centre's later
laptops), kept for good: a laptop moved to another centre, or a replacement laptop,
never takes another's code.

The largest number given out under a code is also kept in this workspace's local state
(never synced, never purged): when a school moves to another centre, its visits leave
this laptop with their numbers, and the next document must not reuse them.
"""

from __future__ import annotations

from wushan_desk.domain import doc_numbers as rules
from wushan_desk.services import records
from wushan_desk.store import inspection_queries as q
from wushan_desk.store import sync_state
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync import identity


def issuer_code(ws: Workspace) -> str:
    """This computer's code, e.g. 巫督高唐 (the first laptop of 高唐片区教育督导中心)."""
    if identity.role(ws) != "centre":
        return rules.COUNTY_CODE
    me = identity.device_row(ws, ws.device_id) or {}
    if me.get("doc_code"):
        return str(me["doc_code"])
    # enrolled by a hub before codes were given out, and not synced since: the code
    # the hub will give it (the same rule, on the same enrolment order)
    return _next_code(ws, me.get("centre_id") or ws.state("centre_id"), ws.device_id)


def ensure_codes(ws: Workspace) -> int:
    """At the hub: give every centre laptop without a code its code (in the order they
    were enrolled); returns how many were given. Call inside a transaction."""
    if identity.role(ws) != "hub":
        return 0
    given = 0
    for row in list(sync_state.rows_of(ws, "devices", live=True)):
        if row["role"] == "centre" and not row["doc_code"]:
            code = _next_code(ws, row["centre_id"], row["id"])
            records.put(ws, "device", {"id": row["id"], "doc_code": code})
            given += 1
    return given


def _next_code(ws: Workspace, centre_id: str | None, device_id: str) -> str:
    """The first of 巫督X, 巫督X二, 巫督X三 ... that no other device holds, counting the
    laptops of the centre enrolled before this one without a code."""
    rows = list(sync_state.rows_of(ws, "devices"))
    taken = {r["doc_code"] for r in rows if r["doc_code"] and r["id"] != device_id}
    earlier = [r["id"] for r in rows if r["role"] == "centre" and r["centre_id"] == centre_id
               and not r["doc_code"]]
    place = earlier.index(device_id) if device_id in earlier else len(earlier)
    centre = identity.centre_name(ws, centre_id)
    ordinal, free = 1, list[str]()
    while len(free) <= place:
        code = rules.issuer_code(centre, ordinal)
        if code not in taken:
            free.append(code)
        ordinal += 1
    return free[place]


def allocate(ws: Workspace, year: int, count: int) -> list[str]:
    """`count` new numbers of this computer for `year`. Call inside the transaction that
    stores them: the write lock keeps two programs on this file from taking the same."""
    assert ws.in_transaction
    code = issuer_code(ws)
    key = f"doc_number_top:{code}:{year}"
    in_use = [*q.doc_numbers_with_prefix(ws, f"{code}〔{year}〕"),
              rules.format_number(code, year, int(ws.state(key) or 0))]
    numbers = rules.next_numbers(in_use, code, year, count)
    ws.set_state(key, str(rules.parse(numbers[-1])[2]))  # type: ignore[index]
    return numbers


def duplicates(ws: Workspace) -> list[str]:
    """Numbers given to more than one document here (at the hub: across the county)."""
    return rules.duplicates(q.all_doc_numbers(ws))
