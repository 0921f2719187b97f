"""Payment slips on paper: the same painting for PDF files, printers and the on-screen preview.

Everything is painted in points (1/72 inch) whatever the device; the QR code is vector shapes (Qt stores
raster images in PDFs as JPEG, which blurs a QR code).  Runs headless: the CLI calls ``render_slips_pdf``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QImage,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
)

from treasurer.errors import UserFacingError
from treasurer.hall import Hall
from treasurer.models import Slip
from treasurer.private_files import protect, write_private

from . import fmt
from .qr import QRBatch, draw_qr

LAYOUTS = ("1up", "3up")
PAPERS = {"letter": QPageSize.PageSizeId.Letter, "a4": QPageSize.PageSizeId.A4}
PDF_DPI = 1200
MARGIN_PT = 30.0
_app: QGuiApplication | None = None


@dataclasses.dataclass(frozen=True)
class SlipFace:
    """What one slip says."""

    slip_id: int
    hall_name: str
    hall_address: str
    member_name: str
    member_number: str
    covers: str
    amount: str
    pay_by: str
    url: str
    status: str = "open"

    @property
    def short_url(self) -> str:
        return short_url(self.url)


def short_url(url: str) -> str:
    text = url.split("://", 1)[-1].removeprefix("www.")
    if len(text) <= 44:
        return text
    host, _, rest = text.partition("/")
    return f"{host}/…{rest[-14:]}"


def covers_text(periods: str, covers: str) -> str:
    codes = [p for p in periods.split(",") if p]
    if len(codes) <= 3:
        text = "Dues " + ", ".join(codes)
    else:
        text = f"Dues {codes[0]} to {codes[-1]} ({len(codes)} periods)"
    return text + (" (all arrears)" if covers == "arrears" and len(codes) > 1 else "")


def faces_for(hall: Hall, slips: Sequence[Slip | int]) -> list[SlipFace]:
    """Faces in the order given; slips may be ORM rows or ids."""
    from .queries import slips_by_id

    ids = [s if isinstance(s, int) else s.id for s in slips]
    loaded = {s.id: s for s in slips_by_id(hall, ids)}
    missing = [i for i in ids if i not in loaded]
    if missing:
        raise UserFacingError(f"There is no slip {missing[0]}.")
    settings = hall.settings()
    faces = []
    for slip_id in ids:
        s = loaded[slip_id]
        faces.append(SlipFace(s.id, settings["hall_name"], settings["hall_address"],
                              f"{s.member.first_name} {s.member.last_name}".strip(), s.member.member_number,
                              covers_text(s.periods, s.covers), fmt.money(s.amount_cents, s.currency),
                              s.pay_by.strftime("%B %-d, %Y") if sys.platform != "win32" else s.pay_by.isoformat(),
                              s.url or "", s.status))
    return faces


def ensure_gui() -> None:
    """QPainter on a PDF needs a Qt application; make an offscreen one when there is none (the CLI).

    A QApplication rather than a bare QGuiApplication: one process may later open windows (tests run the
    CLI and the GUI in one process), and widgets refuse to exist under a QGuiApplication.
    """
    global _app
    if QGuiApplication.instance() is None:
        from PySide6.QtWidgets import QApplication

        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY") and sys.platform.startswith("linux"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        _app = QApplication(sys.argv[:1] or ["treasurer"])


def page_count(n_slips: int, layout: str) -> int:
    return n_slips if layout == "1up" else math.ceil(n_slips / 3)


def render_slips_pdf(hall: Hall, slips: Sequence[Slip | int], out_path: str | Path, layout: str = "1up",
                     paper: str = "letter") -> int:
    """Write the slips to a PDF file; returns the number of pages."""
    if layout not in LAYOUTS:
        raise UserFacingError(f"The layout {layout!r} is not one of: {', '.join(LAYOUTS)}.")
    if not slips:
        raise UserFacingError("There are no slips to print.")
    ensure_gui()
    faces = faces_for(hall, slips)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_private(out, b"")     # born 0600 (members' names, amounts, payment links); Qt keeps the mode
    writer = QPdfWriter(str(out))
    writer.setResolution(PDF_DPI)
    writer.setTitle(f"Payment slips — {faces[0].hall_name}")
    writer.setCreator("Hall Treasurer")
    writer.setPageLayout(QPageLayout(QPageSize(PAPERS.get(paper, PAPERS["letter"])), QPageLayout.Orientation.Portrait,
                                     QMarginsF(0, 0, 0, 0)))
    pages = paint_slips(writer, faces, layout, PDF_DPI)
    if not out.exists():
        raise UserFacingError(f"The PDF could not be written to {out}; check the folder's permissions.")
    protect(out)
    return pages


def paint_slips(device: QPagedPaintDevice, faces: Sequence[SlipFace], layout: str, dpi: float,
                progress=None) -> int:
    """Paint onto a PDF writer or printer; ``progress(done, total) -> bool`` may stop between pages."""
    painter = QPainter()
    if not painter.begin(device):
        raise UserFacingError("The printer or PDF file could not be opened for printing.")
    per_page = 1 if layout == "1up" else 3
    pages = page_count(len(faces), layout)
    codes = QRBatch([face.url for face in faces if face.url])     # made by a worker while the pages are painted
    try:
        for page in range(pages):
            if progress is not None and progress(page, pages) is False:
                return page
            if page:
                device.newPage()
            painter.save()
            painter.scale(dpi / 72.0, dpi / 72.0)
            paper = device.pageLayout().fullRectPoints()
            paint_page(painter, QRectF(0, 0, paper.width(), paper.height()),
                       faces[page * per_page:(page + 1) * per_page], layout, codes)
            painter.restore()
    finally:
        codes.close()
        painter.end()
    return pages


def paint_page(painter: QPainter, paper: QRectF, faces: Sequence[SlipFace], layout: str,
               codes: QRBatch | None = None) -> None:
    area = paper.marginsRemoved(QMarginsF(MARGIN_PT, MARGIN_PT, MARGIN_PT, MARGIN_PT))
    if layout == "1up":
        paint_one_up(painter, paper, faces[0], codes)
        return
    height = paper.height() / 3
    for i, face in enumerate(faces):
        panel = QRectF(area.left(), i * height + MARGIN_PT * 0.6, area.width(), height - MARGIN_PT * 1.2)
        paint_slip(painter, panel, face, codes)
    small = _font(SMALL_PT)
    label = "✂ cut here"
    label_w = QFontMetricsF(small).horizontalAdvance(label) + 4
    for i in range(1, min(len(faces), 2) + 1):        # below each slip but the page's last
        y = i * height
        painter.setPen(_pen("#777777", 0.6, dashed=True))
        painter.drawLine(QPointF(8, y), QPointF(paper.width() - 8, y))
        label_rect = QRectF(area.left(), y - 7, label_w, 14)
        painter.fillRect(label_rect.adjusted(-4, 0, 4, 0), Qt.GlobalColor.white)
        painter.setFont(small)
        painter.setPen(_colour("#555555"))
        painter.drawText(label_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)


# The 1-up page, in points: the member's part (who, what, how much, the QR code, the full payment address,
# the other ways to pay), a dashed cut line, and the stub that goes back with a check.  Body type is 11 pt.
BODY_PT = 11.0
SMALL_PT = 9.0            # the smallest type on any slip
_WRAP = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
STUB_H_PT = 210.0


class _Column:
    """Paragraphs stacked top down in a column of ``width`` points starting at ``left``."""

    def __init__(self, painter: QPainter, left: float, top: float, width: float):
        self.painter, self.left, self.y, self.width = painter, left, top, width

    def text(self, text: str, size: float, bold: bool = False, colour: str = "#111111", gap: float = 3.0,
             mono: bool = False) -> None:
        painter = self.painter
        painter.setFont(_font(size, bold, mono))
        painter.setPen(_colour(colour))
        # Laid out once: drawing in a tall box answers the box the text took (no boundingRect beforehand).
        box = painter.drawText(QRectF(self.left, self.y, self.width, 2000), _WRAP, text)
        self.y += box.height() + gap

    def url(self, url: str, size: float, gap: float = 3.0) -> None:
        """The whole address in a typewriter face, broken into lines of whole characters that fit."""
        font = _font(size, True, mono=True)
        per_line = max(8, int(self.width / QFontMetricsF(font).horizontalAdvance("M")))
        for i in range(0, len(url), per_line):
            self.text(url[i:i + per_line], size, bold=True, colour="#0b2e5c", gap=0, mono=True)
        self.y += gap

    def field(self, label: str, value: str, label_w: float, size: float = BODY_PT, bold: bool = False,
              gap: float = 4.0) -> None:
        """``label`` in grey, ``value`` beside it (wrapped in its own column)."""
        painter = self.painter
        painter.setFont(_font(10))
        painter.setPen(_colour("#555555"))
        painter.drawText(QRectF(self.left, self.y + (size - 10) * 0.8, label_w, size * 2), _WRAP, label)
        painter.setFont(_font(size, bold))
        painter.setPen(_colour("#111111"))
        box = painter.drawText(QRectF(self.left + label_w, self.y, self.width - label_w, 2000), _WRAP, value)
        self.y += box.height() + gap


def one_line_address(address: str) -> str:
    return ", ".join(part.strip() for part in address.splitlines() if part.strip())


def paint_one_up(painter: QPainter, paper: QRectF, face: SlipFace, codes: QRBatch | None = None) -> None:
    """A whole page for one member: their part above a dashed cut line, the stub to return below it."""
    margin = 36.0
    area = paper.marginsRemoved(QMarginsF(margin, margin, margin, margin))
    payee = face.hall_name or "the hall"
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)

    # The member's part.
    qr_side = 190.0
    qr_rect = QRectF(area.right() - qr_side, area.top(), qr_side, qr_side)
    left = _Column(painter, area.left(), area.top(), area.width() - qr_side - 18)
    left.text(face.hall_name or "Your union hall", 18, bold=True, gap=2)
    if face.hall_address:
        left.text(one_line_address(face.hall_address), 10, colour="#444444", gap=10)
    left.text(f"DUES PAYMENT SLIP  ·  No. {face.slip_id}", 10, bold=True, colour="#1f4e8c", gap=8)
    left.text(face.member_name, 16, bold=True, gap=1)
    left.text(f"Member no. {face.member_number}", 12, colour="#333333", gap=8)
    left.text(face.covers, 12, colour="#222222", gap=8)
    left.text(f"Amount due  {face.amount}", 22, bold=True, gap=3)
    left.text(f"Please pay by {face.pay_by}", 12, gap=4)
    if face.status != "open":
        left.text(f"This slip is {face.status}: do not pay it.", 12, bold=True, colour="#b3261e", gap=4)

    below = _Column(painter, area.left(), max(left.y, qr_rect.bottom() + 22) + 10, area.width())
    if face.url:
        draw_qr(painter, face.url, qr_rect, codes)
        painter.setFont(_font(10))
        painter.setPen(_colour("#333333"))
        painter.drawText(QRectF(qr_rect.left() - 20, qr_rect.bottom() + 2, qr_rect.width() + 20, 18),
                         Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, "Scan with a phone camera")
        below.text("Pay online", 13, bold=True, gap=3)
        below.text("Scan the code with a phone, or type this address into a web browser on any computer "
                   "(a card or a bank account):", BODY_PT, gap=5)
        below.url(face.url, 12.5, gap=14)
    else:
        painter.setFont(_font(BODY_PT))
        painter.setPen(_colour("#555555"))
        painter.drawText(qr_rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                         "No online payment link on this slip: pay by check, money order or cash.")
    below.text("Other ways to pay", 13, bold=True, gap=3)
    mail = (f"mail it with the part below to {payee}, {one_line_address(face.hall_address)}, or bring it to the "
            "hall office" if face.hall_address else "bring it with the part below to the hall office")
    below.text(f"By check or money order made out to {payee}, with your member number {face.member_number} "
               f"on the memo line: {mail}.", BODY_PT, gap=5)
    below.text("In cash at the hall office: bring the part below and ask for a receipt.", BODY_PT, gap=5)
    below.text("Keep the top of this page for your records.", BODY_PT, colour="#555555")

    # The cut line, edge to edge.
    cut_y = area.bottom() - STUB_H_PT - 14
    painter.setPen(_pen("#555555", 0.9, dashed=True))
    painter.drawLine(QPointF(paper.left() + 14, cut_y), QPointF(paper.right() - 14, cut_y))
    painter.setFont(_font(9))
    painter.setPen(_colour("#555555"))
    label = "✂  cut here and return the part below with your payment"
    label_rect = QRectF(area.left(), cut_y - 7, QFontMetricsF(_font(9)).horizontalAdvance(label) + 2, 14)
    painter.fillRect(label_rect.adjusted(-5, 0, 5, 0), Qt.GlobalColor.white)
    painter.drawText(label_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)

    # The stub.
    stub = QRectF(area.left(), cut_y + 14, area.width(), area.bottom() - cut_y - 14)
    painter.setPen(_pen("#444444", 0.8))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(stub, 5, 5)
    inner = stub.adjusted(14, 12, -14, -12)
    mail_w = inner.width() * 0.40
    facts = _Column(painter, inner.left(), inner.top(), inner.width() - mail_w - 16)
    facts.text("Return this part with your payment", 14, bold=True, gap=8)
    facts.field("Member", face.member_name, 92, bold=True)
    facts.field("Member no.", face.member_number, 92)
    facts.field("Covers", face.covers, 92)
    facts.field("Amount due", face.amount, 92, size=13, bold=True)
    facts.field("Pay by", face.pay_by, 92)
    facts.field("Slip no.", str(face.slip_id), 92, gap=10)
    facts.field("Amount paid", "$ ____________", 92)
    facts.field("Check no.", "____________", 92, gap=0)
    to = _Column(painter, inner.right() - mail_w, inner.top() + 2, mail_w)
    to.text("Mail or bring to", 10, colour="#555555", gap=3)
    to.text(payee, 12, bold=True, gap=2)
    if face.hall_address:
        to.text("\n".join(p.strip() for p in face.hall_address.splitlines() if p.strip()), 12, gap=10)
    else:
        to.text("the hall office", 12, gap=10)
    to.text(f"Checks payable to {payee}. Write {face.member_number} on the memo line.", 10, colour="#333333")
    painter.restore()


_fonts = threading.local()      # printing runs in a pool thread, previews in the window's: a cache each


def _font(size: float, bold: bool = False, mono: bool = False) -> QFont:
    """One font object per size and weight, made once (QPainter.setFont copies it)."""
    cache = _fonts.__dict__.setdefault("cache", {})
    font = cache.get((size, bold, mono))
    if font is None:
        font = cache[(size, bold, mono)] = _make_font(size, bold, mono)
    return font


@functools.cache
def _colour(name: str) -> QColor:
    """One colour object per name, parsed once (QPainter.setPen copies it)."""
    return QColor(name)


@functools.cache
def _pen(colour: str, width: float, dashed: bool = False) -> QPen:
    return QPen(_colour(colour), width, Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)


def _make_font(size: float, bold: bool, mono: bool) -> QFont:
    font = QFont("DejaVu Sans Mono" if mono else "DejaVu Sans")
    font.setStyleHint(QFont.StyleHint.Monospace if mono else QFont.StyleHint.SansSerif)
    font.setPixelSize(max(1, round(size)))
    font.setBold(bold)
    return font


def paint_slip(painter: QPainter, rect: QRectF, face: SlipFace, codes: QRBatch | None = None) -> None:
    """One slip in ``rect`` (points), a third of a page: who, what, how much, the QR code, the full payment
    address and the other ways to pay.  Type is 9 pt or more, the address whole (wrapped, typewriter face)."""
    pad = 12.0
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    painter.setPen(_pen("#444444", 0.8))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(rect, 6, 6)
    inner = rect.adjusted(pad, pad, -pad, -pad)

    # The other ways to pay along the bottom, across the whole width; measured first, so the rest sits above.
    payee = face.hall_name or "the hall"
    where = f"; mail or bring it to {one_line_address(face.hall_address)}" if face.hall_address else ""
    other = (f"Other ways to pay: a check or money order made out to {payee}, with your member number "
             f"{face.member_number} on the memo line{where}. Cash at the hall office: ask for a receipt.")
    flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
    painter.setFont(_font(SMALL_PT))
    footer_h = painter.boundingRect(QRectF(0, 0, inner.width(), 1000), flags, other).height()
    footer = QRectF(inner.left(), inner.bottom() - footer_h, inner.width(), footer_h)
    painter.setPen(_pen("#bbbbbb", 0.5))
    painter.drawLine(QPointF(footer.left(), footer.top() - 4), QPointF(footer.right(), footer.top() - 4))
    painter.setPen(_colour("#333333"))
    painter.drawText(footer, flags, other)

    top_h = footer.top() - 8 - inner.top()
    qr_side = min(top_h - 14, inner.width() * 0.27, 150.0)
    qr_rect = QRectF(inner.right() - qr_side, inner.top(), qr_side, qr_side)
    left = _Column(painter, inner.left(), inner.top(), inner.width() - qr_side - 14)
    left.text(face.hall_name or "Your union hall", 13, bold=True, gap=1)
    if face.hall_address:
        left.text(one_line_address(face.hall_address), SMALL_PT, colour="#555555", gap=3)
    left.text(f"DUES PAYMENT SLIP  ·  No. {face.slip_id}", SMALL_PT, bold=True, colour="#1f4e8c", gap=3)
    left.text(face.member_name, 12, bold=True, gap=0)
    left.text(f"Member no. {face.member_number}", 10, colour="#333333", gap=1)
    left.text(face.covers, 10, colour="#333333", gap=2)
    left.text(f"Amount due  {face.amount}", 16, bold=True, gap=0)
    left.text(f"Please pay by {face.pay_by}", 10, gap=3)
    if face.status != "open":
        left.text(f"This slip is {face.status}: do not pay it.", 10, bold=True, colour="#b3261e", gap=3)

    if face.url:
        draw_qr(painter, face.url, qr_rect, codes)
        painter.setFont(_font(SMALL_PT))
        painter.setPen(_colour("#333333"))
        painter.drawText(QRectF(qr_rect.left() - 15, qr_rect.bottom() + 1, qr_rect.width() + 30, 14),
                         Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, "Scan with a phone camera")
        left.text("Pay online: scan the code, or type this address into a web browser:", SMALL_PT, gap=1)
        left.url(face.url, 10, gap=0)
    else:
        painter.setFont(_font(SMALL_PT))
        painter.setPen(_colour("#555555"))
        painter.drawText(qr_rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                         "No online payment link on this slip: pay by check or cash.")
    painter.restore()


def slip_image(face: SlipFace, width_px: int = 760) -> QImage:
    """The slip as the 3-up panel looks, for the on-screen preview."""
    width_pt, height_pt = 552.0, 240.0
    scale = width_px / width_pt
    image = QImage(width_px, round(height_pt * scale), QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    painter.scale(scale, scale)
    paint_slip(painter, QRectF(1, 1, width_pt - 2, height_pt - 2), face)
    painter.end()
    return image
