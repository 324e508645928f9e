"""Print preview and printing of the app's PDF documents, inside the app.

Supervisors print the signed report on site, on laptops that often have no PDF viewer
(or one that cannot print), so the app prints by itself: the PDF's pages are rendered by
PDFium (reports/raster.py, reached through services/print_pages.py) and drawn on Qt's
printer, behind Qt's own print preview and the system print dialog (in Chinese:
appearance.install_translations). The same preview saves a copy where the user
chooses and opens the file in a viewer when there is one.

The PDF itself is made off the GUI thread by the caller; drawing its pages here takes
about 15 ms a page for the preview and 40 ms for the printer, page by page.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QRectF, QStandardPaths, QUrl
from PySide6.QtGui import QDesktopServices, QImage, QPageLayout, QPageSize, QPaintEngine, QPainter
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog, QPrintPreviewWidget
from PySide6.QtWidgets import QFileDialog, QToolBar, QWidget

from wushan_desk import files
from wushan_desk.gui import appearance
from wushan_desk.gui.widgets import dialogs
from wushan_desk.services import print_pages as raster
from wushan_desk.services.print_pages import PrintError as ReportError
from wushan_desk.services.session import Workspace

#: Resolution of the preview's pages (sharp at the preview's 100 % zoom) and of printing
#: (laser printers in the townships print 600 dpi; 300 dpi text is crisp on paper, and
#: an A4 page is then 26 MB of pixels instead of 100 MB).
PREVIEW_DPI = 150
PRINT_DPI = 300

NO_VIEWER = ("这台电脑上没有能打开 PDF 文件的程序。可以在打印预览里直接点“打印”，"
             "或点“另存为 PDF”保存到 U 盘，到别的电脑上打开。")


def viewing_folder(ws: Workspace | None = None) -> Path:
    """Where attachments are copied (decrypted) to be opened in other programs: the
    workspace's private scratch folder (mode 0700; what a crash leaves there is wiped
    when the workspace is next opened), else this process's temporary folder; removed
    at exit."""
    global _VIEWING
    if _VIEWING is None:
        root = None
        if ws is not None:
            ws.scratch_dir.mkdir(mode=0o700, exist_ok=True)
            root = ws.scratch_dir
        _VIEWING = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-view-", dir=root))
        atexit.register(shutil.rmtree, _VIEWING, True)
    return _VIEWING


_VIEWING: Path | None = None


def open_file(path: Path, parent: QWidget | None = None) -> bool:
    """Open a PDF or photo in the system viewer; says so plainly when there is none."""
    if QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
        return True
    if path.suffix.lower() == ".pdf":
        dialogs.inform(parent, "没有 PDF 阅读器", NO_VIEWER)
    else:
        dialogs.inform(parent, "没有能打开这个文件的程序",
                       f"这台电脑上没有能打开“{path.suffix or path.name}”文件的程序。"
                       "可以把文件拷到别的电脑上查看。")
    return False


def page_numbers(printer: QPrinter, count: int) -> list[int]:
    """The pages (from 0) the print dialog asked for: all, or its 从…到… range."""
    first, last = printer.fromPage(), printer.toPage()
    if first <= 0 and last <= 0:
        return list(range(count))
    return list(range(max(first, 1) - 1, min(last or count, count)))


def paint_pdf(pdf: Path, printer: QPrinter, dpi: float = PRINT_DPI) -> int:
    """Draw the pages of `pdf` on `printer`, each scaled to the sheet keeping its
    proportions; returns how many were drawn. ReportError if the PDF cannot be read or
    the printer cannot start (both said in plain words)."""
    with raster.opened(pdf) as document:
        pages = page_numbers(printer, len(document))
        painter = QPainter()
        if not painter.begin(printer):
            raise ReportError("打印机没有响应：请检查打印机是否开机、连好，"
                              "或在打印对话框里换一台打印机。")
        try:
            for n, index in enumerate(pages):
                if n:
                    printer.newPage()
                _draw_page(painter, printer, document.render(index, dpi))
        finally:
            painter.end()
    return len(pages)


def _draw_page(painter: QPainter, printer: QPrinter, page: raster.PageImage) -> None:
    image = QImage(page.pixels, page.width, page.height, page.stride,
                   QImage.Format.Format_RGB888)
    sheet = printer.pageLayout().fullRectPixels(printer.resolution())
    scale = min(sheet.width() / page.width, sheet.height() / page.height)
    width, height = page.width * scale, page.height * scale
    # the sheet's corner is the painter's origin (full-page mode): centre on the sheet
    target = QRectF((sheet.width() - width) / 2, (sheet.height() - height) / 2, width, height)
    painter.drawImage(target, image)


def a4_printer(title: str) -> QPrinter:
    """A high-resolution printer set to A4 portrait, drawing on the whole sheet (the
    documents carry their own GB/T 9704 margins)."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setPageOrientation(QPageLayout.Orientation.Portrait)
    printer.setFullPage(True)
    printer.setDocName(title)
    return printer


class PdfPrintPreview(QPrintPreviewDialog):
    """Qt's print preview of one PDF: zoom, page setup, 打印 (the system print dialog),
    plus 另存为 PDF… and 用阅读器打开."""

    def __init__(self, pdf: Path, title: str, parent: QWidget | None = None) -> None:
        self.pdf, self.title = pdf, title
        self.printer = a4_printer(title)
        super().__init__(self.printer, parent)
        self.setWindowTitle(f"打印预览 — {title}")
        self.pages_drawn = 0
        self.failure: ReportError | None = None
        self.paintRequested.connect(self.paint)
        toolbar = self.findChild(QToolBar)
        if toolbar is not None:
            toolbar.addSeparator()
            toolbar.addAction("另存为 PDF…", self.save_copy)
            toolbar.addAction("用阅读器打开", lambda: open_file(self.pdf, self))
        screen = self.screen().availableGeometry()
        self.resize(min(1000, screen.width()), screen.height() * 9 // 10)

    def paint(self, printer: QPrinter) -> None:
        """Draw the pages: at the preview's resolution for the screen, at the printing
        one for paper (Qt previews through a recording paint engine)."""
        engine = printer.paintEngine()
        previewing = engine is not None and engine.type() == QPaintEngine.Type.Picture
        try:
            self.pages_drawn = paint_pdf(self.pdf, printer,
                                         PREVIEW_DPI if previewing else PRINT_DPI)
        except ReportError as exc:
            self.failure = exc
            dialogs.show_error(self, exc, "没有打印")

    def page_count(self) -> int:
        """Pages in the preview (as Qt laid them out)."""
        preview = self.findChild(QPrintPreviewWidget)
        return preview.pageCount() if preview is not None else 0

    def save_copy(self, target: Path | None = None) -> Path | None:
        """Copy the PDF to a place the user picks (remembered for next time)."""
        if target is None:
            store = appearance.settings()
            folder = str(store.value("print/save_dir", "") or QStandardPaths.writableLocation(
                QStandardPaths.StandardLocation.DocumentsLocation))
            name, _ = QFileDialog.getSaveFileName(
                self, "另存为 PDF", str(Path(folder) / self.pdf.name),
                "PDF 文件 (*.pdf)")
            if not name:
                return None
            target = Path(name)
            store.setValue("print/save_dir", str(target.parent))
        with dialogs.reported(self, "PDF 没有保存") as outcome:
            data = self.pdf.read_bytes()
            files.write_atomic(target, lambda out: out.write(data))
        return target if outcome.ok else None


def preview(pdf: Path, title: str, parent: QWidget | None = None) -> PdfPrintPreview:
    """Open the print preview of `pdf`, modal to its window (returns at once)."""
    dialog = PdfPrintPreview(pdf, title, parent)
    dialog.open()
    return dialog

