"""Turning a stored Stripe event into ledger rows: one transaction per event, idempotent.

Unique Stripe ids on payments, refunds and disputes make a second application
impossible even when two different events describe the same payment
(``checkout.session.completed`` and ``payment_intent.succeeded`` for one
PaymentIntent record one payment).  A payment that cannot be matched is never
dropped: it is recorded without a member and put in the review queue.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
import traceback
from typing import Any

from sqlalchemy import select

from . import clock
from .audit import snapshot
from .hall import Hall, Tx, set_setting, setting_in
from .ledger import member_standing
from .models import Dispute, Member, Payment, Refund, ReviewItem, Setting, Slip, StripeEvent
from .money import format_cents
from .payment_links import link_ids, settle_open_slips
from .payments import PAYMENT_FIELDS, receipt_number
from .periods import closed_period_containing
from .review import open_item, post_refund_adjustment, resolve_items, reverse_refund_adjustment
from .slips import SLIP_FIELDS

log = logging.getLogger(__name__)
_INTENT = re.compile(r"^pi_[A-Za-z0-9_]{1,250}$")
_SLIP_ID = re.compile(r"^[0-9]{1,12}$")

SESSION_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded",
                  "checkout.session.async_payment_failed")
REFUND_EVENTS = ("refund.created", "refund.updated", "refund.failed", "charge.refund.updated")
DISPUTE_EVENTS = ("charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed",
                  "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated")
# The event types ``apply`` may change the books for; it ignores every other.
BOOKS_EVENTS = (*SESSION_EVENTS, "payment_intent.succeeded", "payment_intent.payment_failed", *REFUND_EVENTS,
                "charge.refunded", *DISPUTE_EVENTS)


@dataclasses.dataclass(frozen=True)
class Outcome:
    outcome: str                  # applied | ignored | held | failed
    detail: str = ""
    needs: str | None = None      # what to fetch from Stripe to go on: "payment_intent:pi_..." or "refunds:ch_..."
    deactivate_links: tuple[str, ...] = ()


class Held(Exception):
    def __init__(self, detail: str, needs: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.needs = needs


def process(hall: Hall, event_id: str) -> Outcome:
    """Apply one stored event.  Applying it again changes nothing."""
    try:
        with hall.write() as tx:
            return _apply_stored(tx, hall, event_id, tx.session.get(StripeEvent, event_id))
    except Exception as exc:  # a bug or bad data: record it, never lose the event
        log.exception("processing %s failed", event_id)
        detail = f"{exc.__class__.__name__}: {exc}"
        with hall.write() as tx:
            event = tx.session.get(StripeEvent, event_id)
            if event is not None:
                _finish(tx, event, Outcome("failed", detail))
                open_item(tx, "failed_event", f"event:{event_id}",
                          f"Stripe event {event.type} ({event_id}) could not be recorded: {detail}. "
                          f"It is kept; retry it with 'treasurer relay retry {event_id}'.")
                tx.audit("event.failed", "stripe_event", event_id, None,
                         {"error": detail, "trace": traceback.format_exc(limit=3)[-800:]})
        return Outcome("failed", detail)


def process_many(hall: Hall, event_ids: list[str], *, fast: bool = True) -> dict[str, Outcome]:
    """Apply stored events in order in one transaction (one commit for them all); applying again changes nothing.

    Each event writes what ``process`` would, its audit entries included (its rows' snapshots on its own last
    entry), in order; the event's outcome is stored with its effects, so a crash before the commit leaves every
    one of them pending and none applied.  When one of them fails, the whole transaction is rolled back and the
    events are processed one by one, each in a transaction of its own: the others are applied once, the failed
    one is recorded as failed.

    Runs of plain new online payments are recorded set-wise (``recording_fast``, a few statements for the run);
    every other event goes through ``apply`` here, in its place in the order.  ``fast=False`` applies every
    event through ``apply`` (the reference the fast path is tested against).
    """
    from . import recording_fast

    ids = list(dict.fromkeys(event_ids))
    if len(ids) <= 1:
        return {event_id: process(hall, event_id) for event_id in ids}
    try:
        with hall.write() as tx:
            # Held here for the batch: the session keeps rows only while something refers to them, and every
            # event reads the settings again.
            settings = list(tx.session.scalars(select(Setting)))  # noqa: F841
            rows = recording_fast.load(tx.session, ids) if fast else {}
            plains = {event_id: recording_fast.plain(rows.get(event_id)) for event_id in ids}
            results: dict[str, Outcome] = {}
            i = 0
            while i < len(ids):
                run = []
                for event_id in ids[i:]:
                    if plains[event_id] is None:
                        break
                    run.append(plains[event_id])
                if run:
                    done = recording_fast.record(tx, run)
                    results.update(done)
                    i += len(done)
                    if len(done) == len(run):
                        continue
                event_id = ids[i]
                results[event_id] = _apply_stored(tx, hall, event_id, tx.session.get(StripeEvent, event_id))
                tx.flush_audit()       # this event's entries, its rows on the last: as if it were alone
                i += 1
            return results
    except Exception:
        log.warning("one of %d events could not be applied with the others; applying them one by one", len(ids),
                    exc_info=True)
        return {event_id: process(hall, event_id) for event_id in ids}


def _apply_stored(tx: Tx, hall: Hall, event_id: str, event: StripeEvent | None) -> Outcome:
    if event is None:
        return Outcome("failed", f"no stored event {event_id}")
    if event.outcome in ("applied", "ignored"):
        return Outcome(event.outcome, event.detail or "already processed")
    data = json.loads(event.payload)
    try:
        result = apply(tx, hall, data)
    except Held as held:
        result = Outcome("held", held.detail, held.needs)
    _finish(tx, event, result)
    return result


def _finish(tx: Tx, event: StripeEvent, result: Outcome) -> None:
    before = {"outcome": event.outcome}
    event.outcome = result.outcome
    event.detail = result.detail[:2000]
    event.attempts += 1
    event.processed_at = clock.stamp()
    if result.outcome == "held":
        open_item(tx, "held_event", f"event:{event.id}",
                  f"Stripe event {event.type} ({event.id}) is waiting: {result.detail}")
    elif result.outcome in ("applied", "ignored") and event.attempts > 1:
        # only an event tried before can have items waiting (it was held, or failed)
        resolve_items(tx, f"event:{event.id}", f"{result.outcome} on attempt {event.attempts}")
    if result.outcome != "ignored" or event.attempts > 1:
        tx.audit(f"event.{result.outcome}", "stripe_event", event.id, before,
                 {"outcome": result.outcome, "type": event.type, "detail": event.detail})


def apply(tx: Tx, hall: Hall, event: dict) -> Outcome:
    kind = event["type"]
    obj = event["data"]["object"]
    refused = _other_mode(tx, event)
    if refused is not None:
        return refused
    if kind in SESSION_EVENTS:
        return _session(tx, hall, kind, obj, event)
    if kind == "payment_intent.succeeded":
        return _intent_succeeded(tx, hall, obj, event)
    if kind == "payment_intent.payment_failed":
        payment = _payment_for(tx, obj.get("id"))
        if payment is None or payment.status != "pending":
            return Outcome("ignored", "a declined attempt; nothing was paid")
        return _ach_failed(tx, payment, obj.get("id"))
    if kind in REFUND_EVENTS:
        return apply_refund(tx, obj)
    if kind == "charge.refunded":
        return _charge_refunded(tx, obj)
    if kind in DISPUTE_EVENTS:
        return _dispute(tx, obj)
    return Outcome("ignored", ignored_detail(kind))


def ignored_detail(kind: str) -> str | None:
    """Why ``apply`` ignores an event of this type whatever it says; None for the types it applies."""
    if kind in BOOKS_EVENTS:
        return None
    if kind.startswith("payout."):
        return "payouts are matched in reconciliation"
    return f"{kind} does not change the books"


def _method(types: Any) -> str:
    """The payment method a payment's ``payment_method_types`` name: a bank debit, or else a card."""
    return types[0] if len(types) == 1 and types[0] in ("card", "us_bank_account") else "card"


def _other_mode(tx: Tx, event: dict) -> Outcome | None:
    """Books that have recorded live money never record a test-mode event (the sandbox's included).

    Otherwise anyone could tick "sandbox" in Settings and pay a member's dues with a test card.  The first
    event binds the books to its mode; the first live event moves test books to live for good (a hall that
    tried the app in the sandbox, then went live).
    """
    live = event.get("livemode") is True
    bound = setting_in(tx.session, "stripe_books_mode")
    if bound == "live" and not live:
        kind = event.get("type", "")
        # Its own ref (not "event:..."): an ignored event resolves the items under its event ref.
        open_item(tx, "failed_event", f"test_event:{event.get('id')}",
                  f"A test-mode Stripe event ({kind}, {event.get('id')}) reached books that record live money; "
                  f"nothing was recorded. If the window or a relay runs in sandbox or test mode against these "
                  f"books, stop it.")
        return Outcome("ignored", "a test-mode event in books that record live money; nothing recorded")
    if bound != ("live" if live else "test") and (live or not bound):
        set_setting(tx, "stripe_books_mode", "live" if live else "test")
    return None


# Payments ------------------------------------------------------------------------------------------------

def _session(tx: Tx, hall: Hall, kind: str, session: dict, event: dict) -> Outcome:
    if session.get("mode") not in (None, "payment"):
        return Outcome("ignored", "not a one-time payment")
    pi_id = _intent_id(session.get("payment_intent"))
    method = _method(session.get("payment_method_types") or [])
    if kind == "checkout.session.async_payment_failed":
        payment = _payment_for(tx, pi_id)
        if payment is None:
            payment = _record(tx, hall, pi_id, session.get("amount_total"), session.get("currency"),
                              _metadata(session), "us_bank_account", "failed", event["created"],
                              session_id=session.get("id"))
        return _ach_failed(tx, payment, pi_id)
    if kind == "checkout.session.async_payment_succeeded":
        method, status = "us_bank_account", "completed"
    elif session.get("payment_status") == "paid":
        status = "completed"
    elif session.get("payment_status") == "unpaid":
        method, status = "us_bank_account", "pending"
    else:
        return Outcome("ignored", f"payment status {session.get('payment_status')!r}: nothing to record")
    return _recorded(tx, hall, pi_id, session.get("amount_total"), session.get("currency"),
                     _metadata(session), method, status, event["created"], session_id=session.get("id"))


def _intent_succeeded(tx: Tx, hall: Hall, intent: dict, event: dict) -> Outcome:
    _intent_id(intent.get("id"))
    method = _method(intent.get("payment_method_types") or [])
    existing = _payment_for(tx, intent.get("id"))
    if existing is not None and existing.status == "pending":
        method = existing.method
    return _recorded(tx, hall, intent.get("id"), intent.get("amount_received") or intent.get("amount"),
                     intent.get("currency"), _metadata(intent), method, "completed", event["created"],
                     charge_id=intent.get("latest_charge") if isinstance(intent.get("latest_charge"), str) else None)


def record_payment_intent(hall: Hall, intent: dict) -> Outcome:
    """A PaymentIntent fetched from Stripe (when an event refers to a payment we have not heard of)."""
    if intent.get("status") != "succeeded":
        return Outcome("ignored", f"payment intent {intent.get('id')} is {intent.get('status')}")
    with hall.write() as tx:
        return _intent_succeeded(tx, hall, intent, {"created": intent.get("created") or 0})


def _metadata(obj: dict) -> dict:
    value = obj.get("metadata")
    return value if isinstance(value, dict) else {}


def _intent_id(value: Any) -> str:
    if not (isinstance(value, str) and _INTENT.match(value)):
        raise ValueError(f"the payment intent id {value!r} is not a Stripe id (pi_...)")
    return value


def _payment_for(tx: Tx, pi_id: Any) -> Payment | None:
    if not isinstance(pi_id, str):
        return None
    return tx.session.scalar(select(Payment).where(Payment.stripe_payment_intent_id == pi_id))


def _recorded(tx: Tx, hall: Hall, pi_id, amount, currency, metadata, method, status, created, *,
              session_id=None, charge_id=None) -> Outcome:
    existing = _payment_for(tx, pi_id)
    if existing is not None:
        before = snapshot(existing, PAYMENT_FIELDS)
        changed = False
        if existing.status == "pending" and status == "completed":
            existing.status = "completed"
            changed = True
        for column, value in (("stripe_checkout_session_id", session_id), ("stripe_charge_id", charge_id)):
            if value and getattr(existing, column) is None:
                setattr(existing, column, value)
                changed = True
        if not changed:
            return Outcome("applied", f"payment {receipt_number(existing.id)} was already recorded")
        tx.session.flush()
        tx.audit("payment.update", "payment", existing.id, before, snapshot(existing, PAYMENT_FIELDS))
        if before["status"] == "pending" and existing.status == "completed":
            _settled_on_a_closed_slip(tx, existing)
        links = _mark_slip_paid(tx, existing) if existing.status == "completed" else ()
        return Outcome("applied", f"payment {receipt_number(existing.id)} is now {existing.status}",
                       deactivate_links=links)
    install = setting_in(tx.session, "install_id")
    if metadata.get("hall") and install and metadata.get("hall") != install:
        return Outcome("ignored", "a payment for another hall's books on the same Stripe account")
    payment = _record(tx, hall, pi_id, amount, currency, metadata, method, status, created,
                      session_id=session_id, charge_id=charge_id)
    links = _mark_slip_paid(tx, payment) if payment.status == "completed" else ()
    who = f"member {payment.member_id}" if payment.member_id else "no member (in Review)"
    return Outcome("applied", f"recorded {receipt_number(payment.id)} for {who}", deactivate_links=links)


def _record(tx: Tx, hall: Hall, pi_id, amount, currency, metadata, method, status, created, *,
            session_id=None, charge_id=None) -> Payment:
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount < 10**12:
        raise ValueError(f"the payment amount {amount!r} is not a positive whole number of cents")
    hall_currency = setting_in(tx.session, "currency")
    problems = []
    if (currency or "").lower() != hall_currency:
        problems.append(f"it is in {str(currency).upper()}, not {hall_currency.upper()}")
    slip = member = None
    slip_ref = str(metadata.get("slip_id") or "")
    if slip_ref and not _SLIP_ID.match(slip_ref):
        problems.append(f"its slip id {slip_ref[:40]!r} is not a slip number")
    elif slip_ref:
        slip = tx.session.get(Slip, int(slip_ref))
        if slip is None:
            problems.append(f"its slip {slip_ref} is not in the books")
    number = str(metadata.get("member_number") or "").strip()
    if slip is not None:
        member = tx.session.get(Member, slip.member_id)
        if number and member.member_number != number:
            problems.append(f"slip {slip.id} belongs to member {member.member_number}, not {number}")
        if amount != slip.amount_cents:
            problems.append(f"it is {format_cents(amount, hall_currency)} but slip {slip.id} asked for "
                            f"{format_cents(slip.amount_cents, hall_currency)}")
    elif number:
        member = tx.session.scalar(select(Member).where(Member.member_number == number))
        if member is None:
            problems.append(f"member number {number} is not on the roll")
    else:
        problems.append("it carries no slip or member number")
    paid_on = dt.datetime.fromtimestamp(int(created or 0), dt.UTC).date() if created else clock.today()
    reference = pi_id
    if closed_period_containing(tx.session, paid_on) is not None:
        reference = f"{pi_id} (paid {paid_on.isoformat()}, a closed period)"
        paid_on = clock.today()
    payment = Payment(member_id=None if problems else member.id, amount_cents=amount, method=method, status=status,
                      received_on=paid_on, reference=reference[:120], recorded_by="stripe", created_at=clock.stamp(),
                      stripe_payment_intent_id=pi_id, stripe_checkout_session_id=session_id,
                      stripe_charge_id=charge_id, slip_id=slip.id if slip else None)
    tx.session.add(payment)
    tx.session.flush()
    tx.audit("payment.record", "payment", payment.id, None, snapshot(payment, PAYMENT_FIELDS))
    money = format_cents(amount, hall_currency)
    if problems:
        guess = f" (slip {slip.id}, member {member.member_number})" if slip is not None else ""
        open_item(tx, "unmatched_payment", f"payment:{payment.id}",
                  f"Online payment {receipt_number(payment.id)} of {money} could not be matched{guess}: "
                  f"{'; '.join(problems)}. Assign it to a member.", amount)
    elif slip is not None and slip.status in ("superseded", "void", "expired"):
        open_item(tx, "stale_slip_payment", f"payment:{payment.id}",
                  f"Member {member.member_number} paid {money} on slip {slip.id}, which was {slip.status}. "
                  f"The payment is recorded; check the member's balance.", amount)
    elif slip is not None and slip.status == "paid":
        credit = -member_standing(tx.session, member.id, clock.today()).balance_cents
        now = f": the member now has a credit of {format_cents(credit, hall_currency)}" if credit > 0 else (
            "; it is a credit on the member's account")
        open_item(tx, "overpayment", f"payment:{payment.id}",
                  f"Member {member.member_number} paid slip {slip.id} a second time ({money}){now}.", amount)
    elif status == "completed":
        standing = member_standing(tx.session, member.id, clock.today())
        if standing.balance_cents < 0:
            open_item(tx, "overpayment", f"payment:{payment.id}",
                      f"Member {member.member_number} now has a credit of "
                      f"{format_cents(-standing.balance_cents, hall_currency)} after paying {money} online.", amount)
    return payment


def _settled_on_a_closed_slip(tx: Tx, payment: Payment) -> None:
    """A bank payment that settles on a slip superseded while it was pending (a counter payment came in
    meanwhile): it counts, once, and the treasurer looks at the member's balance."""
    slip = tx.session.get(Slip, payment.slip_id) if payment.slip_id is not None else None
    if slip is None or payment.member_id is None or slip.status not in ("superseded", "expired"):
        return
    member = tx.session.get(Member, payment.member_id)
    open_item(tx, "stale_slip_payment", f"payment:{payment.id}",
              f"Member {member.member_number}'s bank payment of {format_cents(payment.amount_cents, _currency(tx))} "
              f"on slip {slip.id} settled after the slip was {slip.status}. The payment is recorded; check the "
              f"member's balance.", payment.amount_cents)


def _mark_slip_paid(tx: Tx, payment: Payment) -> tuple[str, ...]:
    """The slip paid online is 'paid'; the member's other open slips no longer say what they owe (one slip
    rule): superseded.  Returns the links to switch off (the relay does it after commit, else the queue)."""
    if payment.member_id is None:
        return ()
    links = []
    slip = tx.session.get(Slip, payment.slip_id) if payment.slip_id is not None else None
    if slip is not None and slip.status == "open" and slip.member_id == payment.member_id:
        before = snapshot(slip, SLIP_FIELDS)
        slip.status = "paid"
        tx.session.flush()
        tx.audit("slip.paid", "slip", slip.id, before, snapshot(slip, SLIP_FIELDS))
        links += [slip.link_id] if slip.link_id else []
    links += link_ids(settle_open_slips(tx, [payment.member_id], f"online payment {receipt_number(payment.id)}",
                                        payment))
    return tuple(links)


def _ach_failed(tx: Tx, payment: Payment, pi_id: str) -> Outcome:
    if payment.status == "failed" and tx.session.scalar(
            select(ReviewItem.id).where(ReviewItem.kind == "ach_failed", ReviewItem.ref == f"payment:{payment.id}")):
        return Outcome("applied", "the failure was already recorded")
    if payment.status == "completed":
        open_item(tx, "ach_failed", f"payment:{payment.id}",
                  f"Stripe reports that bank payment {receipt_number(payment.id)} ({pi_id}) failed after it was "
                  f"counted as paid; check it in Stripe before correcting the member's balance.",
                  payment.amount_cents)
        return Outcome("applied", "failure after success: sent to Review")
    before = snapshot(payment, PAYMENT_FIELDS)
    payment.status = "failed"
    tx.session.flush()
    tx.audit("payment.failed", "payment", payment.id, before, snapshot(payment, PAYMENT_FIELDS))
    slip_note = ""
    if payment.slip_id is not None:
        slip = tx.session.get(Slip, payment.slip_id)
        if slip.status in ("open", "paid"):
            slip_before = snapshot(slip, SLIP_FIELDS)
            slip.status = "void"  # its link is used up; the next 'slips create' makes a new one
            tx.session.flush()
            tx.audit("slip.void", "slip", slip.id, slip_before, snapshot(slip, SLIP_FIELDS))
            slip_note = f" Slip {slip.id} was voided: make the member a new slip."
    number = tx.session.get(Member, payment.member_id).member_number if payment.member_id else "unknown"
    open_item(tx, "ach_failed", f"payment:{payment.id}",
              f"The bank payment {receipt_number(payment.id)} from member {number} failed; the dues are owed "
              f"again.{slip_note}", payment.amount_cents)
    return Outcome("applied", f"bank payment {receipt_number(payment.id)} failed")


def _currency(tx: Tx) -> str:
    return setting_in(tx.session, "currency")


# Refunds and disputes ------------------------------------------------------------------------------------

def _payment_for_money(tx: Tx, obj: dict) -> Payment:
    payment = _payment_for(tx, obj.get("payment_intent"))
    if payment is None and isinstance(obj.get("charge"), str):
        payment = tx.session.scalar(select(Payment).where(Payment.stripe_charge_id == obj["charge"]))
    if payment is None:
        pi = obj.get("payment_intent")
        raise Held(f"it refers to payment {pi or obj.get('charge')}, which the books do not have yet",
                   needs=f"payment_intent:{pi}" if isinstance(pi, str) else None)
    return payment


# How far along a refund or dispute is: an event that describes an earlier stage (the Events API backstop
# can bring ``refund.created`` after ``refund.failed``) never moves a row back.
STAGES = {
    "refund": {"pending": 0, "requires_action": 0, "succeeded": 1, "failed": 2, "canceled": 2},
    "dispute": {"warning_needs_response": 0, "needs_response": 0, "warning_under_review": 1, "under_review": 1,
                "won": 2, "lost": 2, "warning_closed": 2, "charge_refunded": 2},
}


def _record_status(tx: Tx, entity: str, id_column, stripe_id: str, status: str, make):
    """Insert the row Stripe describes, or move its status on (audited); None when nothing changed.

    A status from an earlier stage than the row's is stale and changes nothing.
    """
    row = tx.session.scalar(select(id_column.class_).where(id_column == stripe_id))
    if row is None:
        row = make()
        tx.session.add(row)
        tx.session.flush()
        tx.audit(f"{entity}.record", entity, row.id, None,
                 {"stripe_id": stripe_id, "payment_id": row.payment_id, "amount_cents": row.amount_cents,
                  "status": status})
        return row
    stages = STAGES[entity]
    if row.status == status or stages.get(status, 0) < stages.get(row.status, 0):
        return None
    tx.audit(f"{entity}.status", entity, row.id, {"status": row.status}, {"status": status})
    row.status = status
    tx.session.flush()
    return row


def apply_refund(tx: Tx, refund: dict) -> Outcome:
    refund_id, amount, status = refund.get("id"), refund.get("amount"), refund.get("status")
    if not (isinstance(refund_id, str) and isinstance(amount, int) and amount > 0 and isinstance(status, str)):
        raise ValueError("the refund object is incomplete")
    payment = _payment_for_money(tx, refund)
    origin = "app" if (refund.get("metadata") or {}).get("treasurer_refund") else "stripe"
    row = _record_status(tx, "refund", Refund.stripe_refund_id, refund_id, status, lambda: Refund(
        stripe_refund_id=refund_id, payment_id=payment.id, amount_cents=amount, status=status,
        reason=str(refund.get("reason") or ""), origin=origin, created_at=clock.stamp()))
    if row is None:
        return Outcome("applied", f"refund {refund_id} ({status}) changes nothing already recorded")
    money = format_cents(amount, _currency(tx))
    failed = row.status in ("failed", "canceled")
    posted_before = row.adjustment_id
    reversed_ = None
    if failed and row.adjustment_id is not None:
        reversed_ = reverse_refund_adjustment(tx, row)
        open_item(tx, "refund", f"refund:{refund_id}:{row.status}",
                  f"The refund of {money} on payment {receipt_number(payment.id)} is {row.status} after it was "
                  f"posted: the money stayed with the hall, so the posting was reversed and the member is "
                  f"credited again. Let the member know.", amount)
    elif row.status == "succeeded" and row.origin == "app":
        post_refund_adjustment(tx, row)
        resolve_items(tx, f"refund:{refund_id}", "the refund succeeded and was posted")
    elif row.origin == "stripe" and not failed:
        open_item(tx, "refund", f"refund:{refund_id}",
                  f"A refund of {money} on payment {receipt_number(payment.id)} was made in Stripe, outside the "
                  f"app (status {row.status}). Acknowledge it to post it to the member's ledger.", amount)
    elif failed or row.status == "requires_action":
        if failed:  # a refund made in Stripe that failed before anyone acknowledged it: nothing is left to post
            resolve_items(tx, f"refund:{refund_id}", f"the refund is {row.status}; nothing to post")
        open_item(tx, "refund", f"refund:{refund_id}:{row.status}",
                  f"The refund of {money} on payment {receipt_number(payment.id)} is {row.status}; "
                  f"nothing was posted to the ledger.", amount)
    links: tuple[str, ...] = ()
    if (row.adjustment_id != posted_before or reversed_ is not None) and payment.member_id is not None:
        # what the member owes changed: their open slips are superseded (one slip rule)
        links = tuple(link_ids(settle_open_slips(tx, [payment.member_id], f"refund {refund_id} {row.status}")))
    return Outcome("applied", f"refund {refund_id} is {row.status}", deactivate_links=links)


def _charge_refunded(tx: Tx, charge: dict) -> Outcome:
    refunded = charge.get("amount_refunded")
    if not isinstance(refunded, int):
        raise ValueError("the charge has no amount_refunded")
    payment = _payment_for_money(tx, {"payment_intent": charge.get("payment_intent"), "charge": charge.get("id")})
    listed = ((charge.get("refunds") or {}).get("data") or []) if isinstance(charge.get("refunds"), dict) else []
    for refund in listed:
        apply_refund(tx, refund)
    known = sum(r.amount_cents for r in tx.session.scalars(select(Refund).where(Refund.payment_id == payment.id)))
    if known < refunded:
        raise Held(f"Stripe says {refunded} cents were refunded on {charge.get('id')} but only {known} are "
                   f"known here", needs=f"refunds:{charge.get('id')}")
    return Outcome("applied", f"refunds on {charge.get('id')} are all recorded")


def _dispute(tx: Tx, dispute: dict) -> Outcome:
    dispute_id, amount, status = dispute.get("id"), dispute.get("amount"), dispute.get("status")
    if not (isinstance(dispute_id, str) and isinstance(amount, int) and amount > 0 and isinstance(status, str)):
        raise ValueError("the dispute object is incomplete")
    payment = _payment_for_money(tx, dispute)
    due = (dispute.get("evidence_details") or {}).get("due_by")
    row = _record_status(tx, "dispute", Dispute.stripe_dispute_id, dispute_id, status, lambda: Dispute(
        stripe_dispute_id=dispute_id, payment_id=payment.id, amount_cents=amount, status=status,
        reason=str(dispute.get("reason") or ""), evidence_due_by=due if isinstance(due, int) else None,
        created_at=clock.stamp()))
    if row is None:
        return Outcome("applied", f"dispute {dispute_id} already recorded as {status}")
    money = format_cents(amount, _currency(tx))
    if status in ("won", "lost", "prevented"):
        what = ("the member's payment was taken back: resolve this to post it to the ledger" if status == "lost"
                else "the money stays with the hall")
        open_item(tx, "dispute", f"dispute:{dispute_id}:{status}",
                  f"Dispute {dispute_id} on payment {receipt_number(payment.id)} ({money}) was {status}; {what}.",
                  amount)
    else:
        when = dt.datetime.fromtimestamp(due, dt.UTC).date().isoformat() if isinstance(due, int) else "unknown"
        open_item(tx, "dispute", f"dispute:{dispute_id}",
                  f"The payer disputed payment {receipt_number(payment.id)} ({money}, reason: "
                  f"{row.reason or 'none given'}). Respond in Stripe by {when}.", amount, due_by=due)
    return Outcome("applied", f"dispute {dispute_id} is {status}")
