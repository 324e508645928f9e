"""How the app looks: vendored fonts, the user's text size, the stylesheet, settings.

The laptops this runs on often have no Chinese font Qt can find (or only a Japanese-first
Noto collection), so every font in resources/fonts is registered and the Simplified
Chinese family is made the default explicitly. Sizes are in points so that Windows'
125% scaling enlarges them; the stylesheet takes its few sizes from the same setting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QSettings, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from wushan_desk import paths

log = logging.getLogger(__name__)

FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")

#: System families tried when no vendored font is found (Windows, then Linux).
SYSTEM_FALLBACKS = ("Microsoft YaHei", "微软雅黑", "SimHei", "Noto Sans CJK SC",
                    "Source Han Sans SC", "WenQuanYi Micro Hei")


@dataclass(frozen=True)
class TextSize:
    key: str
    label: str
    points: int


TEXT_SIZES = (TextSize("standard", "标准", 10), TextSize("large", "大", 12),
              TextSize("xlarge", "特大", 14))
DEFAULT_TEXT_SIZE = "standard"


def settings() -> QSettings:
    """The user's settings, an .ini in the user data folder (portable; tests isolate it)."""
    folder = paths.user_data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)


def text_size() -> TextSize:
    key = str(settings().value("appearance/text_size", DEFAULT_TEXT_SIZE))
    return next((s for s in TEXT_SIZES if s.key == key), TEXT_SIZES[0])


#: Font files for the screen; the others in resources/fonts (WushanSerif, WushanExtB) are
#: print faces, which would cost 50 MB of memory in every window for nothing.
PRINT_ONLY_PREFIX = ("wushanserif", "wushanextb")


def register_fonts(folder: Path | None = None) -> dict[str, Path]:
    """Add the screen's font files in `folder` (default resources/fonts); family -> file."""
    folder = folder or paths.fonts_dir()
    families: dict[str, Path] = {}
    if not folder.is_dir():
        log.warning("font folder %s missing; relying on system fonts", folder)
        return families
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in FONT_SUFFIXES or \
                path.name.lower().startswith(PRINT_ONLY_PREFIX):
            continue
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id < 0:
            log.warning("could not load font %s", path)
            continue
        for family in QFontDatabase.applicationFontFamilies(font_id):
            families.setdefault(family, path)
    return families


def _score(family: str, path: Path) -> int:
    """Prefer the app's own sans, then any Simplified-Chinese sans; Kai is for print."""
    name = f"{family} {path.stem}".lower()
    score = 0
    if path.stem.lower().startswith("wushansans"):
        score += 8
    if "sans" in name or "hei" in name:
        score += 2
    if " sc" in f" {name}" or "sc " in name or name.endswith("sc"):
        score += 1
    if "kai" in name or "bold" in path.stem.lower():
        score -= 4
    return score


def choose_ui_family(families: dict[str, Path]) -> str | None:
    """The registered family to use for the UI: one that covers Simplified Chinese."""
    chinese = [f for f in families
               if QFontDatabase.WritingSystem.SimplifiedChinese in QFontDatabase.writingSystems(f)]
    if chinese:
        return max(chinese, key=lambda f: _score(f, families[f]))
    installed = set(QFontDatabase.families())
    return next((f for f in SYSTEM_FALLBACKS if f in installed), None)


def ui_font(family: str | None, size: TextSize) -> QFont:
    font = QFont(QApplication.font())
    if family:
        # The fallbacks keep rare characters (堃, 䶮) visible if the main font lacks them.
        font.setFamilies([family, *SYSTEM_FALLBACKS])
    font.setPointSize(size.points)
    return font


def stylesheet(size: TextSize) -> str:
    """ui/app.qss with its size tokens (@base@, @large@, @title@) filled in."""
    path = paths.ui_dir() / "app.qss"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        log.warning("stylesheet %s missing", path)
        return ""
    return (text.replace("@base@", str(size.points))
                .replace("@large@", str(size.points + 2))
                .replace("@title@", str(size.points + 6)))


def install_translations(app: QApplication) -> None:
    """Qt's own Chinese texts (file dialogs, context menus 复制/粘贴, 确定/取消)."""
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for name in ("qtbase_zh_CN", "qt_zh_CN"):
        translator = QTranslator(app)
        if translator.load(name, folder):
            app.installTranslator(translator)


class Appearance:
    """Applies the font and stylesheet to the running app, and changes the text size."""

    def __init__(self, app: QApplication) -> None:
        self.app = app
        self.families = register_fonts()
        self.family = choose_ui_family(self.families)
        log.info("UI font family: %s (registered: %s)", self.family, list(self.families))

    def apply(self, size: TextSize | None = None) -> None:
        size = size or text_size()
        self.app.setFont(ui_font(self.family, size))
        # Re-applying the sheet re-polishes every widget with the new sizes.
        self.app.setStyleSheet(stylesheet(size))

    def set_text_size(self, key: str) -> None:
        size = next(s for s in TEXT_SIZES if s.key == key)
        settings().setValue("appearance/text_size", size.key)
        self.apply(size)


_current: Appearance | None = None


def setup(app: QApplication) -> Appearance:
    """Fonts, translations, font size and stylesheet for `app` (once per process)."""
    global _current
    if _current is None or _current.app is not app:
        install_translations(app)
        _current = Appearance(app)
    _current.apply()
    return _current


def current() -> Appearance | None:
    return _current
