"""Reconciling Stripe payouts with the ledger, to the cent.

Computed from the stored rows every time and never stored, as the ledger is:
each payout's gross, fees, refunds, disputes and net, the ledger payments it
contains, and every discrepancy as data (the Stripe object, the ledger row if
any, and a sentence saying what is wrong).  Only the treasurer's resolution
notes are stored, keyed by the discrepancy's kind and ref.

An online payment that no payout has carried yet but whose charge the payout
sync saw in the Stripe balance (``balance_lines_seen``) is money not yet paid
out: it is listed in ``Reconciliation.in_balance``, never as a discrepancy.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

from sqlalchemy import and_, func, literal_column, or_, select
from sqlalchemy.orm import Session, aliased

from . import clock
from .errors import NotFound, ValidationError
from .hall import Hall
from .models import (BalanceLineSeen, BalanceTransaction, DiscrepancyResolution, Dispute, Payment, Payout, Refund,
                     ReviewItem)
from .money import format_cents
from .payments import receipt_number
from .payouts import CHARGE_TYPES, ONLINE_METHODS, PAYOUT_RETURN_TYPES, REFUND_FAILURE_TYPES, REFUND_TYPES

STALE_DAYS = 7          # a card/ACH payment older than this should be in some payout (or seen in the balance)
FAILED_PAYOUT = ("failed", "canceled")

KIND_LABELS = {
    "missing_from_ledger": "Stripe money not in the books",
    "unknown_to_stripe": "Payment Stripe does not know",
    "amount_differs": "Amounts differ",
    "status_differs": "Status differs",
    "refund_unreviewed": "Refund not reviewed",
    "dispute_unreviewed": "Dispute not reviewed",
    "payout_failed": "Payout failed after paid",
    "payout_total_differs": "Payout total differs",
}


@dataclasses.dataclass(frozen=True)
class Discrepancy:
    kind: str
    ref: str                          # stable identity with ``kind``: a txn_, po_, re_, dp_ id or payment:12
    explanation: str
    stripe_object: str | None         # the Stripe id(s) concerned
    stripe_amount_cents: int | None
    ledger_row: str | None            # payment:12, refund:3, dispute:4 or None
    ledger_amount_cents: int | None
    payout: str | None                # the payout it sits in, if any
    resolution: str | None = None
    resolved_by: str | None = None
    resolved_at: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.ref}"

    @property
    def resolved(self) -> bool:
        return self.resolution is not None

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


@dataclasses.dataclass(frozen=True)
class PayoutLine:
    stripe_txn_id: str
    kind: str                 # charge | refund | refund_failure | dispute | payout | payout_failure | other
    source_id: str
    amount_cents: int
    fee_cents: int
    net_cents: int
    ledger_row: str | None    # payment:12, refund:3, dispute:4, payout:po_... (the failed payout returned)


@dataclasses.dataclass(frozen=True)
class PayoutReport:
    stripe_payout_id: str
    status: str
    arrival_date: dt.date
    amount_cents: int
    gross_cents: int          # payments collected (charges)
    fee_cents: int            # Stripe's fees, the hall's expense (dispute fees included)
    refund_cents: int         # negative: money given back (net of refunds that failed)
    dispute_cents: int        # negative: chargebacks (net of reversals)
    other_cents: int          # failed payouts' money returned to the balance, and anything else
    net_cents: int            # what the lines add up to; equals amount_cents when reconciled
    payment_ids: tuple[int, ...]
    lines: tuple[PayoutLine, ...]
    discrepancies: tuple[Discrepancy, ...]

    @property
    def state(self) -> str:
        """reconciled | explained (every difference resolved with a note) | unreconciled | awaiting | failed."""
        if self.status in FAILED_PAYOUT and not self.discrepancies:
            return "failed"
        if not self.lines:
            return "awaiting"
        if not self.discrepancies:
            return "reconciled"
        return "explained" if all(d.resolved for d in self.discrepancies) else "unreconciled"


@dataclasses.dataclass(frozen=True)
class InBalance:
    """A ledger payment whose charge is in the Stripe balance, not yet paid out: no discrepancy."""
    payment_id: int
    amount_cents: int                 # the ledger's amount
    received_on: dt.date
    stripe_object: str                # the charge (or payment intent) id
    stripe_txn_id: str                # the balance transaction seen in the balance
    stripe_amount_cents: int          # that line's gross amount
    available_on: dt.date | None      # when Stripe makes it available for a payout


@dataclasses.dataclass(frozen=True)
class Reconciliation:
    payouts: tuple[PayoutReport, ...]
    discrepancies: tuple[Discrepancy, ...]     # every one, resolved ones included
    in_balance: tuple[InBalance, ...] = ()     # ledger payments still in the Stripe balance, oldest first

    @property
    def in_balance_cents(self) -> int:
        return sum(p.amount_cents for p in self.in_balance)

    @property
    def open_discrepancies(self) -> tuple[Discrepancy, ...]:
        return tuple(d for d in self.discrepancies if not d.resolved)

    @property
    def ok(self) -> bool:
        return not self.open_discrepancies

    def total(self, field: str) -> int:
        return sum(getattr(p, field) for p in self.payouts if p.status not in FAILED_PAYOUT)


def reconcile(hall: Hall, since: dt.date | None = None, today: dt.date | None = None,
              stale_days: int = STALE_DAYS) -> Reconciliation:
    with hall.read() as s:
        return reconcile_session(s, hall.currency, since, today or clock.today(), stale_days)


def open_discrepancy_count(hall: Hall, today: dt.date | None = None, stale_days: int = STALE_DAYS) -> int:
    """For the dashboard: ``len(reconcile(hall).open_discrepancies)``, without reading every payment and line.

    The same computation as ``reconcile`` runs, but the database sums each payout's charge lines and hands over
    only the charge lines that disagree with the books and the online payments that no charge line matches;
    everything else (refunds, disputes, returned payouts, totals, resolutions) is read and checked as usual.
    Its ``in_balance`` is partial (only payments older than the cutoff), which the count does not need.
    """
    today = today or clock.today()
    with hall.read() as s:
        rows = _count_rows(s, today - dt.timedelta(days=stale_days))
        return len(_compute(s, hall.currency, None, today, stale_days, rows).open_discrepancies)


def resolve_discrepancy(hall: Hall, key: str, note: str) -> Discrepancy:
    """Record the treasurer's note on one open discrepancy (``kind:ref``, as ``Discrepancy.key``)."""
    if not note.strip():
        raise ValidationError("Resolving a discrepancy needs a note saying what was found or done.")
    current = {d.key: d for d in reconcile(hall).discrepancies}
    found = current.get(key.strip())
    if found is None:
        raise NotFound(f"There is no discrepancy {key!r} now; 'treasurer reconcile' lists them.")
    if found.resolved:
        raise ValidationError(f"The discrepancy {key} was already resolved by {found.resolved_by}.")
    with hall.write() as tx:
        row = DiscrepancyResolution(kind=found.kind, ref=found.ref, note=note.strip(), resolved_by=tx.actor,
                                    resolved_at=clock.stamp())
        tx.session.add(row)
        tx.session.flush()
        tx.audit("discrepancy.resolve", "discrepancy", found.key, None,
                 {"kind": found.kind, "ref": found.ref, "explanation": found.explanation, "note": row.note})
    return dataclasses.replace(found, resolution=row.note, resolved_by=row.resolved_by, resolved_at=row.resolved_at)


# The computation -----------------------------------------------------------------------------------------

@dataclasses.dataclass
class _Rows:
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
                    Payment.stripe_charge_id, Payment.stripe_payment_intent_id)
_ONLINE = or_(Payment.stripe_charge_id.is_not(None), Payment.stripe_payment_intent_id.is_not(None))


def _all_rows(s: Session, since: dt.date | None) -> _Rows:
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
    return _Rows(payouts, lines_by_payout, online, online)


def _count_rows(s: Session, cutoff: dt.date) -> _Rows:
    """The rows the count needs (every payout; no ``since``), chosen by the database."""
    bt = BalanceTransaction
    is_charge = bt.type.in_(CHARGE_TYPES)
    by_charge, by_intent = aliased(Payment), aliased(Payment)
    # The payment a charge line matches: by its charge id, else by its payment intent id (as in _compute).
    has_charge = and_(bt.charge_id.is_not(None), bt.charge_id != "")
    has_intent = and_(bt.payment_intent_id.is_not(None), bt.payment_intent_id != "")
    matched = (select(bt.id.label("line"), *_TXN_COLUMNS).where(is_charge)
               .outerjoin(by_charge, and_(has_charge, by_charge.stripe_charge_id == bt.charge_id))
               .outerjoin(by_intent, and_(by_charge.id.is_(None), has_intent,
                                          by_intent.stripe_payment_intent_id == bt.payment_intent_id)))
    amount = func.coalesce(by_charge.amount_cents, by_intent.amount_cents)
    status = func.coalesce(by_charge.status, by_intent.status)
    disagreeing = matched.where(or_(amount.is_(None), amount != bt.amount_cents, status != "completed"))
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
    return _Rows(list(s.scalars(select(Payout).order_by(Payout.created, Payout.id))), lines_by_payout, matchable,
                 candidates, charge_sums)


def reconcile_session(s: Session, currency: str, since: dt.date | None, today: dt.date,
                      stale_days: int = STALE_DAYS) -> Reconciliation:
    return _compute(s, currency, since, today, stale_days, _all_rows(s, since))


def _compute(s: Session, currency: str, since: dt.date | None, today: dt.date, stale_days: int,
             rows: _Rows) -> Reconciliation:
    def money(cents: int) -> str:
        return format_cents(cents, currency)

    payouts, lines_by_payout = rows.payouts, rows.lines_by_payout
    by_charge: dict[str, tuple] = {}
    by_intent: dict[str, tuple] = {}
    for row in rows.matchable:
        if row.stripe_charge_id:
            by_charge[row.stripe_charge_id] = row
        if row.stripe_payment_intent_id:
            by_intent[row.stripe_payment_intent_id] = row
    refunds = {r.stripe_refund_id: r for r in s.execute(
        select(Refund.id, Refund.stripe_refund_id, Refund.amount_cents, Refund.status, Refund.payment_id))}
    disputes = {d.stripe_dispute_id: d for d in s.execute(
        select(Dispute.id, Dispute.stripe_dispute_id, Dispute.amount_cents, Dispute.status, Dispute.payment_id))}
    open_reviews = defaultdict(list)
    for kind, ref, item_id in s.execute(select(ReviewItem.kind, ReviewItem.ref, ReviewItem.id).where(
            ReviewItem.resolved_at.is_(None), ReviewItem.kind.in_(("refund", "dispute")))):
        open_reviews[ref.split(":")[1]].append(item_id)
    notes = {(r.kind, r.ref): r for r in s.scalars(select(DiscrepancyResolution))}
    # Every payout the books know (a failed one may be older than ``since``), and where each failed
    # payout's money came back: the later payout holding its payout_failure line.
    known_payouts = {r.stripe_payout_id: r for r in s.execute(
        select(Payout.stripe_payout_id, Payout.status, Payout.amount_cents))}
    payout_ids = {p.id: p.stripe_payout_id for p in payouts}
    returned_in = {t.source_id: payout_ids[payout_id] for payout_id, rows in lines_by_payout.items()
                   for t in rows if t.type in PAYOUT_RETURN_TYPES}

    found: list[Discrepancy] = []

    def add(kind: str, ref: str, explanation: str, stripe_object: str | None, stripe_amount: int | None,
            ledger_row: str | None, ledger_amount: int | None, payout: str | None) -> Discrepancy:
        note = notes.get((kind, ref))
        d = Discrepancy(kind, ref, explanation, stripe_object, stripe_amount, ledger_row, ledger_amount, payout,
                        note.note if note else None, note.resolved_by if note else None,
                        note.resolved_at if note else None)
        found.append(d)
        return d

    matched_payments: set[int] = set()
    reviewed: set[str] = set()   # one *_unreviewed per refund or dispute, however many payouts its lines are in
    reports: list[PayoutReport] = []
    for payout in payouts:
        po = payout.stripe_payout_id
        mine: list[Discrepancy] = []
        gross = fees = refunded = disputed = other = net = 0
        payment_ids: list[int] = []
        out_lines: list[PayoutLine] = []
        for t in lines_by_payout.get(payout.id, ()):
            kind = _kind(t.type, t.reporting_category, t.source_id)
            ledger = None
            if kind == "payout":
                if t.source_id == po and -t.amount_cents != payout.amount_cents:
                    mine.append(add("payout_total_differs", t.stripe_txn_id,
                                    f"Payout {po} is {money(payout.amount_cents)} but its own balance transaction "
                                    f"takes {money(-t.amount_cents)} out of the Stripe balance.",
                                    f"{po} {t.stripe_txn_id}", -t.amount_cents, None, None, po))
                out_lines.append(PayoutLine(t.stripe_txn_id, kind, t.source_id, t.amount_cents, t.fee_cents,
                                            t.net_cents, None))
                continue
            if kind != "charge" or rows.charge_sums is None:   # else the database summed the charge lines
                fees += t.fee_cents
                net += t.net_cents
                gross += t.amount_cents if kind == "charge" else 0
            if kind == "payout_failure":
                other += t.amount_cents
                failed = known_payouts.get(t.source_id)
                what = f"{t.source_id} {t.stripe_txn_id}"
                if failed is None:
                    mine.append(add("missing_from_ledger", t.stripe_txn_id,
                                    f"Stripe returned {money(t.amount_cents)} from payout {t.source_id} to the "
                                    f"balance ({t.type}) and paid it out again in {po}, but the books have no such "
                                    f"payout: sync payouts from before it.", what, t.amount_cents, None, None, po))
                else:
                    ledger = f"payout:{t.source_id}"
                    if failed.amount_cents != t.amount_cents:
                        mine.append(add("amount_differs", t.stripe_txn_id,
                                        f"Stripe returned {money(t.amount_cents)} from payout {t.source_id} in "
                                        f"{po}, but that payout was {money(failed.amount_cents)}.",
                                        what, t.amount_cents, ledger, failed.amount_cents, po))
                    elif failed.status not in FAILED_PAYOUT:
                        mine.append(add("status_differs", t.stripe_txn_id,
                                        f"Stripe returned {money(t.amount_cents)} from payout {t.source_id} in {po} "
                                        f"because it {'failed' if t.type == 'payout_failure' else 'was canceled'}, "
                                        f"but the books show that payout as {failed.status}: sync payouts again.",
                                        what, t.amount_cents, ledger, failed.amount_cents, po))
            elif kind == "refund_failure":
                refunded += t.amount_cents
                ref = refunds.get(t.source_id)
                if ref is None:
                    mine.append(add("missing_from_ledger", t.stripe_txn_id,
                                    f"Refund {t.source_id} (on {t.charge_id or 'an unknown charge'}) failed and "
                                    f"Stripe returned {money(t.amount_cents)} to the balance in {po}, but the books "
                                    f"have no such refund.", t.source_id, t.amount_cents, None, None, po))
                else:
                    ledger = f"refund:{ref.id}"
                    if ref.amount_cents != t.amount_cents:
                        mine.append(add("amount_differs", t.stripe_txn_id,
                                        f"Refund {t.source_id} failed and Stripe returned {money(t.amount_cents)} "
                                        f"in {po}, but the books record the refund as {money(ref.amount_cents)}.",
                                        t.source_id, t.amount_cents, ledger, ref.amount_cents, po))
                    elif ref.status not in ("failed", "canceled"):
                        mine.append(add("status_differs", t.stripe_txn_id,
                                        f"Refund {t.source_id} failed and Stripe returned {money(t.amount_cents)} to "
                                        f"the balance in {po}, but the books show the refund as {ref.status}.",
                                        t.source_id, t.amount_cents, ledger, ref.amount_cents, po))
                    if open_reviews.get(t.source_id) and t.source_id not in reviewed:
                        reviewed.add(t.source_id)
                        mine.append(add("refund_unreviewed", t.source_id,
                                        f"Refund {t.source_id} of {money(ref.amount_cents)} failed and its money "
                                        f"came back in {po}, but its review item is still open.",
                                        t.source_id, t.amount_cents, ledger, ref.amount_cents, po))
            elif kind == "charge":
                pay = (by_charge.get(t.charge_id) if t.charge_id else None) or (
                    by_intent.get(t.payment_intent_id) if t.payment_intent_id else None)
                what = f"{t.charge_id or t.source_id}" + (f" ({t.payment_intent_id})" if t.payment_intent_id else "")
                if pay is None:
                    mine.append(add("missing_from_ledger", t.stripe_txn_id,
                                    f"Stripe collected {money(t.amount_cents)} ({what}) and paid it out in {po}, "
                                    f"but the books have no payment for it.", what, t.amount_cents, None, None, po))
                else:
                    ledger = f"payment:{pay.id}"
                    matched_payments.add(pay.id)
                    payment_ids.append(pay.id)
                    if pay.amount_cents != t.amount_cents:
                        mine.append(add("amount_differs", t.stripe_txn_id,
                                        f"Stripe collected {money(t.amount_cents)} ({what}) but the books record "
                                        f"payment {receipt_number(pay.id)} as {money(pay.amount_cents)}.",
                                        what, t.amount_cents, ledger, pay.amount_cents, po))
                    elif pay.status != "completed":
                        mine.append(add("status_differs", t.stripe_txn_id,
                                        f"Stripe paid out {money(t.amount_cents)} ({what}) in {po}, but the books "
                                        f"show payment {receipt_number(pay.id)} as {pay.status}.",
                                        what, t.amount_cents, ledger, pay.amount_cents, po))
            elif kind == "refund":
                refunded += t.amount_cents
                ref = refunds.get(t.source_id)
                if ref is None:
                    mine.append(add("missing_from_ledger", t.stripe_txn_id,
                                    f"Stripe refunded {money(-t.amount_cents)} ({t.source_id} on "
                                    f"{t.charge_id or 'an unknown charge'}) in {po}, but the books have no such "
                                    f"refund.", t.source_id, t.amount_cents, None, None, po))
                else:
                    ledger = f"refund:{ref.id}"
                    if ref.amount_cents != -t.amount_cents:
                        mine.append(add("amount_differs", t.stripe_txn_id,
                                        f"Stripe refunded {money(-t.amount_cents)} ({t.source_id}) but the books "
                                        f"record the refund as {money(ref.amount_cents)}.",
                                        t.source_id, t.amount_cents, ledger, -ref.amount_cents, po))
                    if open_reviews.get(t.source_id) and t.source_id not in reviewed:
                        reviewed.add(t.source_id)
                        mine.append(add("refund_unreviewed", t.source_id,
                                        f"Refund {t.source_id} of {money(-t.amount_cents)} was paid out in {po} "
                                        f"but its review item is still open, so the member's ledger may not "
                                        f"show it yet.", t.source_id, t.amount_cents, ledger, -ref.amount_cents, po))
            elif kind == "dispute":
                disputed += t.amount_cents
                dis = disputes.get(t.source_id)
                if dis is None:
                    mine.append(add("missing_from_ledger", t.stripe_txn_id,
                                    f"Stripe moved {money(t.amount_cents)} for dispute {t.source_id} (on "
                                    f"{t.charge_id or 'an unknown charge'}) in {po}, but the books have no such "
                                    f"dispute.", t.source_id, t.amount_cents, None, None, po))
                else:
                    ledger = f"dispute:{dis.id}"
                    if dis.amount_cents != abs(t.amount_cents):
                        mine.append(add("amount_differs", t.stripe_txn_id,
                                        f"Stripe moved {money(t.amount_cents)} for dispute {t.source_id} but the "
                                        f"books record the dispute as {money(dis.amount_cents)}.",
                                        t.source_id, t.amount_cents, ledger, dis.amount_cents, po))
                    if open_reviews.get(t.source_id) and t.source_id not in reviewed:
                        reviewed.add(t.source_id)
                        mine.append(add("dispute_unreviewed", t.source_id,
                                        f"Dispute {t.source_id} ({dis.status}, {money(dis.amount_cents)}) moved "
                                        f"money in {po} but its review item is still open.",
                                        t.source_id, t.amount_cents, ledger, dis.amount_cents, po))
            else:
                other += t.amount_cents
                mine.append(add("missing_from_ledger", t.stripe_txn_id,
                                f"Stripe's {t.type} {t.stripe_txn_id} of {money(t.amount_cents)} (fee "
                                f"{money(t.fee_cents)}) in {po} is nothing the books know about.",
                                t.stripe_txn_id, t.amount_cents, None, None, po))
            out_lines.append(PayoutLine(t.stripe_txn_id, kind, t.source_id, t.amount_cents, t.fee_cents,
                                        t.net_cents, ledger))
        has_lines = bool(out_lines)
        if rows.charge_sums is not None:
            count, charge_gross, charge_fees, charge_net = rows.charge_sums.get(payout.id, (0, 0, 0, 0))
            gross, fees, net, has_lines = gross + charge_gross, fees + charge_fees, net + charge_net, has_lines or count
        if has_lines and net != payout.amount_cents:
            mine.append(add("payout_total_differs", po,
                            f"Payout {po} is {money(payout.amount_cents)} but its balance transactions add up to "
                            f"{money(net)} ({money(net - payout.amount_cents)} apart).",
                            po, payout.amount_cents, None, net, po))
        if payout.status in FAILED_PAYOUT and payout.shown_paid:
            mine.append(add("payout_failed", po,
                            f"Stripe first reported payout {po} of {money(payout.amount_cents)} as paid, then as "
                            f"{payout.status}" + (f" ({payout.failure_code})" if payout.failure_code else "") +
                            ": the money did not reach the bank. Check the bank account details in Stripe; the "
                            "money goes back to the Stripe balance" + (
                                f" and Stripe paid it out again in {returned_in[po]}." if po in returned_in else
                                " and is paid out again in a later payout."),
                            po, payout.amount_cents, None, None, po))
        reports.append(PayoutReport(po, payout.status, payout.arrival_date, payout.amount_cents, gross, fees,
                                    refunded, disputed, other, net, tuple(payment_ids), tuple(out_lines),
                                    tuple(mine)))

    # Ledger payments Stripe never paid out (in the payouts this computation looked at): still in the Stripe
    # balance when the sync saw their charge there, else, once old enough, unknown to Stripe.
    cutoff = today - dt.timedelta(days=stale_days)
    leftover = [row for row in rows.unmatched_candidates
                if row.id not in matched_payments and row.status == "completed" and row.method in ONLINE_METHODS
                and (since is None or row.received_on >= since)]
    seen = _seen_in_balance(s, leftover)
    in_balance: list[InBalance] = []
    for row in leftover:
        line = seen.get(row.id)
        what = row.stripe_charge_id or row.stripe_payment_intent_id
        if line is not None:
            in_balance.append(InBalance(row.id, row.amount_cents, row.received_on, line.charge_id or what,
                                        line.stripe_txn_id, line.amount_cents,
                                        _day(line.available_on) if line.available_on is not None else None))
            continue
        if row.received_on > cutoff:
            continue
        add("unknown_to_stripe", f"payment:{row.id}",
            f"The books record online payment {receipt_number(row.id)} of {money(row.amount_cents)} ({what}) "
            f"received {row.received_on.isoformat()}, but no Stripe payout contains it and the payout sync did not "
            f"see it in the Stripe balance.", what, None, f"payment:{row.id}", row.amount_cents, None)
    in_balance.sort(key=lambda p: (p.received_on, p.payment_id))
    return Reconciliation(tuple(reports), tuple(found), tuple(in_balance))


def _seen_in_balance(s: Session, payments: list) -> dict[int, tuple]:
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


def _day(stamp: int) -> dt.date:
    return dt.datetime.fromtimestamp(int(stamp), dt.UTC).date()


def _kind(txn_type: str, category: str, source_id: str) -> str:
    if txn_type in CHARGE_TYPES:
        return "charge"
    if txn_type in REFUND_TYPES:
        return "refund"
    if txn_type in REFUND_FAILURE_TYPES:
        return "refund_failure"
    if txn_type in PAYOUT_RETURN_TYPES:
        return "payout_failure"
    if txn_type == "payout" or txn_type.startswith("payout_"):
        return "payout"
    if category in ("dispute", "dispute_reversal") or source_id.startswith("dp_"):
        return "dispute"
    return "other"


def _stamp(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp())
