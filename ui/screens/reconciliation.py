"""Reconciliation: Stripe payouts against the books, bank deposits, the bank statement, and reports.

Four tabs; each reloads from the database when the window refreshes (only the visible screen reloads at once,
the others when they are next shown, since reconciling every payout is the slowest query in the app).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from ..context import AppContext
from .base import Screen
from .recon_payouts import PayoutsTab


class ReconciliationScreen(Screen):
    title = "Reconciliation"
    icon_name = "reconciliation"
    changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        layout = QVBoxLayout(self)
        self.page_header(layout, "What members paid, followed to the bank: Stripe payouts matched to the payments "
                                 "they carried, cash and checks batched for deposit, the bank statement ticked off, "
                                 "and the reports for the trustees.")
        self.tabs = QTabWidget()
        self.tabs.setObjectName("recon-tabs")
        self.payouts = PayoutsTab(ctx, self)
        self.tabs.addTab(self.payouts, "Stripe &payouts")
        self._pages: list[QWidget] = [self.payouts]
        self._add_more_tabs()
        for page in self._pages:
            page.changed.connect(self.changed)
        layout.addWidget(self.tabs, 1)
        self._stale = set(range(len(self._pages)))
        self.tabs.currentChanged.connect(lambda *_: self._load_current())

    def _add_more_tabs(self) -> None:
        from .recon_deposits import DepositsTab

        self.deposits = DepositsTab(self.ctx, self)
        self.tabs.addTab(self.deposits, "&Deposits")
        self._pages.append(self.deposits)
        from .recon_bank import BankTab

        self.bank = BankTab(self.ctx, self)
        self.tabs.addTab(self.bank, "&Bank")
        self._pages.append(self.bank)
        from .recon_reports import ReportsTab

        self.reports = ReportsTab(self.ctx, self)
        self.tabs.addTab(self.reports, "Re&ports")
        self._pages.append(self.reports)

    def refresh(self) -> None:
        self._stale = set(range(len(self._pages)))
        if self.isVisible():
            self._load_current()

    def _load_current(self) -> None:
        index = self.tabs.currentIndex()
        if index in self._stale:
            self._stale.discard(index)
            self._pages[index].refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._load_current()

    def open_discrepancy_count(self) -> int:
        from treasurer.reconcile import open_discrepancy_count

        return open_discrepancy_count(self.hall)
