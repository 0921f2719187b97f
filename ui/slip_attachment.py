"""A member's slip as a PDF in memory, to attach to their email: the same painting as ``treasurer slips pdf``.

Runs headless (an offscreen Qt application is made when there is none) and off the window's thread: QPainter
on a QPdfWriter needs no screen.  The CLI and the window hand ``renderer(hall)`` to ``treasurer.outbox``,
which cannot import Qt itself.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter

from treasurer.errors import UserFacingError
from treasurer.hall import Hall

from .slip_pdf import PAPERS, PDF_DPI, ensure_gui, faces_for, paint_slips


def slip_pdf_bytes(hall: Hall, slip_id: int, paper: str = "letter") -> bytes:
    """One slip, one page (the 1up layout), its QR code drawn as vector squares."""
    ensure_gui()
    faces = faces_for(hall, [slip_id])
    data = QByteArray()
    buffer = QBuffer(data)
    if not buffer.open(QIODevice.OpenModeFlag.WriteOnly):
        raise UserFacingError("The slip's PDF could not be made in memory.")
    writer = QPdfWriter(buffer)
    writer.setResolution(PDF_DPI)
    writer.setTitle(f"Payment slip {slip_id} — {faces[0].hall_name}")
    writer.setCreator("Hall Treasurer")
    writer.setPageLayout(QPageLayout(QPageSize(PAPERS.get(paper, PAPERS["letter"])),
                                     QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
    paint_slips(writer, faces, "1up", PDF_DPI)
    del writer                          # the PDF is finished when the writer goes
    buffer.close()
    return bytes(data.data())


def renderer(hall: Hall) -> Callable[[int], bytes]:
    return lambda slip_id: slip_pdf_bytes(hall, slip_id)
