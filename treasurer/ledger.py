"""What each member owes, computed from the money rows and never stored.

Credits (completed payments and approved credit adjustments) pay debits
(charges and approved debit adjustments) oldest first.  A refund or a lost
dispute takes its payment back: it is a negative credit on its own date, so the
periods that payment had paid fall due again (and into arrears) instead of the
member owing an amount that is never overdue.  A member's balance, paid-through
period and months in arrears all come out of that one walk, so they cannot drift
apart.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

from sqlalchemy import String, and_, case, func, literal, null, or_, select, true, union_all
from sqlalchemy.orm import Session

from .models import Adjustment, AdjustmentDecision, Charge, DuesPeriod, Member, Payment
from .standing import Standing, standings_from_rows

KIND_ORDER = {"charge": 0, "payment": 0, "adjustment": 1}


def order(day: dt.date, key: str) -> tuple[dt.date, int, int]:
    """FIFO order: by date, charges and payments before adjustments of the same day, then by id."""
    kind, ident = key.split(":")
    return day, KIND_ORDER[kind], int(ident)


@dataclasses.dataclass(frozen=True)
class Debit:
    key: str               # "charge:12" or "adjustment:3"
    day: dt.date           # period start for a charge, effective date for an adjustment
    amount_cents: int
    period: str | None = None
    months: int = 0
    overdue_after: dt.date | None = None

    @property
    def sort_key(self) -> tuple[dt.date, int, int]:
        return order(self.day, self.key)


@dataclasses.dataclass(frozen=True)
class Credit:
    key: str               # "payment:7" or "adjustment:4"
    day: dt.date
    amount_cents: int

    @property
    def sort_key(self) -> tuple[dt.date, int, int]:
        return order(self.day, self.key)


@dataclasses.dataclass(frozen=True)
class Allocation:
    credit: str
    debit: str
    amount_cents: int


def allocate(debits: list[Debit], credits: list[Credit]) -> tuple[list[Allocation], dict[str, int]]:
    """Oldest credit to oldest debit.  Returns allocations and what is left unpaid per debit.

    A negative credit (a payment taken back) first uses credit on account, then unpays the newest paid
    debits, as negative allocations; what a payment paid stays in the list as it was.
    """
    debits = sorted(debits, key=lambda d: d.sort_key)
    credits = sorted(credits, key=lambda c: c.sort_key)
    unpaid = {d.key: d.amount_cents for d in debits}
    allocations: list[Allocation] = []
    i = 0
    spare = 0   # credit not allocated: on account when positive, taken back beyond what was paid when negative
    for credit in credits:
        if credit.amount_cents < 0:
            back = -credit.amount_cents
            use = min(back, max(spare, 0))
            spare -= use
            back -= use
            j = min(i, len(debits) - 1)
            while back > 0 and j >= 0:
                debit = debits[j]
                take = min(back, debit.amount_cents - unpaid[debit.key])
                if take:
                    allocations.append(Allocation(credit.key, debit.key, -take))
                    unpaid[debit.key] += take
                    back -= take
                    i = j
                if back:
                    j -= 1
            spare -= back
            continue
        left = credit.amount_cents
        if spare < 0:
            owed_back = min(left, -spare)
            spare += owed_back
            left -= owed_back
        while left > 0 and i < len(debits):
            debit = debits[i]
            take = min(left, unpaid[debit.key])
            if take:
                allocations.append(Allocation(credit.key, debit.key, take))
                unpaid[debit.key] -= take
                left -= take
            if unpaid[debit.key] == 0:
                i += 1
        spare += left
    return allocations, unpaid


def standing(debits: list[Debit], credits: list[Credit], today: dt.date, pending_cents: int = 0) -> Standing:
    _, unpaid = allocate(debits, credits)
    charged = sum(d.amount_cents for d in debits)
    credited = sum(c.amount_cents for c in credits)
    paid_through = oldest_unpaid = None
    months = overdue = 0
    all_paid_so_far = True
    for debit in sorted(debits, key=lambda d: d.sort_key):
        left = unpaid[debit.key]
        if left == 0 and all_paid_so_far and debit.period:
            paid_through = debit.period
        if left:
            all_paid_so_far = False
            if oldest_unpaid is None and debit.period:
                oldest_unpaid = debit.period
            if debit.overdue_after is not None and debit.overdue_after < today:
                months += debit.months
                overdue += left
    return Standing(charged, credited, charged - credited, paid_through, months, overdue, oldest_unpaid,
                    pending_cents)


def effective_adjustments():
    """Adjustments in force: those needing no approval, and approved ones."""
    approved = select(AdjustmentDecision.adjustment_id).where(AdjustmentDecision.decision == "approved")
    return or_(Adjustment.needs_approval.is_(False), Adjustment.id.in_(approved))


def load_entries(session: Session, member_ids: list[int] | None = None
                 ) -> tuple[dict[int, list[Debit]], dict[int, list[Credit]], dict[int, int]]:
    debits: dict[int, list[Debit]] = defaultdict(list)
    credits: dict[int, list[Credit]] = defaultdict(list)
    pending: dict[int, int] = defaultdict(int)

    def only(col):
        return col.in_(member_ids) if member_ids is not None else and_(True)

    charges = session.execute(
        select(Charge.member_id, Charge.id, Charge.amount_cents, DuesPeriod.starts_on, DuesPeriod.code,
               DuesPeriod.frequency, DuesPeriod.grace_ends_on)
        .join(DuesPeriod, Charge.period_id == DuesPeriod.id).where(only(Charge.member_id)))
    for member_id, cid, amount, start, code, freq, grace in charges:
        debits[member_id].append(Debit(f"charge:{cid}", start, amount, code, 1 if freq == "monthly" else 3, grace))
    payments = session.execute(
        select(Payment.member_id, Payment.id, Payment.amount_cents, Payment.received_on, Payment.status)
        .where(Payment.member_id.is_not(None), Payment.status != "failed", only(Payment.member_id)))
    for member_id, pid, amount, day, status in payments:
        if status == "completed":
            credits[member_id].append(Credit(f"payment:{pid}", day, amount))
        else:
            pending[member_id] += amount
    adjustments = session.execute(
        select(Adjustment.member_id, Adjustment.id, Adjustment.amount_cents, Adjustment.effective_on,
               Adjustment.payment_id).where(effective_adjustments(), only(Adjustment.member_id)))
    for member_id, aid, amount, day, payment_id in adjustments:
        if payment_id is not None and amount > 0:
            credits[member_id].append(Credit(f"adjustment:{aid}", day, -amount))   # the payment taken back
        elif amount > 0:
            debits[member_id].append(Debit(f"adjustment:{aid}", day, amount))
        else:
            credits[member_id].append(Credit(f"adjustment:{aid}", day, -amount))
    return debits, credits, pending


def standings_by_walk(session: Session, today: dt.date, member_ids: list[int] | None = None) -> dict[int, Standing]:
    """The reference: load every entry and walk it in Python (used per member, and to check ``standings``)."""
    debits, credits, pending = load_entries(session, member_ids)
    ids = set(debits) | set(credits) | set(pending)
    if member_ids is not None:
        ids |= set(member_ids)
    return {mid: standing(debits.get(mid, []), credits.get(mid, []), today, pending.get(mid, 0)) for mid in ids}


def _walk(only, credits):
    """Each debit of the members ``only`` admits, in FIFO order, with the member's credit (``credits``: member_id,
    credit) and the running total of their debits up to it (``cum``): a debit is unpaid when ``cum > credit``."""
    months = case((DuesPeriod.frequency == "monthly", 1), else_=3)
    charge_rows = select(
        Charge.member_id.label("member_id"), DuesPeriod.starts_on.label("day"), literal(0).label("kind"),
        Charge.id.label("ident"), Charge.amount_cents.label("amount"), DuesPeriod.code.label("period"),
        months.label("months"), DuesPeriod.grace_ends_on.label("overdue_after"),
    ).join(DuesPeriod, Charge.period_id == DuesPeriod.id).where(only(Charge.member_id))
    adjustment_debits = select(
        Adjustment.member_id, Adjustment.effective_on, literal(1), Adjustment.id, Adjustment.amount_cents,
        null(), literal(0), null(),
    ).where(effective_adjustments(), Adjustment.amount_cents > 0, Adjustment.payment_id.is_(None),
            only(Adjustment.member_id))
    debits = union_all(charge_rows, adjustment_debits).subquery("debits")

    credit = func.coalesce(credits.c.credit, 0)
    running = func.sum(debits.c.amount).over(
        partition_by=debits.c.member_id, order_by=(debits.c.day, debits.c.kind, debits.c.ident),
        rows=(None, 0))
    walked = select(debits, credit.label("credit"), running.label("cum")).join(
        credits, credits.c.member_id == debits.c.member_id, isouter=True).subquery("walked")
    return walked


def _overdue(w, today: dt.date):
    """Over a walk's rows (``_walk``): whether a debit is unpaid and past its grace day, and how much of it is
    unpaid (the part of it the member's credit does not reach)."""
    overdue = and_(w.cum > w.credit, w.overdue_after.is_not(None), w.overdue_after < today)
    short = case((w.amount < w.cum - w.credit, w.amount), else_=w.cum - w.credit)
    return overdue, short


def _standings_parts(today: dt.date, member_ids: list[int] | None):
    """The query behind ``standings`` (one row per member with debits: member_id, charged, credited,
    paid_through, oldest_unpaid, months_in_arrears, overdue_cents), with the credits subquery and member filter
    ``standings`` reuses.

    A debit is paid when the running total of debits up to it (in FIFO order)
    is covered by the member's credits; the paid debits are always a prefix.
    """
    def only(col):
        return col.in_(member_ids) if member_ids is not None else true()

    paid_in = select(Payment.member_id.label("member_id"), Payment.amount_cents.label("amount")).where(
        Payment.status == "completed", Payment.member_id.is_not(None), only(Payment.member_id))
    credit_adjustments = select(Adjustment.member_id, -Adjustment.amount_cents).where(
        effective_adjustments(), or_(Adjustment.amount_cents < 0, Adjustment.payment_id.is_not(None)),
        only(Adjustment.member_id))
    credit_rows = union_all(paid_in, credit_adjustments).subquery("credit_rows")
    credits = select(credit_rows.c.member_id, func.sum(credit_rows.c.amount).label("credit")).group_by(
        credit_rows.c.member_id).subquery("credits")

    walked = _walk(only, credits)

    w = walked.c
    unpaid = w.cum > w.credit
    overdue, short = _overdue(w, today)
    as_text = func.cast(w.day, String)
    return select(
        w.member_id.label("member_id"),
        func.sum(w.amount).label("charged"),
        func.max(w.credit).label("credited"),
        func.max(case((and_(~unpaid, w.period.is_not(None)), as_text + "|" + w.period))).label("paid_through"),
        func.min(case((and_(unpaid, w.period.is_not(None)), as_text + "|" + w.period))).label("oldest_unpaid"),
        func.sum(case((overdue, w.months), else_=0)).label("months_in_arrears"),
        func.sum(case((overdue, short), else_=0)).label("overdue_cents"),
    ).group_by(w.member_id), credits, only


def standing_totals_select(today: dt.date):
    """One row per member on the roll: (member_id, charged, credited, months_in_arrears, overdue_cents), the same
    figures as ``standings`` gives (zeros for a member it leaves out), for aggregates over the roll (the Dashboard).

    ``standings`` walks every member's debits in order (a window function over every charge).  Here most
    members need no walk.  The paid debits are always the oldest (a prefix, see ``_standings_parts``), so what
    a member has not paid, ``charged - clamp(credited, 0, charged)``, is their newest debits.  Every debit dated
    after the latest start of a period already past its grace day comes after every debit that can be overdue;
    when those later debits alone cover what the member has not paid, nothing of theirs is overdue.  Only the
    other members (the few actually behind) are walked.  The per-member sums read covering indexes
    (migration 0011), so no charge row is visited.
    """
    effective = effective_adjustments()
    overdue_from = select(func.max(DuesPeriod.starts_on)).where(DuesPeriod.grace_ends_on < today).scalar_subquery()
    no_overdue = overdue_from.is_(None)
    late_periods = select(DuesPeriod.id).where(or_(no_overdue, DuesPeriod.starts_on > overdue_from))

    def total(column, *where):
        """A member's sum, read from a covering index (migration 0011) for each member in turn."""
        return func.coalesce(select(func.sum(column)).where(*where).scalar_subquery(), 0)

    late_charges = select(Charge.member_id.label("member_id"), func.sum(Charge.amount_cents).label("late")).where(
        Charge.period_id.in_(late_periods)).group_by(Charge.member_id).subquery("late_charges")
    is_debit = and_(Adjustment.amount_cents > 0, Adjustment.payment_id.is_(None))
    late_day = or_(no_overdue, Adjustment.effective_on > overdue_from)
    adjusted = select(
        Adjustment.member_id.label("member_id"),
        func.sum(case((is_debit, Adjustment.amount_cents), else_=0)).label("debit"),
        func.sum(case((and_(is_debit, late_day), Adjustment.amount_cents), else_=0)).label("late"),
        func.sum(case((is_debit, 0), else_=-Adjustment.amount_cents)).label("credit"),
    ).where(effective).group_by(Adjustment.member_id).subquery("adjusted")
    charged = total(Charge.amount_cents, Charge.member_id == Member.id) + func.coalesce(adjusted.c.debit, 0)
    late = func.coalesce(late_charges.c.late, 0) + func.coalesce(adjusted.c.late, 0)
    credited = total(Payment.amount_cents, Payment.member_id == Member.id, Payment.status == "completed") + \
        func.coalesce(adjusted.c.credit, 0)
    totals = select(Member.id.label("member_id"), charged.label("charged"), late.label("late"),
                    credited.label("credited")).select_from(Member).join(
        late_charges, late_charges.c.member_id == Member.id, isouter=True).join(
        adjusted, adjusted.c.member_id == Member.id, isouter=True).cte("totals")
    t = totals.c
    paid = case((t.credited <= 0, 0), (t.credited >= t.charged, t.charged), else_=t.credited)
    behind = select(t.member_id).where(t.charged - paid > t.late)

    def only(col):
        return col.in_(behind)

    walked = _walk(only, select(t.member_id.label("member_id"), t.credited.label("credit")).where(
        t.member_id.in_(behind)).subquery("credits"))
    overdue, short = _overdue(walked.c, today)
    w = walked.c
    arrears = select(
        w.member_id.label("member_id"), func.sum(case((overdue, w.months), else_=0)).label("months"),
        func.sum(case((overdue, short), else_=0)).label("overdue"),
    ).group_by(w.member_id).subquery("arrears")
    return select(
        t.member_id.label("member_id"), t.charged.label("charged"), t.credited.label("credited"),
        func.coalesce(arrears.c.months, 0).label("months_in_arrears"),
        func.coalesce(arrears.c.overdue, 0).label("overdue_cents"),
    ).join(arrears, arrears.c.member_id == t.member_id, isouter=True)


def standings(session: Session, today: dt.date, member_ids: list[int] | None = None) -> dict[int, Standing]:
    """Every member's standing in one SQL query (window functions), the same as ``standings_by_walk``."""
    query, credits, only = _standings_parts(today, member_ids)
    walked = session.execute(query).all()
    pending = session.execute(select(Payment.member_id, func.sum(Payment.amount_cents)).where(
        Payment.status == "pending", Payment.member_id.is_not(None), only(Payment.member_id)).group_by(
        Payment.member_id)).all()
    credited = session.execute(select(credits.c.member_id, credits.c.credit)).all()
    return standings_from_rows(walked, pending, credited, member_ids or ())


def member_standing(session: Session, member_id: int, today: dt.date) -> Standing:
    """One member: the walk is cheaper than the roll-wide query for a handful of rows."""
    return standings_by_walk(session, today, [member_id])[member_id]
