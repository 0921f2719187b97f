"""One member: standing, ledger with running balance, payments, slips with links, audit history."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from treasurer.audit import latest
from treasurer.slips import member_slips
from treasurer.statement import member_statement

from .. import fmt, queries
from ..context import AppContext
from ..errors import guarded
from ..look import icon
from ..table_model import Column
from .base import Table


class MemberPage(QDialog):
    changed = Signal()

    def __init__(self, ctx: AppContext, member_number: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.number = member_number
        self.setObjectName("member-page")
        self.resize(900, 620)
        cur = ctx.hall.currency
        self.heading = QLabel()
        self.heading.setObjectName("page-title")
        self.facts = QGridLayout()
        self.ledger = Table(ctx, "member-ledger", [
            Column("Date", lambda l: fmt.day(l.day), sort=lambda l: l.day, width=95),
            Column("What", lambda l: l.description, width=360),
            Column("Charge", lambda l: fmt.money(l.debit_cents, cur) if l.debit_cents else "",
                   sort=lambda l: l.debit_cents, numeric=True, width=90),
            Column("Credit", lambda l: fmt.money(l.credit_cents, cur) if l.credit_cents else "",
                   sort=lambda l: l.credit_cents, numeric=True, width=90),
            Column("Balance", lambda l: fmt.money(l.balance_cents, cur) if l.balance_cents is not None else "—",
                   sort=lambda l: l.balance_cents or 0, numeric=True, width=100),
        ], lambda l: l.description.casefold(), self)
        self.payments = Table(ctx, "member-payments", [
            Column("Receipt", lambda p: p.receipt_no, width=90),
            Column("Received", lambda p: fmt.day(p.received_on), sort=lambda p: p.received_on, width=95),
            Column("Amount", lambda p: fmt.money(p.amount_cents, cur), sort=lambda p: p.amount_cents, numeric=True),
            Column("Method", lambda p: fmt.method(p.method)),
            Column("Status", lambda p: p.status, warn=lambda p: p.status == "failed"),
            Column("Reference", lambda p: p.reference or p.stripe_id),
        ], lambda p: p.search, self)
        # Each slip and what became of it: paid, superseded by a counter payment or adjustment, voided...
        self.slips = Table(ctx, "member-slips", [
            Column("Slip", lambda s: s.slip_id, sort=lambda s: s.slip_id, numeric=True, width=60),
            Column("Status", lambda s: s.status.capitalize(), width=95),
            Column("Amount", lambda s: fmt.money(s.amount_cents, cur), sort=lambda s: s.amount_cents, numeric=True,
                   width=90),
            Column("Periods", lambda s: s.periods_text, tooltip=lambda s: s.periods.replace(",", ", "), width=170),
            Column("When", lambda s: fmt.stamp(s.changed_at or s.created_at),
                   sort=lambda s: s.changed_at or s.created_at, width=130),
            Column("What became of it", lambda s: s.outcome, tooltip=lambda s: s.url or s.outcome,
                   warn=lambda s: s.status != "open" and bool(s.url) and not s.link_closed),
            Column("Payment link", lambda s: s.url if s.status == "open" else ""),
        ], lambda s: s.search, self)
        self.history = Table(ctx, "member-history", [
            Column("#", lambda e: e.seq, numeric=True, width=60),
            Column("When", lambda e: fmt.stamp(e.at), sort=lambda e: e.at, width=130),
            Column("Who", lambda e: e.actor, width=100),
            Column("What", lambda e: e.action, width=130),
            Column("Changed to", lambda e: e.after, tooltip=lambda e: f"before: {e.before}\nafter: {e.after}"),
        ], lambda e: e.search, self)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.ledger.view, "Ledger")
        self.tabs.addTab(self.payments.view, "Payments")
        self.tabs.addTab(self.slips.view, "Slips")
        self.tabs.addTab(self.history.view, "History")
        edit = QPushButton("Edit member…")
        edit.setObjectName("edit-member")
        edit.clicked.connect(self.edit)
        pay = QPushButton(icon("payments"), "Record payment…")
        pay.clicked.connect(self.record_payment)
        adjust = QPushButton("Request adjustment…")
        adjust.clicked.connect(self.request_adjustment)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(edit, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(pay, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(adjust, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(self.facts)
        self.mail_problems = QLabel()                 # emails the server refused, or cut off while sending
        self.mail_problems.setObjectName("member-mail-problems")
        self.mail_problems.setWordWrap(True)
        self.mail_problems.setStyleSheet("color: #b3261e")
        layout.addWidget(self.mail_problems)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self) -> None:
        cur = self.ctx.hall.currency
        statement = member_statement(self.ctx.hall, self.number)
        m, st = statement.member, statement.standing
        self.member_id = m.id
        self.setWindowTitle(f"Member {m.member_number}: {m.first_name} {m.last_name}")
        self.heading.setText(f"{m.first_name} {m.last_name}  ·  {m.member_number}")
        balance = (fmt.money(st.balance_cents, cur) if st.balance_cents >= 0
                   else f"{fmt.money(st.credit_cents, cur)} credit")
        facts = [("Classification", statement.classification), ("Status", m.status.capitalize()),
                 ("Balance", balance), ("Paid through", st.paid_through or "nothing yet"),
                 ("Months in arrears", str(st.months_in_arrears)),
                 ("Pending bank payments", fmt.money(st.pending_cents, cur) if st.pending_cents else "none"),
                 ("Email", m.email or "—"), ("Phone", m.phone or "—")]
        while self.facts.count():
            item = self.facts.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        for i, (label, value) in enumerate(facts):
            name = QLabel(label)
            name.setObjectName("card-title")
            text = QLabel(value)
            text.setObjectName(f"fact-{label.lower().replace(' ', '-')}")
            self.facts.addWidget(name, i // 4 * 2, i % 4)
            self.facts.addWidget(text, i // 4 * 2 + 1, i % 4)
        self.ledger.set_rows(statement.lines)
        self.ledger.view.scrollToBottom()          # the latest lines are what the treasurer came for
        self.payments.set_rows(queries.payment_rows(self.ctx.hall, m.id))
        self.slips.set_rows(member_slips(self.ctx.hall, m.member_number))
        with self.ctx.hall.read() as s:
            entries = latest(s, limit=500, entity_type="member", entity_id=str(m.id))
            rows = [queries.AuditRow(e.seq, e.at, e.actor, e.action, e.entity_type, e.entity_id,
                                     e.before_json or "", e.after_json or "") for e in entries]
        self.history.set_rows(rows)
        from treasurer.outbox import problems

        found = problems(self.ctx.hall, m.id)
        self.mail_problems.setText("\n".join(p.summary for p in found))
        self.mail_problems.setVisible(bool(found))

    @guarded
    def edit(self) -> None:
        from ..dialogs.member_dialog import MemberDialog

        dialog = MemberDialog(self.ctx, self.number, self)
        if dialog.exec():
            self.number = dialog.number.text().strip()
            self.refresh()
            self.changed.emit()

    @guarded
    def record_payment(self) -> None:
        from ..dialogs.payment_dialog import PaymentDialog

        dialog = PaymentDialog(self.ctx, self, member_number=self.number)
        if dialog.exec():
            self.refresh()
            self.changed.emit()

    @guarded
    def request_adjustment(self) -> None:
        from ..dialogs.adjustment_dialog import AdjustmentDialog

        dialog = AdjustmentDialog(self.ctx, self, member_number=self.number)
        if dialog.exec():
            self.refresh()
            self.changed.emit()
