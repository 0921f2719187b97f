"""QR codes as vector shapes: segno's module matrix, horizontal runs merged into one path."""

from __future__ import annotations

import functools

import segno
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath

QUIET_ZONE = 4   # modules of white border the standard asks for


@functools.lru_cache(maxsize=256)
def module_path(text: str) -> tuple[QPainterPath, int]:
    """A path in module units (one unit per module) and the symbol's width in modules, without border."""
    code = segno.make(text, error="m", micro=False)
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.WindingFill)
    size = len(code.matrix)
    for y, row in enumerate(code.matrix):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                path.addRect(QRectF(start, y, x - start, 1))
            else:
                x += 1
    return path, size


def draw_qr(painter: QPainter, text: str, rect: QRectF) -> None:
    """Fill ``rect`` (a square, quiet zone included) with the code: white ground, black modules, one path."""
    path, size = module_path(text)
    total = size + 2 * QUIET_ZONE
    scale = min(rect.width(), rect.height()) / total
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    painter.fillRect(rect, Qt.GlobalColor.white)
    painter.translate(rect.left() + QUIET_ZONE * scale, rect.top() + QUIET_ZONE * scale)
    painter.scale(scale, scale)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.fillPath(path, Qt.GlobalColor.black)
    painter.restore()
