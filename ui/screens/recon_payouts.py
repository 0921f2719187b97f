"""Stripe payouts: sync, each payout's balance transactions matched to ledger rows, and the discrepancies."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QPushButton, QSplitter, QVBoxLayout, QWidget

from treasurer.payouts import sync_payouts
from treasurer.reconcile import Discrepancy, PayoutReport, Reconciliation, reconcile

from .. import fmt
from ..context import AppContext
from ..errors import guarded
from ..look import icon
from ..recon_queries import in_balance_text, ledger_labels
from ..table_model import Column
from ..workers import run_with_progress
from .base import Table, search_box, toolbar_row
from .recon_common import caption, section

NO_DISCREPANCY_SELECTED = "Select a discrepancy to read it in full."
STATES = ("reconciled", "explained", "unreconciled", "awaiting", "failed")
LINE_KINDS = {"charge": "Payment", "refund": "Refund", "refund_failure": "Refund failed", "dispute": "Dispute",
              "payout": "Payout", "payout_failure": "Payout returned", "other": "Other"}


class PayoutsTab(QWidget):
    changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("recon-payouts")
        self.ctx = ctx
        self._currency = "usd"
        self.result: Reconciliation | None = None
        self._labels: dict[str, str] = {}
        money = self._money
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)

        self.sync_button = QPushButton(icon("refresh"), "&Sync from Stripe")
        self.sync_button.setObjectName("sync-payouts")
        self.sync_button.setToolTip("Fetch payouts and the balance transactions each one paid out, and what is "
                                    "still in the Stripe balance")
        self.sync_button.clicked.connect(self.sync)
        self.table = Table(ctx, "recon-payouts", [
            Column("Arrival", lambda p: fmt.day(p.arrival_date), sort=lambda p: (p.arrival_date, p.stripe_payout_id),
                   width=90),
            Column("Payout", lambda p: p.stripe_payout_id, width=225),
            Column("Amount", lambda p: money(p.amount_cents), sort=lambda p: p.amount_cents, numeric=True, width=80),
            Column("Status", lambda p: p.status, warn=lambda p: p.status in ("failed", "canceled"), width=70),
            Column("Gross", lambda p: money(p.gross_cents), sort=lambda p: p.gross_cents, numeric=True, width=80),
            Column("Fees", lambda p: money(p.fee_cents), sort=lambda p: p.fee_cents, numeric=True, width=70),
            Column("Refunds", lambda p: money(p.refund_cents), sort=lambda p: p.refund_cents, numeric=True, width=80),
            Column("Disputes", lambda p: money(p.dispute_cents), sort=lambda p: p.dispute_cents, numeric=True,
                   width=85),
            Column("Net", lambda p: money(p.net_cents), sort=lambda p: p.net_cents, numeric=True, width=80),
            Column("Payments", lambda p: len(p.payment_ids), sort=lambda p: len(p.payment_ids), numeric=True,
                   width=75),
            Column("State", lambda p: p.state, warn=lambda p: p.state in ("unreconciled", "failed")),
        ], lambda p: f"{p.stripe_payout_id} {p.status} {p.state} {p.arrival_date}".casefold(), self, newest_first_by=0)
        self.search = search_box("Filter payouts by id, status, state or date", self.table.proxy.set_search)
        self.search.setMinimumWidth(self.search.fontMetrics().horizontalAdvance(self.search.placeholderText()) + 48)
        self.state_filter = QComboBox()
        self.state_filter.setObjectName("payout-state-filter")
        self.state_filter.addItem("All states", None)
        for state in STATES:
            self.state_filter.addItem(state.capitalize(), state)
        self.state_filter.currentIndexChanged.connect(self._state_changed)
        layout.addLayout(toolbar_row(self.sync_button, self.search, self.state_filter, stretch_at=1))
        self.totals = caption(name="recon-totals")
        layout.addWidget(self.totals)
        self.in_balance = caption(name="recon-in-balance")
        self.in_balance.setToolTip("Online payments whose charge the last sync saw in the Stripe balance: no payout "
                                   "has carried them yet, so they are not discrepancies")
        self.in_balance.setVisible(False)
        layout.addWidget(self.in_balance)

        self.lines = Table(ctx, "recon-lines", [
            Column("Kind", lambda x: LINE_KINDS.get(x.kind, x.kind),
                   sort=lambda x: (list(LINE_KINDS).index(x.kind) if x.kind in LINE_KINDS else 9, x.stripe_txn_id),
                   width=80),
            Column("Balance transaction", lambda x: x.stripe_txn_id, width=230),
            Column("Stripe object", lambda x: x.source_id, width=225),
            Column("Amount", lambda x: money(x.amount_cents), sort=lambda x: x.amount_cents, numeric=True, width=80),
            Column("Fee", lambda x: money(x.fee_cents), sort=lambda x: x.fee_cents, numeric=True, width=70),
            Column("Net", lambda x: money(x.net_cents), sort=lambda x: x.net_cents, numeric=True, width=80),
            Column("Ledger", lambda x: self._ledger(x.ledger_row) if x.ledger_row else
                   ("" if x.kind == "payout" else "not in the books"),
                   warn=lambda x: x.ledger_row is None and x.kind != "payout"),
        ], lambda x: f"{x.stripe_txn_id} {x.source_id} {x.kind} {x.ledger_row or ''}".casefold(), self)
        self.lines_title = section("Balance transactions")

        self.discrepancies = Table(ctx, "recon-discrepancies", [
            Column("Kind", lambda d: d.label, width=185, warn=lambda d: not d.resolved),
            Column("Resolved", lambda d: f"Resolved: {d.resolution}" if d.resolved else "Open",
                   sort=lambda d: (d.resolved, d.resolved_at or ""), warn=lambda d: not d.resolved,
                   tooltip=lambda d: f"Resolved by {d.resolved_by} at {fmt.stamp(d.resolved_at or '')}: "
                                     f"{d.resolution}" if d.resolved else "Open: Resolve… notes what was found",
                   width=80),
            Column("Explanation", lambda d: d.explanation, tooltip=lambda d: d.explanation, width=150),
            Column("Stripe object", lambda d: d.stripe_object or "", width=210),
            Column("Stripe amount", lambda d: money(d.stripe_amount_cents),
                   sort=lambda d: d.stripe_amount_cents, numeric=True, width=95),
            Column("Ledger row", lambda d: self._ledger(d.ledger_row) if d.ledger_row else "", width=110),
            Column("Ledger amount", lambda d: money(d.ledger_amount_cents),
                   sort=lambda d: d.ledger_amount_cents, numeric=True, width=95),
            Column("Payout", lambda d: d.payout or "", tooltip=lambda d: d.payout or ""),
        ], lambda d: f"{d.kind} {d.label} {d.explanation} {d.stripe_object} {d.ledger_row} {d.payout}".casefold(),
            self)
        self.open_only = QCheckBox("&Open only")
        self.open_only.setObjectName("open-only")
        self.open_only.toggled.connect(self._open_only)
        self.this_payout_only = QCheckBox("Selected &payout only")
        self.this_payout_only.setObjectName("this-payout-only")
        self.this_payout_only.toggled.connect(lambda on: self._payout_filter())
        self.resolve_button = QPushButton("&Resolve…")
        self.resolve_button.setObjectName("resolve-discrepancy")
        self.resolve_button.setToolTip("Note what was found or done about the selected discrepancy")
        self.resolve_button.clicked.connect(lambda: self.resolve())
        self.result_label = caption(name="recon-result")

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.table.view)
        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        middle_layout.addWidget(self.lines_title)
        middle_layout.addWidget(self.lines.view)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        self.discrepancies_title = section("Discrepancies")
        bottom_layout.addLayout(toolbar_row(self.discrepancies_title, self.open_only, self.this_payout_only,
                                            self.resolve_button, stretch_at=1))
        bottom_layout.addWidget(self.discrepancies.view)
        # The selected discrepancy in full: its explanation and ids do not fit in their columns at 1280 wide.
        self.discrepancy_details = caption(NO_DISCREPANCY_SELECTED, name="discrepancy-details")
        self.discrepancy_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bottom_layout.addWidget(self.discrepancy_details)
        split = QSplitter(Qt.Orientation.Vertical)
        split.setObjectName("recon-split")
        split.setChildrenCollapsible(False)
        for part in (top, middle, bottom):
            split.addWidget(part)
        split.setSizes([260, 180, 220])
        layout.addWidget(split, 1)
        layout.addWidget(self.result_label)

        self.table.view.selectionModel().currentRowChanged.connect(lambda *_: self._payout_selected())
        self.discrepancies.view.selectionModel().currentRowChanged.connect(lambda *_: self._enable())
        self.discrepancies.view.selectionModel().currentRowChanged.connect(lambda *_: self._show_discrepancy())
        self.discrepancies.view.activated_record.connect(self.resolve)
        for signal in (self.discrepancies.proxy.modelReset, self.discrepancies.proxy.rowsInserted,
                       self.discrepancies.proxy.rowsRemoved, self.discrepancies.proxy.layoutChanged):
            signal.connect(lambda *_: self._count_discrepancies())
        QWidget.setTabOrder(self.sync_button, self.search)
        QWidget.setTabOrder(self.search, self.state_filter)
        QWidget.setTabOrder(self.state_filter, self.table.view)
        QWidget.setTabOrder(self.table.view, self.lines.view)
        QWidget.setTabOrder(self.lines.view, self.open_only)
        QWidget.setTabOrder(self.open_only, self.this_payout_only)
        QWidget.setTabOrder(self.this_payout_only, self.resolve_button)
        QWidget.setTabOrder(self.resolve_button, self.discrepancies.view)
        self._enable()

    def _money(self, cents: int | None) -> str:
        return fmt.money(cents, self._currency)

    def _show_discrepancy(self) -> None:
        d = self.discrepancies.view.current_record()
        if d is None:
            self.discrepancy_details.setText(NO_DISCREPANCY_SELECTED)
            return
        where = ", ".join(part for part in (f"Stripe object {d.stripe_object}" if d.stripe_object else "",
                                            f"payout {d.payout}" if d.payout else "") if part)
        self.discrepancy_details.setText(f"{d.label}: {d.explanation}" + (f" ({where})" if where else ""))

    def _ledger(self, ref: str) -> str:
        return self._labels.get(ref, ref)

    # Data -------------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        self._currency = self.ctx.hall.currency
        self.result = reconcile(self.ctx.hall)
        refs = [line.ledger_row for p in self.result.payouts for line in p.lines]
        refs += [d.ledger_row for d in self.result.discrepancies]
        self._labels = ledger_labels(self.ctx.hall, refs)
        self.table.set_rows(self.result.payouts)
        self.discrepancies.set_rows(self.result.discrepancies)
        if self.table.view.current_record() is None and self.table.proxy.rowCount():
            self.table.view.setCurrentIndex(self.table.proxy.index(0, 0))
        self._payout_selected()
        self._totals()

    def _totals(self) -> None:
        r = self.result
        waiting = in_balance_text(r, self._currency)
        self.in_balance.setText(waiting)
        self.in_balance.setVisible(bool(waiting))
        if r is None or not r.payouts:
            self.totals.setText("No payouts yet: Sync from Stripe fetches them." if self.ctx.gateway is not None
                                else "No payouts. Stripe is not set up on this computer (Settings).")
            return
        paid = [p for p in r.payouts if p.status not in ("failed", "canceled")]
        self.totals.setText(
            f"{len(paid):,} payouts · gross dues {self._money(r.total('gross_cents'))} · Stripe fees "
            f"{self._money(r.total('fee_cents'))} (the hall's expense) · refunds {self._money(r.total('refund_cents'))}"
            f" · disputes {self._money(r.total('dispute_cents'))} · net deposited {self._money(r.total('net_cents'))}")

    def _payout_selected(self) -> None:
        payout: PayoutReport | None = self.table.view.current_record()
        if payout is None:
            self.lines.set_rows([])
            self.lines_title.setText("Balance transactions (select a payout)")
        else:
            self.lines.set_rows(payout.lines)
            matched = len(payout.payment_ids)
            self.lines_title.setText(f"Balance transactions in {payout.stripe_payout_id} ({payout.state}): "
                                     f"{len(payout.lines)} lines, {matched} ledger payment"
                                     f"{'' if matched == 1 else 's'}")
        self._payout_filter()

    def _state_changed(self, index: int) -> None:
        state = self.state_filter.itemData(index)
        self.table.proxy.set_predicate("state", (lambda p: p.state == state) if state else None)

    def _open_only(self, on: bool) -> None:
        self.discrepancies.proxy.set_predicate("open", (lambda d: not d.resolved) if on else None)

    def _payout_filter(self) -> None:
        payout = self.table.view.current_record()
        if self.this_payout_only.isChecked() and payout is not None:
            po = payout.stripe_payout_id
            self.discrepancies.proxy.set_predicate("payout", lambda d: d.payout == po)
        else:
            self.discrepancies.proxy.set_predicate("payout", None)

    def _count_discrepancies(self) -> None:
        r = self.result
        total = len(r.discrepancies) if r else 0
        open_n = len(r.open_discrepancies) if r else 0
        self.discrepancies_title.setText(f"Discrepancies: {open_n} open of {total}" if total
                                         else "Discrepancies: none")
        self._enable()

    def _enable(self) -> None:
        d = self.discrepancies.view.current_record()
        self.resolve_button.setEnabled(d is not None and not d.resolved)

    def open_count(self) -> int:
        return len(self.result.open_discrepancies) if self.result else 0

    # Actions ----------------------------------------------------------------------------------------------

    @guarded
    def sync(self) -> None:
        gateway = self.ctx.require_gateway()
        hall = self.ctx.hall
        result, cancelled = run_with_progress(self, "Syncing payouts",
                                              "Fetching payouts and their balance transactions from Stripe…",
                                              lambda progress: sync_payouts(hall, gateway))
        text = result.summary() if result is not None else "Sync finished."
        if result is not None and result.awaiting:
            text += (f" Stripe has not finished reconciling {len(result.awaiting)} payout"
                     f"{'' if len(result.awaiting) == 1 else 's'} yet; sync again later.")
        if cancelled:
            text = "Cancelled; what had been fetched is kept. " + text
        self.result_label.setText(text)
        self.changed.emit()

    @guarded
    def resolve(self, discrepancy: Discrepancy | None = None) -> None:
        from ..dialogs.recon_resolve_dialog import ResolveDiscrepancyDialog

        d = discrepancy if isinstance(discrepancy, Discrepancy) else self.discrepancies.view.current_record()
        if d is None:
            self.result_label.setText("Select a discrepancy first.")
            return
        if d.resolved:
            self.result_label.setText(f"That discrepancy was already resolved by {d.resolved_by}: {d.resolution}")
            return
        dialog = ResolveDiscrepancyDialog(self.ctx, d, self)
        if dialog.exec():
            self.result_label.setText(f"Resolved: {d.label} ({d.key}).")
            self.changed.emit()
