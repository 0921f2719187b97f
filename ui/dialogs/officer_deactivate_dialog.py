"""Deactivating an officer who left: another officer vouches with their PIN, and the treasurer confirms."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from treasurer.errors import UserFacingError
from treasurer.officers import authenticate, deactivate_officer

from ..context import AppContext
from ..errors import confirm
from .dues_dialogs import FormDialog
from .officer_pin import officer_combo, pin_field


class DeactivateOfficerDialog(FormDialog):
    ok_text = "Deactivate…"

    def __init__(self, ctx: AppContext, officer: str, parent: QWidget | None = None):
        super().__init__(ctx, "Deactivate an officer", parent)
        self.setObjectName("deactivate-officer-dialog")
        self.setMinimumWidth(460)
        self.target = officer
        self.voucher = officer_combo(ctx, exclude=officer)
        self.voucher.setObjectName("voucher")
        self.pin = pin_field()
        who = QLabel(f"<b>{officer}</b>")
        who.setObjectName("target")
        self.form.addRow("Officer", who)
        self.form.addRow("&Vouched for by", self.voucher)
        self.form.addRow("Their &PIN", self.pin)
        self.note.setText(f"{officer} will no longer be able to approve, close periods or vouch. Their name stays "
                          f"on everything they signed. Another officer must vouch with their PIN.")
        if self.voucher.count() == 0:
            self.error.setText(f"{officer} is the last active officer; add another officer before deactivating "
                               f"them.")

    def apply(self) -> bool:
        voucher = self.voucher.currentText()
        if not voucher:
            raise UserFacingError(f"{self.target} is the last active officer; add another officer before "
                                  f"deactivating them.")
        with self.ctx.hall.read() as session:       # a wrong PIN is said before the question, not after
            authenticate(session, voucher, self.pin.text())
        if not confirm(self, "Deactivate officer",
                       f"Deactivate {self.target}? They can no longer approve, close periods or vouch. This is "
                       f"recorded in the audit log with {voucher} as the officer who vouched.", "Deactivate"):
            return False
        deactivate_officer(self.ctx.hall, self.target, voucher, self.pin.text())
        return True
