"""A new PIN for an officer: vouched for by their old PIN, or by another officer's PIN when it is forgotten."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QWidget

from treasurer.errors import UserFacingError
from treasurer.officers import change_pin

from .. import queries
from ..context import AppContext
from .dues_dialogs import FormDialog
from .officer_pin import officer_combo, pin_field


class ChangePinDialog(FormDialog):
    ok_text = "Change PIN"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, officer: str = ""):
        super().__init__(ctx, "Change an officer's PIN", parent)
        self.setObjectName("change-pin-dialog")
        self.setMinimumWidth(460)
        self.officer = officer_combo(ctx)
        if officer:
            self.officer.setCurrentText(officer)
        self.voucher = QComboBox()
        self.voucher.setObjectName("voucher")
        self.vouching_pin = pin_field()
        self.vouching_pin.setObjectName("vouching-pin")
        self.new_pin = pin_field()
        self.new_pin.setObjectName("new-pin")
        self.new_pin_again = pin_field()
        self.new_pin_again.setObjectName("new-pin-again")
        self.form.addRow("&Officer", self.officer)
        self.form.addRow("&Vouched for by", self.voucher)
        self.form.addRow("&Their PIN", self.vouching_pin)
        self.form.addRow("&New PIN", self.new_pin)
        self.form.addRow("New PIN &again", self.new_pin_again)
        self.note.setText("An officer who forgot their PIN can have another officer vouch with theirs.")
        self.officer.currentTextChanged.connect(self._fill_vouchers)
        self._fill_vouchers()

    def _fill_vouchers(self, *args) -> None:
        name = self.officer.currentText()
        self.voucher.clear()
        if name:
            self.voucher.addItem(f"{name} (the old PIN)", name)
        for other in queries.officer_names(self.ctx.hall):
            if other != name:
                self.voucher.addItem(other, other)

    def apply(self) -> None:
        if not self.officer.currentText():
            raise UserFacingError("There is no officer yet; add one first.")
        if self.new_pin.text() != self.new_pin_again.text():
            raise UserFacingError("The two new PINs are not the same; type the new PIN again in both boxes.")
        change_pin(self.ctx.hall, self.officer.currentText(), self.new_pin.text(), self.vouching_pin.text(),
                   self.voucher.currentData())
