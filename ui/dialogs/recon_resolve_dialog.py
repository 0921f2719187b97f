"""Resolve a reconciliation discrepancy: the treasurer's note on what was found or done (kept in the audit log)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from treasurer.reconcile import Discrepancy, resolve_discrepancy

from .. import fmt
from ..context import AppContext
from .dues_dialogs import FormDialog


class ResolveDiscrepancyDialog(FormDialog):
    ok_text = "Resolve"

    def __init__(self, ctx: AppContext, discrepancy: Discrepancy, parent: QWidget | None = None):
        super().__init__(ctx, f"Resolve: {discrepancy.label}", parent)
        self.setObjectName("recon-resolve-dialog")
        self.setMinimumWidth(520)
        self.discrepancy = discrepancy
        self.resolved: Discrepancy | None = None
        currency = ctx.hall.currency
        what = QLabel(discrepancy.explanation)
        what.setWordWrap(True)
        self.form.addRow("What", what)
        if discrepancy.stripe_object:
            self.form.addRow("Stripe", QLabel(f"{discrepancy.stripe_object}  "
                                              f"{fmt.money(discrepancy.stripe_amount_cents, currency)}".strip()))
        if discrepancy.ledger_row:
            self.form.addRow("Books", QLabel(f"{discrepancy.ledger_row}  "
                                             f"{fmt.money(discrepancy.ledger_amount_cents, currency)}".strip()))
        self.resolution = QLineEdit()
        self.resolution.setObjectName("note")
        self.resolution.setPlaceholderText("what was found or done, for the audit log")
        self.form.addRow("&Note", self.resolution)
        self.note.setText("The discrepancy stays listed, marked resolved with this note.")
        self.resolution.setFocus()

    def apply(self) -> None:
        self.resolved = resolve_discrepancy(self.ctx.hall, self.discrepancy.key, self.resolution.text())
