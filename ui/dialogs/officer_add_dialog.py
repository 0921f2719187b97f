"""Adding an officer: a name, a role, a PIN typed twice, and who vouches with their PIN: the hall's one officer,
or two different officers once it has two or more (dual control)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from treasurer.errors import UserFacingError
from treasurer.models import OFFICER_ROLES
from treasurer.officers import add_officer

from .. import queries
from ..context import AppContext
from .dues_dialogs import FormDialog
from .officer_pin import pin_field, remind_short_pins, voucher_rows


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
        self.pin = pin_field(new=True)
        self.pin_again = pin_field(new=True)
        self.pin_again.setObjectName("pin-again")
        self.form.addRow("&Name", self.name)
        self.form.addRow("&Role", self.role)
        self.form.addRow("&PIN", self.pin)
        self.form.addRow("PIN &again", self.pin_again)
        self.vouchers = voucher_rows(ctx, self.form) if queries.officer_names(ctx.hall) else []
        if self.vouchers:
            self.voucher, self.voucher_pin = self.vouchers[0].officer, self.vouchers[0].pin
        if len(self.vouchers) == 2:
            self.second_voucher, self.second_voucher_pin = self.vouchers[1].officer, self.vouchers[1].pin
        vouching = {0: "", 1: " The hall's officer vouches for the new one with their PIN.",
                    2: " Two different officers vouch for the new one with their PINs (dual control: no one "
                       "officer alone can make another)."}[len(self.vouchers)]
        self.note.setText("The officer types this PIN to approve credits, close periods and vouch for other "
                          "officers. Only a salted hash of it is kept." + vouching)

    def apply(self) -> None:
        if self.pin.text() != self.pin_again.text():
            raise UserFacingError("The two PINs are not the same; type the PIN again in both boxes.")
        vouchers = [row.voucher() for row in self.vouchers]
        self.added = add_officer(self.ctx.hall, self.name.text(), self.role.currentData(), self.pin.text(),
                                 vouchers=vouchers).name
        remind_short_pins(self, vouchers)
