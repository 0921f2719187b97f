"""Approve or deny a review item: a different officer than the requester, with their PIN."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QWidget

from .. import fmt
from ..context import AppContext
from ..review_items import KINDS, ReviewItem
from .dues_dialogs import FormDialog
from .officer_pin import officer_combo, pin_field, remind_short_pins


class DecisionDialog(FormDialog):
    def __init__(self, ctx: AppContext, item: ReviewItem, approve: bool, parent: QWidget | None = None):
        self.ok_text = "Approve" if approve else "Deny"
        super().__init__(ctx, f"{self.ok_text} {item.title}", parent)
        self.setObjectName("decision-dialog")
        self.item = item
        self.approve = approve
        self.officer = officer_combo(ctx, exclude=item.requested_by)
        self.pin = pin_field()
        self.decision_note = QLineEdit()
        self.decision_note.setObjectName("note")
        self.form.addRow("Officer", self.officer)
        self.form.addRow("P&IN", self.pin)
        self.form.addRow("&Note", self.decision_note)
        amount = fmt.money(abs(item.amount_cents), ctx.hall.currency)
        effect = "lowers" if item.amount_cents < 0 else "raises"
        self.note.setText(f"{item.title} for {item.member_name} ({item.member_number}): {amount}, which {effect} "
                          f"what they owe. Reason: {item.detail}. Requested by {item.requested_by}; "
                          f"{'approving' if approve else 'denying'} needs a different officer.")
        self.pin.setFocus()

    def apply(self) -> None:
        decide = KINDS[self.item.kind].decide
        assert decide is not None
        decide(self.ctx.hall, self.item, self.approve, self.officer.currentText(), self.pin.text(),
               self.decision_note.text())
        remind_short_pins(self, [(self.officer.currentText(), self.pin.text())])
