"""Suspending members in arrears in bulk: how many months behind, who exactly, a confirmation, then the work.

The preview and the suspension both walk every member's standing, so they run off the UI thread.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from treasurer.arrears import Arrear, members_in_arrears, suspend_in_arrears
from treasurer.hall import Hall

from .. import fmt
from ..context import AppContext
from ..errors import confirm, message_for
from ..workers import run_in_background


def who_would_be_suspended(hall: Hall, months: int) -> list[Arrear]:
    """What ``suspend_in_arrears`` suspends: active members at least ``months`` behind, oldest arrears first."""
    return [a for a in members_in_arrears(hall, months) if a.status == "active"]


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


class SuspendArrearsDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None, months: int = 3):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("suspend-arrears-dialog")
        self.setWindowTitle("Suspend members in arrears")
        self.resize(560, 480)
        self.previewed: list[Arrear] = []
        self.suspended: list[Arrear] | None = None
        self._asked = 0          # the newest preview asked for; older answers are dropped
        self._busy = False
        self._done = False
        self.months = QSpinBox()
        self.months.setObjectName("months")
        self.months.setRange(1, 120)
        self.months.setValue(months)
        self.months.setSuffix(" months or more")
        self.summary = QLabel("Finding who is behind…")
        self.summary.setObjectName("preview")
        self.summary.setWordWrap(True)
        self.names = QTableWidget(0, 4)
        self.names.setObjectName("names")
        self.names.setHorizontalHeaderLabels(["Member", "Name", "Months behind", "Overdue"])
        self.names.verticalHeader().hide()
        self.names.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.names.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.names.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column in (0, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.error = QLabel()
        self.error.setObjectName("inline-error")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.addButton("Suspend…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("ok")
        self.ok_button.setEnabled(False)
        self.buttons.accepted.connect(self.suspend)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&Behind by", self.months)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.names, 1)
        note = QLabel("Only active members are suspended. Suspended members are not assessed dues until their "
                      "status is changed back on their page; each suspension is in the audit log with its reason.")
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.months.valueChanged.connect(self.update_preview)
        self.update_preview()

    # Preview ------------------------------------------------------------------------------------------------

    def update_preview(self, *args) -> None:
        self._asked += 1
        asked, months, hall = self._asked, self.months.value(), self.ctx.hall
        self.ok_button.setEnabled(False)
        self.summary.setText("Finding who is behind…")
        run_in_background(lambda: who_would_be_suspended(hall, months),
                          lambda found, error: self._previewed(asked, months, found, error), owner=self)

    def _previewed(self, asked: int, months: int, found: list[Arrear] | None, error: BaseException | None) -> None:
        if self._done or asked != self._asked:
            return
        if error is not None:
            self.summary.setText(message_for(error))
            return
        self.previewed = found or []
        cur = self.ctx.hall.currency
        self.names.setRowCount(len(self.previewed))
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for row, a in enumerate(self.previewed):
            cells = [(a.member_number, None), (a.name, None), (str(a.standing.months_in_arrears), right),
                     (fmt.money(a.standing.overdue_cents, cur), right)]
            for column, (text, align) in enumerate(cells):
                item = QTableWidgetItem(text)
                if align is not None:
                    item.setTextAlignment(align)
                self.names.setItem(row, column, item)
        n = len(self.previewed)
        if n:
            self.summary.setText(f"{plural(n, 'active member')} {'is' if n == 1 else 'are'} {months}+ months behind "
                                 f"and would be suspended:")
        else:
            self.summary.setText(f"No active member is {months}+ months behind: nobody would be suspended.")
        self.ok_button.setText(f"Suspend {plural(n, 'member')}…" if n else "Suspend…")
        self.ok_button.setEnabled(n > 0)

    # Doing it -----------------------------------------------------------------------------------------------

    def suspend(self) -> None:
        if not self.previewed or self._busy:
            return
        n, months = len(self.previewed), self.months.value()
        shown = ", ".join(a.name for a in self.previewed[:5]) + (f" and {n - 5:,} more" if n > 5 else "")
        if not confirm(self, "Suspend members",
                       f"Suspend {plural(n, 'member')} {months}+ months behind ({shown})? They will not be "
                       f"assessed dues while suspended.", f"Suspend {plural(n, 'member')}"):
            return
        self._set_busy(True)
        hall = self.ctx.hall
        run_in_background(lambda: suspend_in_arrears(hall, months), self._suspended, owner=self)

    def _suspended(self, done: list[Arrear] | None, error: BaseException | None) -> None:
        self._set_busy(False)
        if error is not None:
            self.error.setText(message_for(error))
            return
        self.suspended = done or []
        self._done = True
        self.accept()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.months.setEnabled(not busy)
        self.buttons.setEnabled(not busy)
        if busy:
            self.summary.setText(f"Suspending {plural(len(self.previewed), 'member')}…")

    def reject(self) -> None:
        if self._busy:          # the write is under way: it finishes (or fails) before the dialog closes
            return
        self._done = True
        super().reject()

    def result_text(self) -> str:
        """What the Members screen says afterwards, including anyone who changed since the preview."""
        done = self.suspended or []
        text = f"Suspended {plural(len(done), 'member')} {self.months.value()}+ months in arrears."
        previewed = {a.member_id for a in self.previewed}
        got = {a.member_id for a in done}
        if got != previewed:
            text += (f" The books changed after the preview: {plural(len(previewed - got), 'member')} no longer "
                     f"qualified, {plural(len(got - previewed), 'member')} newly did.")
        return text
