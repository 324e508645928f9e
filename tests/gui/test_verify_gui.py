"""The 核验报告 screen: a scanner types the QR text and presses Enter; the verdict shows.

A real hub (keys, device record, demo county) prints a real report; the page verifies
its QR text typed key by key, a forged copy, a PDF chosen in the file dialog, and text
that is no payload at all. The 报表 page leads to the screen.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sync"))
from network import HUB, Network, build_network
from support import open_workspace

from wushan_desk.gui.main_window import MainWindow
from wushan_desk.gui.reports_page import ReportsPage
from wushan_desk.gui.verify_page import VerifyPage
from wushan_desk.reports import read_metadata
from wushan_desk.services import inspection_report, records
from wushan_desk.store.workspace import Workspace

TASK_MS = 20_000


@pytest.fixture(scope="module")
def hub_template(tmp_path_factory: pytest.TempPathFactory) -> Network:
    return build_network(tmp_path_factory.mktemp("verify-gui"), devices=0)


@pytest.fixture
def hub(hub_template: Network, tmp_path: Path) -> Iterator[Workspace]:
    net = hub_template.copy(tmp_path / "net")
    ws = open_workspace(net.path(HUB), create=False)
    yield ws
    ws.close()


@pytest.fixture
def report(hub: Workspace, tmp_path: Path) -> tuple[Path, str]:
    visit = next(v["id"] for v in records.iter_records(hub, "visit") if v["status"] == "已定稿")
    pdf = tmp_path / "意见书.pdf"
    inspection_report.render(hub, visit, pdf)
    return pdf, read_metadata(pdf)["qr"]


@pytest.fixture
def page(qtbot, styled_app, hub: Workspace) -> VerifyPage:
    widget = VerifyPage(hub)
    qtbot.addWidget(widget)
    widget.resize(900, 520)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def scan(qtbot, page: VerifyPage, text: str) -> None:
    """What a USB scanner does: type each character, then Enter."""
    page.input.setFocus()
    page.input.selectAll()
    qtbot.keyClicks(page.input, text)
    qtbot.keyClick(page.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.task is not None and page.task.done, timeout=TASK_MS)


def test_a_scanned_report_passes_and_names_its_device(qtbot, page: VerifyPage,
                                                      report: tuple[Path, str]) -> None:
    assert page.level() == "" and page.empty.isVisible()
    scan(qtbot, page, report[1])
    assert page.level() == "pass"
    assert page.headline.text().startswith("✓ 核验通过")
    details = page.details.text()
    assert "巫山县教委督导室" in details and "县级中心库" in details  # the hub's device name
    assert "内容与本工作区库中的记录一致" in details
    assert page.input.hasFocus() and page.input.selectedText() == report[1]  # ready for more


def test_a_forged_scan_fails_in_red_words(qtbot, page: VerifyPage,
                                          report: tuple[Path, str]) -> None:
    fields = report[1].split(" ")
    fields[3] = "0" * 16  # another content digest
    scan(qtbot, page, " ".join(fields))
    assert page.level() == "fail"
    assert page.headline.text().startswith("✗ 核验未通过")
    assert "不可信" in page.details.text()


def test_text_that_is_no_payload_and_an_empty_box_say_what_to_do(qtbot,
                                                                 page: VerifyPage) -> None:
    scan(qtbot, page, "hello")
    assert page.level() == "fail" and "无法核验" in page.headline.text()
    assert "重新扫描" in page.details.text()
    page.input.clear()
    qtbot.keyClick(page.input, Qt.Key.Key_Return)
    assert page.level() == "fail" and "请先扫描" in page.headline.text()


def test_a_chosen_pdf_is_verified(qtbot, page: VerifyPage, report: tuple[Path, str],
                                  monkeypatch) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(report[0]), "PDF 文件 (*.pdf)")))
    page.file_button.click()
    qtbot.waitUntil(lambda: page.task is not None and page.task.done, timeout=TASK_MS)
    assert page.level() == "pass" and "PDF 数字签名有效" in page.details.text()


def test_the_reports_page_leads_to_the_verify_screen(window: MainWindow) -> None:
    window.go_to("报表")
    reports = window.pages["报表"]
    assert isinstance(reports, ReportsPage)
    assert reports.tabs.currentWidget() is not reports.verify
    reports.verify_button.click()
    assert reports.tabs.currentWidget() is reports.verify
    window.go_to("首页")
    window.go_to("报表:核验")
    assert reports.tabs.currentWidget() is reports.verify
