"""Deposits: undeposited cash, checks and money orders ticked into a batch; batches, their slips, marking them."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QPushButton, QSplitter, QVBoxLayout, QWidget

from treasurer.deposits import BatchSummary, deposit_slip, list_batches, undeposited_payments

from .. import fmt
from ..context import AppContext
from ..errors import guarded
from ..look import icon
from ..table_model import Column
from .base import Table, search_box, toolbar_row
from .recon_common import TickTable, caption, section


class DepositsTab(QWidget):
    changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("recon-deposits")
        self.ctx = ctx
        self._currency = "usd"
        money = self._money
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        self.undeposited = TickTable(ctx, "recon-undeposited", [
            Column("Receipt", lambda x: x.receipt_no, width=85),
            Column("Received", lambda x: fmt.day(x.received_on), sort=lambda x: (x.received_on, x.payment_id),
                   width=95),
            Column("Member", lambda x: x.member_number, sort=lambda x: x.member_number.rjust(20), width=80),
            Column("Name", lambda x: x.member_name, width=190),
            Column("Method", lambda x: fmt.method(x.method), width=110),
            Column("Amount", lambda x: money(x.amount_cents), sort=lambda x: x.amount_cents, numeric=True, width=100),
            Column("Check / money order number", lambda x: x.check_number),
        ], lambda x: x.payment_id,
            lambda x: f"{x.receipt_no} {x.member_number} {x.member_name} {x.method} {x.check_number}".casefold(), self)
        self.undeposited.model.ticks_changed.connect(self._ticked)
        self.search = search_box("Filter by receipt, member, name or check number", self.undeposited.proxy.set_search)
        self.search.setMinimumWidth(self.search.fontMetrics().horizontalAdvance(self.search.placeholderText()) + 48)
        self.tick_all = QPushButton("Tick &all shown")
        self.tick_all.setObjectName("tick-all")
        self.tick_all.clicked.connect(lambda: self.undeposited.model.set_ticked(
            {x.payment_id for x in self.undeposited.proxy.accepted_records()}))
        self.tick_none = QPushButton("Untick all")
        self.tick_none.setObjectName("tick-none")
        self.tick_none.clicked.connect(lambda: self.undeposited.model.set_ticked(set()))
        self.new_button = QPushButton(icon("add"), "&New deposit batch…")
        self.new_button.setObjectName("new-batch")
        self.new_button.setToolTip("Batch the ticked payments for the bank (tick with the mouse or Space)")
        self.new_button.clicked.connect(self.new_batch)
        self.ticked_label = caption(name="ticked-total")

        self.batches = Table(ctx, "recon-batches", [
            Column("Deposit", lambda b: b.batch_id, sort=lambda b: b.batch_id, numeric=True, width=85),
            Column("Date", lambda b: fmt.day(b.deposit_date), sort=lambda b: (b.deposit_date, b.batch_id), width=95),
            Column("Bank reference", lambda b: b.bank_reference, width=160),
            Column("Items", lambda b: b.item_count, sort=lambda b: b.item_count, numeric=True, width=60),
            Column("Total", lambda b: money(b.total_cents), sort=lambda b: b.total_cents, numeric=True, width=100),
            Column("Status", lambda b: STATUS_TEXT[b.state], warn=lambda b: b.state == "open", width=180),
            Column("Deposited on", lambda b: fmt.day(b.deposited_on), sort=lambda b: b.deposited_on or ""),
        ], lambda b: f"{b.batch_id} {b.bank_reference} {b.state} {b.deposit_date}".casefold(), self,
            newest_first_by=0)
        self.slip_button = QPushButton(icon("pdf"), "Deposit &slip…")
        self.slip_button.setObjectName("deposit-slip")
        self.slip_button.clicked.connect(lambda: self.show_slip())
        self.mark_button = QPushButton("&Mark deposited…")
        self.mark_button.setObjectName("mark-deposited")
        self.mark_button.clicked.connect(lambda: self.mark())
        self.remove_button = QPushButton("&Remove payment…")
        self.remove_button.setObjectName("remove-payment")
        self.remove_button.setToolTip("Take a payment out of the selected open batch (it is undeposited again)")
        self.remove_button.clicked.connect(lambda: self.remove_payment())
        self.void_button = QPushButton("&Void batch…")
        self.void_button.setObjectName("void-batch")
        self.void_button.setToolTip("Take every payment out of the selected open batch")
        self.void_button.clicked.connect(lambda: self.void())
        self.result_label = caption(name="deposit-result")

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(section("Cash, checks and money orders not yet in a deposit"))
        top_layout.addLayout(toolbar_row(self.search, self.tick_all, self.tick_none, self.new_button, stretch_at=3))
        top_layout.addWidget(self.undeposited.view, 1)
        top_layout.addWidget(self.ticked_label)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addLayout(toolbar_row(section("Deposit batches"), self.slip_button, self.mark_button,
                                            self.remove_button, self.void_button, stretch_at=1))
        bottom_layout.addWidget(self.batches.view, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setSizes([380, 260])
        layout.addWidget(split, 1)
        layout.addWidget(self.result_label)
        self.batches.view.selectionModel().currentRowChanged.connect(lambda *_: self._enable())
        self.batches.view.activated_record.connect(self.show_slip)
        for a, b in ((self.search, self.undeposited.view), (self.undeposited.view, self.tick_all),
                     (self.tick_all, self.tick_none), (self.tick_none, self.new_button),
                     (self.new_button, self.batches.view), (self.batches.view, self.slip_button),
                     (self.slip_button, self.mark_button), (self.mark_button, self.remove_button),
                     (self.remove_button, self.void_button)):
            QWidget.setTabOrder(a, b)
        self._ticked()
        self._enable()

    def _money(self, cents: int | None) -> str:
        return fmt.money(cents, self._currency)

    def refresh(self) -> None:
        self._currency = self.ctx.hall.currency
        self.undeposited.set_rows(undeposited_payments(self.ctx.hall))
        self.batches.set_rows(list_batches(self.ctx.hall))
        self._ticked()
        self._enable()

    def _ticked(self) -> None:
        ticked = self.undeposited.model.ticked_records()
        total = sum(x.amount_cents for x in ticked)
        waiting = self.undeposited.model.rowCount()
        self.ticked_label.setText(f"{len(ticked)} of {waiting} ticked · {self._money(total)}" if waiting
                                  else "Every cash, check and money-order payment is in a deposit.")
        self.new_button.setEnabled(bool(ticked))

    def _enable(self) -> None:
        batch: BatchSummary | None = self.batches.view.current_record()
        self.slip_button.setEnabled(batch is not None)
        self.mark_button.setEnabled(batch is not None and batch.state == "open" and batch.item_count > 0)
        correctable = batch is not None and batch.status == "open" and batch.item_count > 0
        self.remove_button.setEnabled(correctable)
        self.void_button.setEnabled(correctable)

    @guarded
    def new_batch(self) -> None:
        from ..dialogs.deposit_dialogs import NewBatchDialog

        ticked = self.undeposited.model.ticked_records()
        if not ticked:
            self.result_label.setText("Tick the payments to deposit first.")
            return
        dialog = NewBatchDialog(self.ctx, ticked, self)
        if dialog.exec() and dialog.slip is not None:
            slip = dialog.slip
            self.undeposited.model.set_ticked(set())
            self.result_label.setText(f"Deposit {slip.batch_id} created: {len(slip.lines)} payments, "
                                      f"{self._money(slip.total_cents)}. Print its slip, take it to the bank, then "
                                      f"mark it deposited.")
            self.changed.emit()
            self._select_batch(slip.batch_id)

    def _select_batch(self, batch_id: int) -> None:
        for row in range(self.batches.proxy.rowCount()):
            if self.batches.proxy.record_at(row).batch_id == batch_id:
                self.batches.view.setCurrentIndex(self.batches.proxy.index(row, 0))
                return

    @guarded
    def show_slip(self, batch: BatchSummary | None = None) -> None:
        from ..dialogs.deposit_dialogs import DepositSlipDialog

        batch = batch if isinstance(batch, BatchSummary) else self.batches.view.current_record()
        if batch is None:
            self.result_label.setText("Select a deposit batch first.")
            return
        dialog = DepositSlipDialog(self.ctx, deposit_slip(self.ctx.hall, batch.batch_id), self)
        dialog.exec()
        if dialog.saved_to is not None:
            self.result_label.setText(f"Deposit slip {batch.batch_id} saved to {dialog.saved_to}.")

    @guarded
    def mark(self, batch: BatchSummary | None = None) -> None:
        from ..dialogs.deposit_dialogs import MarkDepositedDialog

        batch = batch if isinstance(batch, BatchSummary) else self.batches.view.current_record()
        if batch is None:
            self.result_label.setText("Select a deposit batch first.")
            return
        if batch.status == "deposited":
            self.result_label.setText(f"Deposit {batch.batch_id} was already marked deposited.")
            return
        dialog = MarkDepositedDialog(self.ctx, batch.batch_id, batch.total_cents, self)
        if dialog.exec() and dialog.slip is not None:
            self.result_label.setText(f"Deposit {batch.batch_id} marked deposited on "
                                      f"{dialog.slip.deposited_on.isoformat() if dialog.slip.deposited_on else ''}; "
                                      f"tick it on the Bank tab when the statement shows it.")
            self.changed.emit()
            self._select_batch(batch.batch_id)

    def _correctable(self, batch: BatchSummary | None) -> BatchSummary | None:
        batch = batch if isinstance(batch, BatchSummary) else self.batches.view.current_record()
        if batch is None:
            self.result_label.setText("Select a deposit batch first.")
            return None
        if batch.status == "deposited":
            self.result_label.setText(f"Deposited batches are locked: deposit {batch.batch_id} was marked deposited, "
                                      f"so nothing can be taken out of it.")
            return None
        if batch.item_count == 0:
            self.result_label.setText(f"Deposit {batch.batch_id} has no payments left in it.")
            return None
        return batch

    @guarded
    def remove_payment(self, batch: BatchSummary | None = None, payment_id: int | None = None) -> None:
        from ..dialogs.deposit_dialogs import RemovePaymentDialog

        batch = self._correctable(batch)
        if batch is None:
            return
        dialog = RemovePaymentDialog(self.ctx, deposit_slip(self.ctx.hall, batch.batch_id), self, payment_id)
        if dialog.exec() and dialog.slip is not None:
            slip = dialog.slip
            gone = slip.removed[-1].line
            self.result_label.setText(f"{gone.receipt_no} ({self._money(gone.amount_cents)}) taken out of deposit "
                                      f"{slip.batch_id}; it now holds {len(slip.lines)} payments, "
                                      f"{self._money(slip.total_cents)}. The payment is undeposited again.")
            self.changed.emit()
            self._select_batch(slip.batch_id)

    @guarded
    def void(self, batch: BatchSummary | None = None) -> None:
        from ..dialogs.deposit_dialogs import VoidBatchDialog

        batch = self._correctable(batch)
        if batch is None:
            return
        dialog = VoidBatchDialog(self.ctx, deposit_slip(self.ctx.hall, batch.batch_id), self)
        if dialog.exec() and dialog.slip is not None:
            self.result_label.setText(f"Deposit {batch.batch_id} is void: its payments are undeposited again.")
            self.changed.emit()
            self._select_batch(batch.batch_id)


STATUS_TEXT = {"open": "Open (not yet at the bank)", "deposited": "Deposited", "void": "Void (every payment taken out)"}
