"""Add or edit a member; problems are shown in the dialog, which stays open until they are fixed."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from treasurer.errors import UserFacingError
from treasurer.members import MemberData, add_member, find_member, update_member
from treasurer.models import MEMBER_STATUSES

from .. import queries
from ..context import AppContext


class MemberDialog(QDialog):
    def __init__(self, ctx: AppContext, member_number: str | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.original_number = member_number
        self.setWindowTitle("Edit member" if member_number else "New member")
        self.setObjectName("member-dialog")
        self.number = QLineEdit()
        self.number.setObjectName("number")
        self.first = QLineEdit()
        self.first.setObjectName("first")
        self.last = QLineEdit()
        self.last.setObjectName("last")
        self.classification = QComboBox()
        self.classification.setObjectName("classification")
        self.classification.addItems(queries.classification_names(ctx.hall))
        # A new member's classification is chosen, never guessed: nothing preselected.
        self.classification.setPlaceholderText("Choose a classification")
        self.classification.setCurrentIndex(-1)
        self.status = QComboBox()
        self.status.setObjectName("status")
        for status in MEMBER_STATUSES:          # shown as the Members table shows them, stored as the code
            self.status.addItem(status.capitalize(), status)
        self.email = QLineEdit()
        self.email.setObjectName("email")
        self.phone = QLineEdit()
        self.phone.setObjectName("phone")
        self.address = QPlainTextEdit()
        self.address.setObjectName("address")
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(60)
        self.has_join = QCheckBox("Joined on")
        self.join = QDateEdit(QDate.currentDate())
        self.join.setCalendarPopup(True)
        self.join.setDisplayFormat("yyyy-MM-dd")
        self.join.setEnabled(False)
        self.has_join.toggled.connect(self.join.setEnabled)
        join_row = QHBoxLayout()
        join_row.addWidget(self.has_join)
        join_row.addWidget(self.join, 1)
        self.notes = QLineEdit()
        self.error = QLabel()
        self.error.setObjectName("inline-error")
        self.error.setWordWrap(True)
        self.error.hide()

        form = QFormLayout()
        form.addRow("Member &number", self.number)
        form.addRow("&First name", self.first)
        form.addRow("&Last name", self.last)
        form.addRow("&Classification", self.classification)
        form.addRow("&Status", self.status)
        form.addRow("&Email", self.email)
        form.addRow("&Phone", self.phone)
        form.addRow("&Address", self.address)
        form.addRow("Join date", join_row)
        form.addRow("N&otes", self.notes)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("save")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        if member_number:
            self._load(member_number)
        self.number.setFocus()

    def _load(self, number: str) -> None:
        with self.ctx.hall.read() as s:
            m = find_member(s, number)
            klass = m.classification.name
        self.number.setText(m.member_number)
        self.first.setText(m.first_name)
        self.last.setText(m.last_name)
        self.classification.setCurrentText(klass)
        self.status.setCurrentIndex(self.status.findData(m.status))
        self.email.setText(m.email)
        self.phone.setText(m.phone)
        self.address.setPlainText(m.address)
        self.notes.setText(m.notes)
        if m.join_date:
            self.has_join.setChecked(True)
            self.join.setDate(QDate(m.join_date.year, m.join_date.month, m.join_date.day))

    def data(self) -> MemberData:
        joined = None
        if self.has_join.isChecked():
            q = self.join.date()
            joined = dt.date(q.year(), q.month(), q.day())
        return MemberData(self.number.text(), self.first.text(), self.last.text(), self.classification.currentText(),
                          email=self.email.text(), phone=self.phone.text(), address=self.address.toPlainText(),
                          status=self.status.currentData(), join_date=joined, notes=self.notes.text())

    def save(self) -> None:
        try:
            if self.original_number:
                update_member(self.ctx.hall, self.original_number, self.data())
            else:
                add_member(self.ctx.hall, self.data())
        except UserFacingError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        self.accept()
