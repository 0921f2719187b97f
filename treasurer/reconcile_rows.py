"""The rows a reconciliation reads: payouts, their balance transaction lines and the online payments.

``all_rows`` reads every one (or those since a day); ``count_rows`` lets the database sum the charge lines
that agree with the books, for the dashboard's count.  ``seen_in_balance`` finds the charge lines the payout
sync saw in the Stripe balance for payments no payout has carried.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

from sqlalchemy import and_, func, literal_column, or_, select
from sqlalchemy.orm import Session, aliased

from .models import BalanceLineSeen, BalanceTransaction, Payment, Payout
from .payouts import CHARGE_TYPES, ONLINE_METHODS


@dataclasses.dataclass
class Rows:
    """What the computation reads besides the small tables: payouts, their lines and online payments."""
    payouts: list                          # Payout rows, oldest first
    lines_by_payout: dict[int, list]       # payout id -> its balance transaction rows
    matchable: list                        # payments a charge line may match (by charge or payment intent id)
    unmatched_candidates: list             # payments to check for unknown_to_stripe (or in the Stripe balance)
    charge_sums: dict[int, tuple[int, int, int, int]] | None = None
    # When set (the count), lines_by_payout holds only the charge lines that disagree with the books, and
    # each payout's charge lines are summed here instead: payout id -> (count, gross, fees, net).


_TXN_COLUMNS = (BalanceTransaction.payout_id, BalanceTransaction.stripe_txn_id, BalanceTransaction.type,
                BalanceTransaction.reporting_category, BalanceTransaction.amount_cents, BalanceTransaction.fee_cents,
                BalanceTransaction.net_cents, BalanceTransaction.source_id, BalanceTransaction.charge_id,
                BalanceTransaction.payment_intent_id)
_PAYMENT_COLUMNS = (Payment.id, Payment.amount_cents, Payment.status, Payment.method, Payment.received_on,
                    Payment.stripe_charge_id, Payment.stripe_payment_intent_id, Payment.member_id)
_ONLINE = or_(Payment.stripe_charge_id.is_not(None), Payment.stripe_payment_intent_id.is_not(None))


def all_rows(s: Session, since: dt.date | None) -> Rows:
    payout_query = select(Payout).order_by(Payout.created, Payout.id)
    if since is not None:
        payout_query = payout_query.where(Payout.created >= _stamp(since))
    payouts = list(s.scalars(payout_query))
    lines_by_payout: dict[int, list] = defaultdict(list)
    if payouts:
        txn_query = select(*_TXN_COLUMNS).order_by(BalanceTransaction.id)
        if since is not None:
            txn_query = txn_query.where(BalanceTransaction.payout_id.in_(select(Payout.id).where(
                Payout.created >= _stamp(since))))
        for row in s.execute(txn_query):
            lines_by_payout[row.payout_id].append(row)
    online = list(s.execute(select(*_PAYMENT_COLUMNS).where(_ONLINE)))
    return Rows(payouts, lines_by_payout, online, online)


def count_rows(s: Session, cutoff: dt.date) -> Rows:
    """The rows the count needs (every payout; no ``since``), chosen by the database."""
    bt = BalanceTransaction
    is_charge = bt.type.in_(CHARGE_TYPES)
    by_charge, by_intent = aliased(Payment), aliased(Payment)
    # The payment a charge line matches: by its charge id, else by its payment intent id (as ChargeMatcher.find).
    has_charge = and_(bt.charge_id.is_not(None), bt.charge_id != "")
    has_intent = and_(bt.payment_intent_id.is_not(None), bt.payment_intent_id != "")
    matched = (select(bt.id.label("line"), *_TXN_COLUMNS).where(is_charge)
               .outerjoin(by_charge, and_(has_charge, by_charge.stripe_charge_id == bt.charge_id))
               .outerjoin(by_intent, and_(by_charge.id.is_(None), has_intent,
                                          by_intent.stripe_payment_intent_id == bt.payment_intent_id)))
    amount = func.coalesce(by_charge.amount_cents, by_intent.amount_cents)
    status = func.coalesce(by_charge.status, by_intent.status)
    # A line whose payment no member owns is a discrepancy too (payment_unassigned), so the loop sees it.
    owner_missing = and_(func.coalesce(by_charge.id, by_intent.id).is_not(None),
                         func.coalesce(by_charge.member_id, by_intent.member_id).is_(None))
    disagreeing = matched.where(or_(amount.is_(None), amount != bt.amount_cents, status != "completed",
                                    owner_missing))
    lines_by_payout: dict[int, list] = defaultdict(list)
    for row in s.execute(select(bt.id.label("line"), *_TXN_COLUMNS).where(~is_charge)
                         .union_all(disagreeing).subquery().select().order_by(literal_column("line"))):
        lines_by_payout[row.payout_id].append(row)
    charge_sums = {payout_id: (count, gross, fees, net) for payout_id, count, gross, fees, net in s.execute(
        select(bt.payout_id, func.count(), func.sum(bt.amount_cents), func.sum(bt.fee_cents), func.sum(bt.net_cents))
        .where(is_charge).group_by(bt.payout_id))}
    wanted_charges = {t.charge_id for lines in lines_by_payout.values() for t in lines if t.charge_id}
    wanted_intents = {t.payment_intent_id for lines in lines_by_payout.values() for t in lines if t.payment_intent_id}
    matchable = list(s.execute(select(*_PAYMENT_COLUMNS).where(or_(
        Payment.stripe_charge_id.in_(wanted_charges), Payment.stripe_payment_intent_id.in_(wanted_intents)))))
    # Online payments that no charge line matches: the only ones that can be unknown to Stripe.
    other = aliased(Payment)
    by_its_charge = select(bt.id).where(is_charge, has_charge, bt.charge_id == Payment.stripe_charge_id)
    by_its_intent = select(bt.id).where(
        is_charge, has_intent, bt.payment_intent_id == Payment.stripe_payment_intent_id,
        or_(~has_charge, ~select(other.id).where(other.stripe_charge_id == bt.charge_id).exists()))
    candidates = list(s.execute(select(*_PAYMENT_COLUMNS).where(
        _ONLINE, Payment.status == "completed", Payment.method.in_(ONLINE_METHODS), Payment.received_on <= cutoff,
        ~by_its_charge.exists(), ~by_its_intent.exists())))
    return Rows(list(s.scalars(select(Payout).order_by(Payout.created, Payout.id))), lines_by_payout, matchable,
                 candidates, charge_sums)


def seen_in_balance(s: Session, payments: list) -> dict[int, tuple]:
    """payment id -> the charge line the payout sync saw in the Stripe balance for it (by charge, else intent).

    A payment some stored payout line carries (a payout older than ``since``) is not in the balance.
    """
    charges = {row.stripe_charge_id for row in payments if row.stripe_charge_id}
    intents = {row.stripe_payment_intent_id for row in payments if row.stripe_payment_intent_id}
    if not charges and not intents:
        return {}
    seen_by_charge: dict[str, tuple] = {}
    seen_by_intent: dict[str, tuple] = {}
    paid_out: set[str] = set()
    cols = (BalanceLineSeen.stripe_txn_id, BalanceLineSeen.amount_cents, BalanceLineSeen.charge_id,
            BalanceLineSeen.payment_intent_id, BalanceLineSeen.available_on)
    for column, ids, into in ((BalanceLineSeen.charge_id, charges, seen_by_charge),
                              (BalanceLineSeen.payment_intent_id, intents, seen_by_intent)):
        for chunk in _chunks(sorted(ids)):
            for row in s.execute(select(*cols).where(BalanceLineSeen.type.in_(CHARGE_TYPES), column.in_(chunk))
                                 .order_by(BalanceLineSeen.id)):
                into.setdefault(getattr(row, column.key), row)
    for column, ids in ((BalanceTransaction.charge_id, charges), (BalanceTransaction.payment_intent_id, intents)):
        for chunk in _chunks(sorted(ids)):
            paid_out.update(s.scalars(select(column).where(BalanceTransaction.type.in_(CHARGE_TYPES),
                                                           column.in_(chunk))))
    out: dict[int, tuple] = {}
    for row in payments:
        if row.stripe_charge_id in paid_out or row.stripe_payment_intent_id in paid_out:
            continue
        line = (seen_by_charge.get(row.stripe_charge_id) if row.stripe_charge_id else None) or (
            seen_by_intent.get(row.stripe_payment_intent_id) if row.stripe_payment_intent_id else None)
        if line is not None:
            out[row.id] = line
    return out


def _chunks(ids: list[str], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _stamp(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp())
