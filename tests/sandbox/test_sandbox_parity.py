"""Every object the sandbox serves has the same top-level fields as Stripe's published example."""
from __future__ import annotations

from typing import Any

import stripe

from sandbox.testing import control, expire_session, fail_payout, fail_refund, pay


def _all_objects(client: stripe.StripeClient, base_url: str, make_link) -> dict[str, dict[str, Any]]:
    customer = client.v1.customers.create({"email": "x@example.org"})
    product = client.v1.products.create({"name": "Dues"})
    price = client.v1.prices.create({"product": product.id, "currency": "usd", "unit_amount": 1000})
    link = make_link(5000)
    session = pay(base_url, link.id)
    pi = client.v1.payment_intents.retrieve(session["payment_intent"])
    charge = client.v1.charges.retrieve(pi.latest_charge)
    refund = client.v1.refunds.create({"charge": charge.id, "amount": 100})
    dispute = control(base_url, f"charges/{charge.id}/dispute")
    pay(base_url, make_link(9000, slip="other").id)  # so something is left to pay out after the dispute
    control(base_url, "clock", advance_seconds=3 * 86400)
    payout = control(base_url, "payouts")
    endpoint = client.v1.webhook_endpoints.retrieve(
        client.v1.webhook_endpoints.create({"url": "http://127.0.0.1:9/x", "enabled_events": ["*"]}).id)
    return {
        "customer": customer.to_dict(),
        "product": client.v1.products.retrieve(product.id).to_dict(),
        "price": price.to_dict(),
        "payment_link": client.v1.payment_links.retrieve(link.id).to_dict(),
        "checkout.session": client.v1.checkout.sessions.retrieve(session["id"]).to_dict(),
        "payment_intent": pi.to_dict(),
        "charge": client.v1.charges.retrieve(charge.id).to_dict(),
        "refund": refund.to_dict(),
        "dispute": client.v1.disputes.retrieve(dispute["id"]).to_dict(),
        "balance_transaction": client.v1.balance_transactions.retrieve(charge.balance_transaction).to_dict(),
        "payout": client.v1.payouts.retrieve(payout["id"]).to_dict(),
        "balance": client.v1.balance.retrieve().to_dict(),
        "webhook_endpoint": endpoint.to_dict(),
        "event": client.v1.events.list().data[0].to_dict(),
        "item": client.v1.payment_links.line_items.list(link.id).data[0].to_dict(),
    }


def test_top_level_fields_match_stripe_fixtures(stripe_client, sandbox, make_link, stripe_fixtures) -> None:
    served = _all_objects(stripe_client, sandbox.base_url, make_link)
    problems = {}
    for kind, obj in served.items():
        expected = set(stripe_fixtures[kind])
        got = set(obj)
        if expected != got:
            problems[kind] = {"missing": sorted(expected - got), "extra": sorted(got - expected)}
        assert obj["object"] == stripe_fixtures[kind]["object"]
    assert problems == {}


def test_deleted_objects_match_too(stripe_client, stripe_fixtures) -> None:
    endpoint = stripe_client.v1.webhook_endpoints.create({"url": "http://127.0.0.1:9/x", "enabled_events": ["*"]})
    deleted = stripe_client.v1.webhook_endpoints.delete(endpoint.id).to_dict()
    assert set(deleted) == set(stripe_fixtures["deleted_webhook_endpoint"])
    customer = stripe_client.v1.customers.create({})
    assert set(stripe_client.v1.customers.delete(customer.id).to_dict()) == set(stripe_fixtures["deleted_customer"])


def test_failed_and_expired_objects_match_too(stripe_client, sandbox, make_link, stripe_fixtures) -> None:
    """A failed payout, a failed refund (Stripe adds its two failure fields), their balance transactions, and an
    expired checkout session keep Stripe's fields."""
    base_url = sandbox.base_url
    session = pay(base_url, make_link(5000).id)
    refund = stripe_client.v1.refunds.create({"payment_intent": session["payment_intent"], "amount": 100})
    fail_refund(base_url, refund.id)
    control(base_url, "clock", advance_seconds=3 * 86400)
    payout = fail_payout(base_url, control(base_url, "payouts")["id"])
    expired = expire_session(base_url, pay(base_url, make_link(700, slip="x").id, outcome="declined")["id"])
    failed_refund = stripe_client.v1.refunds.retrieve(refund.id).to_dict()
    served = {
        "payout": stripe_client.v1.payouts.retrieve(payout["id"]).to_dict(),
        "checkout.session": stripe_client.v1.checkout.sessions.retrieve(expired["id"]).to_dict(),
        "balance_transaction": stripe_client.v1.balance_transactions.retrieve(
            payout["failure_balance_transaction"]).to_dict(),
        "event": stripe_client.v1.events.list({"type": "refund.failed"}).data[0].to_dict(),
    }
    refund_txn = stripe_client.v1.balance_transactions.retrieve(failed_refund["failure_balance_transaction"])
    assert {k: set(v) ^ set(stripe_fixtures[k]) for k, v in served.items()} == {k: set() for k in served}
    assert set(refund_txn.to_dict()) == set(stripe_fixtures["balance_transaction"])
    assert set(failed_refund) == set(stripe_fixtures["refund"]) | {"failure_balance_transaction", "failure_reason"}
    assert set(served["event"]["data"]["object"]) == set(failed_refund)
