"""One member's ledger: every charge, payment and adjustment with a running balance."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select

from . import clock
from .hall import Hall
from .ledger import Standing, effective_adjustments, member_standing
from .members import find_member
from .models import Adjustment, AdjustmentDecision, Charge, DuesPeriod, Member, Payment
from .payments import receipt_number


@dataclasses.dataclass(frozen=True)
class Line:
    day: dt.date
    kind: str              # charge | payment | adjustment
    description: str
    debit_cents: int
    credit_cents: int
    balance_cents: int | None   # None for lines that do not count (pending, failed, awaiting approval)


@dataclasses.dataclass(frozen=True)
class Statement:
    member: Member
    classification: str
    lines: list[Line]
    standing: Standing


def member_statement(hall: Hall, member_number: str) -> Statement:
    with hall.read() as s:
        member = find_member(s, member_number)
        entries: list[tuple[dt.date, int, str, str, int, int, bool]] = []
        for charge, period in s.execute(select(Charge, DuesPeriod).join(DuesPeriod, Charge.period_id == DuesPeriod.id)
                                        .where(Charge.member_id == member.id)):
            entries.append((period.starts_on, 0, "charge", f"Dues {period.code}", charge.amount_cents, 0, True))
        for p in s.scalars(select(Payment).where(Payment.member_id == member.id)):
            label = f"{p.method.replace('_', ' ')} {p.reference}".strip()
            counts = p.status == "completed"
            note = "" if counts else f" ({p.status})"
            entries.append((p.received_on, 1, "payment", f"Payment {receipt_number(p.id)} {label}{note}", 0,
                            p.amount_cents, counts))
        effective = set(s.scalars(select(Adjustment.id).where(Adjustment.member_id == member.id,
                                                             effective_adjustments())))
        decisions = dict(s.execute(select(AdjustmentDecision.adjustment_id, AdjustmentDecision.decision)).all())
        for a in s.scalars(select(Adjustment).where(Adjustment.member_id == member.id)):
            counts = a.id in effective
            state = "" if counts else f" ({decisions.get(a.id, 'awaiting approval')})"
            text = f"{a.kind.replace('_', ' ').capitalize()} #{a.id}: {a.reason}{state}"
            entries.append((a.effective_on, 2, "adjustment", text, max(a.amount_cents, 0), max(-a.amount_cents, 0),
                            counts))
        entries.sort(key=lambda e: (e[0], e[1]))
        balance = 0
        lines = []
        for day, _, kind, text, debit, credit, counts in entries:
            if counts:
                balance += debit - credit
            lines.append(Line(day, kind, text, debit, credit, balance if counts else None))
        return Statement(member, member.classification.name, lines, member_standing(s, member.id, clock.today()))
