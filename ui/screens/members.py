"""Members: the roll with standing, filters, add/edit, CSV import, suspending those in arrears, each member's page."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QVBoxLayout, QWidget

from treasurer.models import MEMBER_STATUSES

from .. import fmt, queries
from ..context import AppContext
from ..errors import guarded
from ..look import icon
from ..queries import MemberRow
from ..table_model import Column
from .base import Screen, Table, search_box, toolbar_row

ARREARS_FILTERS = {"Any standing": None, "In arrears": 1, "3+ months behind": 3, "6+ months behind": 6,
                   "Credit on account": -1}


def member_columns(currency_of) -> list[Column]:
    return [
        Column("Number", lambda r: r.number, sort=lambda r: r.number.rjust(20), width=90),
        Column("Name", lambda r: r.name, sort=lambda r: r.name.casefold(), width=200),
        Column("Classification", lambda r: r.classification, width=170),
        Column("Status", lambda r: r.status.capitalize(), width=90),
        Column("Paid through", lambda r: r.standing.paid_through or "—", sort=lambda r: r.standing.paid_through or "",
               width=100),
        Column("Balance", lambda r: fmt.money(r.balance_cents, currency_of()), sort=lambda r: r.balance_cents,
               numeric=True, warn=lambda r: r.standing.overdue_cents > 0, width=100),
        Column("Months in arrears", lambda r: r.months_in_arrears or "", sort=lambda r: r.months_in_arrears,
               numeric=True, warn=lambda r: r.months_in_arrears >= 3, width=130),
        Column("Email", lambda r: r.email),
    ]


class MembersScreen(Screen):
    title = "Members"
    icon_name = "members"
    changed = Signal()             # something was written: the window refreshes every screen
    slips_requested = Signal(list)  # member numbers chosen here, for the Slips screen

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self._currency = "usd"
        layout = QVBoxLayout(self)
        self.summary = self.page_header(layout, " ")
        self.table = Table(ctx, "members", member_columns(lambda: self._currency), lambda r: r.search, self,
                           follows_changes=True)
        self.search = search_box("Search by number, name, email or phone (Ctrl+F)", self.table.proxy.set_search)
        self.status_filter = QComboBox()
        self.status_filter.setObjectName("status-filter")
        self.status_filter.addItems(["All statuses", *[s.capitalize() for s in MEMBER_STATUSES]])
        self.status_filter.currentIndexChanged.connect(self._status_changed)
        self.class_filter = QComboBox()
        self.class_filter.setObjectName("class-filter")
        self.class_filter.currentIndexChanged.connect(self._class_changed)
        self.arrears_filter = QComboBox()
        self.arrears_filter.setObjectName("arrears-filter")
        self.arrears_filter.addItems(list(ARREARS_FILTERS))
        self.arrears_filter.currentIndexChanged.connect(self._arrears_changed)
        self.add_button = QPushButton(icon("add"), "New member…")
        self.add_button.setObjectName("new-member")
        self.add_button.setToolTip("Add a member (Ctrl+N)")
        self.add_button.clicked.connect(self.new_member)
        self.import_button = QPushButton(icon("import"), "Import CSV…")
        self.import_button.setObjectName("import-members")
        self.import_button.clicked.connect(self.import_csv)
        self.suspend_button = QPushButton("Suspend in arrears…")
        self.suspend_button.setObjectName("suspend-arrears")
        self.suspend_button.setToolTip("Suspend every active member some months behind (previewed first)")
        self.suspend_button.clicked.connect(self.suspend_in_arrears)
        self.open_button = QPushButton("Open member")
        self.open_button.clicked.connect(self._open_current)
        self.slips_button = QPushButton(icon("slips"), "Slips for selected…")
        self.slips_button.setObjectName("slips-for-selected")
        self.slips_button.setToolTip("Make payment slips for the members selected in the table")
        self.slips_button.clicked.connect(
            lambda: self.slips_requested.emit([r.number for r in self.table.view.selected_records()]))
        # Finding members on one row, acting on them on the next: one row cut the search box's hint short.
        find = toolbar_row(self.search, self.status_filter, self.class_filter, self.arrears_filter, stretch_at=4)
        find.setStretch(0, 2)
        layout.addLayout(find)
        layout.addLayout(toolbar_row(self.open_button, self.slips_button, self.suspend_button, self.add_button,
                                     self.import_button, stretch_at=3))
        layout.addWidget(self.table.view, 1)
        self.count_label = QLabel()
        self.count_label.setObjectName("page-subtitle")
        self.result_label = QLabel()
        self.result_label.setObjectName("members-result")
        self.result_label.setWordWrap(True)
        layout.addLayout(toolbar_row(self.count_label, self.result_label, stretch_at=1))
        self.table.view.activated_record.connect(self.open_member)
        self.table.proxy.rowsInserted.connect(self._count)
        self.table.proxy.rowsRemoved.connect(self._count)
        self.table.proxy.modelReset.connect(self._count)
        self.table.proxy.layoutChanged.connect(self._count)
        self.setTabOrder(self.search, self.status_filter)
        self.setTabOrder(self.status_filter, self.class_filter)
        self.setTabOrder(self.class_filter, self.arrears_filter)
        self.setTabOrder(self.arrears_filter, self.table.view)

    def refresh(self) -> None:
        self._currency = self.currency
        self.table.set_rows(self.ctx.member_rows())
        self._fill_classes()
        self._summarise()

    def follow(self, changes) -> Callable[[], None] | None:
        """In a pool thread, after relay events: the members they touched, read again with their standing."""
        if not changes.member_ids:
            return None
        rows = queries.member_rows(self.hall, member_ids=changes.member_ids)
        return lambda: self.update_rows(rows)

    def update_rows(self, rows: list[MemberRow]) -> None:
        """These members' rows in place; the rest of the roll, the selection and the scroll stay."""
        self.table.upsert(rows)
        self._summarise()

    def _summarise(self) -> None:
        rows = self.table.model.rows
        owed = sum(r.balance_cents for r in rows if r.balance_cents > 0)
        behind = sum(1 for r in rows if r.months_in_arrears)
        self.summary.setText(f"{len(rows):,} members · {behind:,} in arrears · "
                             f"{fmt.money(owed, self._currency)} owed")
        self._count()

    def _fill_classes(self) -> None:
        current = self.class_filter.currentText()
        names = queries.classification_names(self.hall)
        self.class_filter.blockSignals(True)
        self.class_filter.clear()
        self.class_filter.addItems(["All classifications", *names])
        if current in names:
            self.class_filter.setCurrentText(current)
        self.class_filter.blockSignals(False)

    def _count(self, *args) -> None:
        shown, total = self.table.proxy.rowCount(), self.table.model.rowCount()
        self.count_label.setText(f"Showing {shown:,} of {total:,} members" if shown != total else
                                 f"{total:,} members")

    def _status_changed(self, index: int) -> None:
        status = MEMBER_STATUSES[index - 1] if index > 0 else None
        self.table.proxy.set_predicate("status", (lambda r: r.status == status) if status else None)

    def _class_changed(self, index: int) -> None:
        name = self.class_filter.itemText(index) if index > 0 else None
        self.table.proxy.set_predicate("class", (lambda r: r.classification == name) if name else None)

    def _arrears_changed(self, index: int) -> None:
        months = ARREARS_FILTERS[self.arrears_filter.itemText(index)]
        if months is None:
            predicate = None
        elif months < 0:
            def predicate(r: MemberRow) -> bool:
                return r.balance_cents < 0
        else:
            def predicate(r: MemberRow) -> bool:
                return r.months_in_arrears >= months
        self.table.proxy.set_predicate("arrears", predicate)

    @guarded
    def new_member(self) -> None:
        from ..dialogs.member_dialog import MemberDialog

        dialog = MemberDialog(self.ctx, None, self)
        if dialog.exec():
            self.changed.emit()

    @guarded
    def import_csv(self) -> None:
        from ..dialogs.import_dialog import ImportDialog

        dialog = ImportDialog(self.ctx, self)
        if dialog.exec():
            self.changed.emit()

    @guarded
    def suspend_in_arrears(self, *args) -> None:
        from ..dialogs.suspend_arrears_dialog import SuspendArrearsDialog

        wanted = ARREARS_FILTERS[self.arrears_filter.currentText()]
        dialog = SuspendArrearsDialog(self.ctx, self, wanted if wanted and wanted > 0 else 3)
        if dialog.exec() and dialog.suspended is not None:
            self.result_label.setText(dialog.result_text())
            self.changed.emit()

    def _open_current(self) -> None:
        record = self.table.view.current_record()
        if record is not None:
            self.open_member(record)

    @guarded
    def open_member(self, record: MemberRow) -> None:
        from .member_page import MemberPage

        page = MemberPage(self.ctx, record.number, self)
        page.changed.connect(self.changed)
        page.exec()
