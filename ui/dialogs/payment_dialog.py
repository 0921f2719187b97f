"""Record money received at the hall: cash, check, money order.  Asks before writing; shows the receipt."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from treasurer import clock
from treasurer.errors import UserFacingError
from treasurer.ledger import member_standing
from treasurer.members import find_member
from treasurer.money import parse_amount
from treasurer.payments import MANUAL_METHODS, Receipt, record_payment

from .. import fmt
from ..context import AppContext
from ..errors import confirm


class PaymentDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None, member_number: str = ""):
        super().__init__(parent)
        self.ctx = ctx
        self.receipt: Receipt | None = None
        self.setObjectName("payment-dialog")
        self.setWindowTitle("Record payment")
        self.member = QLineEdit(member_number)
        self.member.setObjectName("member")
        self.member.setPlaceholderText("member number")
        self.who = QLabel(" ")
        self.who.setObjectName("who")
        self.amount = QLineEdit()
        self.amount.setObjectName("amount")
        self.amount.setPlaceholderText("e.g. 52.00")
        self.method = QComboBox()
        self.method.setObjectName("method")
        for method in MANUAL_METHODS:
            self.method.addItem(fmt.method(method), method)
        self.method.setCurrentIndex(MANUAL_METHODS.index("check"))
        self.reference = QLineEdit()
        self.reference.setObjectName("reference")
        self.reference.setPlaceholderText("check or money order number")
        today = clock.today()
        self.received = QDateEdit(QDate(today.year, today.month, today.day))
        self.received.setObjectName("received")
        self.received.setCalendarPopup(True)
        self.received.setDisplayFormat("yyyy-MM-dd")
        self.received.setMaximumDate(QDate(today.year, today.month, today.day))
        self.error = QLabel()
        self.error.setObjectName("inline-error")
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow("&Member", self.member)
        form.addRow("", self.who)
        form.addRow("&Amount", self.amount)
        form.addRow("Me&thod", self.method)
        form.addRow("&Reference", self.reference)
        form.addRow("Received &on", self.received)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.record_button = buttons.addButton("Record payment", QDialogButtonBox.ButtonRole.AcceptRole)
        self.record_button.setObjectName("record")
        buttons.accepted.connect(self.record)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.member.textChanged.connect(self._look_up)
        self._look_up(member_number)
        (self.amount if member_number else self.member).setFocus()

    def _look_up(self, text: str) -> None:
        if not text.strip():
            self.who.setText(" ")
            return
        try:
            with self.ctx.hall.read() as s:
                m = find_member(s, text)
                st = member_standing(s, m.id, clock.today())
        except UserFacingError:
            self.who.setText("No member with that number.")
            return
        self.who.setText(f"{m.first_name} {m.last_name} · {m.status} · owes "
                         f"{fmt.money(max(st.balance_cents, 0), self.ctx.hall.currency)}")

    def received_on(self) -> dt.date:
        q = self.received.date()
        return dt.date(q.year(), q.month(), q.day())

    def record(self) -> None:
        try:
            amount = parse_amount(self.amount.text())
            with self.ctx.hall.read() as s:
                m = find_member(s, self.member.text())
            method = self.method.currentData()
            ref = self.reference.text().strip()
            what = f"{fmt.money(amount, self.ctx.hall.currency)} {fmt.method(method).lower()}" + (
                f" no. {ref}" if ref else "")
            if not confirm(self, "Record payment", f"Record {what} from {m.first_name} {m.last_name} "
                                                   f"({m.member_number}), received {self.received_on()}?",
                           "Record"):
                return
            self.receipt = record_payment(self.ctx.hall, m.member_number, amount, method, ref, self.received_on())
        except UserFacingError as exc:
            self.error.setText(str(exc))
            return
        self.accept()
