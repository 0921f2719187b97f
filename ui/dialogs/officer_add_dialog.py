"""Adding an officer: a name, a role, a PIN typed twice, and (once the hall has officers) one who vouches."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from treasurer.errors import UserFacingError
from treasurer.models import OFFICER_ROLES
from treasurer.officers import add_officer

from ..context import AppContext
from .dues_dialogs import FormDialog
from .officer_pin import officer_combo, pin_field


class AddOfficerDialog(FormDialog):
    ok_text = "Add officer"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, "Add an officer", parent)
        self.setObjectName("add-officer-dialog")
        self.setMinimumWidth(460)
        self.added = ""
        self.name = QLineEdit()
        self.name.setObjectName("officer-name")
        self.role = QComboBox()
        self.role.setObjectName("role")
        for role in OFFICER_ROLES:
            self.role.addItem(role.capitalize(), role)
        self.pin = pin_field()
        self.pin_again = pin_field()
        self.pin_again.setObjectName("pin-again")
        self.form.addRow("&Name", self.name)
        self.form.addRow("&Role", self.role)
        self.form.addRow("&PIN", self.pin)
        self.form.addRow("PIN &again", self.pin_again)
        self.voucher = officer_combo(ctx)
        self.voucher.setObjectName("voucher")
        self.voucher_pin = pin_field()
        self.voucher_pin.setObjectName("voucher-pin")
        if self.voucher.count():
            self.form.addRow("&Vouched for by", self.voucher)
            self.form.addRow("Their P&IN", self.voucher_pin)
        self.note.setText("The officer types this PIN to approve credits, close periods and vouch for other "
                          "officers. Only a salted hash of it is kept."
                          + (" An officer of the hall vouches for the new one with their PIN." if self.voucher.count()
                             else ""))

    def apply(self) -> None:
        if self.pin.text() != self.pin_again.text():
            raise UserFacingError("The two PINs are not the same; type the PIN again in both boxes.")
        self.added = add_officer(self.ctx.hall, self.name.text(), self.role.currentData(), self.pin.text(),
                                 vouched_by=self.voucher.currentText() or None,
                                 vouching_pin=self.voucher_pin.text()).name
