"""发文字号 of this computer's documents: its issuing code, and the next numbers.

The rule (a code per issuing computer, the next number after the largest in use) is in
domain/doc_numbers.py; here is what this workspace is: the county hub or a demo county
issue as 巫督, a centre's laptop as 巫督 + its centre, numbered among the centre's
laptops in the order the hub enrolled them (so the second laptop of a centre never
shares the first one's numbers).
"""

from __future__ import annotations

from wushan_desk.domain import doc_numbers as rules
from wushan_desk.store import inspection_queries as q
from wushan_desk.store import sync_state
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync import identity


def issuer_code(ws: Workspace) -> str:
    """This computer's code, e.g. 巫督高唐 (the first laptop of 高唐片区教育督导中心)."""
    if identity.role(ws) != "centre":
        return rules.COUNTY_CODE
    me = identity.device_row(ws, ws.device_id) or {}
    centre_id = me.get("centre_id") or ws.state("centre_id")
    # in the order the hub enrolled them (its stamps, the same in every workspace);
    # revoked laptops keep their place, so a replacement never takes their numbers
    laptops = sorted((d for d in sync_state.rows_of(ws, "devices")
                      if d["centre_id"] == centre_id and d["role"] == "centre"),
                     key=lambda d: (d["created_hlc"], d["id"]))
    ids = [d["id"] for d in laptops]
    ordinal = ids.index(ws.device_id) + 1 if ws.device_id in ids else len(ids) + 1
    return rules.issuer_code(identity.centre_name(ws, centre_id), ordinal)


def allocate(ws: Workspace, year: int, count: int) -> list[str]:
    """`count` new numbers of this computer for `year`. Call inside the transaction that
    stores them: the write lock keeps two programs on this file from taking the same."""
    assert ws.in_transaction
    code = issuer_code(ws)
    in_use = q.doc_numbers_with_prefix(ws, f"{code}〔{year}〕")
    return rules.next_numbers(in_use, code, year, count)


def duplicates(ws: Workspace) -> list[str]:
    """Numbers given to more than one document here (at the hub: across the county)."""
    return rules.duplicates(q.all_doc_numbers(ws))
