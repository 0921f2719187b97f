"""Deposits: a new batch (date, bank reference), marking one deposited, taking a payment out of an open batch or
voiding it (with a reason), and the deposit slip (preview, PDF)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPageLayout, QPageSize, QPagedPaintDevice, QPainter, QPdfWriter, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from treasurer.private_files import protect, write_private
from treasurer import clock
from treasurer.deposits import DepositSlip, SlipLine, create_batch, mark_deposited, remove_payment, void_batch
from treasurer.errors import UserFacingError
from treasurer.officers import check_officer_pin

from .. import fmt
from ..context import AppContext
from ..errors import confirm, guarded
from ..look import icon
from ..slip_pdf import PAPERS, ensure_gui
from .dues_dialogs import FormDialog, date_edit, py_date
from .officer_pin import OfficerPin, remind_short_pins

PDF_DPI = 300
MARGIN_PT = 48.0
LINE_PT = 16.0


class NewBatchDialog(FormDialog):
    ok_text = "Create batch"

    def __init__(self, ctx: AppContext, lines: Sequence[SlipLine], parent: QWidget | None = None):
        super().__init__(ctx, "New deposit batch", parent)
        self.setObjectName("deposit-new-dialog")
        self.lines = list(lines)
        self.slip: DepositSlip | None = None
        self.deposit_date = date_edit(clock.today(), "deposit-date")
        self.reference = QLineEdit()
        self.reference.setObjectName("bank-reference")
        self.reference.setPlaceholderText("the deposit ticket or bank receipt number")
        self.form.addRow("Deposit &date", self.deposit_date)
        self.form.addRow("Bank &reference", self.reference)
        total = sum(line.amount_cents for line in self.lines)
        checks = sum(1 for line in self.lines if line.method != "cash")
        self.note.setText(f"{len(self.lines)} payments ({checks} checks or money orders), "
                          f"{fmt.money(total, ctx.hall.currency)} in all. A payment goes in one batch only.")
        self.reference.setFocus()

    def apply(self) -> None:
        self.slip = create_batch(self.ctx.hall, py_date(self.deposit_date), self.reference.text(),
                                 [line.payment_id for line in self.lines])


class MarkDepositedDialog(FormDialog):
    ok_text = "Mark deposited"

    def __init__(self, ctx: AppContext, batch_id: int, total_cents: int, parent: QWidget | None = None):
        super().__init__(ctx, f"Mark deposit {batch_id} deposited", parent)
        self.setObjectName("deposit-mark-dialog")
        self.batch_id = batch_id
        self.total_cents = total_cents
        self.slip: DepositSlip | None = None
        self.deposited_on = date_edit(clock.today(), "deposited-on")
        self.form.addRow("Deposited &on", self.deposited_on)
        self.note.setText(f"Deposit {batch_id} of {fmt.money(total_cents, ctx.hall.currency)}. Once marked "
                          "deposited the batch is locked and waits to be ticked off on the bank statement.")

    def _ok(self) -> None:
        day = py_date(self.deposited_on)
        if confirm(self, "Mark deposited",
                   f"Mark deposit {self.batch_id} of {fmt.money(self.total_cents, self.ctx.hall.currency)} as "
                   f"deposited at the bank on {day.isoformat()}? The batch is locked afterwards.", "Mark deposited"):
            super()._ok()

    def apply(self) -> None:
        self.slip = mark_deposited(self.ctx.hall, self.batch_id, py_date(self.deposited_on))


def _reason_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName("reason")
    edit.setPlaceholderText("why, e.g. the member asked us to hold the check")
    return edit


class RemovePaymentDialog(FormDialog):
    """Take one payment out of an open batch: which one, and why; asks before doing it."""

    ok_text = "Remove payment"

    def __init__(self, ctx: AppContext, slip: DepositSlip, parent: QWidget | None = None,
                 payment_id: int | None = None):
        super().__init__(ctx, f"Remove a payment from deposit {slip.batch_id}", parent)
        self.setObjectName("deposit-remove-dialog")
        self.batch_slip = slip
        self.slip: DepositSlip | None = None
        self.payment = QComboBox()
        self.payment.setObjectName("payment")
        for line in slip.lines:
            number = f" #{line.check_number}" if line.check_number else ""
            self.payment.addItem(f"{line.receipt_no}  {line.member_number} {line.member_name}  "
                                 f"{fmt.method(line.method)}{number}  {fmt.money(line.amount_cents, ctx.hall.currency)}",
                                 line.payment_id)
        if payment_id is not None and self.payment.findData(payment_id) >= 0:
            self.payment.setCurrentIndex(self.payment.findData(payment_id))
        self.reason = _reason_edit()
        self.form.addRow("&Payment", self.payment)
        self.form.addRow("&Reason", self.reason)
        self.by = OfficerPin(ctx, self.form, "Taken out &by")
        self.officer, self.pin = self.by.officer, self.by.pin
        self.note.setText(f"Deposit {slip.batch_id} holds {len(slip.lines)} payments, "
                          f"{fmt.money(slip.total_cents, ctx.hall.currency)}. The payment taken out is undeposited "
                          "again and can go into another batch; the removal is kept with its reason.")
        self.reason.setFocus()

    def _line(self) -> SlipLine | None:
        pid = self.payment.currentData()
        return next((x for x in self.batch_slip.lines if x.payment_id == pid), None)

    def apply(self) -> bool | None:
        line = self._line()
        if line is None:
            self.error.setText("Choose the payment to take out.")
            return False
        if not self.reason.text().strip():
            self.error.setText("Say why the payment is taken out (the reason is kept).")
            return False
        check_officer_pin(self.ctx.hall, *self.by.voucher())       # a wrong PIN is said before the question
        if not confirm(self, "Remove payment",
                       f"Take {line.receipt_no} ({fmt.money(line.amount_cents, self.ctx.hall.currency)}, "
                       f"{line.member_name or line.member_number}) out of deposit {self.batch_slip.batch_id}?",
                       "Remove payment"):
            return False
        self.slip = remove_payment(self.ctx.hall, self.batch_slip.batch_id, line.payment_id, self.reason.text(),
                                   officer=self.by.name, pin=self.pin.text())
        remind_short_pins(self, [self.by.voucher()])
        return None


class VoidBatchDialog(FormDialog):
    """Take every payment out of an open batch with one reason; asks before doing it."""

    ok_text = "Void batch"

    def __init__(self, ctx: AppContext, slip: DepositSlip, parent: QWidget | None = None):
        super().__init__(ctx, f"Void deposit {slip.batch_id}", parent)
        self.setObjectName("deposit-void-dialog")
        self.batch_slip = slip
        self.slip: DepositSlip | None = None
        self.reason = _reason_edit()
        self.reason.setPlaceholderText("why, e.g. the batch was made by mistake")
        self.form.addRow("&Reason", self.reason)
        self.by = OfficerPin(ctx, self.form, "Voided &by")
        self.officer, self.pin = self.by.officer, self.by.pin
        self.note.setText(f"All {len(slip.lines)} payments ({fmt.money(slip.total_cents, ctx.hall.currency)}) come "
                          "out of the batch and are undeposited again; the batch stays listed as void.")
        self.reason.setFocus()

    def apply(self) -> bool | None:
        if not self.reason.text().strip():
            self.error.setText("Say why the batch is voided (the reason is kept).")
            return False
        check_officer_pin(self.ctx.hall, *self.by.voucher())       # a wrong PIN is said before the question
        if not confirm(self, "Void batch",
                       f"Void deposit {self.batch_slip.batch_id}: take all {len(self.batch_slip.lines)} payments "
                       f"({fmt.money(self.batch_slip.total_cents, self.ctx.hall.currency)}) out of it?", "Void batch"):
            return False
        self.slip = void_batch(self.ctx.hall, self.batch_slip.batch_id, self.reason.text(), officer=self.by.name,
                               pin=self.pin.text())
        remind_short_pins(self, [self.by.voucher()])
        return None


# The slip on paper ---------------------------------------------------------------------------------------

def _font(size: float, bold: bool = False) -> QFont:
    font = QFont("DejaVu Sans")
    font.setStyleHint(QFont.StyleHint.SansSerif)
    font.setPixelSize(max(1, round(size)))      # painted in points: one "pixel" is one point
    font.setBold(bold)
    return font


def _rows(slip: DepositSlip, currency: str) -> list[tuple[str, ...]]:
    """Receipt, member, name, kind, number, amount: checks and money orders one by one, cash as one line."""
    out = [(x.receipt_no, x.member_number, x.member_name, fmt.method(x.method), x.check_number,
            fmt.money(x.amount_cents, currency)) for x in slip.checks]
    cash = [x for x in slip.lines if x.method == "cash"]
    if cash:
        out.append(("", "", f"{len(cash)} cash payment{'' if len(cash) == 1 else 's'}", "Cash", "",
                    fmt.money(slip.cash_cents, currency)))
    return out


def _summary(slip: DepositSlip, currency: str) -> list[tuple[str, str]]:
    def n(method: str) -> int:
        return sum(1 for x in slip.lines if x.method == method)

    return [(f"Checks ({n('check')})", fmt.money(slip.subtotal("check"), currency)),
            (f"Money orders ({n('money_order')})", fmt.money(slip.subtotal("money_order"), currency)),
            (f"Cash ({n('cash')})", fmt.money(slip.cash_cents, currency)),
            (f"TOTAL DEPOSIT ({len(slip.lines)} items)", fmt.money(slip.total_cents, currency))]


COLUMNS = ((0.0, "Receipt"), (0.13, "Member"), (0.25, "Name"), (0.55, "Kind"), (0.70, "Number"))


def _rows_per_page(height: float) -> int:
    return max(1, int((height - 2 * MARGIN_PT - 110 - 5 * LINE_PT - 40) // LINE_PT))


def paint_deposit_slip(device: QPagedPaintDevice | QImage, slip: DepositSlip, hall_name: str, currency: str,
                       page_pt: QRectF, scale: float) -> int:
    """Paint the slip in points on ``device``; a QPdfWriter gets as many pages as the lines need."""
    rows = _rows(slip, currency)
    per_page = _rows_per_page(page_pt.height())
    chunks = [rows[i:i + per_page] for i in range(0, len(rows), per_page)] or [[]]
    painter = QPainter(device)
    painter.scale(scale, scale)
    try:
        for page, chunk in enumerate(chunks):
            if page and isinstance(device, QPagedPaintDevice):
                device.newPage()
            _paint_page(painter, page_pt, slip, hall_name, currency, chunk, page, len(chunks))
    finally:
        painter.end()
    return len(chunks)


def _paint_page(painter: QPainter, paper: QRectF, slip: DepositSlip, hall_name: str, currency: str,
                rows: list[tuple[str, ...]], page: int, pages: int) -> None:
    painter.fillRect(paper, QColor("white"))
    left, width = MARGIN_PT, paper.width() - 2 * MARGIN_PT
    y = MARGIN_PT
    painter.setPen(QColor("#111111"))
    painter.setFont(_font(16, True))
    painter.drawText(QRectF(left, y, width, 24), Qt.AlignmentFlag.AlignLeft, "DEPOSIT SLIP")
    painter.setFont(_font(10))
    painter.drawText(QRectF(left, y, width, 24), Qt.AlignmentFlag.AlignRight, hall_name)
    y += 28
    status = "deposited " + slip.deposited_on.isoformat() if slip.deposited_on else "not yet deposited"
    painter.drawText(QRectF(left, y, width, LINE_PT), Qt.AlignmentFlag.AlignLeft,
                     f"Deposit {slip.batch_id}   date {slip.deposit_date.isoformat()}   bank reference "
                     f"{slip.bank_reference}   ({status})")
    y += LINE_PT
    if pages > 1:
        painter.drawText(QRectF(left, y, width, LINE_PT), Qt.AlignmentFlag.AlignRight, f"page {page + 1} of {pages}")
    y += LINE_PT + 8
    painter.setFont(_font(9, True))
    for x, title in COLUMNS:
        painter.drawText(QRectF(left + x * width, y, width * 0.3, LINE_PT), Qt.AlignmentFlag.AlignLeft, title)
    painter.drawText(QRectF(left, y, width, LINE_PT), Qt.AlignmentFlag.AlignRight, "Amount")
    y += LINE_PT
    painter.drawLine(int(left), int(y), int(left + width), int(y))
    y += 4
    painter.setFont(_font(9))
    for row in rows:
        for (x, _), text in zip(COLUMNS, row[:5]):
            span = (COLUMNS[COLUMNS.index((x, _)) + 1][0] - x) if (x, _) != COLUMNS[-1] else 0.15
            painter.drawText(QRectF(left + x * width, y, width * span - 4, LINE_PT),
                             Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextSingleLine,
                             painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight,
                                                              int(width * span - 6)))
        painter.drawText(QRectF(left, y, width, LINE_PT), Qt.AlignmentFlag.AlignRight, row[5])
        y += LINE_PT
    if page == pages - 1:
        y += 6
        painter.drawLine(int(left + width * 0.55), int(y), int(left + width), int(y))
        y += 6
        for i, (label, value) in enumerate(_summary(slip, currency)):
            painter.setFont(_font(10, i == 3))
            painter.drawText(QRectF(left + width * 0.4, y, width * 0.45, LINE_PT), Qt.AlignmentFlag.AlignLeft, label)
            painter.drawText(QRectF(left, y, width, LINE_PT), Qt.AlignmentFlag.AlignRight, value)
            y += LINE_PT + (2 if i == 2 else 0)


def save_deposit_slip_pdf(slip: DepositSlip, out_path: str | Path, hall_name: str, currency: str,
                          paper: str = "letter") -> int:
    """Write the slip to a PDF; returns the number of pages."""
    ensure_gui()
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_private(out, b"")          # the file is the treasurer's alone before Qt writes into it
    writer = QPdfWriter(str(out))
    writer.setResolution(PDF_DPI)
    writer.setTitle(f"Deposit slip {slip.batch_id} — {hall_name}")
    writer.setCreator("Hall Treasurer")
    size = QPageSize(PAPERS.get(paper, PAPERS["letter"]))
    writer.setPageLayout(QPageLayout(size, QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
    points = size.rect(QPageSize.Unit.Point)
    pages = paint_deposit_slip(writer, slip, hall_name, currency, QRectF(points), PDF_DPI / 72.0)
    if not out.exists():
        raise UserFacingError(f"The PDF could not be written to {out}; check the folder's permissions.")
    protect(out)
    return pages


def slip_preview(slip: DepositSlip, hall_name: str, currency: str, width_px: int = 720) -> QImage:
    """The first page as an image, for the preview."""
    page = QRectF(QPageSize(QPageSize.PageSizeId.Letter).rect(QPageSize.Unit.Point))
    scale = width_px / page.width()
    image = QImage(int(page.width() * scale), int(page.height() * scale), QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    paint_deposit_slip(image, slip, hall_name, currency, page, scale)
    return image


class DepositSlipDialog(QDialog):
    """The slip as it will print, and Save PDF…"""

    def __init__(self, ctx: AppContext, slip: DepositSlip, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("deposit-slip-dialog")
        self.setWindowTitle(f"Deposit slip {slip.batch_id}")
        self.ctx = ctx
        self.slip = slip
        self.saved_to: Path | None = None
        self.pages = 0
        hall_name = ctx.hall.setting("hall_name") or ""
        preview = QLabel()
        preview.setObjectName("slip-preview")
        preview.setPixmap(QPixmap.fromImage(slip_preview(slip, hall_name, ctx.hall.currency)))
        scroll = QScrollArea()
        scroll.setWidget(preview)
        scroll.setMinimumSize(760, 560)
        self.result = QLabel()
        self.result.setObjectName("slip-result")
        self.result.setWordWrap(True)
        self.save_button = QPushButton(icon("pdf"), "&Save PDF…")
        self.save_button.setObjectName("save-slip-pdf")
        self.save_button.clicked.connect(self.save_pdf)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.result)
        layout.addWidget(buttons)
        self.save_button.setFocus()

    @guarded
    def save_pdf(self) -> None:
        default = str(Path.home() / f"deposit-{self.slip.batch_id}-{self.slip.deposit_date.isoformat()}.pdf")
        path, _ = QFileDialog.getSaveFileName(self, "Save the deposit slip as PDF", default, "PDF files (*.pdf)")
        if not path:
            return
        self.pages = save_deposit_slip_pdf(self.slip, path, self.ctx.hall.setting("hall_name") or "",
                                           self.ctx.hall.currency, self.ctx.settings.paper)
        self.saved_to = Path(path)
        self.result.setText(f"Saved {self.pages} page{'' if self.pages == 1 else 's'} to {path}.")
