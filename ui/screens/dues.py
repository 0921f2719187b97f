"""Dues: classifications and their rate history, periods (assess, close, reopen), adjustments (request)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from treasurer.errors import UserFacingError
from treasurer.periods import anchor_text

from .. import fmt, queries
from ..context import AppContext
from ..errors import guarded
from ..look import icon
from ..table_model import Column
from .base import Screen, Table, search_box, toolbar_row


class DuesScreen(Screen):
    title = "Dues"
    icon_name = "dues"
    changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self._currency = "usd"
        cur = lambda: self._currency  # noqa: E731
        layout = QVBoxLayout(self)
        self.page_header(layout, "Rates change from a date on and old rates stay; a period is charged once per "
                                 "member; credits need a second officer.")
        self.rates = Table(ctx, "rates", [
            Column("Classification", lambda r: r.classification, width=190),
            Column("Billed", lambda r: r.frequency, width=90),
            Column("Dues", lambda r: fmt.money(r.amount_cents, cur()), sort=lambda r: r.amount_cents,
                   numeric=True, width=90),
            Column("Per capita", lambda r: fmt.money(r.per_capita_cents, cur()), sort=lambda r: r.per_capita_cents,
                   numeric=True, width=90),
            Column("From", lambda r: fmt.day(r.effective_from), sort=lambda r: r.effective_from.isoformat(),
                   width=100),
            Column("In force", lambda r: "yes" if r.in_force else "", width=70),
            Column("Members", lambda r: r.members, numeric=True),
        ], lambda r: r.search, self)
        self.periods = Table(ctx, "periods", [
            Column("Period", lambda r: r.code, sort=lambda r: r.starts_on.isoformat() + r.code, width=90),
            Column("Billed", lambda r: r.frequency, width=90),
            Column("Due", lambda r: fmt.day(r.due_on), sort=lambda r: r.due_on.isoformat(), width=100),
            Column("Grace ends", lambda r: fmt.day(r.grace_ends_on), sort=lambda r: r.grace_ends_on.isoformat(),
                   width=100),
            Column("Charges", lambda r: f"{r.charges:,}", sort=lambda r: r.charges, numeric=True, width=80),
            Column("Total", lambda r: fmt.money(r.total_cents, cur()), sort=lambda r: r.total_cents, numeric=True,
                   width=110),
            Column("State", lambda r: "closed" if r.closed else "open"),
        ], lambda r: r.search, self, newest_first_by=0)
        self.adjustments = Table(ctx, "adjustments", [
            Column("#", lambda r: r.id, numeric=True, width=50),
            Column("Member", lambda r: r.member_number, sort=lambda r: r.member_number.rjust(20), width=85),
            Column("Name", lambda r: r.member_name, width=160),
            Column("Kind", lambda r: fmt.kind(r.kind), width=120),
            Column("Amount", lambda r: fmt.money(r.amount_cents, cur()), sort=lambda r: r.amount_cents,
                   numeric=True, width=90),
            Column("Effective", lambda r: fmt.day(r.effective_on), sort=lambda r: r.effective_on.isoformat(),
                   width=95),
            Column("State", lambda r: r.state, width=130),
            Column("Requested by", lambda r: r.requested_by, width=110),
            Column("Reason", lambda r: r.reason),
        ], lambda r: r.search, self, newest_first_by=0)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._page(self.rates, [
            self._button("New classification…", "new-class", self.new_classification, "add"),
            self._button("New rate…", "new-rate", self.new_rate, "add")]), "Classifications and rates")
        self.tabs.addTab(self._page(self.periods, [
            self._button("Assess period…", "assess", self.assess_period, "dues"),
            self._button("Close period…", "close-period", self.close_period),
            self._button("Reopen period…", "reopen-period", self.reopen_period)]), "Periods")
        self.tabs.addTab(self._page(self.adjustments, [
            self._button("Request adjustment…", "request-adjustment", self.request_adjustment, "add")]),
            "Adjustments")
        layout.addWidget(self.tabs, 1)
        self.result_label = QLabel()
        self.result_label.setObjectName("dues-result")
        self.result_label.setWordWrap(True)
        layout.addWidget(self.result_label)

    def _button(self, text: str, name: str, slot, icon_name: str | None = None) -> QPushButton:
        button = QPushButton(icon(icon_name), text) if icon_name else QPushButton(text)
        button.setObjectName(name)
        button.clicked.connect(slot)
        setattr(self, name.replace("-", "_") + "_button", button)
        return button

    def _page(self, table: Table, buttons: list[QPushButton]) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        search = search_box("Filter (Ctrl+F)", table.proxy.set_search)
        column.addLayout(toolbar_row(search, *buttons, stretch_at=1))
        column.addWidget(table.view, 1)
        return page

    def focus_search(self) -> None:
        search = self.tabs.currentWidget().findChild(QWidget, "search")
        if search is not None:
            search.setFocus()

    def refresh(self) -> None:
        self._currency = self.currency
        self.rates.set_rows(queries.rate_rows(self.hall))
        self.periods.set_rows(queries.period_rows(self.hall))
        self.adjustments.set_rows(queries.adjustment_rows(self.hall))

    def _run(self, dialog) -> bool:
        if dialog.exec():
            self.changed.emit()
            return True
        return False

    @guarded
    def new_classification(self) -> None:
        from ..dialogs.dues_dialogs import ClassificationDialog

        self._run(ClassificationDialog(self.ctx, self))

    @guarded
    def new_rate(self) -> None:
        from ..dialogs.dues_dialogs import RateDialog

        current = self.rates.view.current_record()
        self._run(RateDialog(self.ctx, self, current.classification if current else ""))

    @guarded
    def assess_period(self) -> None:
        from ..dialogs.dues_dialogs import AssessDialog

        dialog = AssessDialog(self.ctx, self)
        if self._run(dialog) and dialog.result is not None:
            r = dialog.result
            self.result_label.setText(
                f"Assessed {r.period}: {r.charges:,} charge{'s' if r.charges != 1 else ''} for "
                f"{fmt.money(r.total_cents, self.currency)}" +
                (f"; {r.already_assessed:,} already had theirs." if r.already_assessed else "."))

    @guarded
    def close_period(self) -> None:
        from ..dialogs.dues_dialogs import ClosePeriodDialog

        current = self.periods.view.current_record()
        dialog = ClosePeriodDialog(self.ctx, self, current.code if current else "")
        if self._run(dialog):
            anchor = anchor_text(dialog.closing) if dialog.closing is not None else ""
            self.result_label.setText(f"Closed {dialog.period.currentText()}. Anchor {anchor}: give it to the "
                                      f"trustees ('treasurer audit verify --expect {anchor}' checks it).")

    @guarded
    def reopen_period(self) -> None:
        from ..dialogs.reopen_period_dialog import ReopenPeriodDialog

        if not any(p.closed for p in self.periods.model.rows):
            raise UserFacingError("No period is closed, so there is nothing to reopen.")
        current = self.periods.view.current_record()
        dialog = ReopenPeriodDialog(self.ctx, self, current.code if current else "")
        if self._run(dialog):
            self.result_label.setText(f"Reopened {dialog.period.currentText()}: the reopening is recorded with "
                                      f"its reason. Close it again when the correction is in.")

    @guarded
    def request_adjustment(self) -> None:
        from ..dialogs.adjustment_dialog import AdjustmentDialog

        if self._run(AdjustmentDialog(self.ctx, self)):
            self.result_label.setText("Adjustment requested: a second officer approves or denies it in Review.")
