"""The visit editor's work with files: evidence photos (downscaled off the GUI thread,
stored as attachments) and the printed documents (督导意见书, 整改通知书) through the
report hook `services.inspection_report.render`, also rendered off the GUI thread.

A mixin of VisitEditor: it uses the editor's workspace, visit, rows and autosave.
"""

from __future__ import annotations

import html
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtGui import QImage, QImageReader, QPainter
from PySide6.QtWidgets import QFileDialog, QLabel, QMenu, QWidget

from wushan_desk import files
from wushan_desk.domain import inspection as rules
from wushan_desk.domain.errors import ValidationError
from wushan_desk.gui import appearance, printing
from wushan_desk.gui.inspection.parts import AnswerRow, CheckRow
from wushan_desk.gui.printing import viewing_folder
from wushan_desk.gui.widgets import dialogs
from wushan_desk.gui.widgets.background import SerialWorker
from wushan_desk.gui.widgets.tasks import Task, run_task
from wushan_desk.progress import Cancelled
from wushan_desk.services import attachments, records
from wushan_desk.services.inspection import VisitDetail
from wushan_desk.services.session import Workspace

PHOTO_LONG_SIDE = 1600
PHOTO_QUALITY = 85
REPORT_NAMES = {"inspection": "督导意见书", "rectification": "整改通知书"}

Row = AnswerRow | CheckRow

def downscale_job(sources: list[Path], folder: Path) -> Any:
    """A run_task job: each photo re-encoded as JPEG (quality 85) at most 1600 px on its
    long side, upright per its EXIF orientation; the location data is dropped with EXIF."""

    def job(progress: Any, cancelled: Any) -> list[Path]:
        out: list[Path] = []
        for n, source in enumerate(sources):
            if cancelled():
                raise Cancelled()
            progress(n, len(sources), f"正在处理照片：{source.name}")
            reader = QImageReader(str(source))
            reader.setAutoTransform(True)
            image = reader.read()
            if image.isNull():
                raise ValidationError(f"“{source.name}”不是能识别的图片，请选择 JPG 或 PNG 照片。")
            if max(image.width(), image.height()) > PHOTO_LONG_SIDE:
                image = image.scaled(PHOTO_LONG_SIDE, PHOTO_LONG_SIDE,
                                     Qt.AspectRatioMode.KeepAspectRatio,
                                     Qt.TransformationMode.SmoothTransformation)
            if image.hasAlphaChannel():  # JPEG has no transparency: put it on white
                flat = QImage(image.size(), QImage.Format.Format_RGB32)
                flat.fill(Qt.GlobalColor.white)
                painter = QPainter(flat)
                painter.drawImage(0, 0, image)
                painter.end()
                image = flat
            target = folder / f"{n + 1:02d}-{source.stem}.jpg"
            if not image.save(str(target), "JPG", PHOTO_QUALITY):
                raise OSError(f"cannot write {target}")
            out.append(target)
        progress(len(sources), len(sources), "")
        return out

    return job


def report_job(ws: Workspace, visit_id: str, out: Path, kind: str) -> Any:
    """A run_task job: render on the worker thread with its own connection."""

    def job(progress: Any, _cancelled: Any) -> Path:
        from wushan_desk.services import inspection_report

        progress(0, 1, f"正在生成{REPORT_NAMES[kind]}……")
        with ws.worker_session() as worker:
            inspection_report.render(worker, visit_id, out, kind=kind)
        return out

    return job


class VisitFiles:
    """Photos and PDFs of the visit editor. A plain mixin (no __init__, no QObject) so
    that VisitEditor stays one QWidget; the attributes below are the editor's."""

    ws: Workspace
    visit_id: str
    d: VisitDetail
    task: Task | None
    save_state: QLabel
    amending: tuple[str, str | None] | None
    print_preview: Any = None  # the last print preview opened (printing.PdfPrintPreview)

    _writer: SerialWorker

    if TYPE_CHECKING:  # provided by VisitEditor and Autosave
        editable: bool

        def save_now(self) -> None: ...

    def _widget(self) -> QWidget:
        assert isinstance(self, QWidget)
        return self

    # -- photos --------------------------------------------------------------------------

    def _photos_menu(self, row: Row) -> None:
        menu = QMenu(self._widget())
        add = menu.addAction("添加照片…")
        add.setEnabled(self.editable and not (self.amending and isinstance(row, CheckRow)))
        add.triggered.connect(lambda: self.choose_photos(row))
        for photo_id in row.photo_ids:
            record = records.get(self.ws, "attachment", photo_id) or {}
            view = menu.addAction(f"查看：{record.get('filename', photo_id[:8])}")
            view.triggered.connect(lambda _c=False, p=photo_id: self._view_photo(p))
        if row.photo_ids and self.editable:
            remove = menu.addMenu("移除照片")
            for photo_id in row.photo_ids:
                record = records.get(self.ws, "attachment", photo_id) or {}
                action = remove.addAction(record.get("filename", photo_id[:8]))
                action.triggered.connect(lambda _c=False, p=photo_id: self._remove_photo(row, p))
        menu.exec(row.photos.mapToGlobal(row.photos.rect().bottomLeft()))

    def _view_photo(self, photo_id: str) -> None:
        with dialogs.reported(self._widget(), "照片打不开"):
            copy = attachments.open_copy(self.ws, photo_id, viewing_folder(self.ws))
            printing.open_file(copy, self._widget())

    def _remove_photo(self, row: Row, photo_id: str) -> None:
        row.photo_ids = [p for p in row.photo_ids if p != photo_id]
        row.changed.emit(row)
        if isinstance(row, AnswerRow):
            row.show_score()

    def choose_photos(self, row: Row) -> None:
        start = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
        files, _ = QFileDialog.getOpenFileNames(self._widget(), "选择照片", start,
                                                "图片 (*.jpg *.jpeg *.png *.bmp);;所有文件 (*)")
        if files:
            self.add_photos(row, [Path(f) for f in files])

    def add_photos(self, row: Row, files: list[Path]) -> Task:
        """Downscale on a worker thread, then store each as an attachment of the answer
        (or of the re-check) and save the row: the answer lists its photos."""
        if isinstance(row, AnswerRow):  # one answer per item: its id is known before saving
            row.answer_id = rules.answer_id(self.visit_id, row.item["id"])
        else:  # the re-check's id is fixed when it is first saved, or here
            row.check_id = row.check_id or str(uuid.uuid4())
        folder = Path(tempfile.mkdtemp(prefix="wushan-photos-"))

        def attach(paths: list[Path]) -> None:
            owner = ("visit_answer", row.answer_id) if isinstance(row, AnswerRow) \
                else ("finding_check", row.check_id)
            with dialogs.reported(self._widget(), "照片没有保存"):
                for path in paths:
                    row.photo_ids.append(attachments.add(
                        self.ws, path, owner_kind=owner[0], owner_id=owner[1], note="督导照片"))
            shutil.rmtree(folder, ignore_errors=True)
            row.changed.emit(row)
            if isinstance(row, AnswerRow):
                row.show_score()
            self.save_now()

        def failed(exc: BaseException) -> None:
            shutil.rmtree(folder, ignore_errors=True)
            dialogs.show_error(self._widget(), exc, "照片没有添加")

        self.task = run_task(self._widget(), "正在处理照片", downscale_job(files, folder), attach,
                             on_cancelled=lambda: shutil.rmtree(folder, ignore_errors=True),
                             on_error=failed)
        return self.task

    # -- reports ---------------------------------------------------------------------------

    def _default_name(self, kind: str) -> str:
        school = self.d.school.get("name", "学校")
        return files.safe_name(f"{school}-{REPORT_NAMES[kind]}-{self.d.visit['date']}", ".pdf")

    def export_pdf(self, path: Path, kind: str = "inspection",
                   then: Any = None) -> None:
        """Render the document to `path` off the GUI thread, after the queued autosaves
        (the document must show what is on screen)."""
        self.task = None  # the report's task, once the autosaves are written
        self.save_now()

        def done(out: Path) -> None:
            self.save_state.setText(f'已导出 <a href="{html.escape(str(out))}">打开</a>')
            if then:
                then(out)

        def start() -> None:
            self.task = run_task(self._widget(), f"正在生成{REPORT_NAMES[kind]}",
                                 report_job(self.ws, self.visit_id, Path(path), kind), done,
                                 what=f"{REPORT_NAMES[kind]}没有生成")

        self._writer.when_idle(start)

    def export_dialog(self, kind: str) -> None:
        store = appearance.settings()
        folder = str(store.value("inspection/export_dir", "") or QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation))
        name, _ = QFileDialog.getSaveFileName(self._widget(), f"导出{REPORT_NAMES[kind]}",
                                              str(Path(folder) / self._default_name(kind)),
                                              "PDF 文件 (*.pdf)")
        if name:
            store.setValue("inspection/export_dir", str(Path(name).parent))
            self.export_pdf(Path(name), kind)

    def print_report(self, kind: str = "inspection") -> None:
        """Print: the document is made off the GUI thread into the workspace's private
        viewing folder (removed at exit), then shown in the app's print preview, whose
        打印 opens the system print dialog (gui/printing.py).

        A name already taken by a copy still open in a viewer gets " (2)" and so on.
        """
        target = files.free_path(viewing_folder(self.ws), self._default_name(kind))

        def show(out: Path) -> None:
            self.print_preview = printing.preview(out, REPORT_NAMES[kind], self._widget())

        self.export_pdf(target, kind, then=show)
