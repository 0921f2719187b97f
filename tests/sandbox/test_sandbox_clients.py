"""Other ways in: the SDK's async client (httpx), form-encoded control bodies, reset."""
from __future__ import annotations

import asyncio
import json
import urllib.parse
import urllib.request

import pytest
import stripe

from sandbox.testing import state


# stripe-python hands httpx its body as `data=`, which httpx deprecates; not ours to fix.
@pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")
def test_async_client(sandbox, stripe_client) -> None:
    async def run() -> list[str]:
        client = stripe.StripeClient("sk_test_async_client_000", base_addresses={"api": sandbox.base_url},
                                     http_client=stripe.HTTPXClient())
        customer = await client.v1.customers.create_async({"email": "async@example.org"})
        page = await client.v1.customers.list_async({"limit": 1})
        return [customer.id, page.data[0].id]

    created, listed = asyncio.run(run())
    assert created == listed


def test_control_endpoints_accept_form_bodies(sandbox, make_link) -> None:
    link = make_link(3000)
    data = urllib.parse.urlencode({"method": "card", "outcome": "succeeded", "email": "form@example.org"}).encode()
    req = urllib.request.Request(f"{sandbox.base_url}/_sandbox/payment_links/{link.id}/pay", data=data)
    with urllib.request.urlopen(req) as resp:
        assert resp.headers["Content-Type"].startswith("application/json")
        session = json.loads(resp.read())
    assert session["customer_details"]["email"] == "form@example.org"
    assert state(sandbox.base_url)["succeeded_payments_cents"] == 3000


def test_reset_empties_everything(sandbox, stripe_client, make_link) -> None:
    from sandbox.testing import control

    make_link()
    control(sandbox.base_url, "faults", drop=0.5)
    control(sandbox.base_url, "reset")
    after = state(sandbox.base_url)
    assert set(after["counts"].values()) == {0} and after["faults"]["drop"] == 0
