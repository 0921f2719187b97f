"""Online payments land in the books exactly once: the relay end to end against the sandbox."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from helpers import SANDBOX_KEY
from helpers import PAT, count, officers, standard_hall
from relay_harness import RelayThread, register_endpoint, wait_for
from sandbox.testing import control, flush, pay, state
from treasurer import clock, inbox
from treasurer.dues import assess
from treasurer.ledger import member_standing
from treasurer.models import Adjustment, Payment, Refund, Slip, StripeEvent
from treasurer.refunds import refund_payment
from treasurer.review import acknowledge_refund, assign_payment, open_items, resolve
from treasurer.slips import create_slips
from treasurer.sync import catch_up, process_events


@pytest.fixture
def books(hall):
    standard_hall(hall, members=3)
    officers(hall)
    for month in ("2026-09", "2026-10"):
        assess(hall, month)
    return hall


def link_of(outcome) -> str:
    return outcome.url.rsplit("/", 1)[1]


def balance(hall, member_id=1) -> int:
    with hall.read() as s:
        return member_standing(s, member_id, clock.today()).balance_cents


def payments(hall) -> list[Payment]:
    with hall.read() as s:
        return list(s.scalars(select(Payment).order_by(Payment.id)))


def items(hall, kind=None):
    return [i for i in open_items(hall) if kind is None or i.kind == kind]


def test_a_card_payment_lands_once_through_the_webhook(books, gateway, sandbox_url):
    (slip,), _ = create_slips(books, gateway, "2026-10", ["1001"], arrears=True)
    with RelayThread(books, gateway, mode="webhook", port=0) as rt:
        register_endpoint(sandbox_url, SANDBOX_KEY, rt.url)
        assert balance(books) == 9000
        pay(sandbox_url, link_of(slip))
        flush(sandbox_url)
        wait_for(lambda: balance(books) == 0, what="the payment to be recorded")
        wait_for(lambda: set(inbox.counts(books)) == {"applied"}, what="both events to be processed")
        (payment,) = payments(books)
        assert (payment.method, payment.status, payment.amount_cents, payment.slip_id) == (
            "card", "completed", 9000, slip.slip_id)
        with books.read() as s:
            assert s.get(Slip, slip.slip_id).status == "paid"
            outcomes = dict(s.execute(select(StripeEvent.type, StripeEvent.outcome)).all())
        assert outcomes["checkout.session.completed"] == "applied"
        assert outcomes["payment_intent.succeeded"] == "applied"  # same PaymentIntent: no second payment
        wait_for(lambda: gateway.retrieve_payment_link(link_of(slip))["active"] is False, what="deactivation")
        # Stripe sends it all again: nothing changes.
        events = list(gateway.events_after(None))
        fresh = inbox.store_many(books, [inbox.parse(json.dumps(e), "poll") for e in events])
        assert not any(fresh)
        assert len(payments(books)) == 1 and balance(books) == 0


def test_ach_pending_then_settled(books, gateway, sandbox_url):
    (slip,), _ = create_slips(books, gateway, "2026-10", ["1001"])
    session = pay(sandbox_url, link_of(slip), method="us_bank_account")
    catch_up(books, gateway)
    (payment,) = payments(books)
    assert (payment.status, payment.method) == ("pending", "us_bank_account")
    with books.read() as s:
        standing = member_standing(s, 1, clock.today())
    assert standing.pending_cents == 4500 and standing.balance_cents == 9000  # shown, not counted
    control(sandbox_url, f"payment_intents/{session['payment_intent']}/settle")
    catch_up(books, gateway)
    assert payments(books)[0].status == "completed" and balance(books) == 4500


def test_ach_failed_voids_the_slip_and_goes_to_review(books, gateway, sandbox_url):
    (slip,), _ = create_slips(books, gateway, "2026-10", ["1001"])
    session = pay(sandbox_url, link_of(slip), method="us_bank_account")
    catch_up(books, gateway)
    control(sandbox_url, f"payment_intents/{session['payment_intent']}/fail")
    catch_up(books, gateway)
    (payment,) = payments(books)
    assert payment.status == "failed" and balance(books) == 9000
    with books.read() as s:
        assert s.get(Slip, slip.slip_id).status == "void"
    (item,) = items(books, "ach_failed")
    assert "failed" in item.summary and "new slip" in item.summary
    again, _ = create_slips(books, gateway, "2026-10", ["1001"])
    assert again[0].slip_id != slip.slip_id  # a new slip with a fresh link


def _paid(books, gateway, sandbox_url, member="1001"):
    (slip,), _ = create_slips(books, gateway, "2026-10", [member], arrears=True)
    session = pay(sandbox_url, link_of(slip))
    catch_up(books, gateway)
    intent = gateway.retrieve_payment_intent(session["payment_intent"])
    charge = intent["latest_charge"] if isinstance(intent["latest_charge"], str) else intent["latest_charge"]["id"]
    return slip, session["payment_intent"], charge


def test_dashboard_refunds_wait_for_the_treasurer(books, gateway, sandbox_url):
    _, _, charge = _paid(books, gateway, sandbox_url)
    control(sandbox_url, f"charges/{charge}/refund", amount=2000)
    catch_up(books, gateway)
    (item,) = items(books, "refund")
    assert "made in Stripe" in item.summary and balance(books) == 0  # nothing posted yet
    acknowledge_refund(books, int(item.key.split(":")[1]), "member overpaid, agreed at the counter", **PAT)
    assert balance(books) == 2000
    control(sandbox_url, f"charges/{charge}/refund")  # the rest
    catch_up(books, gateway)
    (item,) = items(books, "refund")
    acknowledge_refund(books, int(item.key.split(":")[1]), "full refund, member withdrew", **PAT)
    assert balance(books) == 9000
    with books.read() as s:
        assert s.scalar(select(func.count()).select_from(Refund)) == 2


def test_a_refund_from_the_app_posts_when_it_succeeds(books, gateway, sandbox_url):
    _paid(books, gateway, sandbox_url)
    (payment,) = payments(books)
    refund = refund_payment(books, gateway, payment.id, 4500, "requested_by_customer", "paid twice", **PAT)
    assert refund.status == "succeeded" and refund.origin == "app" and refund.adjustment_id
    assert balance(books) == 4500
    catch_up(books, gateway)  # the refund's own events change nothing more
    assert balance(books) == 4500 and items(books, "refund") == []
    from treasurer.errors import ValidationError
    with pytest.raises(ValidationError, match=r"At most \$45.00"):
        refund_payment(books, gateway, payment.id, 5000, "requested_by_customer", **PAT)


def test_a_lost_dispute(books, gateway, sandbox_url):
    _, _, charge = _paid(books, gateway, sandbox_url)
    dispute = control(sandbox_url, f"charges/{charge}/dispute")
    catch_up(books, gateway)
    (item,) = items(books, "dispute")
    assert "disputed" in item.summary and item.due_by
    resolve(books, int(item.key.split(":")[1]), "evidence sent in Stripe", **PAT)
    control(sandbox_url, f"disputes/{dispute['id']}/close", outcome="lost")
    catch_up(books, gateway)
    (lost,) = items(books, "dispute")
    assert "lost" in lost.summary and balance(books) == 0
    from treasurer.errors import PermissionDenied
    with pytest.raises(PermissionDenied, match="an officer must do it with their PIN"):
        resolve(books, int(lost.key.split(":")[1]), "member told; dues owed again")
    with pytest.raises(PermissionDenied, match="PIN for Pat Morales is not right"):
        resolve(books, int(lost.key.split(":")[1]), "member told", officer="Pat Morales", pin="000000")
    assert balance(books) == 0 and items(books, "dispute")          # nothing posted, still open
    resolve(books, int(lost.key.split(":")[1]), "member told; dues owed again", **PAT)
    assert balance(books) == 9000


def test_a_payment_nobody_can_match_waits_for_an_owner(books, gateway, sandbox_url):
    link = gateway.create_payment_link({
        "line_items": [{"price_data": {"currency": "usd", "unit_amount": 4500,
                                       "product_data": {"name": "Dues"}}, "quantity": 1}],
        "metadata": {"member_number": "7777"}, "payment_intent_data": {"metadata": {"member_number": "7777"}},
    }, "stray-link")
    pay(sandbox_url, link["id"])
    catch_up(books, gateway)
    (payment,) = payments(books)
    assert payment.member_id is None and payment.amount_cents == 4500
    (item,) = items(books, "unmatched_payment")
    assert "member number 7777 is not on the roll" in item.summary
    assign_payment(books, int(item.key.split(":")[1]), "1002", "phoned the hall: it was Bob's", **PAT)
    assert balance(books, 2) == 4500 and items(books, "unmatched_payment") == []


def test_a_refund_that_arrives_before_its_payment_is_held_then_applied(books, gateway, sandbox_url):
    _, pi, charge = _paid_without_relay(books, gateway, sandbox_url)
    control(sandbox_url, f"charges/{charge}/refund", amount=1000)
    events = [inbox.parse(json.dumps(e), "webhook") for e in gateway.events_after(None)]
    refunds = [e for e in events if e.type.startswith("refund.") or e.type == "charge.refunded"]
    others = [e for e in events if e not in refunds]
    inbox.store_many(books, refunds)
    results = process_events(books, None, [e.id for e in refunds])  # no Stripe to ask: held
    assert {r.outcome for r in results.values()} == {"held"}
    assert items(books, "held_event")
    inbox.store_many(books, others)
    process_events(books, None, [e.id for e in others])
    assert {e.outcome for e in _events(books)} <= {"applied", "ignored"}
    assert items(books, "held_event") == []  # resolved by the relay itself
    (item,) = items(books, "refund")
    assert "1,000" not in item.summary and "$10.00" in item.summary


def test_a_held_refund_fetches_its_payment_from_stripe(books, gateway, sandbox_url):
    _, pi, charge = _paid_without_relay(books, gateway, sandbox_url)
    control(sandbox_url, f"charges/{charge}/refund", amount=1000)
    refund_events = [inbox.parse(json.dumps(e), "webhook") for e in gateway.events_after(None)
                     if e["type"] == "refund.created"]
    inbox.store_many(books, refund_events)
    results = process_events(books, gateway, [e.id for e in refund_events])
    assert {r.outcome for r in results.values()} == {"applied"}
    (payment,) = payments(books)
    assert payment.stripe_payment_intent_id == pi and payment.member_id == 1


def _paid_without_relay(books, gateway, sandbox_url):
    (slip,), _ = create_slips(books, gateway, "2026-10", ["1001"], arrears=True)
    session = pay(sandbox_url, link_of(slip))
    intent = gateway.retrieve_payment_intent(session["payment_intent"])
    charge = intent["latest_charge"] if isinstance(intent["latest_charge"], str) else intent["latest_charge"]["id"]
    return slip, session["payment_intent"], charge


def _events(books):
    with books.read() as s:
        return list(s.scalars(select(StripeEvent)))


def test_paying_an_old_slip_is_recorded_and_flagged(books, gateway, sandbox_url):
    (old,), _ = create_slips(books, gateway, "2026-10", ["1001"])
    pay(sandbox_url, link_of(old))                      # paid at Stripe, not yet in the books...
    create_slips(books, gateway, "2026-10", ["1001"], arrears=True)   # ...when a new slip replaced it
    catch_up(books, gateway)
    (payment,) = payments(books)
    assert payment.member_id == 1 and payment.status == "completed" and balance(books) == 4500
    (item,) = items(books, "stale_slip_payment")
    assert "superseded" in item.summary


def test_paying_twice_becomes_a_flagged_credit(books, gateway, sandbox_url):
    from treasurer.payments import record_payment
    (slip,), _ = create_slips(books, gateway, "2026-10", ["1001"], arrears=True)
    record_payment(books, "1001", 9000, "check", "5512")    # paid at the counter too
    pay(sandbox_url, link_of(slip))
    catch_up(books, gateway)
    assert balance(books) == -9000
    (item,) = items(books, "overpayment")
    assert "credit of $90.00" in item.summary


def test_relay_status_and_retry_commands(books, gateway, sandbox_url, cli, monkeypatch):
    cli.data_dir = books.data_path
    monkeypatch.setenv("STRIPE_API_KEY", SANDBOX_KEY)
    monkeypatch.setenv("TREASURER_STRIPE_API_BASE", sandbox_url)
    (slip,), _ = create_slips(books, gateway, "2026-10", ["1001"])
    pay(sandbox_url, link_of(slip))
    _, out, _ = cli("sync")
    assert out.startswith("Caught up: ") and "applied" in out
    _, out, _ = cli("sync")
    assert "0 new" in out
    _, out, _ = cli("relay", "status")
    assert "held: 0  failed: 0" in out and "polling cursor: evt_" in out
    event_id = _events(books)[0].id
    _, out, _ = cli("relay", "retry", event_id)
    assert out.startswith(event_id)
    _, out, _ = cli("relay", "retry", "--failed")
    assert "No failed or held events." in out


def test_a_cursor_older_than_stripes_30_days_is_a_loud_warning(books, gateway, sandbox_url):
    import time

    (slip,), _ = create_slips(books, gateway, "2026-10", ["1001"])
    pay(sandbox_url, link_of(slip))
    first = catch_up(books, gateway)
    assert first.new == 2 and first.warnings == []
    inbox.set_state(books, "poll_cursor_created", str(int(time.time()) - 31 * 86400))  # a month switched off
    report = catch_up(books, gateway)
    assert report.warnings and "more than 30 days old" in report.warnings[0]
