"""Reports for the treasurer, the trustees and the international, computed from the rows (data + CSV).

A period's figures are "as of the period's end": only charges, payments and
adjustments dated on or before its last day count towards what is outstanding
and in arrears, so a report printed later says the same thing.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .errors import ValidationError
from .deposits import live_item
from .hall import Hall
from .ledger import allocate, load_entries, standing
from .models import (BalanceTransaction, Charge, Classification, DepositBatch, DepositItem, Dispute, DuesPeriod, Member,
                     Payment, Payout, Refund)
from .payouts import CHARGE_TYPES
from .money import plain_cents
from .periods import parse_period
from .statement import Line, member_statement

ARREARS_BUCKETS = ("1", "2", "3-5", "6+")


@dataclasses.dataclass(frozen=True)
class PeriodReport:
    period: str
    starts_on: dt.date
    ends_on: dt.date
    members_assessed: int
    assessed_cents: int
    per_capita_cents: int
    collected_by_method: dict[str, int]     # completed payments received in the period
    pending_ach_count: int
    pending_ach_cents: int
    fee_cents: int                           # Stripe fees on balance transactions created in the period
    refund_cents: int                        # refunds that succeeded, recorded in the period
    disputes_lost_cents: int
    outstanding_cents: int                   # unpaid on this period's charges, as of its end
    arrears: dict[str, tuple[int, int]]      # bucket -> (members, overdue cents), as of the period's end
    stripe_gross_cents: int = 0              # card/ACH charges on balance transactions created in the period
    payouts_cents: int = 0                   # Stripe payouts paid, arriving in the period (net deposits)
    bank_deposits_cents: int = 0             # cash/check batches deposited in the period

    @property
    def collected_cents(self) -> int:
        return sum(self.collected_by_method.values())

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) pairs: the CSV and the packet print these."""
        out = [("period", self.period), ("from", self.starts_on.isoformat()), ("to", self.ends_on.isoformat()),
               ("members assessed", str(self.members_assessed)), ("amount assessed", plain_cents(self.assessed_cents)),
               ("per capita due", plain_cents(self.per_capita_cents))]
        for method, cents in sorted(self.collected_by_method.items()):
            out.append((f"collected: {method}", plain_cents(cents)))
        out += [("collected: total", plain_cents(self.collected_cents)),
                ("pending ACH payments", str(self.pending_ach_count)), ("pending ACH", plain_cents(self.pending_ach_cents)),
                ("Stripe fees", plain_cents(self.fee_cents)), ("refunds", plain_cents(self.refund_cents)),
                ("disputes lost", plain_cents(self.disputes_lost_cents)),
                ("outstanding on the period's dues", plain_cents(self.outstanding_cents)),
                ("Stripe gross collected", plain_cents(self.stripe_gross_cents)),
                ("Stripe payouts to the bank (net)", plain_cents(self.payouts_cents)),
                ("cash and check deposits", plain_cents(self.bank_deposits_cents))]
        for bucket in ARREARS_BUCKETS:
            members, cents = self.arrears.get(bucket, (0, 0))
            months = "1 month" if bucket == "1" else f"{bucket} months"
            out.append((f"arrears {months}: members", str(members)))
            out.append((f"arrears {months}: overdue", plain_cents(cents)))
        return out


def _stamp(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp())


def period_report(hall: Hall, code: str) -> PeriodReport:
    span = parse_period(code)
    with hall.read() as s:
        return period_report_session(s, span.code, span.starts_on, span.ends_on)


def period_report_session(s: Session, code: str, start: dt.date, end: dt.date) -> PeriodReport:
    in_period = select(DuesPeriod.id).where(DuesPeriod.starts_on >= start, DuesPeriod.starts_on <= end)
    members, assessed, per_capita = s.execute(select(
        func.count(func.distinct(Charge.member_id)), func.coalesce(func.sum(Charge.amount_cents), 0),
        func.coalesce(func.sum(Charge.per_capita_cents), 0)).where(Charge.period_id.in_(in_period))).one()
    dated = (Payment.received_on >= start, Payment.received_on <= end)
    collected = {m: int(c) for m, c in s.execute(select(Payment.method, func.sum(Payment.amount_cents)).where(
        Payment.status == "completed", *dated).group_by(Payment.method))}
    pending_n, pending = s.execute(select(func.count(), func.coalesce(func.sum(Payment.amount_cents), 0)).where(
        Payment.status == "pending", Payment.method == "us_bank_account", *dated)).one()
    fees = s.scalar(select(func.coalesce(func.sum(BalanceTransaction.fee_cents), 0)).where(
        BalanceTransaction.created >= _stamp(start),
        BalanceTransaction.created < _stamp(end + dt.timedelta(days=1))))
    day_of = func.substr(Refund.created_at, 1, 10)
    refunds = s.scalar(select(func.coalesce(func.sum(Refund.amount_cents), 0)).where(
        Refund.status == "succeeded", day_of >= start.isoformat(), day_of <= end.isoformat()))
    lost_day = func.substr(Dispute.created_at, 1, 10)
    lost = s.scalar(select(func.coalesce(func.sum(Dispute.amount_cents), 0)).where(
        Dispute.status == "lost", lost_day >= start.isoformat(), lost_day <= end.isoformat()))
    gross = s.scalar(select(func.coalesce(func.sum(BalanceTransaction.amount_cents), 0)).where(
        BalanceTransaction.type.in_(CHARGE_TYPES), BalanceTransaction.created >= _stamp(start),
        BalanceTransaction.created < _stamp(end + dt.timedelta(days=1))))
    paid_out = s.scalar(select(func.coalesce(func.sum(Payout.amount_cents), 0)).where(
        Payout.status == "paid", Payout.arrival_date >= start, Payout.arrival_date <= end))
    banked = s.scalar(select(func.coalesce(func.sum(Payment.amount_cents), 0)).join(
        DepositItem, DepositItem.payment_id == Payment.id).join(DepositBatch, DepositItem.batch_id == DepositBatch.id)
        .where(DepositBatch.status == "deposited", DepositBatch.deposited_on >= start, DepositBatch.deposited_on <= end,
               live_item()))
    charge_ids = {f"charge:{cid}" for cid in s.scalars(select(Charge.id).where(Charge.period_id.in_(in_period)))}
    outstanding, arrears = _as_of(s, end, charge_ids)
    return PeriodReport(code, start, end, int(members), int(assessed), int(per_capita), collected, int(pending_n),
                        int(pending), int(fees), int(refunds), int(lost), outstanding, arrears, int(gross),
                        int(paid_out), int(banked))


def _as_of(s: Session, end: dt.date, charge_keys: set[str]) -> tuple[int, dict[str, tuple[int, int]]]:
    """What is unpaid on the given charges, and arrears by age, counting only entries dated up to ``end``."""
    debits, credits, _ = load_entries(s)
    outstanding = 0
    buckets: dict[str, list[int]] = {b: [0, 0] for b in ARREARS_BUCKETS}
    for member_id in set(debits) | set(credits):
        mine_d = [d for d in debits.get(member_id, []) if d.day <= end]
        mine_c = [c for c in credits.get(member_id, []) if c.day <= end]
        if not mine_d:
            continue
        _, unpaid = allocate(mine_d, mine_c)
        outstanding += sum(left for key, left in unpaid.items() if key in charge_keys)
        st = standing(mine_d, mine_c, end + dt.timedelta(days=1))
        months = st.months_in_arrears
        if months:
            bucket = "1" if months == 1 else "2" if months == 2 else "3-5" if months < 6 else "6+"
            buckets[bucket][0] += 1
            buckets[bucket][1] += st.overdue_cents
    return outstanding, {b: (n, c) for b, (n, c) in buckets.items()}


def period_csv(reports: list[PeriodReport]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["period", "item", "value"])
    for r in reports:
        for label, value in r.rows():
            w.writerow([r.period, label, value])
    return buf.getvalue()


# Per capita ----------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class PerCapitaRow:
    classification: str
    status: str
    members: int              # on the roll today with this classification and status
    assessed: int             # of them, charged for the period
    dues_cents: int
    per_capita_cents: int


@dataclasses.dataclass(frozen=True)
class PerCapitaReport:
    period: str
    rows: tuple[PerCapitaRow, ...]

    @property
    def per_capita_cents(self) -> int:
        return sum(r.per_capita_cents for r in self.rows)

    @property
    def assessed(self) -> int:
        return sum(r.assessed for r in self.rows)


def per_capita_report(hall: Hall, code: str) -> PerCapitaReport:
    span = parse_period(code)
    with hall.read() as s:
        in_period = select(DuesPeriod.id).where(DuesPeriod.starts_on >= span.starts_on,
                                                DuesPeriod.starts_on <= span.ends_on)
        roll = defaultdict(int)
        for name, status, n in s.execute(select(Classification.name, Member.status, func.count()).join(
                Classification, Member.classification_id == Classification.id).group_by(Classification.name,
                                                                                         Member.status)):
            roll[(name, status)] = int(n)
        charged = {}
        for name, status, n, dues, pc in s.execute(
                select(Classification.name, Member.status, func.count(func.distinct(Charge.member_id)),
                       func.sum(Charge.amount_cents), func.sum(Charge.per_capita_cents))
                .join(Member, Charge.member_id == Member.id)
                .join(Classification, Member.classification_id == Classification.id)
                .where(Charge.period_id.in_(in_period)).group_by(Classification.name, Member.status)):
            charged[(name, status)] = (int(n), int(dues), int(pc))
    rows = [PerCapitaRow(name, status, roll.get((name, status), 0), *charged.get((name, status), (0, 0, 0)))
            for name, status in sorted(set(roll) | set(charged))]
    return PerCapitaReport(span.code, tuple(rows))


def per_capita_csv(report: PerCapitaReport) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["period", "classification", "status", "members", "assessed", "dues", "per_capita"])
    for r in report.rows:
        w.writerow([report.period, r.classification, r.status, r.members, r.assessed, plain_cents(r.dues_cents),
                    plain_cents(r.per_capita_cents)])
    w.writerow([report.period, "TOTAL", "", sum(r.members for r in report.rows), report.assessed,
                plain_cents(sum(r.dues_cents for r in report.rows)), plain_cents(report.per_capita_cents)])
    return buf.getvalue()


# One member's statement for a date range (wraps ``statement.member_statement``) ---------------------------

@dataclasses.dataclass(frozen=True)
class RangeStatement:
    member_number: str
    member_name: str
    classification: str
    starts_on: dt.date
    ends_on: dt.date
    opening_balance_cents: int
    lines: tuple[Line, ...]
    closing_balance_cents: int

    @property
    def charged_cents(self) -> int:
        return sum(x.debit_cents for x in self.lines if x.balance_cents is not None)

    @property
    def credited_cents(self) -> int:
        return sum(x.credit_cents for x in self.lines if x.balance_cents is not None)


def member_statement_range(hall: Hall, member_number: str, start: dt.date, end: dt.date) -> RangeStatement:
    if end < start:
        raise ValidationError(f"The statement ends ({end.isoformat()}) before it starts ({start.isoformat()}).")
    full = member_statement(hall, member_number)
    opening = 0
    for line in full.lines:
        if line.day < start and line.balance_cents is not None:
            opening = line.balance_cents
    inside = tuple(x for x in full.lines if start <= x.day <= end)
    closing = opening + sum(x.debit_cents - x.credit_cents for x in inside if x.balance_cents is not None)
    m = full.member
    return RangeStatement(m.member_number, f"{m.first_name} {m.last_name}".strip(), full.classification, start, end,
                          opening, inside, closing)


def statement_csv(st: RangeStatement) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["member", "date", "kind", "description", "debit", "credit", "balance"])
    w.writerow([st.member_number, st.starts_on.isoformat(), "opening", "Opening balance", "", "",
                plain_cents(st.opening_balance_cents)])
    running = st.opening_balance_cents
    for x in st.lines:
        if x.balance_cents is not None:
            running += x.debit_cents - x.credit_cents
        w.writerow([st.member_number, x.day.isoformat(), x.kind, x.description, plain_cents(x.debit_cents),
                    plain_cents(x.credit_cents), plain_cents(running) if x.balance_cents is not None else ""])
    w.writerow([st.member_number, st.ends_on.isoformat(), "closing", "Closing balance", "", "",
                plain_cents(st.closing_balance_cents)])
    return buf.getvalue()

