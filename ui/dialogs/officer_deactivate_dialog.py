"""Deactivating an officer who left, or reactivating one who returns, and the treasurer confirms.

Deactivating takes one other officer's PIN (so a hall of two can recover from a lost PIN; the dialog says when
dual control is then no longer in force); reactivating takes one active officer's PIN, or two while dual control
is in force, and may give the officer a new PIN.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from treasurer.errors import UserFacingError
from treasurer.officers import check_officer_pin, deactivate_officer, reactivate_officer

from ..context import AppContext
from ..errors import confirm
from .dues_dialogs import FormDialog
from .officer_pin import OfficerPin, pin_field, remind_short_pins, voucher_rows


class _VouchedDialog(FormDialog):
    """An officer's status changed on other officers' word: who, who vouches, their PINs."""

    def __init__(self, ctx: AppContext, officer: str, title: str, note: str, parent: QWidget | None = None,
                 two_while_in_force: bool = False):
        super().__init__(ctx, title, parent)
        self.setMinimumWidth(460)
        self.target = officer
        who = QLabel(f"<b>{officer}</b>")
        who.setObjectName("target")
        self.form.addRow("Officer", who)
        self.vouchers = (voucher_rows(ctx, self.form, exclude=officer) if two_while_in_force else
                         [OfficerPin(ctx, self.form, "&Vouched for by", officer, "voucher", "Their &PIN")])
        self.voucher = self.vouchers[0].officer
        self.pin = self.vouchers[0].pin
        self.pin.setObjectName("pin")
        if len(self.vouchers) == 2:
            self.second_voucher, self.second_pin = self.vouchers[1].officer, self.vouchers[1].pin
        self.note.setText(note)

    def vouched(self, question: str, action: str) -> list[str] | None:
        """The vouching officers once their PINs are right (said before the question) and the treasurer agreed."""
        names = []
        for row in self.vouchers:
            names.append(check_officer_pin(self.ctx.hall, *row.voucher()))
        text = (f"{question} This is recorded in the audit log with {' and '.join(names)} as the "
                f"officer{'s' if len(names) > 1 else ''} who vouched.")
        return names if confirm(self, f"{action} officer", text, action) else None


class DeactivateOfficerDialog(_VouchedDialog):
    ok_text = "Deactivate…"

    def __init__(self, ctx: AppContext, officer: str, parent: QWidget | None = None):
        super().__init__(ctx, officer, "Deactivate an officer",
                         f"{officer} will no longer be able to approve, close periods or vouch. Their name stays "
                         f"on everything they signed. Another officer must vouch with their PIN.", parent)
        self.setObjectName("deactivate-officer-dialog")
        self.notice: str | None = None
        if self.voucher.count() == 0:
            self.error.setText(self._last())

    def _last(self) -> str:
        return f"{self.target} is the last active officer; add another officer before deactivating them."

    def apply(self) -> bool:
        if not self.voucher.currentText():
            raise UserFacingError(self._last())
        if self.vouched(f"Deactivate {self.target}? They can no longer approve, close periods or vouch.",
                        "Deactivate") is None:
            return False
        self.notice = deactivate_officer(self.ctx.hall, self.target, *self.vouchers[0].voucher())
        remind_short_pins(self, [self.vouchers[0].voucher()])
        return True


class ReactivateOfficerDialog(_VouchedDialog):
    ok_text = "Reactivate…"

    def __init__(self, ctx: AppContext, officer: str, parent: QWidget | None = None):
        super().__init__(ctx, officer, "Reactivate an officer",
                         f"{officer} will be able to approve, close periods and vouch again, with their old PIN "
                         f"or a new one given here. An active officer vouches with their PIN; two while dual "
                         f"control is in force.", parent, two_while_in_force=True)
        self.setObjectName("reactivate-officer-dialog")
        self.new_pin = pin_field(new=True)
        self.new_pin.setObjectName("new-pin")
        self.new_pin.setPlaceholderText("leave empty to keep the old PIN")
        self.new_pin_again = pin_field(new=True)
        self.new_pin_again.setObjectName("new-pin-again")
        self.form.addRow("New PIN (&optional)", self.new_pin)
        self.form.addRow("New PIN a&gain", self.new_pin_again)

    def apply(self) -> bool:
        new = self.new_pin.text() or None
        if (self.new_pin.text() or self.new_pin_again.text()) and self.new_pin.text() != self.new_pin_again.text():
            raise UserFacingError("The two new PINs are not the same; type the new PIN again in both boxes.")
        if self.vouched(f"Reactivate {self.target}?", "Reactivate") is None:
            return False
        vouchers = [row.voucher() for row in self.vouchers]
        reactivate_officer(self.ctx.hall, self.target, vouchers, new)
        remind_short_pins(self, vouchers)
        return True
