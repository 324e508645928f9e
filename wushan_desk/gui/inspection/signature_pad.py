"""Signatures captured on screen: a pad for mouse or pen, the dialog around it, and the
panel of a visit's signers (each inspector and the school head) with a 纸质签名 option.

The pad records strokes as a QPainterPath and exports a 600x200 PNG, black on white,
which services.inspection.sign stores as an attachment of the visit.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain import inspection as rules
from wushan_desk.gui.inspection.parts import AMBER, GREEN, mark_locked, set_tone
from wushan_desk.gui.widgets import dialogs
from wushan_desk.services import attachments, inspection, records
from wushan_desk.services.session import Workspace, WorkspaceError

PAD_SIZE = QSize(600, 200)
HEAD = rules.HEAD  # the head signs second


class SignaturePad(QWidget):
    """Draw with the mouse or a pen (tablet events arrive as mouse events)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="signaturePad")
        self.setFixedSize(PAD_SIZE)
        self.setMouseTracking(True)  # moves arrive even if a driver reports no buttons
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.path = QPainterPath()
        self._drawing = False
        self._points = 0

    def is_empty(self) -> bool:
        return self._points < 2

    def clear(self) -> None:
        self.path = QPainterPath()
        self._points = 0
        self.update()
        self.changed.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drawing = True
            self.path.moveTo(event.position())
            self.path.lineTo(event.position() + QPointF(0.1, 0.1))  # a dot shows too
            self._points += 1
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drawing:
            self.path.lineTo(event.position())
            self._points += 1
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drawing:
            self._drawing = False
            self.changed.emit()

    def _paint(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        pen = QPen(QColor("black"), 3, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                   Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.drawPath(self.path)

    def paintEvent(self, _event: Any) -> None:
        painter = QPainter(self)
        self._paint(painter)
        painter.setPen(QPen(QColor("#9aa6b2"), 1, Qt.PenStyle.DashLine))  # the line to sign on
        y = self.height() - 40
        painter.drawLine(30, y, self.width() - 30, y)
        painter.setPen(QColor("#8a96a3"))
        painter.drawText(30, y + 24, "请在虚线上方签名")
        painter.end()

    def to_png(self) -> bytes:
        """The strokes alone (no guide line), black on white, as PNG bytes."""
        image = QImage(PAD_SIZE, QImage.Format.Format_RGB32)
        painter = QPainter(image)
        self._paint(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        buffer.close()
        return bytes(data.data())


class SignatureDialog(QDialog):
    """One signer signs: name (editable for the head), the pad, 清除 / 确定 / 取消."""

    def __init__(self, role: str, name: str, *, name_editable: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="signatureDialog")
        self.role = role
        self.setWindowTitle(f"{role}签名")
        self.name = QLineEdit(name, readOnly=not name_editable, placeholderText="签名人姓名")
        self.name.setMaxLength(40)
        self.pad = SignaturePad()
        intro = QLabel(f"请{role}用鼠标或手写笔在下面的白框里签名。写错了点“清除”重写。",
                       wordWrap=True)
        buttons = QDialogButtonBox()
        self.clear_button = buttons.addButton("清除", QDialogButtonBox.ButtonRole.ResetRole)
        self.ok_button = buttons.addButton("确定", QDialogButtonBox.ButtonRole.AcceptRole)
        cancel = buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        self.clear_button.clicked.connect(self.pad.clear)
        self.ok_button.clicked.connect(self.accept)
        cancel.clicked.connect(self.reject)
        self.pad.changed.connect(self._update)
        self.name.textChanged.connect(lambda _t: self._update())
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        row = QGridLayout()
        row.addWidget(QLabel("姓名"), 0, 0)
        row.addWidget(self.name, 0, 1)
        layout.addLayout(row)
        layout.addWidget(self.pad, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(buttons)
        self._update()

    def _update(self) -> None:
        ready = not self.pad.is_empty() and bool(self.name.text().strip())
        self.ok_button.setEnabled(ready)
        self.ok_button.setToolTip("" if ready else "先签名（并填写姓名）")

    def signer_name(self) -> str:
        return self.name.text().strip()


def _keep_width(button: QPushButton, texts: tuple[str, ...]) -> None:
    """As wide as the longest of the texts the button shows in turn."""
    button.ensurePolished()
    metrics = button.fontMetrics()
    padding = button.sizeHint().width() - metrics.horizontalAdvance(button.text())
    button.setMinimumWidth(padding + max(metrics.horizontalAdvance(t) for t in texts))


class SignaturePanel(QGroupBox):
    """The visit's signers with their state, a 签名 button each, and 纸质签名.

    Signing writes at once (services.inspection.sign); `changed` tells the editor to
    refresh. A second signature by the same person replaces the first.
    """

    changed = Signal()

    def __init__(self, ws: Workspace, visit_id: str, parent: QWidget | None = None) -> None:
        super().__init__("签名", parent)
        self.ws, self.visit_id = ws, visit_id
        self.grid = QGridLayout()
        self.head_name = QLineEdit(placeholderText="校长（园长）姓名")
        self.head_name.setMaxLength(40)
        self.head_name.setFixedWidth(self.fontMetrics().horizontalAdvance("中") * 8)
        self.head_name.editingFinished.connect(self._save_head_name)
        self.on_paper = QCheckBox("已在纸质记录上签字（不在屏幕上签名）")
        self.on_paper.toggled.connect(self._save_on_paper)
        self.dialog: SignatureDialog | None = None
        self._locked = False
        self.buttons: dict[tuple[str, str | None], QPushButton] = {}  # (role, name)
        layout = QVBoxLayout(self)
        layout.addLayout(self.grid)
        layout.addWidget(self.on_paper)

    def refresh(self, detail: inspection.VisitDetail, *, locked: bool) -> None:
        self._locked = locked
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() and item.widget() is not self.head_name:
                item.widget().hide()  # at once: deleteLater alone leaves it drawn a moment
                item.widget().deleteLater()
        signed = {(s["role"], s["name"]): s for s in detail.signatures}
        heads = [s for s in detail.signatures if s["role"] == HEAD]
        head = detail.visit.get("head_name") or (heads[-1]["name"] if heads else "") or ""
        if not self.head_name.hasFocus():
            self.head_name.setText(head)
        self.head_name.setReadOnly(locked)
        mark_locked(self.head_name, locked)
        self.buttons.clear()
        people = [("督学", p["name"]) for p in detail.inspectors] + [(HEAD, None)]
        for row, (role, name) in enumerate(people):
            self.grid.addWidget(QLabel(role), row, 0)
            if name is None:
                self.grid.addWidget(self.head_name, row, 1)
                found = heads[-1] if heads else None
            else:
                self.grid.addWidget(QLabel(name), row, 1)
                found = signed.get((role, name))
            self.grid.addWidget(self._state(found), row, 2)
            self.grid.addWidget(self._thumbnail(found), row, 3)
            button = QPushButton("重新签名" if found else "签名…", enabled=not locked)
            button.setObjectName(f"sign-{role}-{name or 'head'}")
            button.clicked.connect(lambda _c=False, r=role, n=name: self.sign(r, n))
            self.grid.addWidget(button, row, 4)
            _keep_width(button, ("签名…", "重新签名"))
            self.buttons[(role, name)] = button
        # the state's column is as wide as its longest text, and the buttons as wide as
        # “重新签名”: nothing moves when a signature appears
        self.grid.setColumnMinimumWidth(2, self._widest_state())
        self.grid.setColumnStretch(5, 1)  # names, states and buttons stay together on the left
        self.on_paper.blockSignals(True)
        self.on_paper.setChecked(bool(detail.visit.get("signed_on_paper")))
        self.on_paper.blockSignals(False)
        self.on_paper.setEnabled(not locked)

    def _widest_state(self) -> int:
        bold = QFont(self.font())
        bold.setBold(True)  # set_tone writes the state in bold
        return QFontMetrics(bold).horizontalAdvance("✓ 纸质签名 2026-12-31") + 8

    def focus_chain(self) -> list[QWidget]:
        """The panel's fields in screen order: each signer's 签名 button (the head's
        name before the head's), then 纸质签名."""
        chain: list[QWidget] = []
        for (role, name), button in self.buttons.items():
            if role == HEAD and name is None:
                chain.append(self.head_name)
            chain.append(button)
        return [*chain, self.on_paper]

    def sign_button(self, role: str) -> QPushButton | None:
        """The 签名 button of the first signer in `role` who has not signed (else the first)."""
        mine = [b for (r, _n), b in self.buttons.items() if r == role]
        return next((b for b in mine if b.text() != "重新签名"), mine[0] if mine else None)

    def _state(self, found: dict[str, Any] | None) -> QLabel:
        if found is None:
            label = QLabel("○ 未签名")
            set_tone(label, AMBER)
        else:
            how = "纸质签名" if found.get("on_paper") else "已签名"
            label = QLabel(f"✓ {how} {found['signed_on']}")
            set_tone(label, GREEN)
        return label

    def _thumbnail(self, found: dict[str, Any] | None) -> QLabel:
        height = self.fontMetrics().height() * 2
        label = QLabel()
        label.setFixedSize(height * 3, height + 4)  # 3:1 like the pad; rows keep their place
        if found and found.get("attachment_id"):
            try:
                pixmap = QPixmap()
                pixmap.loadFromData(attachments.read(self.ws, found["attachment_id"]))
            except WorkspaceError:
                pixmap = QPixmap()
            if not pixmap.isNull():
                label.setPixmap(pixmap.scaledToHeight(
                    height, Qt.TransformationMode.SmoothTransformation))
                label.setStyleSheet("background:white;border:1px solid #d5dbe3;")
        return label

    # -- actions ------------------------------------------------------------------------

    def sign(self, role: str, name: str | None) -> SignatureDialog:
        """Open the pad for one signer (window-modal, not blocking)."""
        head = name is None
        dialog = SignatureDialog(role, self.head_name.text().strip() if head else name or "",
                                 name_editable=head, parent=self)
        dialog.accepted.connect(lambda: self._store(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _store(self, dialog: SignatureDialog) -> None:
        with dialogs.reported(self, "签名没有保存") as outcome:
            inspection.sign(self.ws, self.visit_id, role=dialog.role, name=dialog.signer_name(),
                            png=dialog.pad.to_png())
        if outcome.ok:
            self.changed.emit()

    def _save_head_name(self) -> None:
        name = self.head_name.text().strip() or None
        visit = records.get(self.ws, "visit", self.visit_id) or {}
        if self._locked or visit.get("head_name") == name:
            return
        with dialogs.reported(self, "校长（园长）姓名没有保存"):
            records.put(self.ws, "visit", {"id": self.visit_id, "head_name": name})

    def _save_on_paper(self, checked: bool) -> None:
        with dialogs.reported(self, "纸质签名标记没有保存"):
            records.put(self.ws, "visit", {"id": self.visit_id, "signed_on_paper": checked})
        self.changed.emit()


