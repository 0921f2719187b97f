"""Reopening a closed period: an officer and PIN, a required reason, and a confirmation before it is done."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from treasurer.errors import UserFacingError
from treasurer.officers import check_officer_pin
from treasurer.periods import reopen_period

from .. import queries
from ..context import AppContext
from ..errors import confirm
from .dues_dialogs import FormDialog
from .officer_pin import officer_combo, pin_field, remind_short_pins


class ReopenPeriodDialog(FormDialog):
    """Reopening a closed period: an officer with their PIN, a reason, and a confirmation before it is done."""

    ok_text = "Reopen period…"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, period: str = ""):
        super().__init__(ctx, "Reopen a closed period", parent)
        self.setObjectName("reopen-period-dialog")
        self.setMinimumWidth(460)
        self.period = QComboBox()
        self.period.setObjectName("period")
        closed_codes = sorted((p.code for p in queries.period_rows(ctx.hall) if p.closed), reverse=True)
        self.period.addItems(closed_codes)
        if period in closed_codes:
            self.period.setCurrentText(period)
        self.officer = officer_combo(ctx)
        self.pin = pin_field()
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        self.reason.setPlaceholderText("e.g. an October check found after closing")
        self.form.addRow("&Period", self.period)
        self.form.addRow("&Officer", self.officer)
        self.form.addRow("P&IN", self.pin)
        self.form.addRow("&Reason (required)", self.reason)
        self.note.setText("Reopening lets charges, payments and adjustments be dated in the period again. The "
                          "reopening is recorded with the officer and the reason; close it again when done.")

    def apply(self) -> bool:
        code = self.period.currentText()
        if not code:
            raise UserFacingError("No period is closed, so there is nothing to reopen.")
        if not self.reason.text().strip():
            raise UserFacingError("Reopening a closed period needs a reason.")
        # A wrong PIN is said before the question, not after (and counts, as anywhere).
        officer = check_officer_pin(self.ctx.hall, self.officer.currentText(), self.pin.text())
        if not confirm(self, "Reopen period",
                       f"Reopen {code}? New charges, payments and adjustments can then be dated in it. "
                       f"This is recorded in the audit log with {officer}'s name and the reason.",
                       "Reopen"):
            return False
        reopen_period(self.ctx.hall, code, officer, self.reason.text(), self.pin.text())
        remind_short_pins(self, [(officer, self.pin.text())])
        return True
