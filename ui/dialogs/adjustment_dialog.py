"""Request a waiver, hardship credit, write-off or correction, the requesting officer proving it with their PIN;
a second officer approves it in Review."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QWidget

from treasurer import clock
from treasurer.adjustments import CREDIT_KINDS, SIGNED_KINDS, request_adjustment
from treasurer.money import parse_amount

from .. import fmt
from ..context import AppContext
from .dues_dialogs import FormDialog, date_edit, py_date
from .officer_pin import OfficerPin, remind_short_pins


class AdjustmentDialog(FormDialog):
    ok_text = "Request"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, member_number: str = ""):
        super().__init__(ctx, "Request an adjustment", parent)
        self.setObjectName("adjustment-dialog")
        self.member = QLineEdit(member_number)
        self.member.setObjectName("member")
        self.kind = QComboBox()
        self.kind.setObjectName("kind")
        for kind in CREDIT_KINDS + SIGNED_KINDS:
            self.kind.addItem(fmt.kind(kind), kind)
        self.amount = QLineEdit()
        self.amount.setObjectName("amount")
        self.increase = QCheckBox("This correction raises what the member owes")
        self.increase.setEnabled(False)
        self.kind.currentIndexChanged.connect(
            lambda _: self.increase.setEnabled(self.kind.currentData() == "correction"))
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        self.effective = date_edit(clock.today(), "effective")
        self.form.addRow("&Member", self.member)
        self.form.addRow("&Kind", self.kind)
        self.form.addRow("&Amount", self.amount)
        self.form.addRow("", self.increase)
        self.form.addRow("&Reason", self.reason)
        self.form.addRow("&Effective", self.effective)
        self.requester = OfficerPin(ctx, self.form, "Requested &by")
        self.officer, self.pin = self.requester.officer, self.requester.pin
        self.note.setText("Nothing owed changes until a different officer approves it with their PIN (Review).")

    def apply(self) -> None:
        request_adjustment(self.ctx.hall, self.member.text(), parse_amount(self.amount.text()),
                           self.kind.currentData(), self.reason.text(), self.officer.currentText(),
                           py_date(self.effective), self.increase.isChecked() and self.increase.isEnabled(),
                           pin=self.pin.text())
        remind_short_pins(self, [self.requester.voucher()])
