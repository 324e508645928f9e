"""Finding a child on the roster by name, in a small list under the search field."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from wushan_desk.services import browse
from wushan_desk.services.session import Workspace

#: Matches shown: typing more characters narrows them.
SHOWN = 20


def fill_matches(ws: Workspace, found: QListWidget, text: str, *,
                 with_id: bool = False) -> int:
    """The zone's students whose names contain `text` into `found` (their ids in the
    items' data, the first one current); `with_id` adds the masked ID number."""
    found.clear()
    text = text.strip()
    if not text:
        return 0
    query = browse.StudentQuery(text=text, zone=browse.working_zone(ws))
    for row in browse.fetch_students(ws, query, limit=SHOWN):
        label = f"{row.name}　{row.school}　{row.grade}{row.class_name}"
        if with_id:
            label += f"　{row.resident_id or '无身份证号'}"
        item = QListWidgetItem(label)
        item.setData(Qt.ItemDataRole.UserRole, row.id)
        found.addItem(item)
    if found.count():
        found.setCurrentRow(0)
    return found.count()
