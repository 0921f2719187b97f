"""Resolve a review item the relay raised: a note always; for an unmatched payment, the member it belongs to; for
one that moves money (an unmatched payment, a refund, a dispute), an officer with their PIN."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QWidget

from .. import fmt
from ..context import AppContext
from ..review_items import KINDS, ReviewItem
from .dues_dialogs import FormDialog
from .officer_pin import OfficerPin, remind_short_pins


class ResolveDialog(FormDialog):
    ok_text = "Resolve"

    def __init__(self, ctx: AppContext, item: ReviewItem, parent: QWidget | None = None):
        self.kind = KINDS[item.kind]
        if self.kind.needs_member:
            self.ok_text = "Assign"
        super().__init__(ctx, f"{self.kind.label}", parent)
        self.setObjectName("resolve-dialog")
        self.item = item
        self.member = QLineEdit()
        self.member.setObjectName("member")
        self.member.setPlaceholderText("the member number this payment belongs to")
        self.resolution = QLineEdit()
        self.resolution.setObjectName("note")
        self.resolution.setPlaceholderText("what was done, for the audit log")
        if self.kind.needs_member:
            self.form.addRow("&Member", self.member)
        self.form.addRow("&Note", self.resolution)
        self.by = OfficerPin(ctx, self.form, "Resolved &by") if self.kind.needs_pin else None
        if self.by is not None:
            self.officer, self.pin = self.by.officer, self.by.pin
        amount = f" ({fmt.money(item.amount_cents, ctx.hall.currency)})" if item.amount_cents else ""
        self.note.setText(f"{item.detail}{amount}")

    def apply(self) -> None:
        assert self.kind.resolve is not None
        officer, pin = self.by.voucher() if self.by is not None else ("", "")
        self.kind.resolve(self.ctx.hall, self.item, self.resolution.text(), self.member.text().strip(), officer, pin)
        remind_short_pins(self, [(officer, pin)])
