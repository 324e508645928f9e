"""发放明细 tab: every payment in one list, paged like the students list.

At the county it holds about 100,000 rows: the model fetches 200 at a time as the view
scrolls (gui/widgets/table_model.py), searching a child's name runs the students list's
search, and the count runs in the background. Read-only: Enter or double-click opens
the payment's roster on the 发放花名册 tab.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtWidgets import QComboBox, QWidget

from wushan_desk.domain import clock
from wushan_desk.domain.term_rosters import recent_terms, term_label
from wushan_desk.gui.people.page import fill_combo
from wushan_desk.gui.widgets.list_panel import ListPanel
from wushan_desk.gui.widgets.table_model import Column
from wushan_desk.services import aid_payments, browse
from wushan_desk.services.session import Workspace

COLUMNS = (
    Column("登记日期", "entered", "entered", 6),
    Column("姓名", "name", "name", 5),
    Column("学期", "term", "term", 11),
    Column("学校", "school", "school", 12),
    Column("资助项目", "programme", "name", 14),
    Column("年级班级", "grade", "name", 6),
    Column("金额（元）", "shown_amount", "amount", 6, align_right=True),
    Column("状态", "status", "status", 4),
    Column("银行卡号", "card", "name", 7),
    Column("花名册", "roster_status", "name", 5),
)


class PaymentList(ListPanel):
    """All payments; `open_roster(payment id)` shows one's roster."""

    noun = "发放记录"
    settings_key = "aid_payments"
    default_descending = True  # the newest lines first (an index walk: db/0014)

    def __init__(self, ws: Workspace, open_payment: Callable[[str], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(COLUMNS, "搜索学生姓名（Ctrl+F）", parent)
        self.ws, self.open_payment = ws, open_payment
        self.zone = browse.working_zone(ws)
        self.term = QComboBox(objectName="termFilter", toolTip="按学期筛选")
        self.school = QComboBox(objectName="schoolFilter", toolTip="按学校筛选")
        self.school.setMinimumContentsLength(10)
        for combo in (self.term, self.school):
            self.filters.addWidget(combo)
        fill_combo(self.term, "全部学期",
                   [(term_label(t), t) for t in recent_terms(clock.today())])
        fill_combo(self.school, "全部学校", [(c.name, c.id) for c in browse.zone_schools(ws)])
        for combo in (self.term, self.school):
            combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.hide_action(self.act_new)
        self.hide_action(self.act_delete)
        self.loaded = False  # the first query waits until the tab is shown (aid/page.py)

    def query(self) -> aid_payments.PaymentQuery:
        return aid_payments.PaymentQuery(
            text=self.search.text(), term=self.term.currentData(),
            school_id=self.school.currentData(), order_by=self.order_by,
            descending=self.descending, zone=self.zone)

    def fetch_page(self, after: Any, limit: int) -> Sequence[Any]:
        if not self.loaded:  # Qt asks as soon as the view exists; the tab is not shown yet
            return []
        return aid_payments.fetch_payments(self.ws, self.query(), limit, after=after)

    def count(self) -> int:
        return aid_payments.count_payments(self.ws, self.query())

    def count_job(self) -> Callable[[Workspace], int]:
        query = self.query()
        return lambda ws: aid_payments.count_payments(ws, query)

    def filtered(self) -> bool:
        return super().filtered() or any(
            c.currentData() is not None for c in (self.term, self.school))

    def empty_text(self) -> str:
        if self.filtered():
            return super().empty_text()
        return "还没有发放记录：在“发放花名册”中新建花名册并列入学生，或从表格导入。"

    def open_record(self, record_id: str) -> None:
        self.open_payment(record_id)

    def context_actions(self) -> list[Any]:
        return [self.act_open, None, self.act_refresh]
