"""Recording money received at the hall (cash, check, money order...)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select

from . import clock
from .audit import snapshot
from .errors import ValidationError
from .hall import Hall
from .ledger import Standing, allocate, load_entries, standing
from .limits import check_amount
from .member_sheet import receipt_number
from .members import find_member
from .payment_links import close_now, link_ids, settle_open_slips
from .models import PAYMENT_METHODS, Charge, DuesPeriod, Payment
from .periods import ensure_open_date
from .text_input import clean_name

PAYMENT_FIELDS = ("member_id", "amount_cents", "method", "status", "received_on", "reference", "recorded_by",
                  "stripe_payment_intent_id", "stripe_charge_id", "stripe_checkout_session_id")
MANUAL_METHODS = ("cash", "check", "money_order", "other")


def payment_id_of(receipt: str | int) -> int:
    """A payment's id from its receipt number (R000042) or its id (42)."""
    text = str(receipt).strip()
    digits = text[1:] if text[:1] in ("R", "r") else text
    if not digits.isdigit() or int(digits) <= 0:
        raise ValidationError(f"The receipt {text!r} is not a receipt number (like R000042) or a payment id.")
    return int(digits)


@dataclasses.dataclass(frozen=True)
class Receipt:
    payment_id: int
    receipt_no: str
    member_number: str
    member_name: str
    amount_cents: int
    method: str
    reference: str
    received_on: dt.date
    covers: list[tuple[str, int]]   # (period or item, cents) this payment paid, oldest first
    standing: Standing
    slips: tuple[tuple[int, str], ...] = ()   # (slip id, 'paid' or 'superseded'): the member's slips it closed


def record_payment(hall: Hall, member_number: str, amount_cents: int, method: str, reference: str = "",
                   received_on: dt.date | None = None, allow_duplicate: bool = False, gateway=None) -> Receipt:
    """Record money received; the member's open slips are marked paid (when it paid all they asked) or
    superseded, and their links switched off after commit (at once with ``gateway``, else by the queue)."""
    if method not in PAYMENT_METHODS:
        raise ValidationError(f"The payment method {method!r} is not one of: {', '.join(PAYMENT_METHODS)}.")
    if amount_cents <= 0:
        raise ValidationError("The amount must be more than zero.")
    reference = clean_name(reference or "", "reference", required=False)
    if method == "check" and not reference.strip():
        raise ValidationError("A check payment needs the check number (--ref).")
    today = clock.today()
    day = received_on or today
    if day > today:
        raise ValidationError(f"The received date {day.isoformat()} is in the future.")
    with hall.write() as tx:
        check_amount(tx.session, amount_cents, "payment")
        member = find_member(tx.session, member_number)
        ensure_open_date(tx.session, day, "received")
        if not allow_duplicate and reference.strip():
            twin = tx.session.scalar(select(Payment.id).where(
                Payment.member_id == member.id, Payment.method == method, Payment.reference == reference.strip(),
                Payment.amount_cents == amount_cents))
            if twin:
                raise ValidationError(
                    f"{method.replace('_', ' ').capitalize()} {reference.strip()} for this amount is already "
                    f"recorded for member {member.member_number} (receipt {receipt_number(twin)}); "
                    f"nothing was recorded.")
        payment = Payment(member_id=member.id, amount_cents=amount_cents, method=method, status="completed",
                          received_on=day, reference=reference.strip(), recorded_by=tx.actor,
                          created_at=clock.stamp())
        tx.session.add(payment)
        tx.session.flush()
        tx.audit("payment.record", "payment", payment.id, None, snapshot(payment, PAYMENT_FIELDS))
        settled = settle_open_slips(tx, [member.id], f"payment {receipt_number(payment.id)} received", payment)
        links, closed = link_ids(settled), tuple((slip.id, slip.status) for slip in settled)
        covers, now_standing = covers_of(tx.session, member.id, payment.id, today)
        receipt = Receipt(payment.id, receipt_number(payment.id), member.member_number,
                          f"{member.first_name} {member.last_name}".strip(), amount_cents, method, payment.reference,
                          day, covers, now_standing, closed)
    close_now(hall, gateway, links)
    return receipt


def covers_of(session, member_id: int, payment_id: int, today: dt.date) -> tuple[list[tuple[str, int]], Standing]:
    """What a payment paid (oldest first, the rest as credit on account) and the member's standing today."""
    debits, credits, pending = load_entries(session, [member_id])
    allocations, _ = allocate(debits[member_id], credits[member_id])
    periods = dict(session.execute(
        select(Charge.id, DuesPeriod.code).join(DuesPeriod, Charge.period_id == DuesPeriod.id)
        .where(Charge.member_id == member_id)).all())
    key = f"payment:{payment_id}"
    covers = []
    for a in allocations:
        if a.credit == key:
            kind, ident = a.debit.split(":")
            covers.append((periods[int(ident)] if kind == "charge" else f"adjustment {ident}", a.amount_cents))
    paid = sum(c for _, c in covers)
    total = next(c.amount_cents for c in credits[member_id] if c.key == key)
    if total > paid:
        covers.append(("credit on account", total - paid))
    return covers, standing(debits[member_id], credits[member_id], today, pending.get(member_id, 0))
