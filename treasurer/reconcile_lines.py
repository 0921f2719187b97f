"""Matching a payout's Stripe balance transaction lines to the books, one matcher per line kind.

A matcher finds the ledger row a line stands for (a payment, refund, dispute or failed payout), says how
its amount and status must agree with the line, and words each discrepancy.  ``reconcile`` runs the same
checks for every kind: no such row, amounts differ, statuses differ, review item still open.
"""

from __future__ import annotations

from collections.abc import Callable

from .payments import receipt_number
from .payouts import CHARGE_TYPES, PAYOUT_RETURN_TYPES, REFUND_FAILURE_TYPES, REFUND_TYPES

FAILED_PAYOUT = ("failed", "canceled")

Money = Callable[[int], str]


def line_kind(txn_type: str, category: str, source_id: str) -> str:
    """charge | refund | refund_failure | payout_failure | payout | dispute | other."""
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


class LineMatcher:
    """A line nothing in the books stands for ('other'); the base of the kinds that are matched."""
    total = "other"            # the PayoutReport total the line's amount adds to: gross | refund | dispute | other
    table = ""                 # the ledger row's name prefix, as in refund:3
    sign = 1                   # the ledger row's amount times this is the line's amount when they agree
    statuses: tuple[str, ...] | None = None    # the statuses the ledger row must have; None: not checked
    review_kind: str | None = None             # the discrepancy kind an open review item of the row is
    is_payment = False

    def find(self, t):
        return None

    def stripe_object(self, t) -> str:
        return t.stripe_txn_id

    def ledger_row(self, row) -> str:
        return f"{self.table}:{row.id}"

    def ledger_amount(self, row) -> int:
        return self.sign * row.amount_cents

    def amount_agrees(self, row, t) -> bool:
        return self.sign * row.amount_cents == t.amount_cents

    def missing(self, t, po: str, money: Money) -> str:
        return (f"Stripe's {t.type} {t.stripe_txn_id} of {money(t.amount_cents)} (fee "
                f"{money(t.fee_cents)}) in {po} is nothing the books know about.")

    def amount_differs(self, t, row, po: str, money: Money) -> str:
        raise NotImplementedError

    def status_differs(self, t, row, po: str, money: Money) -> str:
        raise NotImplementedError

    def unreviewed(self, t, row, po: str, money: Money) -> str:
        raise NotImplementedError


class ChargeMatcher(LineMatcher):
    total = "gross"
    table = "payment"
    statuses = ("completed",)
    is_payment = True

    def __init__(self, by_charge: dict, by_intent: dict):
        self.by_charge, self.by_intent = by_charge, by_intent

    def find(self, t):
        return (self.by_charge.get(t.charge_id) if t.charge_id else None) or (
            self.by_intent.get(t.payment_intent_id) if t.payment_intent_id else None)

    def stripe_object(self, t) -> str:
        return f"{t.charge_id or t.source_id}" + (f" ({t.payment_intent_id})" if t.payment_intent_id else "")

    def missing(self, t, po, money):
        return (f"Stripe collected {money(t.amount_cents)} ({self.stripe_object(t)}) and paid it out in {po}, "
                f"but the books have no payment for it.")

    def amount_differs(self, t, pay, po, money):
        return (f"Stripe collected {money(t.amount_cents)} ({self.stripe_object(t)}) but the books record "
                f"payment {receipt_number(pay.id)} as {money(pay.amount_cents)}.")

    def status_differs(self, t, pay, po, money):
        return (f"Stripe paid out {money(t.amount_cents)} ({self.stripe_object(t)}) in {po}, but the books "
                f"show payment {receipt_number(pay.id)} as {pay.status}.")


class _BySource(LineMatcher):
    """A line whose source is the Stripe id of the ledger row (re_, dp_, po_)."""

    def __init__(self, rows: dict):
        self.rows = rows

    def find(self, t):
        return self.rows.get(t.source_id)

    def stripe_object(self, t) -> str:
        return t.source_id


class RefundMatcher(_BySource):
    total = "refund"
    table = "refund"
    sign = -1                  # a refund takes money out of the balance
    review_kind = "refund_unreviewed"

    def missing(self, t, po, money):
        return (f"Stripe refunded {money(-t.amount_cents)} ({t.source_id} on "
                f"{t.charge_id or 'an unknown charge'}) in {po}, but the books have no such refund.")

    def amount_differs(self, t, ref, po, money):
        return (f"Stripe refunded {money(-t.amount_cents)} ({t.source_id}) but the books "
                f"record the refund as {money(ref.amount_cents)}.")

    def unreviewed(self, t, ref, po, money):
        return (f"Refund {t.source_id} of {money(-t.amount_cents)} was paid out in {po} "
                f"but its review item is still open, so the member's ledger may not show it yet.")


class RefundFailureMatcher(_BySource):
    total = "refund"
    table = "refund"
    statuses = ("failed", "canceled")
    review_kind = "refund_unreviewed"

    def missing(self, t, po, money):
        return (f"Refund {t.source_id} (on {t.charge_id or 'an unknown charge'}) failed and "
                f"Stripe returned {money(t.amount_cents)} to the balance in {po}, but the books "
                f"have no such refund.")

    def amount_differs(self, t, ref, po, money):
        return (f"Refund {t.source_id} failed and Stripe returned {money(t.amount_cents)} "
                f"in {po}, but the books record the refund as {money(ref.amount_cents)}.")

    def status_differs(self, t, ref, po, money):
        return (f"Refund {t.source_id} failed and Stripe returned {money(t.amount_cents)} to "
                f"the balance in {po}, but the books show the refund as {ref.status}.")

    def unreviewed(self, t, ref, po, money):
        return (f"Refund {t.source_id} of {money(ref.amount_cents)} failed and its money "
                f"came back in {po}, but its review item is still open.")


class DisputeMatcher(_BySource):
    total = "dispute"
    table = "dispute"
    review_kind = "dispute_unreviewed"

    def amount_agrees(self, dis, t) -> bool:
        return dis.amount_cents == abs(t.amount_cents)    # a chargeback takes money, its reversal gives it back

    def missing(self, t, po, money):
        return (f"Stripe moved {money(t.amount_cents)} for dispute {t.source_id} (on "
                f"{t.charge_id or 'an unknown charge'}) in {po}, but the books have no such dispute.")

    def amount_differs(self, t, dis, po, money):
        return (f"Stripe moved {money(t.amount_cents)} for dispute {t.source_id} but the "
                f"books record the dispute as {money(dis.amount_cents)}.")

    def unreviewed(self, t, dis, po, money):
        return (f"Dispute {t.source_id} ({dis.status}, {money(dis.amount_cents)}) moved "
                f"money in {po} but its review item is still open.")


class PayoutFailureMatcher(_BySource):
    """A failed or canceled payout's money returned to the balance: its row is that payout."""
    statuses = FAILED_PAYOUT

    def stripe_object(self, t) -> str:
        return f"{t.source_id} {t.stripe_txn_id}"

    def ledger_row(self, failed) -> str:
        return f"payout:{failed.stripe_payout_id}"

    def missing(self, t, po, money):
        return (f"Stripe returned {money(t.amount_cents)} from payout {t.source_id} to the "
                f"balance ({t.type}) and paid it out again in {po}, but the books have no such "
                f"payout: sync payouts from before it.")

    def amount_differs(self, t, failed, po, money):
        return (f"Stripe returned {money(t.amount_cents)} from payout {t.source_id} in "
                f"{po}, but that payout was {money(failed.amount_cents)}.")

    def status_differs(self, t, failed, po, money):
        return (f"Stripe returned {money(t.amount_cents)} from payout {t.source_id} in {po} "
                f"because it {'failed' if t.type == 'payout_failure' else 'was canceled'}, "
                f"but the books show that payout as {failed.status}: sync payouts again.")


def matchers(by_charge: dict, by_intent: dict, refunds: dict, disputes: dict,
             payouts: dict) -> dict[str, LineMatcher]:
    """Line kind -> its matcher, over the ledger rows keyed by Stripe id (payments by charge and intent)."""
    return {"charge": ChargeMatcher(by_charge, by_intent), "refund": RefundMatcher(refunds),
            "refund_failure": RefundFailureMatcher(refunds), "dispute": DisputeMatcher(disputes),
            "payout_failure": PayoutFailureMatcher(payouts), "other": LineMatcher()}
