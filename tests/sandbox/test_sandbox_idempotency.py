"""Idempotency-Key replay and conflicts, as Stripe does them."""
from __future__ import annotations

import pytest
import stripe

from sandbox.testing import state


def test_same_key_same_params_replays_the_same_response(stripe_client, sandbox) -> None:
    params = {"line_items": [{"price_data": {"currency": "usd", "unit_amount": 2500,
                                             "product_data": {"name": "Dues"}}, "quantity": 1}],
              "metadata": {"slip_id": "S-9"}}
    first = stripe_client.v1.payment_links.create(params, options={"idempotency_key": "slip-S-9"})
    again = stripe_client.v1.payment_links.create(params, options={"idempotency_key": "slip-S-9"})
    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert first.last_response.headers.get("Idempotent-Replayed") is None
    assert state(sandbox.base_url)["counts"]["payment_link"] == 1


def test_keys_expire_after_24_hours(stripe_client, sandbox) -> None:
    from sandbox.testing import control

    first = stripe_client.v1.customers.create({"email": "a@example.com"}, options={"idempotency_key": "day-1"})
    control(sandbox.base_url, "clock", advance_seconds=25 * 3600)
    second = stripe_client.v1.customers.create({"email": "b@example.com"}, options={"idempotency_key": "day-1"})
    assert second.id != first.id


def test_same_key_different_params_is_idempotency_error(stripe_client) -> None:
    stripe_client.v1.customers.create({"email": "a@example.com"}, options={"idempotency_key": "k-1"})
    with pytest.raises(stripe.IdempotencyError) as info:
        stripe_client.v1.customers.create({"email": "b@example.com"}, options={"idempotency_key": "k-1"})
    assert info.value.http_status == 400


def test_declines_are_replayed_too(stripe_client, sandbox) -> None:
    params = {"amount": 1000, "currency": "usd", "payment_method": "pm_card_chargeDeclined", "confirm": True}
    with pytest.raises(stripe.CardError) as first:
        stripe_client.v1.payment_intents.create(params, options={"idempotency_key": "decline-1"})
    with pytest.raises(stripe.CardError) as second:
        stripe_client.v1.payment_intents.create(params, options={"idempotency_key": "decline-1"})
    assert first.value.error.payment_intent.id == second.value.error.payment_intent.id
    assert state(sandbox.base_url)["counts"]["payment_intent"] == 1


def test_refund_with_same_key_is_made_once(stripe_client, sandbox, make_link) -> None:
    from sandbox.testing import pay

    session = pay(sandbox.base_url, make_link(3000).id)
    for _ in range(3):
        refund = stripe_client.v1.refunds.create({"payment_intent": session["payment_intent"], "amount": 1000},
                                                 options={"idempotency_key": "refund-slip-1"})
    assert refund.amount == 1000
    assert stripe_client.v1.charges.list().data[0].amount_refunded == 1000
