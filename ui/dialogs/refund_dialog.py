"""Refunding an online payment: amount and reason, what will happen said plainly, the officer deciding it with
their PIN, then through the gateway."""

from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout,
                               QWidget)

from treasurer.errors import UserFacingError
from treasurer.money import parse_amount, plain_cents
from treasurer.refunds import REASONS, plan_refund, refund_payment

from .. import fmt
from ..context import AppContext
from .officer_pin import OfficerPin, remind_short_pins

REASON_LABELS = {"requested_by_customer": "The member asked for it", "duplicate": "Paid twice",
                 "fraudulent": "Fraudulent payment"}


class RefundDialog(QDialog):
    def __init__(self, ctx: AppContext, payment_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.payment_id = payment_id
        self.refund = None
        self.setWindowTitle("Refund a payment")
        plan = plan_refund(ctx.hall, payment_id, None)  # refuses a payment that cannot be refunded
        self.currency = ctx.hall.currency
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Receipt {plan.receipt_no}: {fmt.money(plan.paid_cents, self.currency)} paid online"
                                + (f", {fmt.money(plan.already_refunded_cents, self.currency)} already refunded"
                                   if plan.already_refunded_cents else "") + "."))
        form = QFormLayout()
        self.amount = QLineEdit(plain_cents(plan.refundable_cents))
        self.amount.setObjectName("refund-amount")
        self.reason = QComboBox()
        self.reason.setObjectName("refund-reason")
        for reason in REASONS:
            self.reason.addItem(REASON_LABELS[reason], reason)
        self.note = QLineEdit()
        self.note.setObjectName("refund-note")
        self.note.setPlaceholderText("What happened (kept in the audit log)")
        form.addRow("Amount to refund", self.amount)
        form.addRow("Reason", self.reason)
        form.addRow("Note", self.note)
        self.by = OfficerPin(ctx, form, "Refunded by")
        self.officer, self.pin = self.by.officer, self.by.pin
        layout.addLayout(form)
        self.explain = QLabel()
        self.explain.setObjectName("refund-explain")
        self.explain.setWordWrap(True)
        layout.addWidget(self.explain)
        self.error = QLabel()
        self.error.setObjectName("dialog-error")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.addButton("Refund through Stripe", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("refund-confirm")
        buttons.accepted.connect(self.issue)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.amount.textChanged.connect(self._explain)
        self._explain()

    def _amount(self) -> int:
        return parse_amount(self.amount.text(), field="refund amount")

    def _explain(self, *args) -> None:
        try:
            plan = plan_refund(self.ctx.hall, self.payment_id, self._amount())
        except UserFacingError as exc:
            self.explain.setText("")
            self.error.setText(str(exc))
            self.ok.setEnabled(False)
            return
        self.error.setText("")
        self.ok.setEnabled(True)
        money = fmt.money(plan.amount_cents, self.currency)
        self.explain.setText(f"Stripe will send {money} back to the card or bank account that paid. Once Stripe "
                             f"says the refund succeeded, the member's balance goes up by {money}: those dues are "
                             f"owed again. This cannot be undone from the app.")

    def issue(self) -> None:
        try:
            self.refund = refund_payment(self.ctx.hall, self.ctx.require_gateway(), self.payment_id, self._amount(),
                                         self.reason.currentData(), self.note.text(), officer=self.by.name,
                                         pin=self.pin.text())
        except UserFacingError as exc:
            self.error.setText(str(exc))
            return
        remind_short_pins(self, [self.by.voucher()])
        self.accept()
