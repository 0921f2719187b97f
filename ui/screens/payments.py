"""Payments: everything received, with filters (method, dates, pending bank payments), Record payment, a past
payment's receipt (Receipt…, Enter, Ctrl+P, the context menu) and Refund."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QDate, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QLabel,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from treasurer import clock
from treasurer.errors import UserFacingError
from treasurer.models import PAYMENT_METHODS

from .. import fmt, queries
from ..context import AppContext
from ..errors import guarded
from ..look import icon
from ..table_model import Column
from .base import Screen, Table, search_box, toolbar_row


def payment_columns(currency_of) -> list[Column]:
    return [
        Column("Receipt", lambda r: r.receipt_no, width=85),
        Column("Received", lambda r: fmt.day(r.received_on), sort=lambda r: r.received_on.isoformat(), width=95),
        Column("Member", lambda r: r.member_number, sort=lambda r: r.member_number.rjust(20), width=85),
        Column("Name", lambda r: r.member_name, width=180),
        Column("Amount", lambda r: fmt.money(r.amount_cents, currency_of()), sort=lambda r: r.amount_cents,
               numeric=True, width=95),
        Column("Method", lambda r: fmt.method(r.method), width=100),
        Column("Status", lambda r: r.status, warn=lambda r: r.status == "failed", width=90),
        Column("Reference", lambda r: r.reference or r.stripe_id, width=215),
        Column("Recorded by", lambda r: r.recorded_by),
    ]


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(q: QDate) -> dt.date:
    return dt.date(q.year(), q.month(), q.day())


class PaymentsScreen(Screen):
    title = "Payments"
    icon_name = "payments"
    changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self._currency = "usd"
        self._updating = False          # while rows are put in place: the total once, after
        layout = QVBoxLayout(self)
        self.page_header(layout, "Money received: at the hall (cash, check, money order) and online (card, bank).")
        self.table = Table(ctx, "payments", payment_columns(lambda: self._currency), lambda r: r.search, self,
                           newest_first_by=1, follows_changes=True)
        self.search = search_box("Search by receipt, member, name or reference (Ctrl+F)",
                                 self.table.proxy.set_search)
        self.method_filter = QComboBox()
        self.method_filter.setObjectName("method-filter")
        self.method_filter.addItem("All methods", None)
        for method in PAYMENT_METHODS:
            self.method_filter.addItem(fmt.method(method), method)
        self.method_filter.currentIndexChanged.connect(self._method_changed)
        today = clock.today()
        # The date range is applied in the query: a big hall has 100,000+ payments, three months are enough
        # to start with, and widening the range reloads.
        self.since = QDateEdit(_qdate((today.replace(day=1) - dt.timedelta(days=62)).replace(day=1)))
        self.until = QDateEdit(_qdate(today))
        for edit, name in ((self.since, "since"), (self.until, "until")):
            edit.setObjectName(name)
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.dateChanged.connect(self._dates_changed)
        self.pending_only = QCheckBox("Pending bank payments only")
        self.pending_only.setObjectName("pending-only")
        self.pending_only.toggled.connect(self._pending_changed)
        self.record_button = QPushButton(icon("payments"), "Record payment…")
        self.record_button.setObjectName("record-payment")
        self.record_button.setToolTip("Record cash, check or money order (Ctrl+R)")
        self.record_button.clicked.connect(self.record_payment)
        self.receipt_button = QPushButton(icon("print"), "Receipt…")
        self.receipt_button.setObjectName("payment-receipt")
        self.receipt_button.setToolTip("Show and print the selected payment's receipt (Enter or Ctrl+P)")
        self.receipt_button.clicked.connect(self.show_receipt)
        self.refund_button = QPushButton("Refund…")
        self.refund_button.setObjectName("refund-payment")
        self.refund_button.setToolTip("Refund the selected online payment through Stripe")
        self.refund_button.clicked.connect(self.refund_payment)
        # Finding payments on one row, acting on them on the next: one row made the window wider than 1280.
        find = toolbar_row(self.search, self.method_filter, QLabel("from"), self.since, QLabel("to"), self.until,
                           self.pending_only, stretch_at=7)
        find.setStretch(0, 1)
        find.setStretch(find.count() - 1, 0)        # the search box takes the room left, its hint in full
        layout.addLayout(find)
        layout.addLayout(toolbar_row(self.record_button, self.receipt_button, self.refund_button, stretch_at=3))
        layout.addWidget(self.table.view, 1)
        self.table.view.activated_record.connect(lambda record: self.show_receipt())
        self.table.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.view.customContextMenuRequested.connect(self._context_menu)
        self.total_label = QLabel()
        self.total_label.setObjectName("page-subtitle")
        layout.addWidget(self.total_label)
        for signal in (self.table.proxy.modelReset, self.table.proxy.layoutChanged, self.table.proxy.rowsInserted,
                       self.table.proxy.rowsRemoved):
            signal.connect(self._total)

    def refresh(self) -> None:
        self._currency = self.currency
        self._range = since, until = _pydate(self.since.date()), _pydate(self.until.date())
        self.table.set_rows(queries.payment_rows(self.hall, since=since, until=until))
        self._total()

    def follow(self, changes) -> Callable[[], None] | None:
        """In a pool thread, after relay events: the payments that arrived or changed, in the dates shown."""
        if not changes.payment_ids:
            return None
        since, until = self._range
        rows = queries.payment_rows(self.hall, since=since, until=until, ids=changes.payment_ids)
        return lambda: self.update_rows(rows)

    def update_rows(self, rows: list) -> None:
        """These payments in place or added; the rest of the table, the selection and the scroll stay."""
        self._updating = True
        try:
            self.table.upsert(rows)
        finally:
            self._updating = False
        self._total()

    def _total(self, *args) -> None:
        if self._updating:
            return
        records = self.table.proxy.accepted_records()
        counted = pending = 0
        for r in records:                   # one pass: a year of payments is some 12,000 rows
            if r.status == "completed":
                counted += r.amount_cents
            elif r.status == "pending":
                pending += r.amount_cents
        self.total_label.setText(f"{len(records):,} payments shown · {fmt.money(counted, self._currency)} received"
                                 + (f" · {fmt.money(pending, self._currency)} pending" if pending else ""))

    def _method_changed(self, index: int) -> None:
        method = self.method_filter.itemData(index)
        self.table.proxy.set_predicate("method", (lambda r: r.method == method) if method else None)

    def _dates_changed(self, *args) -> None:
        self.refresh()

    def _pending_changed(self, on: bool) -> None:
        self.table.proxy.set_predicate("pending", (lambda r: r.status == "pending") if on else None)

    @guarded
    def record_payment(self, member_number: str = "") -> None:
        from ..dialogs.payment_dialog import PaymentDialog
        from ..dialogs.receipt_dialog import ReceiptDialog

        dialog = PaymentDialog(self.ctx, self, member_number if isinstance(member_number, str) else "")
        if not dialog.exec() or dialog.receipt is None:
            return
        self.changed.emit()
        ReceiptDialog(self.hall, dialog.receipt, self).exec()

    def payment_menu(self) -> QMenu:
        """What right-clicking a payment offers."""
        menu = QMenu(self)
        menu.setObjectName("payment-menu")
        menu.addAction(icon("print"), "Receipt…", self.show_receipt)
        menu.addAction("Refund…", self.refund_payment)
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        if self.table.view.indexAt(pos).isValid():
            self.payment_menu().exec(self.table.view.viewport().mapToGlobal(pos))

    def print_current(self) -> None:
        """File > Print (Ctrl+P) on this screen: the selected payment's receipt, with its Print button."""
        self.show_receipt()

    @guarded
    def show_receipt(self, *args) -> None:
        from ..dialogs.receipt_dialog import ReceiptDialog
        from treasurer.receipts import past_receipt

        record = self.table.view.current_record()
        if record is None:
            raise UserFacingError("Select the payment whose receipt you want first.")
        past = past_receipt(self.hall, record.id)
        ReceiptDialog(self.hall, past.receipt, self, past).exec()

    @guarded
    def refund_payment(self, *args) -> None:
        from ..dialogs.refund_dialog import RefundDialog

        record = self.table.view.current_record()
        if record is None:
            raise UserFacingError("Select the online payment to refund first.")
        dialog = RefundDialog(self.ctx, record.id, self)
        if dialog.exec() and dialog.refund is not None:
            self.changed.emit()
