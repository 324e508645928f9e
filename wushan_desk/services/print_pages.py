"""A document's pages as pixels for the GUI's print preview and printing.

The GUI reaches the report engine through the services, like every layer below it;
the rendering itself is reports/raster.py (PDFium). A file that cannot be read raises
`PrintError`, whose message says what to do.
"""

from __future__ import annotations

from wushan_desk.reports.fonts import ReportError as PrintError
from wushan_desk.reports.raster import PageImage, RasterDocument, opened

__all__ = ["PageImage", "PrintError", "RasterDocument", "opened"]
