"""Every object the sandbox serves has the same top-level fields as Stripe's published example."""
from __future__ import annotations

from typing import Any

import stripe

from sandbox.testing import control, pay


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
