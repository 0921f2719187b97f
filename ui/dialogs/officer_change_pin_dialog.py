"""A new PIN for an officer: with their old PIN, or, when it is forgotten, reset by two other officers with theirs
(dual control: no one officer alone can take over another's name)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QWidget

from treasurer.errors import UserFacingError
from treasurer.officers import change_pin

from .. import queries
from ..context import AppContext
from .dues_dialogs import FormDialog
from .officer_pin import OfficerPin, officer_combo, pin_field, remind_short_pins

OLD_PIN, RESET = "old", "reset"


class ChangePinDialog(FormDialog):
    ok_text = "Change PIN"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, officer: str = ""):
        super().__init__(ctx, "Change an officer's PIN", parent)
        self.setObjectName("change-pin-dialog")
        self.setMinimumWidth(480)
        self.officer = officer_combo(ctx)
        if officer:
            self.officer.setCurrentText(officer)
        self.way = QComboBox()
        self.way.setObjectName("way")
        self.way.addItem("With the old PIN", OLD_PIN)
        self.way.addItem("Forgotten: two other officers reset it", RESET)
        self.old_pin = pin_field()
        self.old_pin.setObjectName("old-pin")
        self.form.addRow("&Officer", self.officer)
        self.form.addRow("&How", self.way)
        self.form.addRow("Ol&d PIN", self.old_pin)
        self.vouchers = [OfficerPin(ctx, self.form, "&Vouched for by", name="voucher", pin_label="Their P&IN"),
                         OfficerPin(ctx, self.form, "&And by", name="second-voucher", pin_label="Their PI&N")]
        self.new_pin = pin_field(new=True)
        self.new_pin.setObjectName("new-pin")
        self.new_pin_again = pin_field(new=True)
        self.new_pin_again.setObjectName("new-pin-again")
        self.form.addRow("&New PIN", self.new_pin)
        self.form.addRow("New PIN a&gain", self.new_pin_again)
        self.officer.currentTextChanged.connect(self._fill_vouchers)
        self.way.currentIndexChanged.connect(self._show_way)
        self._fill_vouchers()

    def _fill_vouchers(self, *args) -> None:
        others = [n for n in queries.officer_names(self.ctx.hall) if n != self.officer.currentText()]
        for i, row in enumerate(self.vouchers):
            row.officer.clear()
            row.officer.addItems(others)
            row.officer.setCurrentIndex(min(i, len(others) - 1))
        self._show_way()

    def _show_way(self, *args) -> None:
        reset = self.way.currentData() == RESET
        self.form.setRowVisible(self.old_pin, not reset)
        for row in self.vouchers:
            row.show_in(self.form, reset)
        name = self.officer.currentText() or "the officer"
        self.note.setText(f"Two other active officers type their PINs to reset {name}'s forgotten PIN; with only "
                          f"one other officer, that one alone cannot." if reset else
                          f"{name} types the old PIN, then the new one (6 to 12 digits).")

    def apply(self) -> None:
        name = self.officer.currentText()
        if not name:
            raise UserFacingError("There is no officer yet; add one first.")
        if self.new_pin.text() != self.new_pin_again.text():
            raise UserFacingError("The two new PINs are not the same; type the new PIN again in both boxes.")
        if self.way.currentData() == RESET:
            vouchers = [row.voucher() for row in self.vouchers if row.name]
            change_pin(self.ctx.hall, name, self.new_pin.text(), vouchers=vouchers)
            remind_short_pins(self, vouchers)
        else:
            change_pin(self.ctx.hall, name, self.new_pin.text(), self.old_pin.text())
