"""The one slip rule: a slip is open only for exactly what its member owes.

Whatever changes what a member owes (a counter payment, an approved adjustment, a new assessment, a refund)
closes the member's open slips (paid or superseded, audited) and their payment links go off in the sandbox:
at once when the caller has a gateway, else when the link-closure queue runs (``treasurer sync``, the relay).
A payment through an old link that was still on is recorded once and put in Review, never silently doubled.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from helpers import PAT, PAT_PIN, SAM_PIN, officers, standard_hall
from sandbox.testing import ControlError, pay
from treasurer import payment_links, sync
from treasurer.adjustments import decide, request_adjustment
from treasurer.dues import assess
from treasurer.ledger import member_standing
from treasurer.models import AuditEntry, LinkClosure, Member, Payment, ReviewItem
from treasurer.payments import record_payment
from treasurer.refunds import refund_payment
from treasurer.slips import create_slips, list_slips, member_slips


@pytest.fixture
def books(hall):
    standard_hall(hall, members=2)
    for month in ("2026-08", "2026-09", "2026-10"):
        assess(hall, month)
    return hall


def link_of(outcome) -> str:
    return outcome.url.rsplit("/", 1)[1]


def status(hall, slip_id: int) -> str:
    return next(s.status for s in list_slips(hall) if s.id == slip_id)


def to_close(hall) -> list[str]:
    return payment_links.still_to_close(hall)


def active(gateway, link_id: str) -> bool:
    return gateway.retrieve_payment_link(link_id)["active"]


def slip_audit(hall, slip_id: int) -> list[tuple[str, dict]]:
    with hall.read() as s:
        return [(a, json.loads(after or "{}")) for a, after in s.execute(
            select(AuditEntry.action, AuditEntry.after_json)
            .where(AuditEntry.entity_type == "slip", AuditEntry.entity_id == str(slip_id)).order_by(AuditEntry.seq))]


def online_payments(hall, member_number: str) -> list[Payment]:
    with hall.read() as s:
        member = s.scalar(select(Member).where(Member.member_number == member_number))
        return list(s.scalars(select(Payment).where(Payment.member_id == member.id,
                                                    Payment.stripe_payment_intent_id.is_not(None))))


def review_kinds(hall) -> list[str]:
    with hall.read() as s:
        return sorted(s.scalars(select(ReviewItem.kind).where(ReviewItem.resolved_at.is_(None))))


def test_a_counter_payment_for_the_whole_slip_marks_it_paid_and_the_queue_switches_its_link_off(
        books, gateway, sandbox_url):
    (slip,), _ = create_slips(books, gateway, "2026-10", ["1001"])
    receipt = record_payment(books, "1001", 4500, "cash")       # no gateway: the queue switches the link off
    assert receipt.slips == ((slip.slip_id, "paid"),)
    assert status(books, slip.slip_id) == "paid"
    assert slip_audit(books, slip.slip_id)[-1] == ("slip.paid", slip_audit(books, slip.slip_id)[-1][1])
    assert slip_audit(books, slip.slip_id)[-1][1]["why"] == f"payment {receipt.receipt_no} received"
    assert to_close(books) == [link_of(slip)] and active(gateway, link_of(slip))

    report = sync.catch_up(books, gateway)
    assert report.links.closed == 1
    assert not active(gateway, link_of(slip)) and to_close(books) == []
    with pytest.raises(ControlError):
        pay(sandbox_url, link_of(slip))
    assert online_payments(books, "1001") == []


def test_a_partial_counter_payment_supersedes_the_slip_and_a_gateway_switches_it_off_at_once(
        books, gateway, sandbox_url):
    (slip,), _ = create_slips(books, gateway, "2026-10", ["1001"], arrears=True)
    assert slip.amount_cents == 13500
    receipt = record_payment(books, "1001", 4500, "check", "1207", gateway=gateway)
    assert receipt.slips == ((slip.slip_id, "superseded"),)
    assert not active(gateway, link_of(slip)) and to_close(books) == []
    with books.read() as s:
        assert s.scalar(select(LinkClosure.slip_id).where(LinkClosure.link_id == link_of(slip))) == slip.slip_id
    # 'slips create' then issues a slip for what is owed now
    (new,), _ = create_slips(books, gateway, "2026-10", ["1001"], arrears=True)
    assert new.slip_id != slip.slip_id and new.amount_cents == 9000 and not new.reused
    assert [s.periods for s in list_slips(books) if s.id == new.slip_id] == ["2026-09,2026-10"]
    # the other member's slip is not touched
    (other,), _ = create_slips(books, gateway, "2026-10", ["1002"])
    record_payment(books, "1001", 100, "cash", gateway=gateway)
    assert status(books, other.slip_id) == "open" and active(gateway, link_of(other))


@pytest.mark.parametrize("counter_cents, became, review", [(4500, "paid", "overpayment"),
                                                           (2000, "superseded", "stale_slip_payment")])
def test_paying_the_old_link_before_the_queue_ran_records_one_payment_and_a_review_item(
        books, gateway, sandbox_url, counter_cents, became, review):
    (slip,), _ = create_slips(books, gateway, "2026-10", ["1001"])
    record_payment(books, "1001", counter_cents, "cash")
    assert status(books, slip.slip_id) == became and active(gateway, link_of(slip))  # the queue has not run

    pay(sandbox_url, link_of(slip))              # the member pays the old link online as well
    sync.catch_up(books, gateway)
    sync.catch_up(books, gateway)                # every event again: nothing is recorded twice
    (online,) = online_payments(books, "1001")
    assert online.amount_cents == 4500 and online.slip_id == slip.slip_id and online.status == "completed"
    assert review_kinds(books) == [review]
    assert status(books, slip.slip_id) == became
    with books.read() as s:
        standing = member_standing(s, online.member_id, dt.date.today())
    assert standing.balance_cents == 3 * 4500 - counter_cents - 4500     # both payments count, once each
    assert not active(gateway, link_of(slip)) and to_close(books) == []


def test_an_approved_adjustment_supersedes_the_members_open_slips(books, gateway, sandbox_url):
    officers(books)
    (slip,), _ = create_slips(books, gateway, "2026-10", ["1001"])
    adjustment = request_adjustment(books, "1001", 1000, "waiver", "hardship", "Pat Morales", pin=PAT_PIN)
    assert status(books, slip.slip_id) == "open"                     # a request changes nothing owed
    decide(books, adjustment.id, "Sam Okafor", SAM_PIN, approve=True)
    assert status(books, slip.slip_id) == "superseded"
    assert slip_audit(books, slip.slip_id)[-1][1]["why"] == f"adjustment {adjustment.id} approved"
    assert to_close(books) == [link_of(slip)]
    sync.catch_up(books, gateway)
    assert not active(gateway, link_of(slip))

    (second,), _ = create_slips(books, gateway, "2026-10", ["1001"], arrears=True)
    assert second.amount_cents == 13500 - 1000
    denied = request_adjustment(books, "1001", 500, "waiver", "again", "Pat Morales", pin=PAT_PIN)
    decide(books, denied.id, "Sam Okafor", SAM_PIN, approve=False)
    assert status(books, second.slip_id) == "open" and active(gateway, link_of(second))
    approved = request_adjustment(books, "1001", 500, "waiver", "again", "Pat Morales", pin=PAT_PIN)
    decide(books, approved.id, "Sam Okafor", SAM_PIN, approve=True, gateway=gateway)
    assert status(books, second.slip_id) == "superseded" and not active(gateway, link_of(second))


def test_a_new_assessment_supersedes_and_slips_create_issues_what_is_owed_now(books, gateway, sandbox_url):
    (a, b), _ = create_slips(books, gateway, "2026-10")
    assess(books, "2026-11")
    assert status(books, a.slip_id) == status(books, b.slip_id) == "superseded"
    assert sorted(to_close(books)) == sorted([link_of(a), link_of(b)])
    outcomes, _ = create_slips(books, gateway, "2026-11")     # switches the queued links off first
    assert not active(gateway, link_of(a)) and not active(gateway, link_of(b)) and to_close(books) == []
    assert [o.amount_cents for o in outcomes] == [4500, 4500]
    assess(books, "2026-11")                                   # nothing new charged: the new slips stay open
    assert all(status(books, o.slip_id) == "open" for o in outcomes)
    assess(books, "2026-12", gateway=gateway)
    assert all(status(books, o.slip_id) == "superseded" and not active(gateway, link_of(o)) for o in outcomes)


def test_a_refund_supersedes_the_members_open_slips(books, gateway, sandbox_url):
    officers(books)
    (october,), _ = create_slips(books, gateway, "2026-10", ["1002"])
    pay(sandbox_url, link_of(october))
    sync.catch_up(books, gateway)
    assert status(books, october.slip_id) == "paid"
    (payment,) = online_payments(books, "1002")
    (arrears,), _ = create_slips(books, gateway, "2026-09", ["1002"], arrears=True)
    assert arrears.amount_cents == 4500          # the online payment paid August, the oldest
    refund_payment(books, gateway, payment.id, 2000, "requested_by_customer", **PAT)
    assert status(books, arrears.slip_id) == "superseded"
    assert slip_audit(books, arrears.slip_id)[-1][1]["why"].startswith("refund re_")
    assert not active(gateway, link_of(arrears)) and to_close(books) == []


def test_the_member_slips_history_says_what_became_of_each(books, gateway, sandbox_url):
    (first,), _ = create_slips(books, gateway, "2026-10", ["1001"])
    receipt = record_payment(books, "1001", 1000, "cash")
    (second,), _ = create_slips(books, gateway, "2026-10", ["1001"], arrears=True)
    history = member_slips(books, "1001")
    assert [(h.slip_id, h.status, h.amount_cents, h.periods) for h in history] == [
        (second.slip_id, "open", 12500, "2026-08,2026-09,2026-10"), (first.slip_id, "superseded", 4500, "2026-10")]
    assert history[1].why == f"payment {receipt.receipt_no} received" and history[1].changed_at
    assert history[1].link_closed and not history[0].link_closed
    assert history[0].periods_text == "2026-08 to 2026-10 (3 items)" and history[0].changed_at is None


def test_a_refund_made_in_stripe_and_acknowledged_in_review_supersedes_through_the_queue(
        books, gateway, sandbox_url):
    """Acknowledging the refund in Review posts its adjustment and supersedes the slip it made wrong at once;
    the next sync switches the link off."""
    from treasurer.review import acknowledge_refund, open_items

    officers(books)
    (october,), _ = create_slips(books, gateway, "2026-10", ["1002"])
    pay(sandbox_url, link_of(october))
    sync.catch_up(books, gateway)
    (payment,) = online_payments(books, "1002")
    (arrears,), _ = create_slips(books, gateway, "2026-10", ["1002"], arrears=True)
    gateway.create_refund(payment.stripe_payment_intent_id, 1500, "requested_by_customer", "dashboard-refund-1")
    sync.catch_up(books, gateway)                        # recorded, waiting in Review: nothing posted yet
    assert status(books, arrears.slip_id) == "open"
    (item,) = [i for i in open_items(books) if i.kind == "refund"]
    acknowledge_refund(books, int(item.key.split(":")[1]), "agreed with the member", **PAT)
    assert status(books, arrears.slip_id) == "superseded" and active(gateway, link_of(arrears))
    assert slip_audit(books, arrears.slip_id)[-1][1]["why"].endswith(" acknowledged")
    report = sync.catch_up(books, gateway)
    assert report.links.closed == 1
    assert not active(gateway, link_of(arrears))
    (new,), _ = create_slips(books, gateway, dt.date.today().strftime("%Y-%m"), ["1002"], arrears=True)
    assert new.amount_cents == arrears.amount_cents + 1500     # what the refund gave back is owed again


def test_a_bank_payment_pending_on_a_slip_a_counter_payment_superseded_counts_once_and_goes_to_review(
        books, gateway, sandbox_url):
    from sandbox.testing import control

    (slip,), _ = create_slips(books, gateway, "2026-10", ["1001"])
    session = pay(sandbox_url, link_of(slip), method="us_bank_account")
    sync.catch_up(books, gateway)
    (pending,) = online_payments(books, "1001")
    assert pending.status == "pending" and status(books, slip.slip_id) == "open"
    record_payment(books, "1001", 2000, "cash", gateway=gateway)       # the member also pays at the counter
    assert status(books, slip.slip_id) == "superseded" and not active(gateway, link_of(slip))
    control(sandbox_url, f"payment_intents/{session['payment_intent']}/settle")
    sync.catch_up(books, gateway)
    sync.catch_up(books, gateway)
    (settled,) = online_payments(books, "1001")
    assert settled.id == pending.id and settled.status == "completed"
    assert review_kinds(books) == ["stale_slip_payment"]
    assert status(books, slip.slip_id) == "superseded"
