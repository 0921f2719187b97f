"""Reconciliation: matching Stripe payouts to the bank comes in a later version."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..context import AppContext
from .base import Screen


class ReconciliationScreen(Screen):
    title = "Reconciliation"
    icon_name = "reconciliation"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        layout = QVBoxLayout(self)
        self.page_header(layout)
        text = QLabel(
            "Reconciliation is not in this version of Hall Treasurer; it comes in a later version.\n\n"
            "It will match each Stripe payout to the payments it carried and to the deposit on the bank "
            "statement, and list whatever does not match. Until then, compare Stripe's payout report with the "
            "Payments screen by hand.")
        text.setObjectName("placeholder")
        text.setWordWrap(True)
        layout.addWidget(text)
        layout.addStretch(1)
