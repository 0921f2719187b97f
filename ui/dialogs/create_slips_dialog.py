"""Choosing who gets a slip and what it covers, with the count and total before anything is made."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from treasurer import clock
from treasurer.errors import UserFacingError
from treasurer.members import find_member
from treasurer.periods import parse_period, period_for_date
from treasurer.slips import owed

from .. import fmt, queries
from ..context import AppContext


@dataclasses.dataclass(frozen=True)
class SlipRequest:
    period: str
    members: list[str] | None      # None: every active or retired member who owes
    arrears: bool
    count: int
    total_cents: int


class CreateSlipsDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None, selected: list[str] | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.request: SlipRequest | None = None
        self.setObjectName("create-slips-dialog")
        self.setWindowTitle("Create payment slips")
        self.period = QComboBox()
        self.period.setObjectName("period")
        self.period.setEditable(True)
        codes = sorted({p.code for p in queries.period_rows(ctx.hall)}, reverse=True)
        current = period_for_date(clock.today(), "monthly").code
        self.period.addItems(codes or [current])
        self.period.setCurrentText(current if current in codes or not codes else codes[0])
        self.who_all = QRadioButton("Every active member who owes")
        self.who_arrears = QRadioButton("Only members in arrears")
        self.who_some = QRadioButton("Only these members:")
        self.who_all.setChecked(True)
        self.numbers = QLineEdit(", ".join(selected or []))
        self.numbers.setObjectName("numbers")
        self.numbers.setPlaceholderText("member numbers, separated by commas")
        self.numbers.textEdited.connect(lambda _: self.who_some.setChecked(True))
        if selected:
            self.who_some.setChecked(True)
        who = QButtonGroup(self)
        for button in (self.who_all, self.who_arrears, self.who_some):
            who.addButton(button)
        self.cover_period = QRadioButton("This period only")
        self.cover_arrears = QRadioButton("Everything owed up to and including this period")
        self.cover_period.setChecked(True)
        covers = QButtonGroup(self)
        covers.addButton(self.cover_period)
        covers.addButton(self.cover_arrears)
        self.plan = QLabel(" ")
        self.plan.setObjectName("plan")
        self.plan.setWordWrap(True)
        for signal in (self.period.currentTextChanged, self.numbers.textChanged):
            signal.connect(self.update_plan)
        for button in (self.who_all, self.who_arrears, self.who_some, self.cover_period, self.cover_arrears):
            button.toggled.connect(self.update_plan)
        form = QFormLayout()
        form.addRow("&Period", self.period)
        form.addRow("Who", self.who_all)
        form.addRow("", self.who_arrears)
        form.addRow("", self.who_some)
        form.addRow("", self.numbers)
        form.addRow("Covers", self.cover_period)
        form.addRow("", self.cover_arrears)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.create_button = buttons.addButton("Create payment links", QDialogButtonBox.ButtonRole.AcceptRole)
        self.create_button.setObjectName("create")
        buttons.accepted.connect(self.accept_plan)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.plan)
        layout.addWidget(buttons)
        self.update_plan()

    def _members(self, session) -> list[int] | None:
        if self.who_some.isChecked():
            numbers = [n.strip() for n in self.numbers.text().replace(";", ",").split(",") if n.strip()]
            if not numbers:
                raise UserFacingError("Type the member numbers to make slips for, or choose every member.")
            return [find_member(session, n).id for n in numbers]
        if self.who_arrears.isChecked():
            return [r.id for r in queries.member_rows(self.ctx.hall) if r.months_in_arrears > 0
                    and r.status in ("active", "retired")]
        return None

    def compute(self) -> SlipRequest:
        code = parse_period(self.period.currentText()).code
        arrears = self.cover_arrears.isChecked()
        with self.ctx.hall.read() as s:
            ids = self._members(s)
            plan, _notes = owed(s, code, arrears, ids)
            numbers = None if ids is None else [o.member_number for o in plan]
        return SlipRequest(code, numbers, arrears, len(plan), sum(o.amount_cents for o in plan))

    def update_plan(self, *args) -> None:
        try:
            request = self.compute()
        except UserFacingError as exc:
            self.plan.setText(str(exc))
            self.create_button.setEnabled(False)
            return
        if request.count == 0:
            self.plan.setText(f"No one chosen owes anything for {request.period}; there is no slip to make.")
        else:
            self.plan.setText(f"{request.count:,} slip{'s' if request.count != 1 else ''} for "
                              f"{fmt.money(request.total_cents, self.ctx.hall.currency)} in all. Members who "
                              f"already have an open slip for the same amount keep it and its link.")
        self.create_button.setEnabled(request.count > 0)

    def accept_plan(self) -> None:
        try:
            self.request = self.compute()
        except UserFacingError as exc:
            self.plan.setText(str(exc))
            return
        if self.request.count:
            self.accept()
