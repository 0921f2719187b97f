"""Deactivating an officer who left, or reactivating one who returns: another officer vouches with their PIN,
and the treasurer confirms."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from treasurer.errors import UserFacingError
from treasurer.officers import authenticate, deactivate_officer, reactivate_officer

from ..context import AppContext
from ..errors import confirm
from .dues_dialogs import FormDialog
from .officer_pin import officer_combo, pin_field


class _VouchedDialog(FormDialog):
    """An officer's status changed on another officer's word: who, who vouches, their PIN."""

    def __init__(self, ctx: AppContext, officer: str, title: str, note: str, parent: QWidget | None = None):
        super().__init__(ctx, title, parent)
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
        self.note.setText(note)

    def vouched(self, question: str, action: str) -> str | None:
        """The vouching officer once their PIN is right (said before the question) and the treasurer agreed."""
        voucher = self.voucher.currentText()
        with self.ctx.hall.read() as session:
            authenticate(session, voucher, self.pin.text())
        text = f"{question} This is recorded in the audit log with {voucher} as the officer who vouched."
        return voucher if confirm(self, f"{action} officer", text, action) else None


class DeactivateOfficerDialog(_VouchedDialog):
    ok_text = "Deactivate…"

    def __init__(self, ctx: AppContext, officer: str, parent: QWidget | None = None):
        super().__init__(ctx, officer, "Deactivate an officer",
                         f"{officer} will no longer be able to approve, close periods or vouch. Their name stays "
                         f"on everything they signed. Another officer must vouch with their PIN.", parent)
        self.setObjectName("deactivate-officer-dialog")
        if self.voucher.count() == 0:
            self.error.setText(self._last())

    def _last(self) -> str:
        return f"{self.target} is the last active officer; add another officer before deactivating them."

    def apply(self) -> bool:
        if not self.voucher.currentText():
            raise UserFacingError(self._last())
        voucher = self.vouched(f"Deactivate {self.target}? They can no longer approve, close periods or vouch.",
                               "Deactivate")
        if voucher is None:
            return False
        deactivate_officer(self.ctx.hall, self.target, voucher, self.pin.text())
        return True


class ReactivateOfficerDialog(_VouchedDialog):
    ok_text = "Reactivate…"

    def __init__(self, ctx: AppContext, officer: str, parent: QWidget | None = None):
        super().__init__(ctx, officer, "Reactivate an officer",
                         f"{officer} will be able to approve, close periods and vouch again, with their old PIN. "
                         f"An active officer must vouch with their PIN.", parent)
        self.setObjectName("reactivate-officer-dialog")

    def apply(self) -> bool:
        voucher = self.vouched(f"Reactivate {self.target}?", "Reactivate")
        if voucher is None:
            return False
        reactivate_officer(self.ctx.hall, self.target, voucher, self.pin.text())
        return True
