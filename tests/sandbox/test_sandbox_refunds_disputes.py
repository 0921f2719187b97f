"""Refunds (through the API and 'from the dashboard') and disputes, with their balance transactions."""
from __future__ import annotations

import pytest
import stripe

from sandbox.testing import ControlError, control, pay


@pytest.fixture
def paid(sandbox, make_link) -> dict:
    return pay(sandbox.base_url, make_link(5000).id)


def test_partial_then_full_refund(stripe_client, paid) -> None:
    pi_id = paid["payment_intent"]
    first = stripe_client.v1.refunds.create({"payment_intent": pi_id, "amount": 2000, "reason": "requested_by_customer",
                                             "metadata": {"slip_id": "S-1"}})
    assert first.status == "succeeded" and first.amount == 2000 and first.metadata.slip_id == "S-1"
    charge = stripe_client.v1.charges.retrieve(first.charge)
    assert charge.amount_refunded == 2000 and charge.refunded is False
    rest = stripe_client.v1.refunds.create({"charge": charge.id})
    assert rest.amount == 3000
    assert stripe_client.v1.refunds.retrieve(rest.id).charge == first.charge
    charge = stripe_client.v1.charges.retrieve(charge.id)
    assert charge.amount_refunded == 5000 and charge.refunded is True
    txn = stripe_client.v1.balance_transactions.retrieve(rest.balance_transaction)
    assert (txn.amount, txn.fee, txn.net, txn.type, txn.reporting_category) == (-3000, 0, -3000, "refund", "refund")
    assert txn.source == rest.id
    assert {r.id for r in stripe_client.v1.refunds.list({"charge": charge.id}).data} == {first.id, rest.id}
    assert {r.id for r in stripe_client.v1.refunds.list({"payment_intent": pi_id}).data} == {first.id, rest.id}
    refunded = stripe_client.v1.events.list({"type": "charge.refunded"}).data
    assert [e.data.object.amount_refunded for e in refunded] == [5000, 2000]
    assert refunded[0].data.previous_attributes.amount_refunded == 2000
    assert len(stripe_client.v1.events.list({"type": "refund.created"}).data) == 2
    updated = stripe_client.v1.refunds.update(first.id, {"metadata": {"note": "x"}})
    assert updated.metadata.to_dict() == {"slip_id": "S-1", "note": "x"}
    assert stripe_client.v1.events.list({"type": "refund.updated"}).data[0].data.object.id == first.id


def test_bank_refund_is_pending_until_the_bank_confirms(stripe_client, sandbox, make_link) -> None:
    session = pay(sandbox.base_url, make_link(8000).id, method="us_bank_account")
    control(sandbox.base_url, f"payment_intents/{session['payment_intent']}/settle")
    refund = stripe_client.v1.refunds.create({"payment_intent": session["payment_intent"], "amount": 3000})
    assert refund.status == "pending"
    control(sandbox.base_url, "clock", advance_seconds=4 * 86400)
    assert stripe_client.v1.refunds.retrieve(refund.id).status == "succeeded"
    updated = stripe_client.v1.events.list({"type": "refund.updated"}).data[0]
    assert updated.data.object.status == "succeeded" and updated.data.previous_attributes.status == "pending"


def test_refund_exceeding_the_remaining_amount_is_400(stripe_client, paid) -> None:
    stripe_client.v1.refunds.create({"payment_intent": paid["payment_intent"], "amount": 4000})
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.refunds.create({"payment_intent": paid["payment_intent"], "amount": 1001})
    assert info.value.http_status == 400 and info.value.param == "amount"
    stripe_client.v1.refunds.create({"payment_intent": paid["payment_intent"]})
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.refunds.create({"payment_intent": paid["payment_intent"]})
    assert info.value.code == "charge_already_refunded"


def test_dashboard_refund(stripe_client, sandbox, paid) -> None:
    charge_id = stripe_client.v1.payment_intents.retrieve(paid["payment_intent"]).latest_charge
    refund = control(sandbox.base_url, f"charges/{charge_id}/refund", amount=1234)
    assert refund["amount"] == 1234
    event = stripe_client.v1.events.list({"type": "refund.created"}).data[0]
    assert event.request.id is None  # not made through the API
    with pytest.raises(ControlError) as info:
        control(sandbox.base_url, f"charges/{charge_id}/refund", amount=999999)
    assert info.value.status == 400


def test_dispute_lost(stripe_client, sandbox, paid) -> None:
    charge_id = stripe_client.v1.payment_intents.retrieve(paid["payment_intent"]).latest_charge
    dispute = control(sandbox.base_url, f"charges/{charge_id}/dispute")
    assert dispute["status"] == "needs_response" and dispute["amount"] == 5000
    assert dispute["payment_intent"] == paid["payment_intent"]
    withdrawal = dispute["balance_transactions"][0]
    assert (withdrawal["amount"], withdrawal["fee"], withdrawal["net"]) == (-5000, 1500, -6500)
    assert stripe_client.v1.charges.retrieve(charge_id).disputed is True
    closed = control(sandbox.base_url, f"disputes/{dispute['id']}/close", outcome="lost")
    assert closed["status"] == "lost" and len(closed["balance_transactions"]) == 1
    got = stripe_client.v1.disputes.retrieve(dispute["id"])
    assert got.status == "lost"
    assert [d.id for d in stripe_client.v1.disputes.list({"charge": charge_id}).data] == [dispute["id"]]
    kinds = [e.type for e in stripe_client.v1.events.list({"type": "charge.dispute.*"}).data]
    assert kinds == ["charge.dispute.closed", "charge.dispute.funds_withdrawn", "charge.dispute.created"]
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.refunds.create({"charge": charge_id})


def test_dispute_won_reinstates_funds(stripe_client, sandbox, paid) -> None:
    charge_id = stripe_client.v1.payment_intents.retrieve(paid["payment_intent"]).latest_charge
    dispute = control(sandbox.base_url, f"charges/{charge_id}/dispute")
    closed = control(sandbox.base_url, f"disputes/{dispute['id']}/close", outcome="won")
    assert closed["status"] == "won"
    assert sum(t["net"] for t in closed["balance_transactions"]) == 0
    assert stripe_client.v1.events.list({"type": "charge.dispute.funds_reinstated"}).data
    with pytest.raises(ControlError):
        control(sandbox.base_url, f"disputes/{dispute['id']}/close", outcome="lost")
