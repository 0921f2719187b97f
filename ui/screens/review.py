"""Review: everything waiting for a person's decision, in one list; approve or deny with a PIN."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from .. import fmt
from ..context import AppContext
from ..errors import guarded
from ..look import icon
from ..review_items import KINDS, ReviewItem, review_items
from ..table_model import Column
from .base import Screen, Table, search_box, toolbar_row


class ReviewScreen(Screen):
    title = "Review"
    icon_name = "review"
    changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self._currency = "usd"
        layout = QVBoxLayout(self)
        self.page_header(layout, "Everything that waits for a person. Adjustments need a second officer's approval "
                                 "with their PIN; what the relay could not settle (an unmatched payment, a refund, "
                                 "a dispute) is resolved with a note, kept in the audit log.")
        self.table = Table(ctx, "review", [
            Column("Waiting since", lambda r: fmt.stamp(r.created_at), sort=lambda r: r.created_at, width=130),
            Column("Kind", lambda r: KINDS[r.kind].label if r.kind in KINDS else r.kind, width=190),
            Column("Item", lambda r: r.title, width=150),
            Column("Member", lambda r: f"{r.member_name} ({r.member_number})" if r.member_number else "", width=210),
            Column("Amount", lambda r: fmt.money(r.amount_cents, self._currency), sort=lambda r: r.amount_cents,
                   numeric=True, width=90),
            Column("Requested by", lambda r: r.requested_by, width=110),
            Column("Details", lambda r: r.detail, tooltip=lambda r: r.detail),
        ], lambda r: r.search, self)
        self.search = search_box("Filter (Ctrl+F)", self.table.proxy.set_search)
        self.approve_button = QPushButton(icon("approve"), "Approve…")
        self.approve_button.setObjectName("approve")
        self.approve_button.clicked.connect(lambda: self.decide(True))
        self.deny_button = QPushButton(icon("deny"), "Deny…")
        self.deny_button.setObjectName("deny")
        self.deny_button.clicked.connect(lambda: self.decide(False))
        self.resolve_button = QPushButton("Resolve…")
        self.resolve_button.setObjectName("resolve")
        self.resolve_button.clicked.connect(lambda: self.resolve())
        layout.addLayout(toolbar_row(self.search, self.approve_button, self.deny_button, self.resolve_button,
                                     stretch_at=1))
        layout.addWidget(self.table.view, 1)
        # The selected item's details in full: a refund's or a dispute's story does not fit in a column.
        self.details = QLabel("Select an item to read its details in full.")
        self.details.setObjectName("review-details")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.details)
        self.result_label = QLabel()
        self.result_label.setObjectName("review-result")
        layout.addWidget(self.result_label)
        self.table.view.activated_record.connect(self._open)
        self.table.view.selectionModel().currentRowChanged.connect(lambda *_: self._enable())
        self._enable()

    def _enable(self) -> None:
        item = self.table.view.current_record()
        self.details.setText(f"{item.title}: {item.detail}" if item is not None else
                             "Select an item to read its details in full.")
        kind = KINDS.get(item.kind) if item is not None else None
        self.approve_button.setEnabled(kind is not None and kind.decide is not None)
        self.deny_button.setEnabled(kind is not None and kind.decide is not None)
        self.resolve_button.setEnabled(kind is not None and kind.resolve is not None)

    def _open(self, item: ReviewItem) -> None:
        kind = KINDS.get(item.kind)
        if kind is not None and kind.decide is not None:
            self.decide(True, item)
        elif kind is not None:
            self.resolve(item)

    def refresh(self) -> None:
        self._currency = self.currency
        self.table.set_rows(review_items(self.hall))
        self._enable()

    def waiting_count(self) -> int:
        return self.table.model.rowCount()

    @guarded
    def decide(self, approve: bool, item: ReviewItem | None = None) -> None:
        from ..dialogs.decision_dialog import DecisionDialog

        item = item or self.table.view.current_record()
        if item is None:
            self.result_label.setText("Select an item first.")
            return
        if KINDS[item.kind].decide is None:
            self.result_label.setText(f"{item.title} is resolved with a note, not approved: use Resolve.")
            return
        dialog = DecisionDialog(self.ctx, item, approve, self)
        if dialog.exec():
            self.result_label.setText(f"{'Approved' if approve else 'Denied'} {item.title}.")
            self.changed.emit()

    @guarded
    def resolve(self, item: ReviewItem | None = None) -> None:
        from ..dialogs.resolve_dialog import ResolveDialog

        item = item or self.table.view.current_record()
        if item is None:
            self.result_label.setText("Select an item first.")
            return
        if KINDS[item.kind].resolve is None:
            self.result_label.setText(f"{item.title} needs an officer's decision: use Approve or Deny.")
            return
        if ResolveDialog(self.ctx, item, self).exec():
            self.result_label.setText(f"Resolved {item.title}.")
            self.changed.emit()
