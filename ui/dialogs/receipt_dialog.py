"""A payment's receipt: on screen, and printable; right after recording it, or reprinted later (a copy)."""

from __future__ import annotations

import html

from PySide6.QtGui import QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from treasurer.hall import Hall
from treasurer.payments import Receipt

from .. import fmt
from ..look import icon
from treasurer.receipts import PastReceipt

NOT_COMPLETED = {
    "pending": "This bank payment is still pending: it pays dues once it settles.",
    "failed": "This bank payment failed: it paid nothing.",
}


def receipt_html(hall: Hall, receipt: Receipt, past: PastReceipt | None = None) -> str:
    settings = hall.settings()
    cur = settings["currency"]
    e = html.escape
    covers = "".join(f"<tr><td>{e(what)}</td><td align='right'>{fmt.money(cents, cur)}</td></tr>"
                     for what, cents in receipt.covers)
    st = receipt.standing
    balance = (fmt.money(st.balance_cents, cur) if st.balance_cents >= 0
               else f"{fmt.money(st.credit_cents, cur)} credit on account")
    ref = f" no. {e(receipt.reference)}" if receipt.reference else ""
    title = f"Receipt {e(receipt.receipt_no)}" + (" (copy)" if past else "")
    balance_on = f"Balance on {past.as_of.isoformat()}" if past else "Balance now"
    recorded_by = past.recorded_by if past else hall.actor
    status = past.status if past else "completed"
    applied = (f"<table cellpadding='3'><tr><th align='left'>Applied to</th><th align='right'>Amount</th></tr>"
               f"{covers}</table>" if status == "completed" else
               f"<p><b>{e(NOT_COMPLETED.get(status, status))}</b></p>")
    return f"""
<h2 style="margin-bottom:0">{e(settings['hall_name'])}</h2>
<p style="color:#555;margin-top:2px">{e(settings['hall_address']).replace(chr(10), '<br>')}</p>
<h3>{title}</h3>
<p>Received from <b>{e(receipt.member_name)}</b> (member {e(receipt.member_number)})
on {receipt.received_on.isoformat()}:<br>
<b style="font-size:14pt">{fmt.money(receipt.amount_cents, cur)}</b> by {fmt.method(receipt.method).lower()}{ref}.</p>
{applied}
<p>{balance_on}: <b>{balance}</b>; paid through {e(st.paid_through or 'nothing yet')}.</p>
<p style="color:#555">Recorded by {e(recorded_by)}. Thank you.</p>
"""


class ReceiptDialog(QDialog):
    def __init__(self, hall: Hall, receipt: Receipt, parent: QWidget | None = None, past: PastReceipt | None = None):
        super().__init__(parent)
        self.setObjectName("receipt-dialog")
        self.setWindowTitle(f"Receipt {receipt.receipt_no}" + (" (copy)" if past else ""))
        self.html = receipt_html(hall, receipt, past)
        view = QTextBrowser()
        view.setObjectName("receipt")
        view.setHtml(self.html)
        # As tall as the receipt itself (a long list of periods scrolls past 640 px), no blank half.
        view.document().setTextWidth(456)
        height = int(view.document().size().height()) + 2 * view.frameWidth() + 8
        view.setMinimumHeight(min(height, 640))
        self.resize(480, min(height, 640) + 60)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        printing = buttons.addButton("&Print…", QDialogButtonBox.ButtonRole.ActionRole)
        printing.setObjectName("print")
        printing.setIcon(icon("print"))
        printing.clicked.connect(self.print_receipt)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(view)
        layout.addWidget(buttons)

    def print_receipt(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        if dialog.exec() == QPrintDialog.DialogCode.Accepted:
            self.print_to(printer)

    def print_to(self, printer: QPrinter) -> None:
        document = QTextDocument()
        document.setHtml(self.html)
        document.print_(printer)
