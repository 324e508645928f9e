"""Pages of a report rendered to pixels (reports/raster.py), as the app prints them."""

from __future__ import annotations

import pypdf
import pytest
from report_sample import build_sample

from wushan_desk import reports as r
from wushan_desk.reports import raster
from wushan_desk.reports.fonts import ReportError


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("raster") / "督导意见书.pdf"
    r.render_pdf(build_sample(), path)
    return path


def dark_share(page: raster.PageImage) -> float:
    """Share of pixels darker than mid-grey (text, lines): 0 on a blank page."""
    dark = sum(1 for value in page.pixels[::3] if value < 128)
    return dark / (page.width * page.height)


def test_every_page_renders_at_the_asked_resolution(sample) -> None:
    with raster.opened(sample) as document:
        assert len(document) == len(pypdf.PdfReader(sample).pages) >= 2
        size = document.size(0)
        assert round(size.width_mm) == 210 and round(size.height_mm) == 297
        for index in range(len(document)):
            page = document.render(index, 50)
            assert abs(page.width - 413.4) < 1 and abs(page.height - 584.7) < 1  # A4, 50 dpi
            assert page.stride >= page.width * 3
            assert len(page.pixels) == page.stride * page.height
            assert 0.001 < dark_share(page) < 0.3  # text on white: neither blank nor black


def test_a_broken_or_missing_file_is_explained(tmp_path) -> None:
    broken = tmp_path / "坏.pdf"
    broken.write_bytes(b"%PDF-1.4\n" + b"\x00" * 100)
    for path in (broken, tmp_path / "不存在.pdf"):
        with pytest.raises(ReportError) as caught:
            raster.RasterDocument(path)
        assert path.name in caught.value.message and "重新生成" in caught.value.message
