"""发放明细: every payment of the workspace in one list, paged like the students list
(a county holds about 100,000): a page of 200 rows by keyset, counted apart, the
child's name searched as the students list searches it. Cards masked; amounts and
statuses after adjustments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wushan_desk.domain import aid as aid_rules
from wushan_desk.domain import aid_roster as rules
from wushan_desk.domain import clock
from wushan_desk.domain.term_rosters import term_label
from wushan_desk.services.browse import PAGE_SIZE, Key, normalize_search
from wushan_desk.store import aid_queries as q
from wushan_desk.store.queries import Where
from wushan_desk.store.workspace import Workspace


@dataclass(frozen=True)
class PaymentQuery:
    text: str = ""
    term: str | None = None
    school_id: str | None = None
    order_by: str = "entered"  # a key of aid_queries.PAYMENT_SORTS
    descending: bool = True  # the newest first
    zone: tuple[str, ...] | None = None  # a centre device's townships (browse.working_zone)


@dataclass(frozen=True)
class PaymentRow:
    id: str
    term: str
    school: str
    programme: str
    name: str
    grade: str
    amount: float
    status: str
    card: str  # masked
    roster_status: str
    roster_id: str
    entered: str  # the day the line was entered (its creation stamp's, local time)
    key: Key

    @property
    def shown_amount(self) -> str:
        """The amount as lists show it (1,250 or 312.5)."""
        return aid_rules.amount_text(self.amount)


def _where(query: PaymentQuery) -> Where:
    return q.payment_where(normalize_search(query.text), query.term, query.school_id,
                           query.zone)


def count_payments(ws: Workspace, query: PaymentQuery) -> int:
    return q.payment_count(ws, _where(query))


def fetch_payments(ws: Workspace, query: PaymentQuery, limit: int = PAGE_SIZE, *,
                   after: Key | None = None) -> list[PaymentRow]:
    """One page of the list, after the row whose key is `after`."""
    filtered = bool(normalize_search(query.text) or query.term or query.school_id
                    or query.zone)
    rows = q.payment_page(ws, _where(query), query.order_by, query.descending, after, limit,
                          filtered=filtered)
    adjustments = q.adjustments_of(ws, [r[0] for r in rows])
    return [_row(r, adjustments[r[0]]) for r in rows]


def _row(r: tuple[Any, ...], adjustments: list[dict[str, Any]]) -> PaymentRow:
    amount, status = rules.after_adjustments({"amount": r[7], "status": r[8]}, adjustments)
    return PaymentRow(id=r[0], term=term_label(r[1]), school=r[2], programme=r[3],
                      name=r[4] or rules.ELSEWHERE, grade=f"{r[5] or ''}{r[6] or ''}",
                      amount=amount, status=status,
                      card=rules.mask_card(r[9] or "") if r[9] else "", roster_status=r[10],
                      roster_id=r[11], entered=_day_of(r[12]), key=tuple(r[13:]))


def _day_of(stamp: str) -> str:
    """The county's day of an HLC stamp (its first 13 digits are epoch milliseconds)."""
    return clock.from_epoch_ms(int(stamp[:13])).date().isoformat()
