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

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .text_input import clean_name
from . import clock
from .errors import NotFound, ValidationError
from .hall import Hall
from .models import DiscrepancyResolution, Dispute, Payment, Payout, Refund, ReviewItem
from .money import format_cents
from .payments import receipt_number
from .payouts import ONLINE_METHODS, PAYOUT_RETURN_TYPES
from .reconcile_rows import Rows, all_rows, count_rows, seen_in_balance
from .reconcile_lines import FAILED_PAYOUT, line_kind, matchers

STALE_DAYS = 7          # a card/ACH payment older than this should be in some payout (or seen in the balance)

KIND_LABELS = {
    "missing_from_ledger": "Stripe money not in the books",
    "unknown_to_stripe": "Payment Stripe does not know",
    "amount_differs": "Amounts differ",
    "status_differs": "Status differs",
    "refund_unreviewed": "Refund not reviewed",
    "dispute_unreviewed": "Dispute not reviewed",
    "payout_failed": "Payout failed after paid",
    "payout_total_differs": "Payout total differs",
    "payment_unassigned": "Payment no member owns",
}

# Discrepancies that a note cannot settle: the books must change (the payment given to its member).
SETTLED_IN_REVIEW = ("payment_unassigned",)


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
class Unassigned:
    """An online payment recorded without a member (it waits in Review for its owner)."""
    payment_id: int
    amount_cents: int
    received_on: dt.date
    stripe_object: str | None         # the charge (or payment intent) id
    payout: str | None                # the payout that carried it, if one did
    review_item_id: int | None        # its open unmatched_payment review item, if any


@dataclasses.dataclass(frozen=True)
class MoneyReview:
    """An open review item that touches money (a refund, a dispute, an unmatched or failed payment...)."""
    item_id: int
    kind: str
    label: str
    amount_cents: int | None
    summary: str


@dataclasses.dataclass(frozen=True)
class Reconciliation:
    payouts: tuple[PayoutReport, ...]
    discrepancies: tuple[Discrepancy, ...]     # every one, resolved ones included
    in_balance: tuple[InBalance, ...] = ()     # ledger payments still in the Stripe balance, oldest first
    unassigned: tuple[Unassigned, ...] = ()    # online payments no member owns (paid out or not)
    money_reviews: tuple[MoneyReview, ...] = ()    # open review items that touch money, oldest first

    @property
    def unassigned_in_payouts(self) -> tuple[Unassigned, ...]:
        return tuple(u for u in self.unassigned if u.payout is not None)

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
        rows = count_rows(s, today - dt.timedelta(days=stale_days))
        return len(_compute(s, hall.currency, None, today, stale_days, rows).open_discrepancies)


def resolve_discrepancy(hall: Hall, key: str, note: str) -> Discrepancy:
    """Record the treasurer's note on one open discrepancy (``kind:ref``, as ``Discrepancy.key``)."""
    note = clean_name(note, "note", required=False)
    if not note:
        raise ValidationError("Resolving a discrepancy needs a note saying what was found or done.")
    current = {d.key: d for d in reconcile(hall).discrepancies}
    found = current.get(key.strip())
    if found is None:
        raise NotFound(f"There is no discrepancy {key!r} now; 'treasurer reconcile' lists them.")
    if found.resolved:
        raise ValidationError(f"The discrepancy {key} was already resolved by {found.resolved_by}.")
    if found.kind in SETTLED_IN_REVIEW:
        raise ValidationError(f"A payment no member owns is not settled with a note: give it to its member "
                              f"('treasurer review assign', or Review in the window) and {key} goes away.")
    with hall.write() as tx:
        row = DiscrepancyResolution(kind=found.kind, ref=found.ref, note=note.strip(), resolved_by=tx.actor,
                                    resolved_at=clock.stamp())
        tx.session.add(row)
        tx.session.flush()
        tx.audit("discrepancy.resolve", "discrepancy", found.key, None,
                 {"kind": found.kind, "ref": found.ref, "explanation": found.explanation, "note": row.note})
    return dataclasses.replace(found, resolution=row.note, resolved_by=row.resolved_by, resolved_at=row.resolved_at)


# The computation -----------------------------------------------------------------------------------------

def reconcile_session(s: Session, currency: str, since: dt.date | None, today: dt.date,
                      stale_days: int = STALE_DAYS) -> Reconciliation:
    result = _compute(s, currency, since, today, stale_days, all_rows(s, since))
    return dataclasses.replace(result, unassigned=_unassigned(s, result), money_reviews=_money_reviews(s))


# Review items whose kind touches money even when the item carries no amount.
MONEY_REVIEW_KINDS = ("unmatched_payment", "refund", "dispute", "ach_failed", "overpayment", "stale_slip_payment")


def _unassigned(s: Session, result: Reconciliation) -> tuple[Unassigned, ...]:
    """Every completed online payment without a member, with the payout that carried it (whatever ``since``)."""
    carried = {int(line.ledger_row.split(":")[1]): p.stripe_payout_id for p in result.payouts for line in p.lines
               if line.kind == "charge" and line.ledger_row and line.ledger_row.startswith("payment:")}
    carried.update({int(d.ref.split(":")[1]): d.payout for d in result.discrepancies
                    if d.kind == "payment_unassigned"})
    items = {ref: item_id for item_id, ref in s.execute(select(ReviewItem.id, ReviewItem.ref).where(
        ReviewItem.kind == "unmatched_payment", ReviewItem.resolved_at.is_(None)))}
    rows = s.execute(select(Payment.id, Payment.amount_cents, Payment.received_on, Payment.stripe_charge_id,
                            Payment.stripe_payment_intent_id).where(
        Payment.member_id.is_(None), Payment.status == "completed",
        or_(Payment.stripe_charge_id.is_not(None), Payment.stripe_payment_intent_id.is_not(None)))
        .order_by(Payment.received_on, Payment.id))
    return tuple(Unassigned(r.id, r.amount_cents, r.received_on, r.stripe_charge_id or r.stripe_payment_intent_id,
                            carried.get(r.id), items.get(f"payment:{r.id}")) for r in rows)


def _money_reviews(s: Session) -> tuple[MoneyReview, ...]:
    from .review import KIND_LABELS

    rows = s.scalars(select(ReviewItem).where(ReviewItem.resolved_at.is_(None), or_(
        ReviewItem.kind.in_(MONEY_REVIEW_KINDS), ReviewItem.amount_cents.is_not(None))).order_by(ReviewItem.id))
    return tuple(MoneyReview(r.id, r.kind, KIND_LABELS.get(r.kind, r.kind), r.amount_cents, r.summary)
                 for r in rows)


def _compute(s: Session, currency: str, since: dt.date | None, today: dt.date, stale_days: int,
             rows: Rows) -> Reconciliation:
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

    match_line = matchers(by_charge, by_intent, refunds, disputes, known_payouts)
    matched_payments: set[int] = set()
    reviewed: set[str] = set()   # one *_unreviewed per refund or dispute, however many payouts its lines are in
    reports: list[PayoutReport] = []
    for payout in payouts:
        po = payout.stripe_payout_id
        mine: list[Discrepancy] = []
        totals = dict.fromkeys(("gross", "refund", "dispute", "other"), 0)
        fees = net = 0
        payment_ids: list[int] = []
        out_lines: list[PayoutLine] = []
        for t in lines_by_payout.get(payout.id, ()):
            kind = line_kind(t.type, t.reporting_category, t.source_id)
            if kind == "payout":   # the payout's own line: checked against the payout, not the books
                if t.source_id == po and -t.amount_cents != payout.amount_cents:
                    mine.append(add("payout_total_differs", t.stripe_txn_id,
                                    f"Payout {po} is {money(payout.amount_cents)} but its own balance transaction "
                                    f"takes {money(-t.amount_cents)} out of the Stripe balance.",
                                    f"{po} {t.stripe_txn_id}", -t.amount_cents, None, None, po))
                out_lines.append(PayoutLine(t.stripe_txn_id, kind, t.source_id, t.amount_cents, t.fee_cents,
                                            t.net_cents, None))
                continue
            match = match_line[kind]
            if kind != "charge" or rows.charge_sums is None:   # else the database summed the charge lines
                fees += t.fee_cents
                net += t.net_cents
                totals[match.total] += t.amount_cents
            row = match.find(t)
            if row is None:
                ledger = None
                mine.append(add("missing_from_ledger", t.stripe_txn_id, match.missing(t, po, money),
                                match.stripe_object(t), t.amount_cents, None, None, po))
            else:
                ledger = match.ledger_row(row)
                if match.is_payment:
                    matched_payments.add(row.id)
                    payment_ids.append(row.id)
                if not match.amount_agrees(row, t):
                    mine.append(add("amount_differs", t.stripe_txn_id, match.amount_differs(t, row, po, money),
                                    match.stripe_object(t), t.amount_cents, ledger, match.ledger_amount(row), po))
                elif match.statuses is not None and row.status not in match.statuses:
                    mine.append(add("status_differs", t.stripe_txn_id, match.status_differs(t, row, po, money),
                                    match.stripe_object(t), t.amount_cents, ledger, match.ledger_amount(row), po))
                if match.is_payment and row.member_id is None:
                    mine.append(add("payment_unassigned", f"payment:{row.id}",
                                    f"Payout {po} carried online payment {receipt_number(row.id)} of "
                                    f"{money(row.amount_cents)} ({t.charge_id or t.source_id}) that no member owns: "
                                    f"give it to its member with 'treasurer review assign' (Review in the window).",
                                    match.stripe_object(t), t.amount_cents, ledger, row.amount_cents, po))
                if match.review_kind and open_reviews.get(t.source_id) and t.source_id not in reviewed:
                    reviewed.add(t.source_id)
                    mine.append(add(match.review_kind, t.source_id, match.unreviewed(t, row, po, money),
                                    t.source_id, t.amount_cents, ledger, match.ledger_amount(row), po))
            out_lines.append(PayoutLine(t.stripe_txn_id, kind, t.source_id, t.amount_cents, t.fee_cents,
                                        t.net_cents, ledger))
        has_lines = bool(out_lines)
        if rows.charge_sums is not None:
            count, charge_gross, charge_fees, charge_net = rows.charge_sums.get(payout.id, (0, 0, 0, 0))
            totals["gross"] += charge_gross
            fees, net, has_lines = fees + charge_fees, net + charge_net, has_lines or count
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
        reports.append(PayoutReport(po, payout.status, payout.arrival_date, payout.amount_cents, totals["gross"],
                                    fees, totals["refund"], totals["dispute"], totals["other"], net,
                                    tuple(payment_ids), tuple(out_lines), tuple(mine)))

    # Ledger payments Stripe never paid out (in the payouts this computation looked at): still in the Stripe
    # balance when the sync saw their charge there, else, once old enough, unknown to Stripe.
    cutoff = today - dt.timedelta(days=stale_days)
    leftover = [row for row in rows.unmatched_candidates
                if row.id not in matched_payments and row.status == "completed" and row.method in ONLINE_METHODS
                and (since is None or row.received_on >= since)]
    seen = seen_in_balance(s, leftover)
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


def _day(stamp: int) -> dt.date:
    return dt.datetime.fromtimestamp(int(stamp), dt.UTC).date()
