"""Paying payment links (card, declined card, ACH) and payment intents through the API."""
from __future__ import annotations

import pytest
import stripe

from sandbox.testing import ControlError, control, pay, state


def types(client: stripe.StripeClient) -> list[str]:
    """Event types oldest first."""
    return [e.type for e in reversed(client.v1.events.list({"limit": 100}).data)]


def test_card_payment_through_a_link(stripe_client, sandbox, make_link) -> None:
    link = make_link(4500, slip="SLIP-42")
    session = pay(sandbox.base_url, link.id, email="member@example.org", client_reference_id="M-7")
    assert session["status"] == "complete" and session["payment_status"] == "paid"
    assert session["payment_link"] == link.id
    assert session["amount_total"] == 4500 and session["currency"] == "usd"
    assert session["metadata"] == {"slip_id": "SLIP-42"}
    assert session["customer_details"]["email"] == "member@example.org"
    assert session["client_reference_id"] == "M-7"

    pi = stripe_client.v1.payment_intents.retrieve(session["payment_intent"])
    assert pi.status == "succeeded" and pi.amount_received == 4500
    assert pi.metadata.to_dict() == {"slip_id": "SLIP-42", "member": "M-7"}
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert charge.paid and charge.status == "succeeded" and charge.payment_intent == pi.id
    assert charge.payment_method_details.type == "card"
    txn = stripe_client.v1.balance_transactions.retrieve(charge.balance_transaction)
    assert (txn.amount, txn.fee, txn.net) == (4500, 161, 4339)  # 2.9 % of 4500 = 130.5 -> 131, + 30
    assert txn.status == "pending" and txn.type == "charge" and txn.reporting_category == "charge"
    assert txn.fee_details[0].type == "stripe_fee" and txn.source == charge.id

    link = stripe_client.v1.payment_links.retrieve(link.id)
    assert link.restrictions.completed_sessions.count == 1
    assert types(stripe_client) == ["payment_link.created", "payment_intent.created", "charge.succeeded",
                                    "payment_intent.succeeded", "checkout.session.completed"]
    assert state(sandbox.base_url)["succeeded_payments_cents"] == 4500

    by_link = stripe_client.v1.checkout.sessions.list({"payment_link": link.id})
    assert [s.id for s in by_link.data] == [session["id"]]
    by_pi = stripe_client.v1.checkout.sessions.list({"payment_intent": pi.id})
    assert [s.id for s in by_pi.data] == [session["id"]]
    items = stripe_client.v1.checkout.sessions.line_items.list(session["id"])
    assert items.data[0].amount_total == 4500 and items.data[0].description == "Monthly dues"


def test_a_used_up_link_refuses_a_second_payment(sandbox, make_link) -> None:
    link = make_link(limit=1)
    pay(sandbox.base_url, link.id)
    with pytest.raises(ControlError) as info:
        pay(sandbox.base_url, link.id)
    assert info.value.status == 400
    assert info.value.body["error"]["type"] == "invalid_request_error"
    assert state(sandbox.base_url)["counts"]["charge"] == 1


def test_deactivated_link_refuses_payment(stripe_client, sandbox, make_link) -> None:
    link = make_link(limit=None)
    updated = stripe_client.v1.payment_links.update(link.id, {"active": False})
    assert updated.active is False
    with pytest.raises(ControlError):
        pay(sandbox.base_url, link.id)
    event = stripe_client.v1.events.list({"type": "payment_link.updated"}).data[0]
    assert event.data.previous_attributes.active is True


def test_declined_card_leaves_the_session_open(stripe_client, sandbox, make_link) -> None:
    link = make_link(limit=1)
    session = pay(sandbox.base_url, link.id, outcome="declined")
    assert session["status"] == "open" and session["payment_status"] == "unpaid"
    pi = stripe_client.v1.payment_intents.retrieve(session["payment_intent"])
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.code == "card_declined"
    charge = stripe_client.v1.charges.list({"payment_intent": pi.id}).data[0]
    assert charge.status == "failed" and charge.balance_transaction is None
    assert "payment_intent.payment_failed" in types(stripe_client)
    assert "checkout.session.completed" not in types(stripe_client)
    # A decline does not use the link up.
    assert pay(sandbox.base_url, link.id)["payment_status"] == "paid"


def test_ach_payment_settles(stripe_client, sandbox, make_link) -> None:
    link = make_link(12000)
    session = pay(sandbox.base_url, link.id, method="us_bank_account")
    assert session["status"] == "complete" and session["payment_status"] == "unpaid"
    pi_id = session["payment_intent"]
    assert stripe_client.v1.payment_intents.retrieve(pi_id).status == "processing"
    charge = stripe_client.v1.charges.list({"payment_intent": pi_id}).data[0]
    assert charge.status == "pending" and charge.balance_transaction is None
    assert state(sandbox.base_url)["succeeded_payments_cents"] == 0

    pi = control(sandbox.base_url, f"payment_intents/{pi_id}/settle")
    assert pi["status"] == "succeeded"
    assert stripe_client.v1.checkout.sessions.retrieve(session["id"]).payment_status == "paid"
    charge = stripe_client.v1.charges.retrieve(charge.id)
    txn = stripe_client.v1.balance_transactions.retrieve(charge.balance_transaction)
    assert (txn.amount, txn.fee, txn.net) == (12000, 96, 11904)  # 0.8 %
    seen = types(stripe_client)
    assert seen.index("payment_intent.processing") < seen.index("checkout.session.completed")
    assert seen[-3:] == ["charge.succeeded", "payment_intent.succeeded", "checkout.session.async_payment_succeeded"]
    completed = stripe_client.v1.events.list({"type": "checkout.session.completed"}).data[0]
    assert completed.data.object.payment_status == "unpaid"
    assert state(sandbox.base_url)["succeeded_payments_cents"] == 12000
    with pytest.raises(ControlError):
        control(sandbox.base_url, f"payment_intents/{pi_id}/settle")


def test_ach_payment_fails(stripe_client, sandbox, make_link) -> None:
    session = pay(sandbox.base_url, make_link(12000).id, method="us_bank_account")
    pi = control(sandbox.base_url, f"payment_intents/{session['payment_intent']}/fail")
    assert pi["status"] == "requires_payment_method"
    assert types(stripe_client)[-3:] == ["charge.failed", "payment_intent.payment_failed",
                                         "checkout.session.async_payment_failed"]
    assert stripe_client.v1.checkout.sessions.retrieve(session["id"]).payment_status == "unpaid"
    assert state(sandbox.base_url)["succeeded_payments_cents"] == 0


def test_planned_ach_outcome_lands_when_the_clock_passes_settlement(stripe_client, sandbox, make_link) -> None:
    session = pay(sandbox.base_url, make_link(5000).id, method="us_bank_account", settle="succeeded")
    assert stripe_client.v1.payment_intents.retrieve(session["payment_intent"]).status == "processing"
    control(sandbox.base_url, "clock", advance_seconds=4 * 86400)
    assert stripe_client.v1.payment_intents.retrieve(session["payment_intent"]).status == "succeeded"


def test_payment_intent_api_card_success(stripe_client) -> None:
    customer = stripe_client.v1.customers.create({"email": "m@example.org"})
    pi = stripe_client.v1.payment_intents.create({
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
        "customer": customer.id, "metadata": {"k": "v"}})
    assert pi.status == "succeeded" and pi.latest_charge.startswith("ch_")
    assert stripe_client.v1.payment_intents.list({"customer": customer.id}).data[0].id == pi.id
    charges = stripe_client.v1.charges.list({"payment_intent": pi.id})
    assert [c.id for c in charges.data] == [pi.latest_charge]


def test_payment_intent_api_decline_is_402(stripe_client) -> None:
    with pytest.raises(stripe.CardError) as info:
        stripe_client.v1.payment_intents.create({
            "amount": 2000, "currency": "usd", "payment_method": "pm_card_chargeDeclined", "confirm": True})
    assert info.value.http_status == 402
    assert info.value.code == "card_declined"
    pi = info.value.error.payment_intent
    assert stripe_client.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"
    assert stripe_client.v1.events.list({"type": "payment_intent.payment_failed"}).data[0].data.object.id == pi.id


def test_payment_intent_confirm_update_cancel(stripe_client) -> None:
    pi = stripe_client.v1.payment_intents.create({"amount": 1500, "currency": "usd"})
    assert pi.status == "requires_payment_method"
    pi = stripe_client.v1.payment_intents.update(pi.id, {"metadata": {"slip_id": "S-3"}})
    assert pi.metadata.slip_id == "S-3"
    pi = stripe_client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"})
    assert pi.status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_intents.cancel(pi.id)
    other = stripe_client.v1.payment_intents.create({"amount": 1500, "currency": "usd"})
    canceled = stripe_client.v1.payment_intents.cancel(other.id, {"cancellation_reason": "abandoned"})
    assert canceled.status == "canceled" and canceled.cancellation_reason == "abandoned"
