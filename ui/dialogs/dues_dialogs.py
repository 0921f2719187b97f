"""Dues dialogs: a new classification, a new rate, assessing a period (with preview), closing a period."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from treasurer import clock
from treasurer.dues import Assessment, add_classification, add_rate, assess, preview_assessment
from treasurer.errors import UserFacingError
from treasurer.models import FREQUENCIES
from treasurer.money import parse_amount
from treasurer.periods import close_period, next_period, period_for_date

from .. import fmt, queries
from ..context import AppContext
from .officer_pin import officer_combo, pin_field, remind_short_pins


def date_edit(day: dt.date, name: str) -> QDateEdit:
    edit = QDateEdit(QDate(day.year, day.month, day.day))
    edit.setObjectName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


def py_date(edit: QDateEdit) -> dt.date:
    q = edit.date()
    return dt.date(q.year(), q.month(), q.day())


class FormDialog(QDialog):
    """A form, an inline error line and OK/Cancel; ``apply()`` does the work and may raise UserFacingError."""

    ok_text = "Save"

    def __init__(self, ctx: AppContext, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("inline-error")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.addButton(self.ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("ok")
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.note)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def apply(self) -> bool | None:
        """Do the work; return False to stay open with nothing done (a confirmation was declined)."""
        raise NotImplementedError

    def _ok(self) -> None:
        try:
            if self.apply() is False:
                return
        except UserFacingError as exc:
            self.error.setText(str(exc))
            return
        self.accept()


class ClassificationDialog(FormDialog):
    ok_text = "Add classification"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, "New classification", parent)
        self.name = QLineEdit()
        self.frequency = QComboBox()
        self.frequency.addItems(list(FREQUENCIES))
        self.rate = QLineEdit()
        self.per_capita = QLineEdit("0")
        self.start = date_edit(dt.date(clock.today().year, 1, 1), "start")
        self.form.addRow("&Name", self.name)
        self.form.addRow("&Billed", self.frequency)
        self.form.addRow("&Dues per period", self.rate)
        self.form.addRow("&Per capita (of which)", self.per_capita)
        self.form.addRow("&From", self.start)

    def apply(self) -> None:
        add_classification(self.ctx.hall, self.name.text(), parse_amount(self.rate.text(), field="rate"),
                           self.frequency.currentText(), py_date(self.start),
                           parse_amount(self.per_capita.text(), field="per-capita amount", allow_zero=True))


class RateDialog(FormDialog):
    ok_text = "Add rate"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, classification: str = ""):
        super().__init__(ctx, "New dues rate", parent)
        self.classification = QComboBox()
        self.classification.setObjectName("classification")
        self.classification.addItems(queries.classification_names(ctx.hall))
        if classification:
            self.classification.setCurrentText(classification)
        self.rate = QLineEdit()
        self.rate.setObjectName("rate")
        self.per_capita = QLineEdit("0")
        self.start = date_edit(dt.date(clock.today().year + 1, 1, 1), "start")
        self.form.addRow("&Classification", self.classification)
        self.form.addRow("&Dues per period", self.rate)
        self.form.addRow("&Per capita (of which)", self.per_capita)
        self.form.addRow("In force &from", self.start)
        self.note.setText("Earlier rates stay as they were: periods already charged keep their amounts.")

    def apply(self) -> None:
        add_rate(self.ctx.hall, self.classification.currentText(), parse_amount(self.rate.text(), field="rate"),
                 py_date(self.start), parse_amount(self.per_capita.text(), field="per-capita amount",
                                                   allow_zero=True))


class AssessDialog(FormDialog):
    """Shows what assessing would add before it is done, then what it did."""

    ok_text = "Assess"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, "Assess a period", parent)
        self.setObjectName("assess-dialog")
        self.result: Assessment | None = None
        self.period = QComboBox()
        self.period.setObjectName("period")
        self.period.setEditable(True)
        today = clock.today()
        choices = []
        for frequency in ("monthly", "quarterly"):
            span = period_for_date(today, frequency)
            choices += [span.code, next_period(span).code]
        self.period.addItems(choices)
        # Offer the first period that still has someone to charge (this month is often done already).
        for code in choices:
            if preview_assessment(ctx.hall, code).charges:
                self.period.setCurrentText(code)
                break
        self.form.addRow("&Period (2026-12 or 2026-Q4)", self.period)
        self.preview = QLabel()
        self.preview.setObjectName("preview")
        self.preview.setWordWrap(True)
        self.form.addRow(self.preview)
        self.period.currentTextChanged.connect(self.update_preview)
        self.update_preview()

    def update_preview(self, *args) -> None:
        cur = self.ctx.hall.currency
        try:
            plan = preview_assessment(self.ctx.hall, self.period.currentText())
        except UserFacingError as exc:
            self.preview.setText(str(exc))
            self.ok_button.setEnabled(False)
            return
        text = (f"Assessing {plan.period} adds {plan.charges:,} charge{'s' if plan.charges != 1 else ''} "
                f"totalling {fmt.money(plan.total_cents, cur)}.")
        if plan.already_assessed:
            text += f" {plan.already_assessed:,} members already have their charge for it (not charged twice)."
        if plan.no_rate:
            text += f" No rate in force for: {', '.join(plan.no_rate)}."
        self.preview.setText(text)
        self.ok_button.setEnabled(plan.charges > 0)

    def apply(self) -> None:
        self.result = assess(self.ctx.hall, self.period.currentText())


class ClosePeriodDialog(FormDialog):
    ok_text = "Close period"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, period: str = ""):
        super().__init__(ctx, "Close a period", parent)
        self.setObjectName("close-period-dialog")
        self.period = QComboBox()
        self.period.setObjectName("period")
        open_codes = sorted((p.code for p in queries.period_rows(ctx.hall) if not p.closed), reverse=True)
        self.period.addItems(open_codes)
        if period:
            self.period.setCurrentText(period)
        self.officer = officer_combo(ctx)
        self.pin = pin_field()
        self.note_text = QLineEdit()
        self.note_text.setObjectName("note")
        self.note_text.setPlaceholderText("e.g. books closed at the December meeting")
        self.form.addRow("&Period", self.period)
        self.form.addRow("&Officer", self.officer)
        self.form.addRow("P&IN", self.pin)
        self.form.addRow("&Note", self.note_text)
        self.closing = None
        self.note.setText("A closed period takes no new charges, payments or adjustments dated in it until it is "
                          "reopened, and the reopening is recorded with its reason. Closing records the audit "
                          "log's anchor for the trustees to keep.")

    def apply(self) -> None:
        if not self.note_text.text().strip():
            raise UserFacingError("Closing a period needs a note (why, or at which meeting).")
        self.closing = close_period(self.ctx.hall, self.period.currentText(), self.officer.currentText(),
                                    self.note_text.text(), self.pin.text())
        remind_short_pins(self, [(self.officer.currentText(), self.pin.text())])

