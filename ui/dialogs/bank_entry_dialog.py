"""A bank statement line that is neither a deposit nor a payout: a fee, interest, a check or transfer out."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from treasurer import clock
from treasurer.bank import ENTRY_KIND_NAMES, ENTRY_SIGNS, record_bank_entry
from treasurer.errors import ValidationError
from treasurer.models import BANK_ENTRY_KINDS, BankEntry
from treasurer.money import parse_amount

from .. import fmt
from ..context import AppContext
from .dues_dialogs import FormDialog, date_edit, py_date
from .officer_pin import OfficerPin, remind_short_pins

KIND_LABELS = {"fee": "Bank fee (out)", "interest": "Interest (in)", "withdrawal": "Withdrawal or check (out)",
               "transfer_in": "Transfer in (in)", "other": "Other (say in or out)"}


class BankEntryDialog(FormDialog):
    ok_text = "Add line"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, "Add a bank statement line", parent)
        self.setObjectName("bank-entry-dialog")
        self.setMinimumWidth(480)
        self.entry: BankEntry | None = None
        self.day = date_edit(clock.today(), "entry-date")
        self.kind = QComboBox()
        self.kind.setObjectName("entry-kind")
        for kind in BANK_ENTRY_KINDS:
            self.kind.addItem(KIND_LABELS[kind], kind)
        self.amount = QLineEdit()
        self.amount.setObjectName("entry-amount")
        self.amount.setPlaceholderText("as on the statement, without a sign, e.g. 12.00")
        self.direction = QComboBox()
        self.direction.setObjectName("entry-direction")
        self.direction.addItem("Out of the account (lowers the balance)", -1)
        self.direction.addItem("Into the account (raises the balance)", 1)
        self.memo = QLineEdit()
        self.memo.setObjectName("entry-memo")
        self.memo.setPlaceholderText("what the statement says, e.g. monthly service fee")
        self.form.addRow("&Date", self.day)
        self.form.addRow("&Kind", self.kind)
        self.form.addRow("&Amount", self.amount)
        self.form.addRow("Di&rection", self.direction)
        self.form.addRow("&Memo", self.memo)
        self.recorder = OfficerPin(ctx, self.form, "Recorded &by")
        self.officer, self.pin = self.recorder.officer, self.recorder.pin
        self.note.setText("Fees, interest, checks the hall wrote and transfers that the statement shows, so they "
                          "can be ticked. A line is never changed afterwards: to undo a mistake, add one of kind "
                          "Other the opposite way, saying which line it reverses.")
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()
        self.amount.setFocus()

    def _kind_changed(self, *_) -> None:
        sign = ENTRY_SIGNS.get(self.kind.currentData())
        self.direction.setEnabled(sign is None)
        if sign is not None:
            self.direction.setCurrentIndex(self.direction.findData(sign))

    def apply(self) -> None:
        kind = self.kind.currentData()
        text = self.amount.text().strip()
        if not text:
            raise ValidationError("Enter the amount shown on the statement (for example 12.00).")
        if text.startswith(("-", "+")):
            raise ValidationError(f"Enter the amount without a sign (got {text!r}); the kind and direction say "
                                  f"whether it goes into or out of the account.")
        cents = parse_amount(text)
        sign = ENTRY_SIGNS.get(kind) or self.direction.currentData()
        self.entry = record_bank_entry(self.ctx.hall, py_date(self.day), kind, sign * cents, self.memo.text(),
                                       officer=self.officer.currentText(), pin=self.pin.text())
        remind_short_pins(self, [self.recorder.voucher()])

    def summary(self) -> str:
        e = self.entry
        return (f"Added {ENTRY_KIND_NAMES[e.kind].lower()} of {fmt.money(e.amount_cents, self.ctx.hall.currency)} "
                f"on {e.entry_date.isoformat()} (entry:{e.id}); tick it if the statement shows it.")
