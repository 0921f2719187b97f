"""Money the bank sends back (a failed payout, a failed refund) and checkout sessions that expire."""
from __future__ import annotations

import pytest
import stripe

from sandbox.testing import ControlError, control, expire_session, fail_payout, fail_refund, pay

DAY = 86400


def _types(client: stripe.StripeClient, *types: str) -> list[str]:
    return [e.type for e in client.v1.events.list({"types": list(types), "limit": 100}).data]


def _paid_out(base_url: str, make_link, amount: int, slip: str) -> dict:
    pay(base_url, make_link(amount, slip=slip).id)
    control(base_url, "clock", advance_seconds=3 * DAY)
    return control(base_url, "payouts")


# Payouts -------------------------------------------------------------------------------------------------

def test_a_paid_payout_fails_and_its_money_goes_into_the_next_payout(stripe_client, sandbox, make_link) -> None:
    first = _paid_out(sandbox.base_url, make_link, 5000, "A")
    assert first["status"] == "paid" and first["amount"] == 5000 - 175
    assert stripe_client.v1.balance.retrieve().available[0].amount == 0

    failed = fail_payout(sandbox.base_url, first["id"])
    assert (failed["status"], failed["failure_code"]) == ("failed", "account_closed")
    assert failed["failure_message"] == "The bank account has been closed."
    got = stripe_client.v1.payouts.retrieve(first["id"])
    assert got.status == "failed" and got.failure_code == "account_closed" and got.amount == 4825
    assert got.failure_balance_transaction == failed["failure_balance_transaction"] != got.balance_transaction
    back = stripe_client.v1.balance_transactions.retrieve(got.failure_balance_transaction)
    assert (back.type, back.reporting_category, back.amount, back.fee, back.net, back.source, back.status) == (
        "payout_failure", "payout_reversal", 4825, 0, 4825, first["id"], "available")
    assert stripe_client.v1.balance.retrieve().available[0].amount == 4825  # back in the Stripe balance
    # What the failed payout carried is still listed under it.
    assert sorted(t.type for t in stripe_client.v1.balance_transactions.list({"payout": first["id"]}).data) == [
        "charge", "payout"]

    events = stripe_client.v1.events.list({"type": "payout.*"}).data
    assert [e.type for e in events] == ["payout.failed", "payout.updated", "payout.reconciliation_completed",
                                        "payout.paid", "payout.created"]
    assert events[0].data.object.status == "failed" and events[0].data.object.failure_code == "account_closed"
    assert events[0].data.previous_attributes.status == "paid"
    assert events[0].data.object.failure_balance_transaction == back.id

    # The next payout sweeps the returned money up with what came in since.
    second = _paid_out(sandbox.base_url, make_link, 1000, "B")
    assert second["amount"] == 4825 + (1000 - 59)
    lines = stripe_client.v1.balance_transactions.list({"payout": second["id"], "limit": 100}).data
    assert sorted(t.type for t in lines) == ["charge", "payout", "payout_failure"]
    assert sum(t.net for t in lines if t.type != "payout") == second["amount"]
    assert [t.id for t in lines if t.type == "payout_failure"] == [back.id]
    assert stripe_client.v1.balance.retrieve().available[0].amount == 0


def test_a_payout_fails_once_with_the_code_given(stripe_client, sandbox, make_link) -> None:
    payout = _paid_out(sandbox.base_url, make_link, 3000, "A")
    with pytest.raises(ControlError) as info:
        fail_payout(sandbox.base_url, payout["id"], "not_a_code")
    assert info.value.status == 400 and info.value.body["error"]["param"] == "failure_code"
    assert stripe_client.v1.payouts.retrieve(payout["id"]).status == "paid"  # unchanged by the refusal
    failed = fail_payout(sandbox.base_url, payout["id"], "no_account")
    assert failed["failure_code"] == "no_account" and "No bank account could be located" in failed["failure_message"]
    with pytest.raises(ControlError) as info:
        fail_payout(sandbox.base_url, payout["id"])
    assert info.value.status == 400
    assert info.value.body["error"]["type"] == "invalid_request_error"
    assert "already failed" in info.value.body["error"]["message"]
    assert len(stripe_client.v1.balance_transactions.list({"type": "payout_failure"}).data) == 1
    assert _types(stripe_client, "payout.failed") == ["payout.failed"]
    with pytest.raises(ControlError) as info:
        fail_payout(sandbox.base_url, "po_missing")
    assert info.value.status == 404 and info.value.body["error"]["code"] == "resource_missing"


# Refunds -------------------------------------------------------------------------------------------------

def test_a_card_refund_fails_and_the_money_comes_back(stripe_client, sandbox, make_link) -> None:
    session = pay(sandbox.base_url, make_link(5000).id)
    refund = stripe_client.v1.refunds.create({"payment_intent": session["payment_intent"], "amount": 2000})
    assert refund.status == "succeeded"
    assert "failure_reason" not in refund.to_dict()  # Stripe shows the failure fields only on a failed refund

    failed = fail_refund(sandbox.base_url, refund.id)
    assert (failed["status"], failed["failure_reason"]) == ("failed", "expired_or_canceled_card")
    got = stripe_client.v1.refunds.retrieve(refund.id)
    assert got.status == "failed" and got.failure_balance_transaction == failed["failure_balance_transaction"]
    assert got.balance_transaction == refund.balance_transaction  # the refund's own line stays
    back = stripe_client.v1.balance_transactions.retrieve(got.failure_balance_transaction)
    assert (back.type, back.reporting_category, back.amount, back.fee, back.net, back.source) == (
        "refund_failure", "refund_failure", 2000, 0, 2000, refund.id)
    charge = stripe_client.v1.charges.retrieve(refund.charge)
    assert charge.amount_refunded == 0 and charge.refunded is False
    assert [(r.id, r.status) for r in charge.refunds.data] == [(refund.id, "failed")]

    assert _types(stripe_client, "refund.failed", "refund.updated", "charge.refund.updated", "charge.refunded") == [
        "refund.failed", "charge.refund.updated", "refund.updated", "charge.refunded"]
    event = stripe_client.v1.events.list({"type": "refund.failed"}).data[0]
    assert event.data.object.status == "failed" and event.data.object.failure_reason == "expired_or_canceled_card"
    assert event.data.previous_attributes.status == "succeeded"
    assert event.request.id is None  # the bank's doing, not an API request

    # The whole charge can be refunded again, and that refund can fail too.
    again = stripe_client.v1.refunds.create({"charge": charge.id})
    assert again.amount == 5000 and stripe_client.v1.charges.retrieve(charge.id).refunded is True
    fail_refund(sandbox.base_url, again.id, "lost_or_stolen_card")
    charge = stripe_client.v1.charges.retrieve(charge.id)
    assert charge.amount_refunded == 0 and charge.refunded is False
    lines = stripe_client.v1.balance_transactions.list({"limit": 100}).data
    assert sum(t.net for t in lines if t.type in ("refund", "refund_failure")) == 0


def test_a_pending_bank_refund_fails_instead_of_settling(stripe_client, sandbox, make_link) -> None:
    session = pay(sandbox.base_url, make_link(8000).id, method="us_bank_account")
    control(sandbox.base_url, f"payment_intents/{session['payment_intent']}/settle")
    refund = stripe_client.v1.refunds.create({"payment_intent": session["payment_intent"], "amount": 3000})
    assert refund.status == "pending"
    fail_refund(sandbox.base_url, refund.id, "declined")
    control(sandbox.base_url, "clock", advance_seconds=4 * DAY)  # past the settlement delay: nothing more happens
    got = stripe_client.v1.refunds.retrieve(refund.id)
    assert (got.status, got.failure_reason) == ("failed", "declined")
    event = stripe_client.v1.events.list({"type": "refund.failed"}).data[0]
    assert event.data.previous_attributes.status == "pending"
    assert _types(stripe_client, "refund.updated") == ["refund.updated"]  # the failure only, never "succeeded"
    assert stripe_client.v1.charges.retrieve(got.charge).amount_refunded == 0


def test_only_a_pending_or_succeeded_refund_can_fail(stripe_client, sandbox, make_link) -> None:
    session = pay(sandbox.base_url, make_link(5000).id)
    refund = stripe_client.v1.refunds.create({"payment_intent": session["payment_intent"], "amount": 1000})
    with pytest.raises(ControlError) as info:
        fail_refund(sandbox.base_url, refund.id, "stolen")
    assert info.value.status == 400 and info.value.body["error"]["param"] == "failure_reason"
    assert stripe_client.v1.refunds.retrieve(refund.id).status == "succeeded"
    fail_refund(sandbox.base_url, refund.id)
    with pytest.raises(ControlError) as info:
        fail_refund(sandbox.base_url, refund.id)
    assert info.value.status == 400 and "is failed" in info.value.body["error"]["message"]
    assert _types(stripe_client, "refund.failed") == ["refund.failed"]
    assert stripe_client.v1.charges.retrieve(refund.charge).amount_refunded == 0
    with pytest.raises(ControlError) as info:
        fail_refund(sandbox.base_url, "re_missing")
    assert info.value.status == 404


# Checkout sessions ---------------------------------------------------------------------------------------

def test_an_abandoned_session_is_expired(stripe_client, sandbox, make_link) -> None:
    link = make_link(4500)
    declined = pay(sandbox.base_url, link.id, outcome="declined")
    assert declined["status"] == "open"  # a declined card leaves the session open
    expired = expire_session(sandbox.base_url, declined["id"])
    assert (expired["status"], expired["payment_status"]) == ("expired", "unpaid")
    assert stripe_client.v1.checkout.sessions.retrieve(declined["id"]).status == "expired"
    (event,) = stripe_client.v1.events.list({"type": "checkout.session.expired"}).data
    assert event.data.object.id == declined["id"] and event.data.object.status == "expired"
    with pytest.raises(ControlError) as info:
        expire_session(sandbox.base_url, declined["id"])
    assert info.value.status == 400 and "open" in info.value.body["error"]["message"]

    # Stripe's own API does the same; a completed session cannot be expired.
    other = pay(sandbox.base_url, link.id, outcome="declined")
    assert stripe_client.v1.checkout.sessions.expire(other["id"]).status == "expired"
    paid = pay(sandbox.base_url, link.id)
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.checkout.sessions.expire(paid["id"])
    assert err.value.http_status == 400
    assert stripe_client.v1.checkout.sessions.retrieve(paid["id"]).status == "complete"
    assert len(stripe_client.v1.events.list({"type": "checkout.session.expired"}).data) == 2
    listed = stripe_client.v1.checkout.sessions.list({"status": "expired"}).data
    assert sorted(s.id for s in listed) == sorted([declined["id"], other["id"]])


def test_open_sessions_expire_when_the_clock_passes_expires_at(stripe_client, sandbox, make_link) -> None:
    link = make_link(4500, limit=None)
    open_session = pay(sandbox.base_url, link.id, outcome="declined")
    paid = pay(sandbox.base_url, link.id)
    assert open_session["expires_at"] - open_session["created"] == DAY
    control(sandbox.base_url, "clock", advance_seconds=DAY - 3600)
    assert stripe_client.v1.checkout.sessions.retrieve(open_session["id"]).status == "open"
    assert _types(stripe_client, "checkout.session.expired") == []
    control(sandbox.base_url, "clock", advance_seconds=2 * 3600)
    assert stripe_client.v1.checkout.sessions.retrieve(open_session["id"]).status == "expired"
    assert stripe_client.v1.checkout.sessions.retrieve(paid["id"]).status == "complete"
    control(sandbox.base_url, "clock", advance_seconds=DAY)
    (event,) = stripe_client.v1.events.list({"type": "checkout.session.expired"}).data  # once only
    assert event.data.object.id == open_session["id"]


# Webhooks ------------------------------------------------------------------------------------------------

def test_the_failures_reach_a_webhook_endpoint(stripe_client, sandbox, make_link, receiver) -> None:
    wanted = ["payout.failed", "refund.failed", "checkout.session.expired"]
    stripe_client.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": wanted})
    session = pay(sandbox.base_url, make_link(5000, limit=None).id)
    refund = stripe_client.v1.refunds.create({"payment_intent": session["payment_intent"], "amount": 500})
    fail_refund(sandbox.base_url, refund.id)
    payout = _paid_out(sandbox.base_url, make_link, 2000, "B")
    fail_payout(sandbox.base_url, payout["id"])
    declined = pay(sandbox.base_url, make_link(700, slip="C").id, outcome="declined")
    expire_session(sandbox.base_url, declined["id"])
    got = receiver.wait_for(3)
    assert sorted(e["type"] for e in got) == sorted(wanted)
    assert {e["data"]["object"]["id"] for e in got} == {refund.id, payout["id"], declined["id"]}
