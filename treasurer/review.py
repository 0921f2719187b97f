"""The review queue: what the treasurer must look at, and resolving it (always with a note, audited)."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from .text_input import clean_name
from . import clock
from .adjustments import ADJUSTMENT_FIELDS, pending_adjustments
from .audit import snapshot
from .errors import NotFound, PermissionDenied, ValidationError
from .hall import Hall, Tx
from .members import find_member
from .models import Adjustment, Dispute, Payment, Refund, ReviewItem
from .officers import authenticate
from .payment_links import settle_open_slips
from .payments import PAYMENT_FIELDS, receipt_number
from .periods import closed_period_containing

KIND_LABELS = {
    "unmatched_payment": "Unmatched payment", "stale_slip_payment": "Paid an old slip", "overpayment": "Credit",
    "refund": "Refund", "dispute": "Dispute", "ach_failed": "Failed bank payment", "held_event": "Held event",
    "failed_event": "Failed event", "adjustment": "Awaiting approval", "mail_failed": "Email not delivered",
}


@dataclasses.dataclass(frozen=True)
class Item:
    key: str                  # "review:12" or "adjustment:5"
    kind: str
    summary: str
    amount_cents: int | None
    due_by: int | None
    created_at: str

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


def open_item(tx: Tx, kind: str, ref: str, summary: str, amount_cents: int | None = None,
              due_by: int | None = None) -> ReviewItem:
    """Add an item, once per (kind, ref); an item already open or resolved is left as it is."""
    item = tx.session.scalar(select(ReviewItem).where(ReviewItem.kind == kind, ReviewItem.ref == ref))
    if item is not None:
        return item
    item = ReviewItem(kind=kind, ref=ref, summary=summary, amount_cents=amount_cents, due_by=due_by,
                      created_at=clock.stamp())
    tx.session.add(item)
    tx.session.flush()
    tx.audit("review.open", "review_item", item.id, None, {"kind": kind, "ref": ref, "summary": summary})
    return item


def resolve_items(tx: Tx, ref: str, resolution: str, by: str = "relay") -> None:
    """Close open items about ``ref`` that the relay itself settled (a held event that went through)."""
    for item in tx.session.scalars(select(ReviewItem).where(ReviewItem.ref == ref, ReviewItem.resolved_at.is_(None))):
        _close(tx, item, resolution, by)


def _close(tx: Tx, item: ReviewItem, note: str, by: str) -> None:
    item.resolved_at = clock.stamp()
    item.resolved_by = by
    item.resolution = note
    tx.session.flush()
    tx.audit("review.resolve", "review_item", item.id, None, {"kind": item.kind, "ref": item.ref, "note": note,
                                                               "by": by})


def open_items(hall: Hall) -> list[Item]:
    with hall.read() as s:
        rows = list(s.scalars(select(ReviewItem).where(ReviewItem.resolved_at.is_(None)).order_by(ReviewItem.id)))
    items = [Item(f"review:{r.id}", r.kind, r.summary, r.amount_cents, r.due_by, r.created_at) for r in rows]
    for a in pending_adjustments(hall):
        items.append(Item(f"adjustment:{a.id}", "adjustment",
                          f"{a.kind.replace('_', ' ').capitalize()} of {-a.amount_cents / 100:.2f} for member "
                          f"{a.member_number} ({a.member_name}) requested by {a.requested_by}: {a.reason}",
                          a.amount_cents, None, a.created_at))
    from .outbox import problems      # emails refused or cut off, while their slip is open

    items.extend(Item(f"mail:{p.outbox_id}", "mail_failed", p.summary, None, None, p.at) for p in problems(hall))
    return items


def payment_of(session, ref: str) -> Payment | None:
    """The payment a review item is about (payment:12, refund:re_..., dispute:dp_...), if any."""
    head, _, rest = ref.partition(":")
    key = rest.split(":")[0]
    if head == "payment" and key.isdigit():
        return session.get(Payment, int(key))
    if head == "refund":
        refund = session.scalar(select(Refund).where(Refund.stripe_refund_id == key))
        return session.get(Payment, refund.payment_id) if refund is not None else None
    if head == "dispute":
        dispute = session.scalar(select(Dispute).where(Dispute.stripe_dispute_id == key))
        return session.get(Payment, dispute.payment_id) if dispute is not None else None
    return None


def count_open(hall: Hall) -> int:
    return len(open_items(hall))


def _item(tx: Tx, item_id: int) -> ReviewItem:
    item = tx.session.get(ReviewItem, item_id)
    if item is None:
        raise NotFound(f"There is no review item {item_id}.")
    if item.resolved_at is not None:
        raise ValidationError(f"Review item {item_id} was already resolved by {item.resolved_by}.")
    return item


def _note(note: str) -> str:
    note = clean_name(note, "note", required=False)
    if not note:
        raise ValidationError("Resolving a review item needs a note saying what was done.")
    return note


# Items whose resolution moves money or says whose it is: the officer resolving one proves it with their PIN.
MONEY_KINDS = ("unmatched_payment", "refund", "dispute")


def _officer(tx: Tx, item: ReviewItem, officer: str | None, pin: str | None) -> str:
    """Who resolves ``item``: an officer with their PIN (required for MONEY_KINDS), else the hall's actor."""
    if officer or pin or item.kind in MONEY_KINDS:
        if not officer or not pin:
            if item.kind in MONEY_KINDS:
                raise PermissionDenied(f"Resolving a {KIND_LABELS.get(item.kind, item.kind).lower()} moves money, "
                                       f"so an officer must do it with their PIN; nothing was changed.")
            raise PermissionDenied("An officer who resolves an item gives both their name and their PIN; nothing "
                                   "was changed.")
        return authenticate(tx, officer, pin).name
    return tx.actor


def resolve(hall: Hall, item_id: int, note: str, *, officer: str | None = None, pin: str | None = None) -> None:
    """Mark an item handled (a dispute answered, a credit explained, an old slip checked)."""
    note = _note(note)
    with hall.write() as tx:
        item = _item(tx, item_id)
        if item.kind == "unmatched_payment":
            raise ValidationError("An unmatched payment is resolved by assigning it to a member.")
        if item.kind == "refund" and item.ref.count(":") == 1:
            raise ValidationError("A refund made in Stripe is resolved by acknowledging it.")
        by = _officer(tx, item, officer, pin)
        if item.kind == "dispute" and item.ref.endswith(":lost"):
            _post_dispute_loss(tx, item.ref.split(":")[1])
        _close(tx, item, note, by)


def assign_payment(hall: Hall, item_id: int, member_number: str, note: str, *, officer: str, pin: str) -> None:
    note = _note(note)
    with hall.write() as tx:
        item = _item(tx, item_id)
        if item.kind != "unmatched_payment":
            raise ValidationError(f"Review item {item_id} is not an unmatched payment.")
        by = _officer(tx, item, officer, pin)
        payment = tx.session.get(Payment, int(item.ref.split(":")[1]))
        member = find_member(tx.session, member_number)
        before = snapshot(payment, PAYMENT_FIELDS)
        payment.member_id = member.id
        tx.session.flush()
        tx.audit("payment.assign", "payment", payment.id, before, snapshot(payment, PAYMENT_FIELDS))
        _close(tx, item, f"assigned to member {member.member_number}: {note}", by)


def acknowledge_refund(hall: Hall, item_id: int, note: str, *, officer: str, pin: str) -> None:
    note = _note(note)
    with hall.write() as tx:
        item = _item(tx, item_id)
        if item.kind != "refund":
            raise ValidationError(f"Review item {item_id} is not a refund.")
        by = _officer(tx, item, officer, pin)
        refund = tx.session.scalar(select(Refund).where(Refund.stripe_refund_id == item.ref.split(":")[1]))
        if refund.status != "succeeded":
            if item.ref.count(":") == 1:
                raise ValidationError(f"The refund is {refund.status}; acknowledge it once it has succeeded, "
                                      f"so only money really returned is posted.")
        elif (posted := post_refund_adjustment(tx, refund)) is not None:
            # What the member owes changed: their open slips no longer say it (links off through the queue).
            settle_open_slips(tx, [posted.member_id], f"refund {refund.stripe_refund_id} acknowledged")
        _close(tx, item, note, by)


def post_refund_adjustment(tx: Tx, refund: Refund) -> Adjustment | None:
    """The ledger side of a refund that succeeded: the member owes again what was given back."""
    if refund.adjustment_id is not None or refund.status != "succeeded":
        return None
    payment = tx.session.get(Payment, refund.payment_id)
    if payment.member_id is None:
        return None
    adjustment = _effective_adjustment(tx, payment, refund.amount_cents, "refund",
                                       f"Refund {refund.stripe_refund_id} of payment {receipt_number(payment.id)}")
    refund.adjustment_id = adjustment.id
    tx.session.flush()
    return adjustment


def reverse_refund_adjustment(tx: Tx, refund: Refund) -> Adjustment | None:
    """A posted refund that then failed: a correction gives the member back the credit (once)."""
    if refund.adjustment_id is None:
        return None
    done = tx.session.scalar(select(Adjustment).where(Adjustment.corrects_adjustment_id == refund.adjustment_id))
    if done is not None:
        return None
    posted = tx.session.get(Adjustment, refund.adjustment_id)
    payment = tx.session.get(Payment, refund.payment_id)
    adjustment = _effective_adjustment(tx, payment, -posted.amount_cents, "correction",
                                       f"Refund {refund.stripe_refund_id} {refund.status}: the money stayed with "
                                       f"the hall", corrects=posted.id)
    return adjustment


def _post_dispute_loss(tx: Tx, dispute_id: str) -> None:
    dispute = tx.session.scalar(select(Dispute).where(Dispute.stripe_dispute_id == dispute_id))
    if dispute is None or dispute.adjustment_id is not None:
        return
    payment = tx.session.get(Payment, dispute.payment_id)
    if payment.member_id is None:
        return
    adjustment = _effective_adjustment(tx, payment, dispute.amount_cents, "correction",
                                       f"Dispute {dispute_id} lost: payment {receipt_number(payment.id)} taken back")
    dispute.adjustment_id = adjustment.id
    tx.session.flush()
    settle_open_slips(tx, [payment.member_id], f"dispute {dispute_id} lost")


def _effective_adjustment(tx: Tx, payment: Payment, amount: int, kind: str, reason: str,
                          corrects: int | None = None) -> Adjustment:
    day = clock.today()
    if closed_period_containing(tx.session, day) is not None:
        raise ValidationError(f"Today ({day.isoformat()}) falls in a closed period; reopen it or wait for the "
                              f"next period before posting this.")
    adjustment = Adjustment(member_id=payment.member_id, kind=kind, amount_cents=amount, effective_on=day,
                            reason=reason, requested_by_id=None, payment_id=payment.id, needs_approval=False,
                            corrects_adjustment_id=corrects, created_at=clock.stamp())
    tx.session.add(adjustment)
    tx.session.flush()
    tx.audit("adjustment.post", "adjustment", adjustment.id, None, snapshot(adjustment, ADJUSTMENT_FIELDS))
    return adjustment
