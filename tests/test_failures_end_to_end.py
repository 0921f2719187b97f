"""What the bank sends back reaches the books: a refund that fails, and a payout that fails after showing paid.

The real parts throughout: the books on SQLite, the gateway and the unmodified SDK over HTTP to the sandbox,
whose control endpoints play the bank; Stripe's events come in through the app's own pipeline.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from helpers import PAT, SANDBOX_KEY, count, officers, standard_hall
from relay_harness import RelayThread, register_endpoint, wait_for
from sandbox.testing import control, fail_payout, fail_refund, flush, pay
from treasurer import clock, inbox
from treasurer.dues import assess
from treasurer.ledger import member_standing
from treasurer.models import BalanceTransaction, Payment, Payout, Refund, StripeEvent
from treasurer.payouts import sync_payouts
from treasurer.reconcile import reconcile, resolve_discrepancy
from treasurer.refunds import refund_payment
from treasurer.review import open_items
from treasurer.slips import create_slips
from treasurer.sync import catch_up, process_events

DAY = 86400
OWED = 9000                  # two months of 45.00 for a journeyman wireman
CARD_FEE = 261 + 30          # 2.9 % + 30c of 90.00


@pytest.fixture
def books(hall):
    standard_hall(hall, members=3)
    officers(hall)
    for period in ("2026-09", "2026-10"):
        assess(hall, period)
    return hall


def _pay(hall, gateway, url, member, method="card") -> Payment:
    """A member pays their slip online; the payment lands in the books through the Events API."""
    (slip,), _ = create_slips(hall, gateway, "2026-10", [member], arrears=True)
    session = pay(url, slip.url.rsplit("/", 1)[1], method=method)
    if method == "us_bank_account":
        control(url, f"payment_intents/{session['payment_intent']}/settle")
    catch_up(hall, gateway)
    with hall.read() as s:
        payment = s.scalar(select(Payment).where(Payment.stripe_payment_intent_id == session["payment_intent"]))
    assert payment is not None and payment.status == "completed"
    return payment


def _balance(hall, member_id) -> int:
    with hall.read() as s:
        return member_standing(s, member_id, clock.today()).balance_cents


def _refund_row(hall, stripe_id) -> Refund:
    with hall.read() as s:
        return s.scalar(select(Refund).where(Refund.stripe_refund_id == stripe_id))


def _outcomes(hall, event_type) -> list[str]:
    with hall.read() as s:
        return list(s.scalars(select(StripeEvent.outcome).where(StripeEvent.type == event_type)))


# (a) A refund made in the app that the bank fails ------------------------------------------------------

@pytest.mark.parametrize("pipeline", ["events_api", "webhook"])
def test_a_refund_the_bank_fails_opens_a_review_item_and_posts_nothing(books, gateway, sandbox_url, pipeline):
    payment = _pay(books, gateway, sandbox_url, "1001", method="us_bank_account")
    assert _balance(books, payment.member_id) == 0
    refund = refund_payment(books, gateway, payment.id, 4000, "requested_by_customer", "paid a month twice", **PAT)
    assert (refund.status, refund.origin, refund.adjustment_id) == ("pending", "app", None)  # bank refunds wait
    adjustments, ledger_payments = count(books, "adjustments"), count(books, "payments")

    catch_up(books, gateway)  # the refund's own events: still pending, nothing posted
    assert count(books, "adjustments") == adjustments and _outcomes(books, "refund.created") == ["applied"]
    if pipeline == "events_api":
        fail_refund(sandbox_url, refund.stripe_refund_id, "declined")
        catch_up(books, gateway)
    else:
        with RelayThread(books, gateway, mode="webhook", port=0) as rt:
            register_endpoint(sandbox_url, SANDBOX_KEY, rt.url)
            fail_refund(sandbox_url, refund.stripe_refund_id, "declined")
            flush(sandbox_url)
            wait_for(lambda: _outcomes(books, "refund.failed") == ["applied"], what="refund.failed to be applied")

    row = _refund_row(books, refund.stripe_refund_id)
    assert (row.status, row.adjustment_id) == ("failed", None)
    assert _outcomes(books, "refund.failed") == ["applied"]
    assert _outcomes(books, "charge.refund.updated") == ["applied"]
    (item,) = [i for i in open_items(books) if i.kind == "refund"]
    assert item.amount_cents == 4000 and "failed" in item.summary and "nothing was posted" in item.summary
    # Nothing reached the ledger: no adjustment, no payment, the member's balance as it was.
    assert count(books, "adjustments") == adjustments and count(books, "payments") == ledger_payments
    assert _balance(books, payment.member_id) == 0

    # Stripe sends it all again: nothing changes.
    catch_up(books, gateway)
    assert len([i for i in open_items(books) if i.kind == "refund"]) == 1
    assert count(books, "adjustments") == adjustments
    # The money came back to the hall, so Stripe and the app both allow the whole payment to be refunded again.
    again = refund_payment(books, gateway, payment.id, None, "requested_by_customer", "second try", **PAT)
    assert again.amount_cents == OWED and again.stripe_refund_id != refund.stripe_refund_id


def test_a_late_refund_created_event_does_not_undo_the_failure(books, gateway, sandbox_url):
    payment = _pay(books, gateway, sandbox_url, "1001", method="us_bank_account")
    refund = refund_payment(books, gateway, payment.id, 4000, "requested_by_customer", **PAT)
    fail_refund(sandbox_url, refund.stripe_refund_id)
    # The failure arrives by webhook; the refund's creation only later, from the Events API backstop.
    arrivals = (("refund.failed", "webhook"), ("refund.created", "poll"))
    stripe_events = {e["type"]: e for e in gateway.events_after(None)}
    for kind, source in arrivals:
        event = inbox.parse(json.dumps(stripe_events[kind]), source)
        inbox.store_many(books, [event])
        process_events(books, gateway, [event.id])
    assert _refund_row(books, refund.stripe_refund_id).status == "failed"


# (b) A payout that fails after showing paid ------------------------------------------------------------

@pytest.fixture
def failed_payout(books, gateway, sandbox_url):
    """Two card payments paid out, synced and reconciled; then the bank sends the payout back."""
    for member in ("1001", "1002"):
        _pay(books, gateway, sandbox_url, member)
    control(sandbox_url, "clock", advance_seconds=3 * DAY)
    first = control(sandbox_url, "payouts")
    assert first["amount"] == 2 * (OWED - CARD_FEE)
    sync_payouts(books, gateway)
    result = reconcile(books)
    assert result.ok and [p.state for p in result.payouts] == ["reconciled"]

    fail_payout(sandbox_url, first["id"])           # over HTTP, as the bank would, days after "paid"
    catch_up(books, gateway)
    return first


def test_a_payout_that_fails_after_showing_paid_is_a_discrepancy(books, gateway, failed_payout):
    po = failed_payout["id"]
    assert _outcomes(books, "payout.failed") == ["ignored"]  # payouts are matched in reconciliation, not events
    synced = sync_payouts(books, gateway)
    assert synced.status_changes == (f"{po}: paid -> failed",)
    with books.read() as s:
        row = s.scalar(select(Payout).where(Payout.stripe_payout_id == po))
    assert (row.status, row.shown_paid, row.failure_code) == ("failed", True, "account_closed")
    result = reconcile(books)
    (d,) = result.open_discrepancies
    assert (d.kind, d.ref, d.stripe_amount_cents, d.payout) == ("payout_failed", po, failed_payout["amount"], po)
    assert "account_closed" in d.explanation and "did not reach the bank" in d.explanation
    assert [p.state for p in result.payouts] == ["unreconciled"]
    assert sync_payouts(books, gateway).status_changes == ()  # re-syncing changes nothing more
    resolve_discrepancy(books, d.key, "bank account closed; new account set up in Stripe")
    assert reconcile(books).ok


def _next_payout(books, gateway, sandbox_url):
    """Another member pays; the next payout carries that payment and the returned money."""
    _pay(books, gateway, sandbox_url, "1003")
    control(sandbox_url, "clock", advance_seconds=3 * DAY)
    second = control(sandbox_url, "payouts")
    sync_payouts(books, gateway)
    return second


def test_the_failed_payouts_money_is_in_the_next_payout(books, gateway, sandbox_url, failed_payout):
    second = _next_payout(books, gateway, sandbox_url)
    assert second["amount"] == failed_payout["amount"] + (OWED - CARD_FEE)
    with books.read() as s:
        lines = list(s.scalars(select(BalanceTransaction).join(Payout, BalanceTransaction.payout_id == Payout.id)
                               .where(Payout.stripe_payout_id == second["id"])))
    (back,) = [t for t in lines if t.type == "payout_failure"]
    assert (back.amount_cents, back.fee_cents, back.net_cents, back.source_id, back.reporting_category) == (
        failed_payout["amount"], 0, failed_payout["amount"], failed_payout["id"], "payout_reversal")
    assert sum(t.net_cents for t in lines if t.type != "payout") == second["amount"]
    report = {p.stripe_payout_id: p for p in reconcile(books).payouts}[second["id"]]
    assert back.stripe_txn_id in {line.stripe_txn_id for line in report.lines}
    assert report.amount_cents == second["amount"] and report.gross_cents == OWED
    # The failed payout is still reported, with its own discrepancy, and the new payment matched its ledger row.
    assert "payout_failed" in {d.kind for d in reconcile(books).open_discrepancies}
    assert len(report.payment_ids) == 1


def test_the_next_payout_with_the_returned_money_reconciles(books, gateway, sandbox_url, failed_payout):
    second = _next_payout(books, gateway, sandbox_url)
    report = {p.stripe_payout_id: p for p in reconcile(books).payouts}[second["id"]]
    assert report.discrepancies == () and report.state == "reconciled"
    assert report.net_cents == report.amount_cents == second["amount"]
