"""Icons and the stylesheet from ``resources/``."""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

RESOURCES = Path(__file__).resolve().parents[1] / "resources"


@functools.cache
def icon(name: str) -> QIcon:
    return QIcon(str(RESOURCES / "icons" / f"{name}.svg"))


def apply_style(app: QApplication) -> None:
    app.setWindowIcon(icon("app"))
    app.setStyleSheet((RESOURCES / "style.qss").read_text(encoding="utf-8"))
