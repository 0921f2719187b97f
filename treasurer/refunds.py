"""Refunding an online payment from the app (the treasurer's decision, issued through the gateway)."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from .text_input import clean_name
from .errors import NotFound, ValidationError
from .gateway import Gateway
from .hall import Hall
from .limits import check_amount
from .models import Payment, Refund
from .officers import authenticate
from .money import format_cents
from .payment_links import close_now
from .payments import receipt_number
from .recording import apply_refund

REASONS = ("requested_by_customer", "duplicate", "fraudulent")


@dataclasses.dataclass(frozen=True)
class RefundPlan:
    payment_id: int
    receipt_no: str
    payment_intent: str
    paid_cents: int
    already_refunded_cents: int
    amount_cents: int

    @property
    def refundable_cents(self) -> int:
        return self.paid_cents - self.already_refunded_cents


def plan_refund(hall: Hall, payment_id: int, amount_cents: int | None) -> RefundPlan:
    """What a refund would do, checked, without doing it (the GUI shows this before asking)."""
    with hall.read() as s:
        payment = s.get(Payment, payment_id)
        if payment is None:
            raise NotFound(f"There is no payment {payment_id}.")
        if not payment.stripe_payment_intent_id:
            raise ValidationError(f"Payment {receipt_number(payment_id)} was not made online; refund cash or "
                                  f"checks by hand and record a correction.")
        if payment.status != "completed":
            raise ValidationError(f"Payment {receipt_number(payment_id)} is {payment.status}; only a completed "
                                  f"payment can be refunded.")
        refunded = sum(r.amount_cents for r in s.scalars(select(Refund).where(
            Refund.payment_id == payment_id, Refund.status.in_(("pending", "succeeded", "requires_action")))))
    amount = payment.amount_cents - refunded if amount_cents is None else amount_cents
    if amount <= 0:
        raise ValidationError(f"Payment {receipt_number(payment_id)} has nothing left to refund.")
    if amount > payment.amount_cents - refunded:
        currency = hall.setting("currency")
        raise ValidationError(f"At most {format_cents(payment.amount_cents - refunded, currency)} of payment "
                              f"{receipt_number(payment_id)} can still be refunded.")
    return RefundPlan(payment_id, receipt_number(payment_id), payment.stripe_payment_intent_id,
                      payment.amount_cents, refunded, amount)


def refund_payment(hall: Hall, gateway: Gateway, payment_id: int, amount_cents: int | None, reason: str,
                   note: str = "", *, officer: str, pin: str) -> Refund:
    """Refund through the gateway, an officer deciding it with their PIN (audited before any money moves)."""
    if reason not in REASONS:
        raise ValidationError(f"The refund reason must be one of: {', '.join(REASONS)}.")
    note = clean_name(note or "", "note", required=False)
    plan = plan_refund(hall, payment_id, amount_cents)
    with hall.write() as tx:
        who = authenticate(tx, officer, pin).name
        check_amount(tx.session, plan.amount_cents, "refund amount")
        tx.audit("refund.request", "refund_request", payment_id, None,
                 {"officer": who, "amount_cents": plan.amount_cents, "reason": reason, "note": note.strip()})
    # The same request at the same state retries safely; a later, second refund gets a new key.
    key = (f"treasurer-{hall.setting('install_id')}-refund-{payment_id}-"
           f"{plan.already_refunded_cents}-{plan.amount_cents}")
    refund = gateway.create_refund(plan.payment_intent, plan.amount_cents, reason, key,
                                   metadata={"treasurer_refund": "1", "payment_id": str(payment_id),
                                             "officer": who, "note": note[:400]})
    with hall.write() as tx:
        outcome = apply_refund(tx, refund)
    close_now(hall, gateway, outcome.deactivate_links)  # the member's superseded slips, when the refund posted
    with hall.read() as s:
        return s.scalar(select(Refund).where(Refund.stripe_refund_id == refund["id"]))
