"""Bank: the statement's date and ending balance, the uncleared items ticked off, the difference.

Items are deposits, Stripe payouts and the other lines of the statement (fees, interest, checks, transfers),
which "Add bank line…" records.

Ticks are kept on screen until Postpone saves them (or Finish, at a zero difference, locks them).
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSplitter, QVBoxLayout, QWidget

from treasurer import clock
from treasurer.bank import ENTRY_KIND_NAMES, BankItem, BankStatement, bank_history, bank_status, reconcile_bank
from treasurer.errors import ValidationError
from treasurer.money import parse_amount

from .. import fmt
from ..context import AppContext
from ..dialogs.dues_dialogs import date_edit, py_date
from ..errors import confirm, guarded
from ..recon_queries import bank_opening_balance, bank_uncleared
from ..table_model import Column
from .base import Table, toolbar_row
from .recon_common import TickTable, caption, section


def _kind_label(item: BankItem) -> str:
    return {"payout": "Stripe payout", "deposit": "Deposit"}.get(item.kind) or ENTRY_KIND_NAMES.get(item.kind, item.kind)


class BankTab(QWidget):
    changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("recon-bank")
        self.ctx = ctx
        self._currency = "usd"
        self.status: BankStatement | None = None
        self.opening_cents = 0
        self._loaded: int | None = -1          # the reconciliation whose ticks are on screen (None: a new one)
        money = self._money
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)

        self.statement_date = date_edit(clock.today(), "statement-date")
        self.statement_date.dateChanged.connect(lambda *_: self._update())
        self.ending = QLineEdit()
        self.ending.setObjectName("ending-balance")
        self.ending.setPlaceholderText("from the bank statement, e.g. 1,250.00")
        self.ending.textChanged.connect(lambda *_: self._update())
        self.opening_label = QLabel()
        self.opening_label.setObjectName("opening-balance")
        self.cleared_label = QLabel()
        self.cleared_label.setObjectName("cleared-total")
        form = QFormLayout()
        form.addRow("Statement &date", self.statement_date)
        form.addRow("&Ending balance", self.ending)
        form.addRow("Opening balance", self.opening_label)
        form.addRow("Cleared (opening + ticked)", self.cleared_label)
        self.difference = QLabel()
        self.difference.setObjectName("bank-difference")
        self.difference.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        big = self.difference.font()
        big.setPointSizeF(big.pointSizeF() * 2.2)
        big.setBold(True)
        self.difference.setFont(big)
        self.difference_note = QLabel()
        self.difference_note.setObjectName("bank-difference-note")
        self.difference_note.setAlignment(Qt.AlignmentFlag.AlignRight)
        right = QVBoxLayout()
        right.addWidget(self.difference)
        right.addWidget(self.difference_note)
        right.addStretch(1)
        head = QHBoxLayout()
        head.addLayout(form)
        head.addStretch(1)
        head.addLayout(right)
        self.state_label = caption(name="bank-state")
        layout.addWidget(self.state_label)
        layout.addLayout(head)

        self.items = TickTable(ctx, "recon-bank-items", [
            Column("Date", lambda i: fmt.day(i.day), sort=lambda i: (i.day, i.ref), width=95),
            Column("Kind", _kind_label, width=110),
            Column("Amount", lambda i: money(i.amount_cents), sort=lambda i: i.amount_cents, numeric=True, width=100),
            Column("Description", lambda i: i.description),
        ], lambda i: i.ref, lambda i: f"{i.ref} {i.description} {i.day}".casefold(), self)
        self.items.model.ticks_changed.connect(self._update)
        self.postpone_button = QPushButton("&Postpone")
        self.postpone_button.setObjectName("bank-postpone")
        self.postpone_button.setToolTip("Save the statement and the ticks, and finish another time")
        self.postpone_button.clicked.connect(self.postpone)
        self.finish_button = QPushButton("&Finish…")
        self.finish_button.setObjectName("bank-finish")
        self.finish_button.setToolTip("Only at a zero difference: locks this reconciliation")
        self.finish_button.clicked.connect(self.finish)
        self.add_entry_button = QPushButton("&Add bank line…")
        self.add_entry_button.setObjectName("bank-add-entry")
        self.add_entry_button.setToolTip("A fee, interest, a check or transfer the statement shows that is not a "
                                         "deposit or payout")
        self.add_entry_button.clicked.connect(self.add_entry)
        self.history = Table(ctx, "recon-bank-history", [
            Column("Statement date", lambda s: fmt.day(s.statement_date), sort=lambda s: s.statement_date, width=120),
            Column("Opening", lambda s: money(s.opening_balance_cents), sort=lambda s: s.opening_balance_cents,
                   numeric=True, width=110),
            Column("Cleared", lambda s: money(s.cleared_cents), sort=lambda s: s.cleared_cents, numeric=True,
                   width=110),
            Column("Ending", lambda s: money(s.ending_balance_cents), sort=lambda s: s.ending_balance_cents,
                   numeric=True, width=110),
            Column("Items", lambda s: len(s.items), sort=lambda s: len(s.items), numeric=True, width=60),
            Column("What it cleared", lambda s: ", ".join(i.ref for i in s.items)),
        ], lambda s: f"{s.statement_date} {' '.join(i.ref for i in s.items)}".casefold(), self, newest_first_by=0)
        self.result_label = caption(name="bank-result")

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(toolbar_row(section("Uncleared deposits, Stripe payouts and bank lines: tick what "
                                                 "the statement shows"), self.add_entry_button,
                                         self.postpone_button, self.finish_button, stretch_at=1))
        top_layout.addWidget(self.items.view, 1)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(section("Finished reconciliations"))
        bottom_layout.addWidget(self.history.view, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setSizes([360, 200])
        layout.addWidget(split, 1)
        layout.addWidget(self.result_label)
        for a, b in ((self.statement_date, self.ending), (self.ending, self.items.view),
                     (self.items.view, self.add_entry_button), (self.add_entry_button, self.postpone_button),
                     (self.postpone_button, self.finish_button),
                     (self.finish_button, self.history.view)):
            QWidget.setTabOrder(a, b)

    def _money(self, cents: int | None) -> str:
        return fmt.money(cents, self._currency)

    # Data -------------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        hall = self.ctx.hall
        self._currency = hall.currency
        self.status = bank_status(hall)
        if self.status is not None:
            self.opening_cents = self.status.opening_balance_cents
            self.items.set_rows(self.status.items)
            if self._loaded != self.status.reconciliation_id:       # resumed: what was saved
                self._loaded = self.status.reconciliation_id
                d = self.status.statement_date
                self.statement_date.setDate(QDate(d.year, d.month, d.day))
                self.ending.setText(f"{self.status.ending_balance_cents / 100:,.2f}")
                self.items.model.set_ticked({i.ref for i in self.status.items if i.ticked})
            self.state_label.setText(f"Resuming the reconciliation saved for the statement of "
                                     f"{self.status.statement_date.isoformat()}.")
        else:
            self.opening_cents = bank_opening_balance(hall)
            rows = [BankItem(ref, kind, day, text, cents, False) for ref, kind, day, text, cents in bank_uncleared(hall)]
            self.items.set_rows(rows)
            if self._loaded is not None:
                self._loaded = None
                self.ending.clear()
                self.items.model.set_ticked(set())
            self.state_label.setText("Enter the bank statement's date and ending balance, then tick each deposit, "
                                     "payout and other line it shows (add fees, interest and checks with "
                                     "Add bank line…).")
        self.history.set_rows(bank_history(hall))
        self._update()

    def ending_cents(self) -> int | None:
        text = self.ending.text().strip()
        if not text:
            return None
        try:
            return parse_amount(text, field="ending balance", allow_zero=True)
        except ValidationError:
            return None

    def difference_cents(self) -> int | None:
        ending = self.ending_cents()
        if ending is None:
            return None
        return ending - self.cleared_cents()

    def cleared_cents(self) -> int:
        return self.opening_cents + sum(i.amount_cents for i in self.items.model.ticked_records())

    def _update(self) -> None:
        ticked = self.items.model.ticked_records()
        self.opening_label.setText(self._money(self.opening_cents))
        self.cleared_label.setText(f"{self._money(self.cleared_cents())}  ({len(ticked)} ticked)")
        diff = self.difference_cents()
        if diff is None:
            bad = bool(self.ending.text().strip())
            self.difference.setText("—")
            self.difference_note.setText("The ending balance is not an amount (for example 1,250.00)." if bad
                                         else "Difference: enter the statement's ending balance.")
            self.difference.setStyleSheet("")
        else:
            self.difference.setText(self._money(diff))
            self.difference.setStyleSheet("color: #1b7f3b;" if diff == 0 else "color: #b3261e;")
            self.difference_note.setText("Difference: zero, it can be finished." if diff == 0 else
                                         "Difference (statement − cleared); finishes only at zero.")
        self.finish_button.setEnabled(diff == 0)
        self.postpone_button.setEnabled(diff is not None)

    # Actions ----------------------------------------------------------------------------------------------

    def _save(self, finish: bool) -> BankStatement:
        ending = self.ending_cents()
        if ending is None:
            raise ValidationError("Enter the statement's ending balance (for example 1,250.00).")
        ticked = {i.ref for i in self.items.model.ticked_records()}
        saved = {i.ref for i in self.status.items if i.ticked} if self.status is not None else set()
        day: dt.date = py_date(self.statement_date)
        return reconcile_bank(self.ctx.hall, day, ending, tick=sorted(ticked - saved), untick=sorted(saved - ticked),
                              finish=finish)

    @guarded
    def add_entry(self) -> None:
        from ..dialogs.bank_entry_dialog import BankEntryDialog

        dialog = BankEntryDialog(self.ctx, self)
        if dialog.exec() and dialog.entry is not None:
            self.result_label.setText(dialog.summary())
            self.refresh()
            self.changed.emit()

    @guarded
    def postpone(self) -> None:
        view = self._save(False)
        self._loaded = view.reconciliation_id
        self.result_label.setText(f"Saved for later: statement of {view.statement_date.isoformat()}, "
                                  f"{sum(1 for i in view.items if i.ticked)} items ticked, difference "
                                  f"{self._money(view.difference_cents)}.")
        self.changed.emit()

    @guarded
    def finish(self) -> None:
        diff = self.difference_cents()
        if diff != 0:
            self.result_label.setText("A reconciliation finishes only when the difference is zero.")
            return
        n = len(self.items.model.ticked_records())
        if not confirm(self, "Finish the bank reconciliation",
                       f"Finish the reconciliation for the statement of {py_date(self.statement_date).isoformat()} "
                       f"with an ending balance of {self._money(self.ending_cents())}? Its {n} ticked items are "
                       f"recorded as cleared and it is locked.", "Finish"):
            return
        view = self._save(True)
        self._loaded = -1
        self.result_label.setText(f"Finished: statement of {view.statement_date.isoformat()}, {len(view.items)} "
                                  f"items cleared, ending balance {self._money(view.ending_balance_cents)}.")
        self.changed.emit()
