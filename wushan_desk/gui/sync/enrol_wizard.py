"""Setting up sync: create the county hub, join as a centre device, enrol a device.

Trust rests on people comparing fingerprints (docs/sync-package-format.md §1.6): the hub
shows its fingerprint when it is created and when it enrols a device; a device shows its
own when it writes its request, and the hub's before it trusts an enrolment package. So
each step shows the fingerprint large enough to read aloud and copy onto paper.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from wushan_desk import paths
from wushan_desk.domain.errors import UserError
from wushan_desk.gui.sync.dialogs import (
    FolderChooser,
    add_refresh_key,
    open_folder,
    start_folder,
)
from wushan_desk.gui.widgets import dialogs
from wushan_desk.gui.widgets.tasks import Task, run_task
from wushan_desk.progress import CancelledFn, ProgressFn
from wushan_desk.services import accounts, sync_view
from wushan_desk.services.session import Workspace

HUB_NAME = "巫山县教委督导室"


def free_path(wanted: Path) -> Path:
    """`wanted`, or wanted-2, -3 … if a file is already there (never overwrite)."""
    candidate, n = wanted, 2
    while candidate.exists():
        candidate = wanted.with_name(f"{wanted.stem}-{n}{wanted.suffix}")
        n += 1
    return candidate


def label(text: str, name: str = "", selectable: bool = False) -> QLabel:
    widget = QLabel(text, wordWrap=True, objectName=name)
    if selectable:
        widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return widget


class PathField(QWidget):
    """Where a new workspace file goes: a text box and 浏览…."""

    def __init__(self, default: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(str(default))
        browse = QPushButton("浏览…", toolTip="选择保存位置")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(browse)
        self.setFocusProxy(self.edit)

    def _browse(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(self, "工作区保存位置", self.edit.text(),
                                                "工作区文件 (*.wsdb)")
        if chosen:
            self.edit.setText(chosen)

    def path(self) -> Path:
        path = Path(self.edit.text().strip())
        return path if path.suffix.lower() == ".wsdb" else path.with_name(path.name + ".wsdb")


class SetupDialog(QDialog):
    """Two pages, a form and what came of it; Esc asks before throwing typing away."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.chosen: Path | None = None  # the workspace to open afterwards
        self.task: Task | None = None
        self.stack = QStackedWidget()
        self.error = label("", "formError")
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(title, objectName="pageTitle"))
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.error)
        self.setMinimumWidth(620)

    def page(self, widgets: list[QWidget | QFormLayout], buttons: QDialogButtonBox) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        for w in widgets:
            if isinstance(w, QFormLayout):
                column.addLayout(w)
            else:
                column.addWidget(w)
        column.addStretch(1)
        column.addWidget(buttons)
        self.stack.addWidget(page)
        return page

    def fail(self, text: str) -> None:
        self.error.setText(f"▲ {text}")
        self.error.show()

    def add_admin_fields(self, form: QFormLayout) -> None:
        """The first administrator of the workspace being made (it is encrypted: without
        a login nobody can read it)."""
        self.admin_login = QLineEdit("admin")
        self.admin_password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.admin_again = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        form.addRow("管理员用户名(&U)：", self.admin_login)
        form.addRow("管理员密码(&P)：", self.admin_password)
        form.addRow("再次输入密码：", self.admin_again)

    def admin_credentials(self) -> accounts.Credentials | None:
        """The administrator typed, checked; None (with the reason shown) if not usable."""
        if self.admin_password.text() != self.admin_again.text():
            self.fail("两次输入的管理员密码不一致。")
            return None
        creds = accounts.Credentials(self.admin_login.text().strip(), self.admin_password.text())
        try:
            accounts.check_password(creds.password, accounts.check_login_name(creds.login))
        except accounts.ValidationError as exc:
            self.fail(exc.message)
            return None
        return creds

    def busy(self) -> bool:
        return self.task is not None and not self.task.done

    def start(self, title: str, job: Any, on_done: Any, what: str, **kw: Any) -> None:
        self.error.hide()
        self.task = run_task(self, title, job, on_done, what=what, **kw)

    def dirty(self) -> bool:
        return False

    def reject(self) -> None:
        if self.busy():
            return  # the progress dialog's 取消 stops the job; don't close under it
        if self.stack.currentIndex() > 0:
            self.accept()  # the work is done: Esc just goes on to open it
        elif not self.dirty() or dialogs.confirm(self, "放弃", "放弃填写的内容并关闭？", "放弃"):
            super().reject()


def fingerprint_label(fingerprint: str = "") -> QLabel:
    widget = label(fingerprint, "fingerprint", selectable=True)
    font = widget.font()
    font.setPointSize(font.pointSize() + 6)
    font.setBold(True)
    font.setLetterSpacing(font.SpacingType.AbsoluteSpacing, 2)
    widget.setFont(font)
    return widget


def _buttons(*specs: tuple[str, QDialogButtonBox.ButtonRole]) -> tuple[QDialogButtonBox, list]:
    box = QDialogButtonBox()
    return box, [box.addButton(text, role) for text, role in specs]


ACCEPT, REJECT, ACTION = (QDialogButtonBox.ButtonRole.AcceptRole,
                          QDialogButtonBox.ButtonRole.RejectRole,
                          QDialogButtonBox.ButtonRole.ActionRole)


class HubSetupDialog(SetupDialog):
    """创建县级中心库: name, file, optionally the demo county; then its fingerprint."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("创建县级中心库", parent)
        self.name = QLineEdit(HUB_NAME)
        self.where = PathField(free_path(paths.default_workspace()))
        self.demo = QCheckBox("填入演示数据：一个虚构的巫山县（学校、学生都是生成的），"
                              "用于试用和培训")
        form = QFormLayout()
        form.addRow("名称(&N)：", self.name)
        form.addRow("文件位置(&W)：", self.where)
        self.add_admin_fields(form)
        form.addRow("", self.demo)
        box, (self.create_button, cancel) = _buttons(("创建", ACCEPT), ("取消", REJECT))
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self.create)
        cancel.clicked.connect(self.reject)
        self.page([label("县教委使用：中心库汇总全县各督导中心的数据，并为各中心的电脑登记入网。"
                         "每个县只建一个中心库。", "pageIntro"), form], box)
        self.fingerprint = fingerprint_label()
        self.demo_note = label("", "hint")
        box, (copy, self.open_button) = _buttons(("复制指纹", ACTION), ("打开中心库", ACCEPT))
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.fingerprint.text()))
        self.open_button.clicked.connect(self.accept)
        self.page([label("县级中心库已建好。下面是它的指纹：", "dialogHeadline"), self.fingerprint,
                   label("请把这串指纹抄下或打印，留在中心库电脑旁。各督导中心的电脑加入时，"
                         "要和这串指纹逐字核对。", "pageIntro"), self.demo_note], box)

    def dirty(self) -> bool:
        return self.name.text() != HUB_NAME or self.demo.isChecked()

    def create(self) -> None:
        name, path = self.name.text().strip(), self.where.path()
        if not name:
            self.fail("请填写中心库名称，例如“巫山县教委督导室”。")
        elif path.exists():
            self.fail(f"{path} 已存在，不会覆盖。请换一个文件名。")
        elif (admin := self.admin_credentials()) is not None:
            self.start("正在创建县级中心库", sync_view.hub_create_job(path, name, admin),
                       self._created, "县级中心库没有建成")

    def _created(self, fingerprint: str) -> None:
        self.chosen = self.where.path()
        self.fingerprint.setText(fingerprint)
        if self.demo.isChecked():
            self.start("正在填入演示数据", demo_job(self.chosen),
                       lambda _r: self._done("已填入演示数据。"), "演示数据没有填入",
                       on_cancelled=lambda: self._done("演示数据已取消，中心库是空的。"))
        else:
            self._done("")

    def _done(self, note: str) -> None:
        self.demo_note.setText(note)
        self.stack.setCurrentIndex(1)
        self.open_button.setDefault(True)
        self.open_button.setFocus()


def demo_job(path: Path) -> Any:
    def job(progress: ProgressFn, cancelled: CancelledFn) -> None:
        from wushan_desk.gui import first_start
        from wushan_desk.services.demo import build_demo  # a large module: only when needed

        build_demo(path, scale=first_start.DEMO_SCALE, progress=progress, cancelled=cancelled)

    return job


class JoinFlow(QObject):
    """导入入网包: check it is for this device, have the fingerprint compared, join."""

    joined = Signal(object)  # sync_view.Joined

    def __init__(self, parent: QWidget, ws_path: Workspace | Path, device_id: str) -> None:
        super().__init__(parent)
        self.widget, self.ws_path, self.device_id = parent, ws_path, device_id
        self.task: Task | None = None

    def start(self, package: Path | None = None) -> None:
        if package is None:
            chosen, _ = QFileDialog.getOpenFileName(self.widget, "选择入网包", start_folder(),
                                                    "入网包 (*.wspkg);;所有文件 (*)")
            if not chosen:
                return
            package = Path(chosen)
        try:
            fingerprint = sync_view.enrolment_fingerprint(package, self.device_id)
        except UserError as exc:
            dialogs.show_error(self.widget, exc, "不能导入这个入网包")
            return
        if dialogs.confirm(
                self.widget, "核对县教委的指纹",
                f"这个入网包来自指纹为\n\n{fingerprint}\n\n的县级中心库。",
                "信任并加入", "请与县教委打印或告知的指纹逐字核对。完全一致才点“信任并加入”；"
                "不一致说明文件可能被人替换过，请不要导入，并联系县教委。"):
            self.task = run_task(self.widget, "正在加入县级中心库",
                                 sync_view.join_job(self.ws_path, package), self._done,
                                 what="没有加入县级中心库")

    def _done(self, joined: sync_view.Joined) -> None:
        summary = joined.summary
        if summary.status != "applied":
            dialogs.show_problem(self.widget, dialogs.Problem(
                "没有加入县级中心库", summary.rejected or "入网包没有导入。",
                "请向县教委重新索取本机的入网包。"))
            return
        self.joined.emit(joined)


class DeviceSetupDialog(SetupDialog):
    """作为督导中心设备加入: write the request; join now or later from the 同步 page."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("作为督导中心设备加入", parent)
        self.request: sync_view.RequestInfo | None = None
        self.name = QLineEdit(placeholderText="如：大昌片区督导中心-笔记本1")
        self.where = PathField(free_path(paths.default_workspace()))
        self.out = FolderChooser()
        add_refresh_key(self, self.out)
        form = QFormLayout()
        form.addRow("设备名称(&N)：", self.name)
        form.addRow("文件位置(&W)：", self.where)
        form.addRow("申请保存到(&D)：", self.out)
        self.add_admin_fields(form)
        box, (self.write_button, cancel) = _buttons(("写入网申请", ACCEPT), ("取消", REJECT))
        self.write_button.setDefault(True)
        self.write_button.clicked.connect(self.write_request)
        cancel.clicked.connect(self.reject)
        self.page([label("乡镇督导中心使用，分三步：① 在这里写一份入网申请；② 把申请文件带到县教委"
                         "登记；③ 导入县教委给的入网包。", "pageIntro"), form], box)
        self.written = label("", "dialogHeadline", selectable=True)
        self.fingerprint = fingerprint_label()
        box, (folder, self.join_button, later) = _buttons(
            ("打开文件夹", ACTION), ("导入入网包…", ACTION), ("以后再导入", ACCEPT))
        folder.clicked.connect(lambda: self.request and open_folder(self.request.path.parent))
        self.join_button.clicked.connect(lambda: self.join())
        later.clicked.connect(self.accept)
        self.page([self.written, label("本机指纹：", "pageIntro"), self.fingerprint,
                   label("请把申请文件带到县教委。县教委登记时会显示同一串指纹，请当面核对。"
                         "登记后县教委会给一个入网包（.wspkg 文件）：可以现在导入，也可以以后在"
                         "“同步”页导入。", "pageIntro")], box)

    def dirty(self) -> bool:
        return bool(self.name.text().strip())

    def write_request(self) -> None:
        name, path, out = self.name.text().strip(), self.where.path(), self.out.folder()
        if not name:
            self.fail("请填写设备名称，县教委据此认出这台电脑，例如“大昌片区督导中心-笔记本1”。")
        elif path.exists():
            self.fail(f"{path} 已存在，不会覆盖。请换一个文件名。")
        elif out is None:
            self.fail("请选择入网申请的保存位置（插入 U 盘后按 F5，或点 浏览…）。")
        elif (admin := self.admin_credentials()) is not None:
            self.start("正在写入网申请", sync_view.device_create_job(path, name, out, admin),
                       self._written, "入网申请没有写成")

    def _written(self, request: sync_view.RequestInfo) -> None:
        self.request, self.chosen = request, self.where.path()
        self.written.setText(f"入网申请已写好：{request.path}")
        self.fingerprint.setText(request.fingerprint)
        self.stack.setCurrentIndex(1)
        self.join_button.setFocus()

    def join(self, package: Path | None = None) -> JoinFlow | None:
        if self.request is None or self.chosen is None:
            return None
        flow = JoinFlow(self, self.chosen, self.request.device_id)
        flow.joined.connect(lambda _j: self.accept())
        flow.start(package)
        return flow


class EnrolDeviceDialog(SetupDialog):
    """登记设备 (hub): a request file, the centre it joins; then its enrolment package."""

    enrolled = Signal()

    def __init__(self, ws_path: Workspace | Path, centres: list[tuple[str, str]],
                 parent: QWidget | None = None) -> None:
        super().__init__("登记设备", parent)
        self.ws_path = ws_path
        self.request: sync_view.RequestInfo | None = None
        self.request_label = label("尚未选择", selectable=True)
        pick = QPushButton("选择申请文件…", toolTip="设备写的入网申请（.wsreq 文件）")
        pick.clicked.connect(lambda: self.choose_request())
        self.device_fingerprint = fingerprint_label("—")
        self.centre = QComboBox(objectName="centreCombo")
        for name, centre_id in centres:
            self.centre.addItem(name, centre_id)
        self.out = FolderChooser()
        add_refresh_key(self, self.out)
        form = QFormLayout()
        form.addRow("入网申请(&R)：", self._row(self.request_label, pick))
        form.addRow("设备指纹：", self.device_fingerprint)
        form.addRow("加入督导中心(&C)：", self.centre)
        form.addRow("入网包保存到(&D)：", self.out)
        box, (self.enrol_button, cancel) = _buttons(("登记", ACCEPT), ("取消", REJECT))
        self.enrol_button.setDefault(True)
        self.enrol_button.clicked.connect(self.enrol)
        cancel.clicked.connect(self.reject)
        self.page([label("登记后，这台设备会收到所选督导中心范围内的学校和学生。请先与设备上显示的"
                         "“本机指纹”核对下面的设备指纹。", "pageIntro"), form], box)
        self.result_text = label("", "dialogHeadline", selectable=True)
        self.fingerprints = label("", "pageIntro", selectable=True)
        box, (folder, close) = _buttons(("打开文件夹", ACTION), ("关闭", ACCEPT))
        folder.clicked.connect(lambda: self.package and open_folder(self.package.parent))
        close.clicked.connect(self.accept)
        self.package: Path | None = None
        self.page([self.result_text, self.fingerprints], box)

    @staticmethod
    def _row(*widgets: QWidget) -> QWidget:
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        for i, w in enumerate(widgets):
            row.addWidget(w, 1 if i == 0 else 0)
        return holder

    def dirty(self) -> bool:
        return self.request is not None

    def choose_request(self, path: Path | None = None) -> None:
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(self, "选择入网申请", start_folder(),
                                                    "入网申请 (*.wsreq);;所有文件 (*)")
            if not chosen:
                return
            path = Path(chosen)
        try:
            self.request = sync_view.read_request(path)
        except UserError as exc:
            self.request = None
            self.fail(exc.message)
            return
        self.error.hide()
        self.request_label.setText(f"{self.request.name}（{path.name}，{self.request.created}）")
        self.device_fingerprint.setText(self.request.fingerprint)

    def enrol(self) -> None:
        out = self.out.folder()
        if self.request is None:
            self.fail("请先选择设备交来的入网申请文件（.wsreq）。")
        elif self.centre.currentData() is None:
            self.fail("中心库里还没有督导中心。请先建立督导中心，或填入演示数据试用。")
        elif out is None:
            self.fail("请选择入网包的保存位置（插入 U 盘后按 F5，或点 浏览…）。")
        else:
            self.start("正在登记设备", sync_view.enrol_job(self.ws_path, self.request.path,
                                                     self.centre.currentData(), out),
                       self._enrolled, "设备没有登记")

    def _enrolled(self, enrolled: Any) -> None:
        self.package = enrolled.package
        self.result_text.setText(f"已登记“{enrolled.device_name}”，加入{enrolled.centre}。"
                                 f"入网包已写到：{enrolled.package}")
        self.fingerprints.setText(
            f"设备指纹：{enrolled.device_fingerprint}\n中心库指纹：{enrolled.hub_fingerprint}\n\n"
            "请把入网包拷给这台设备导入。设备导入时会显示中心库指纹，请对方与上面的逐字核对。")
        self.stack.setCurrentIndex(1)
        self.enrolled.emit()
