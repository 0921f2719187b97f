"""Realistic made-up books for demos, screenshots and benchmarks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from sqlalchemy import func, insert, select

from . import clock
from .adjustments import decide, request_adjustment
from .audit import snapshot
from .bank import bank_status, reconcile_bank, record_bank_entry
from .deposits import DEPOSIT_METHODS, create_batch, mark_deposited
from .dues import add_classification, add_rate, assess
from .errors import UserFacingError
from .hall import Hall, init_hall
from .models import Charge, DepositBatch, DuesPeriod, Member, Payment
from .officers import add_officer
from .payments import PAYMENT_FIELDS
from .periods import PeriodSpan, next_period, period_for_date

FIRST = ("James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
         "Joseph Jessica Thomas Sarah Carlos Karen Daniel Maria Matthew Nancy Anthony Lisa Mark Betty Luis "
         "Sandra Steven Ashley Paul Kimberly Andrew Emily Joshua Donna Kevin Michelle Brian Carol Jose Amanda "
         "Tyrone Keisha Dmitri Aisha Tomasz Ngozi Wei Priya Sean Siobhan").split()
LAST = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
        "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
        "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
        "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts O'Brien Kowalski Okafor Chen Patel "
        "Murphy Sullivan").split()
STREETS = ("Main St Oak Ave Maple Dr Cedar Ln Elm St Washington Ave Lake Rd Hill St Park Ave Pine St".split(" "))

# name, frequency, share of members, (months ago the old rate started, old rate), current rate, per capita
CLASSES = [
    ("Journeyman Wireman", "monthly", 0.55, 4800, 5200, 1850),
    ("Apprentice", "monthly", 0.20, 3400, 3600, 1850),
    ("Residential Wireman", "monthly", 0.10, 4200, 4500, 1850),
    ("Retiree", "quarterly", 0.15, 3000, 3300, 0),
]
OFFICERS = [("Pat Morales", "treasurer", "123456"), ("Sam Okafor", "president", "567890"),
            ("Lee Chen", "trustee", "246802")]


@dataclasses.dataclass(frozen=True)
class DemoSummary:
    members: int
    charges: int
    payments: int
    officers: list[tuple[str, str, str]]
    deposits: int = 0                # batches of cash and checks taken to the bank
    gathered: int = 0                # payments in the batch not yet taken
    open_batch: int | None = None


def months_back(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def fill_demo(hall: Hall, members: int = 1200, months: int = 24, seed: int = 7) -> DemoSummary:
    if members < 1:
        raise UserFacingError("The demo needs at least one member.")
    with hall.read() as s:
        if s.scalar(select(func.count()).select_from(Member)):
            raise UserFacingError("This hall already has members; the demo fills a fresh hall only "
                                  "(use --data-dir with an empty folder).")
    rng = random.Random(seed)
    today = clock.today()
    start = months_back(today, months - 1)
    if not hall.initialised:
        init_hall(hall, "IBEW Local 000 (demo)", "usd", "1 Union Plaza, Springfield, IL 62701")
    rate_change = dt.date(today.year, 1, 1)
    for name, freq, _share, old, new, per_cap in CLASSES:
        add_classification(hall, name, old, freq, start, per_cap)
        if rate_change > start:
            add_rate(hall, name, new, rate_change, per_cap)
    for i, (name, role, pin) in enumerate(OFFICERS):
        # The first needs no one; then the one officer vouches; then two (dual control).
        add_officer(hall, name, role, pin, vouchers=[(n, p) for n, _, p in OFFICERS[:min(i, 2)]])
    _add_members(hall, rng, members, start, today)
    monthly = [period_for_date(start, "monthly")]
    while monthly[-1].starts_on < months_back(today, 0):
        monthly.append(next_period(monthly[-1]))
    quarterly = [period_for_date(start, "quarterly")]
    while next_period(quarterly[-1]).starts_on <= today:
        quarterly.append(next_period(quarterly[-1]))
    for span in sorted(monthly + quarterly, key=lambda p: (p.starts_on, p.frequency)):
        assess(hall, span.code)
    payments = _add_payments(hall, rng, today)
    _add_adjustments(hall, rng)
    deposits, gathered, open_batch = _add_deposits(hall, today)
    with hall.read() as s:
        charges = s.scalar(select(func.count()).select_from(Charge))
    return DemoSummary(members, charges, payments, OFFICERS, deposits, gathered, open_batch)


def _add_members(hall: Hall, rng: random.Random, count: int, start: dt.date, today: dt.date) -> None:
    from .dues import list_classifications
    from .members import snapshot as member_snapshot

    classes = {k.name: k.id for k in list_classifications(hall)}
    weights = [c[2] for c in CLASSES]
    with hall.write() as tx:
        rows = []
        for i in range(count):
            klass = rng.choices(CLASSES, weights)[0][0]
            first, last = rng.choice(FIRST), rng.choice(LAST)
            joined = start - dt.timedelta(days=rng.randint(30, 30 * 365))
            if rng.random() < 0.08:  # joined during the demo window
                joined = start + dt.timedelta(days=rng.randint(0, max(1, (today - start).days - 40)))
            status = "retired" if klass == "Retiree" else rng.choices(
                ["active", "withdrawn", "deceased"], [0.96, 0.03, 0.01])[0]
            rows.append(dict(
                member_number=str(100001 + i),
                first_name=first, last_name=last,
                email=f"{first}.{last}{i}@example.org".lower().replace("'", ""),
                phone=f"(217) 555-{rng.randint(0, 9999):04d}",
                address=f"{rng.randint(10, 9999)} {rng.choice(STREETS)}, Springfield, IL 627{rng.randint(0, 99):02d}",
                classification_id=classes[klass], status=status, join_date=joined, notes=""))
        inserted = tx.session.execute(insert(Member).returning(Member.id), rows).scalars().all()
        for member_id, row in zip(inserted, rows):
            tx.audit("member.add", "member", member_id, None,
                     member_snapshot(Member(**row)) | {"join_date": row["join_date"].isoformat()})


def _add_payments(hall: Hall, rng: random.Random, today: dt.date) -> int:
    """Each member pays to a habit: on time, in quarterly lumps, late, or stops paying."""
    with hall.read() as s:
        charges = s.execute(
            select(Charge.member_id, Charge.amount_cents, DuesPeriod.starts_on, DuesPeriod.frequency)
            .join(DuesPeriod, Charge.period_id == DuesPeriod.id).order_by(Charge.member_id, DuesPeriod.starts_on)).all()
    by_member: dict[int, list] = {}
    for row in charges:
        by_member.setdefault(row.member_id, []).append(row)
    methods = ["check", "cash", "money_order", "card", "us_bank_account"]
    method_weights = [0.45, 0.12, 0.05, 0.28, 0.10]
    rows = []
    for member_id, items in by_member.items():
        habit = rng.choices(["on_time", "lumps", "behind", "stopped", "over"], [0.70, 0.10, 0.08, 0.07, 0.05])[0]
        method = rng.choices(methods, method_weights)[0]
        if habit == "stopped":
            items = items[: max(0, len(items) - rng.randint(3, 9))]
        elif habit == "behind":
            items = items[: max(0, len(items) - rng.randint(1, 2))]
        groups = [items[i:i + 3] for i in range(0, len(items), 3)] if habit == "lumps" else [[c] for c in items]
        for group in groups:
            amount = sum(c.amount_cents for c in group)
            if habit == "over" and rng.random() < 0.3:
                amount += rng.choice([500, 1000, 2000])
            paid_on = group[0].starts_on + dt.timedelta(days=rng.randint(0, 20))
            if paid_on > today:
                continue
            if rng.random() < 0.1:
                method = rng.choices(methods, method_weights)[0]
            ref = str(rng.randint(1000, 9999)) if method == "check" else ""
            rows.append(dict(member_id=member_id, amount_cents=amount, method=method, status="completed",
                             received_on=paid_on, reference=ref, recorded_by="demo", created_at=clock.stamp(),
                             stripe_payment_intent_id=None, stripe_charge_id=None, stripe_checkout_session_id=None))
    rows.sort(key=lambda r: r["received_on"])
    with hall.write() as tx:
        ids = tx.session.execute(insert(Payment).returning(Payment.id), rows).scalars().all()
        for payment_id, row in zip(ids, rows):
            tx.audit("payment.record", "payment", payment_id, None,
                     snapshot(Payment(**row), PAYMENT_FIELDS))
    return len(rows)


def _add_adjustments(hall: Hall, rng: random.Random) -> None:
    with hall.read() as s:
        numbers = list(s.scalars(select(Member.member_number).where(Member.status == "active").limit(40)))
    treasurer, president = OFFICERS[0], OFFICERS[1]
    for i, number in enumerate(rng.sample(numbers, min(6, len(numbers)))):
        kind = ["hardship_credit", "waiver", "write_off"][i % 3]
        adj = request_adjustment(hall, number, rng.choice([2600, 5200, 10400]), kind,
                                 "Out of work after injury" if kind == "hardship_credit" else "Approved by the E-Board",
                                 treasurer[0], pin=treasurer[2])
        if i % 2 == 0:
            decide(hall, adj.id, president[0], president[2], approve=True, note="Reviewed at the E-Board meeting")



# Cash and checks: deposited a month at a time; the last two weeks' gathered in a batch not yet taken to the
# bank; the last few days' still in the drawer.
GATHERED_DAYS, DRAWER_DAYS = 14, 4


def _add_deposits(hall: Hall, today: dt.date) -> tuple[int, int, int | None]:
    """(batches deposited, payments gathered in the open batch, that batch)."""
    gathered_from, drawer_from = today - dt.timedelta(days=GATHERED_DAYS), today - dt.timedelta(days=DRAWER_DAYS)
    with hall.read() as s:
        rows = s.execute(select(Payment.id, Payment.received_on).where(
            Payment.method.in_(DEPOSIT_METHODS), Payment.status == "completed")
            .order_by(Payment.received_on, Payment.id)).all()
    months: dict[dt.date, list[int]] = {}
    gathered: list[int] = []
    for payment_id, day in rows:
        if day < gathered_from:
            months.setdefault(day.replace(day=1), []).append(payment_id)
        elif day < drawer_from:
            gathered.append(payment_id)
    for month, ids in sorted(months.items()):
        deposited_on = min(months_back(month, -1), gathered_from)    # the first of the next month
        batch = create_batch(hall, deposited_on, f"DT-{month:%Y%m}", ids)
        mark_deposited(hall, batch.batch_id, deposited_on)
    if not gathered:
        return len(months), 0, None
    return len(months), len(gathered), create_batch(hall, today, f"DT-{today:%Y%m%d}", gathered).batch_id


@dataclasses.dataclass(frozen=True)
class BankSummary:
    statements_finished: int
    statement_date: dt.date | None       # the statement being ticked now
    ticked: int
    unticked: int


MONTHLY_FEE, INTEREST = -1200, 314


def fill_bank_statement(hall: Hall) -> BankSummary:
    """The bank account reconciled month by month, and this month's statement half ticked.

    Run after the payouts are in the books (the online part of the demo): the statement shows every deposit
    and payout the bank has, a service fee and a little interest; the treasurer has ticked the deposits, the
    first payout and the fee so far.
    """
    officer, _role, pin = OFFICERS[0]
    today = clock.today()
    statement_date = today - dt.timedelta(days=1)
    finished = 0
    with hall.read() as s:
        first = s.scalar(select(func.min(DepositBatch.deposited_on)).where(DepositBatch.status == "deposited"))
    # Six monthly statements; the first also clears every older deposit (the books' opening statement).
    month = max(first.replace(day=1), months_back(statement_date, 6)) if first else None
    while month is not None and months_back(month, -1) <= statement_date:
        month_end = months_back(month, -1) - dt.timedelta(days=1)
        record_bank_entry(hall, month_end, "fee", MONTHLY_FEE, "Monthly service charge", officer=officer, pin=pin)
        started = reconcile_bank(hall, month_end, 0)
        shown = [i for i in started.items if i.day <= month_end and i.kind != "payout"]
        reconcile_bank(hall, month_end, started.opening_balance_cents + sum(i.amount_cents for i in shown),
                       tick=[i.ref for i in shown], finish=True)
        finished += 1
        month = months_back(month, -1)
    if month is None or bank_status(hall) is not None:
        return BankSummary(finished, None, 0, 0)
    record_bank_entry(hall, statement_date, "fee", MONTHLY_FEE, "Monthly service charge", officer=officer, pin=pin)
    record_bank_entry(hall, statement_date, "interest", INTEREST, "Interest paid", officer=officer, pin=pin)
    started = reconcile_bank(hall, statement_date, 0)
    payouts = [i for i in started.items if i.kind == "payout"]
    untick = {i.ref for i in payouts[1:]} | {i.ref for i in started.items if i.kind == "interest"}
    tick = [i.ref for i in started.items if i.ref not in untick]
    view = reconcile_bank(hall, statement_date, started.opening_balance_cents
                          + sum(i.amount_cents for i in started.items), tick=tick)
    return BankSummary(finished, statement_date, sum(i.ticked for i in view.items),
                       sum(not i.ticked for i in view.items))


__all__ = ["BankSummary", "DemoSummary", "PeriodSpan", "fill_bank_statement", "fill_demo"]
