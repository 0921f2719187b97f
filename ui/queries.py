"""Read models for the screens: one query per table, plain frozen records, nothing written.

Everything here reads through ``hall.read()`` sessions; writes go through the core's functions only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, select

from treasurer import clock
from treasurer.hall import Hall
from treasurer.ledger import Standing, effective_adjustments, standings
from treasurer.models import (
    Adjustment,
    AdjustmentDecision,
    AuditEntry,
    Charge,
    Classification,
    DuesPeriod,
    Member,
    Officer,
    Payment,
    PeriodClosing,
    ReviewItem,
    Slip,
)
from treasurer.payments import receipt_number

NO_STANDING = Standing(0, 0, 0, None, 0, 0, None, 0)


@dataclasses.dataclass(frozen=True)
class MemberRow:
    id: int
    number: str
    first_name: str
    last_name: str
    classification: str
    status: str
    email: str
    phone: str
    standing: Standing
    search: str

    @property
    def name(self) -> str:
        return f"{self.last_name}, {self.first_name}".strip(", ")

    @property
    def balance_cents(self) -> int:
        return self.standing.balance_cents

    @property
    def months_in_arrears(self) -> int:
        return self.standing.months_in_arrears


def member_rows(hall: Hall, today: dt.date | None = None, member_ids: Iterable[int] | None = None
                ) -> list[MemberRow]:
    """Every member (or these) with their standing: one query for the roll and one ``standings()`` call."""
    today = today or clock.today()
    ids = None if member_ids is None else sorted(member_ids)
    query = (select(Member.id, Member.member_number, Member.first_name, Member.last_name, Classification.name,
                    Member.status, Member.email, Member.phone)
             .join(Classification, Member.classification_id == Classification.id))
    if ids is not None:
        query = query.where(Member.id.in_(ids))
    with hall.read() as s:
        table = standings(s, today, ids)
        rows = s.execute(query).all()
    return [MemberRow(mid, number, first, last, klass, status, email, phone, table.get(mid, NO_STANDING),
                      f"{number} {first} {last} {last}, {first} {email} {phone}".casefold())
            for mid, number, first, last, klass, status, email, phone in rows]


@dataclasses.dataclass(frozen=True)
class PaymentRow:
    id: int
    member_number: str
    member_name: str
    amount_cents: int
    method: str
    status: str
    received_on: dt.date
    reference: str
    recorded_by: str
    stripe_id: str

    @property
    def receipt_no(self) -> str:
        return receipt_number(self.id)

    @property
    def search(self) -> str:
        return f"{self.receipt_no} {self.member_number} {self.member_name} {self.reference} {self.stripe_id}".casefold()


def payment_rows(hall: Hall, member_id: int | None = None, since: dt.date | None = None,
                 until: dt.date | None = None, ids: Iterable[int] | None = None) -> list[PaymentRow]:
    # Plain columns, not ORM objects: a big hall has 100,000+ payments and this is 10x faster.
    query = (select(Payment.id, Member.member_number, Member.first_name, Member.last_name, Payment.amount_cents,
                    Payment.method, Payment.status, Payment.received_on, Payment.reference, Payment.recorded_by,
                    Payment.stripe_payment_intent_id, Payment.stripe_checkout_session_id)
             .outerjoin(Member, Payment.member_id == Member.id))
    if member_id is not None:
        query = query.where(Payment.member_id == member_id)
    if since is not None:
        query = query.where(Payment.received_on >= since)
    if until is not None:
        query = query.where(Payment.received_on <= until)
    if ids is not None:
        query = query.where(Payment.id.in_(sorted(ids)))
    with hall.read() as s:
        rows = s.execute(query).all()
    return [PaymentRow(pid, number or "", f"{last or ''}, {first or ''}".strip(", "), amount, method, status, day,
                       ref, by, pi or cs or "")
            for pid, number, first, last, amount, method, status, day, ref, by, pi, cs in rows]


@dataclasses.dataclass(frozen=True)
class SlipRow:
    id: int
    member_number: str
    member_name: str
    periods: str
    covers: str
    amount_cents: int
    status: str
    url: str
    link_id: str
    pay_by: dt.date
    created_at: str

    @property
    def search(self) -> str:
        return f"{self.id} {self.member_number} {self.member_name} {self.periods} {self.url}".casefold()


def slip_rows(hall: Hall, member_id: int | None = None) -> list[SlipRow]:
    query = select(Slip, Member.member_number, Member.first_name, Member.last_name).join(
        Member, Slip.member_id == Member.id)
    if member_id is not None:
        query = query.where(Slip.member_id == member_id)
    with hall.read() as s:
        rows = s.execute(query).all()
    return [SlipRow(x.id, number, f"{last}, {first}".strip(", "), x.periods, x.covers, x.amount_cents, x.status,
                    x.url or "", x.link_id or "", x.pay_by, x.created_at) for x, number, first, last in rows]


def slips_by_id(hall: Hall, ids: list[int]) -> list[Slip]:
    """Slip rows with their members loaded, in member-number order (what the printer gets)."""
    from sqlalchemy.orm import joinedload

    with hall.read() as s:
        found = list(s.scalars(select(Slip).options(joinedload(Slip.member)).where(Slip.id.in_(ids))))
    return sorted(found, key=lambda x: (x.member.member_number, x.id))


@dataclasses.dataclass(frozen=True)
class AuditRow:
    seq: int
    at: str
    actor: str
    action: str
    entity_type: str
    entity_id: str
    before: str
    after: str

    @property
    def search(self) -> str:
        return f"{self.seq} {self.actor} {self.action} {self.entity_type} {self.entity_id} {self.after}".casefold()


def audit_rows(hall: Hall, limit: int = 2000, entity_type: str | None = None, entity_id: str | None = None,
               since: dt.date | None = None, until: dt.date | None = None) -> tuple[list[AuditRow], int]:
    """The newest entries that match, and how many match in all."""
    query = select(AuditEntry)
    count = select(func.count()).select_from(AuditEntry)
    conditions = []
    if entity_type:
        conditions.append(AuditEntry.entity_type == entity_type)
    if entity_id is not None:
        conditions.append(AuditEntry.entity_id == str(entity_id))
    if since:
        conditions.append(AuditEntry.at >= since.isoformat())
    if until:
        conditions.append(AuditEntry.at < (until + dt.timedelta(days=1)).isoformat())
    for condition in conditions:
        query, count = query.where(condition), count.where(condition)
    with hall.read() as s:
        total = s.scalar(count) or 0
        entries = list(s.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit)))
    return [AuditRow(e.seq, e.at, e.actor, e.action, e.entity_type, e.entity_id, e.before_json or "",
                     e.after_json or "") for e in entries], total


def audit_entity_types(hall: Hall) -> list[str]:
    with hall.read() as s:
        return sorted(s.scalars(select(AuditEntry.entity_type).distinct()))


@dataclasses.dataclass(frozen=True)
class RateRow:
    classification: str
    frequency: str
    amount_cents: int
    per_capita_cents: int
    effective_from: dt.date
    in_force: bool
    members: int

    @property
    def search(self) -> str:
        return f"{self.classification} {self.frequency}".casefold()


def rate_rows(hall: Hall, today: dt.date | None = None) -> list[RateRow]:
    from treasurer.dues import list_classifications, rate_in_force

    today = today or clock.today()
    with hall.read() as s:
        counts = dict(s.execute(select(Member.classification_id, func.count()).group_by(Member.classification_id)).all())
    rows = []
    for klass in list_classifications(hall):
        current = rate_in_force(klass.rates, today)
        for rate in klass.rates:
            rows.append(RateRow(klass.name, klass.frequency, rate.amount_cents, rate.per_capita_cents,
                                rate.effective_from, rate is current, counts.get(klass.id, 0)))
    return rows


@dataclasses.dataclass(frozen=True)
class PeriodRow:
    code: str
    frequency: str
    starts_on: dt.date
    due_on: dt.date
    grace_ends_on: dt.date
    charges: int
    total_cents: int
    closed: bool

    @property
    def search(self) -> str:
        return f"{self.code} {self.frequency}".casefold()


def period_rows(hall: Hall) -> list[PeriodRow]:
    with hall.read() as s:
        totals = {pid: (n, total) for pid, n, total in s.execute(
            select(Charge.period_id, func.count(), func.coalesce(func.sum(Charge.amount_cents), 0))
            .group_by(Charge.period_id))}
        last_action: dict[int, str] = {}
        for pid, action in s.execute(select(PeriodClosing.period_id, PeriodClosing.action).order_by(PeriodClosing.id)):
            last_action[pid] = action
        periods = list(s.scalars(select(DuesPeriod)))
    return [PeriodRow(p.code, p.frequency, p.starts_on, p.due_on, p.grace_ends_on, *totals.get(p.id, (0, 0)),
                      last_action.get(p.id) == "close") for p in periods]


@dataclasses.dataclass(frozen=True)
class AdjustmentRow:
    id: int
    member_number: str
    member_name: str
    kind: str
    amount_cents: int
    effective_on: dt.date
    reason: str
    requested_by: str
    state: str          # awaiting approval | approved | denied | in force
    decided_by: str

    @property
    def search(self) -> str:
        return f"{self.id} {self.member_number} {self.member_name} {self.kind} {self.reason} {self.state}".casefold()


def adjustment_rows(hall: Hall) -> list[AdjustmentRow]:
    with hall.read() as s:
        officers = dict(s.execute(select(Officer.id, Officer.name)).all())
        decisions = {d.adjustment_id: d for d in s.scalars(select(AdjustmentDecision))}
        rows = s.execute(select(Adjustment, Member.member_number, Member.first_name, Member.last_name)
                         .join(Member, Adjustment.member_id == Member.id)).all()
    out = []
    for a, number, first, last in rows:
        decision = decisions.get(a.id)
        state = decision.decision if decision else ("awaiting approval" if a.needs_approval else "in force")
        out.append(AdjustmentRow(a.id, number, f"{last}, {first}", a.kind, a.amount_cents, a.effective_on, a.reason,
                                 officers.get(a.requested_by_id or -1, ""), state,
                                 officers.get(decision.officer_id, "") if decision else ""))
    return out


def pending_adjustment_count(hall: Hall) -> int:
    decided = select(AdjustmentDecision.adjustment_id)
    with hall.read() as s:
        return s.scalar(select(func.count()).select_from(Adjustment).where(
            Adjustment.needs_approval.is_(True), Adjustment.id.not_in(decided))) or 0


def pending_review_count(hall: Hall) -> int:
    """What the Review screen lists: open review items and adjustments awaiting a second officer."""
    with hall.read() as s:
        items = s.scalar(select(func.count()).select_from(ReviewItem).where(ReviewItem.resolved_at.is_(None))) or 0
    return int(items) + pending_adjustment_count(hall)


def officer_names(hall: Hall) -> list[str]:
    """Officers who may act and vouch (deactivated ones are kept for the history they signed)."""
    with hall.read() as s:
        return list(s.scalars(select(Officer.name).where(Officer.active.is_(True)).order_by(Officer.name)))


@dataclasses.dataclass(frozen=True)
class OfficerRow:
    id: int
    name: str
    role: str
    active: bool
    created_at: str

    @property
    def search(self) -> str:
        return f"{self.name} {self.role}".casefold()


def officer_rows(hall: Hall) -> list[OfficerRow]:
    with hall.read() as s:
        rows = s.execute(select(Officer.id, Officer.name, Officer.role, Officer.active, Officer.created_at)).all()
    return [OfficerRow(oid, name, role, bool(active), created) for oid, name, role, active, created in rows]


def classification_names(hall: Hall) -> list[str]:
    with hall.read() as s:
        return list(s.scalars(select(Classification.name).order_by(Classification.name)))


def effective_adjustment_total(hall: Hall, since: dt.date, until: dt.date) -> int:
    with hall.read() as s:
        return s.scalar(select(func.coalesce(func.sum(Adjustment.amount_cents), 0)).where(
            effective_adjustments(), Adjustment.effective_on >= since, Adjustment.effective_on <= until)) or 0


def month_totals(hall: Hall, first_month: dt.date) -> tuple[dict[dt.date, int], dict[dt.date, dict[str, int]], int]:
    """Per month from ``first_month``: charges for periods starting then; completed payments by method.

    Also the total of pending (unsettled bank) payments.
    """
    expected: dict[dt.date, int] = defaultdict(int)
    collected: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with hall.read() as s:
        for starts_on, total in s.execute(
                select(DuesPeriod.starts_on, func.sum(Charge.amount_cents))
                .join(Charge, Charge.period_id == DuesPeriod.id)
                .where(DuesPeriod.starts_on >= first_month).group_by(DuesPeriod.id)):
            expected[starts_on.replace(day=1)] += int(total or 0)
        for day, method, total in s.execute(
                select(Payment.received_on, Payment.method, func.sum(Payment.amount_cents))
                .where(Payment.status == "completed", Payment.received_on >= first_month)
                .group_by(Payment.received_on, Payment.method)):
            collected[day.replace(day=1)][method] += int(total or 0)
        pending = s.scalar(select(func.coalesce(func.sum(Payment.amount_cents), 0))
                           .where(Payment.status == "pending")) or 0
    return dict(expected), {k: dict(v) for k, v in collected.items()}, int(pending)
