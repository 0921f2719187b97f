"""Wire format: auth, errors, request ids, nested parameters, expand, limits."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
import stripe

from sandbox.wire import decode_pairs


def test_nested_form_parameters_decode() -> None:
    pairs = [
        ("line_items[0][price_data][unit_amount]", "4500"),
        ("line_items[0][price_data][product_data][name]", "Dues"),
        ("line_items[1][price]", "price_1"),
        ("metadata[slip_id]", "S-1"),
        ("expand[]", "a"),
        ("expand[]", "b.c"),
        ("types[0]", "x"),
        ("types[1]", "y"),
    ]
    assert decode_pairs(pairs) == {
        "line_items": [{"price_data": {"unit_amount": "4500", "product_data": {"name": "Dues"}}},
                       {"price": "price_1"}],
        "metadata": {"slip_id": "S-1"},
        "expand": ["a", "b.c"],
        "types": ["x", "y"],
    }


@pytest.mark.parametrize("key", ["sk_" + "live_abcdefghijklmnop", "pk_test_abcdefghijkl", "nonsense"])
def test_bad_api_key_is_401(sandbox, key: str) -> None:
    client = stripe.StripeClient(key, base_addresses={"api": sandbox.base_url})
    with pytest.raises(stripe.AuthenticationError) as info:
        client.v1.customers.list()
    assert info.value.http_status == 401
    assert "Invalid API Key" in str(info.value.user_message)


def test_missing_api_key_is_401_with_stripe_body(sandbox) -> None:
    req = urllib.request.Request(f"{sandbox.base_url}/v1/customers")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req)
    assert info.value.code == 401
    body = json.loads(info.value.read())
    assert body["error"]["type"] == "invalid_request_error"
    assert "did not provide an API key" in body["error"]["message"]
    assert info.value.headers["Request-Id"].startswith("req_")


def test_restricted_key_and_query_string_params(sandbox) -> None:
    req = urllib.request.Request(f"{sandbox.base_url}/v1/customers?limit=2&email=x%40y.z",
                                 headers={"Authorization": "Bearer rk_test_abcdefghijkl",
                                          "Stripe-Version": "2020-08-27"})
    with urllib.request.urlopen(req) as resp:
        body = json.loads(resp.read())
        assert resp.headers["Request-Id"].startswith("req_")
    assert body == {"object": "list", "data": [], "has_more": False, "url": "/v1/customers"}


def test_errors_have_stripe_shape(stripe_client) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.payment_links.retrieve("plink_missing")
    assert info.value.http_status == 404
    assert info.value.code == "resource_missing"
    assert info.value.param == "id"

    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.customers.create({"emali": "typo@example.com"})  # type: ignore[typeddict-unknown-key]
    assert info.value.http_status == 400
    assert info.value.param == "emali"

    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.payment_intents.create({"amount": "lots", "currency": "usd"})  # type: ignore[typeddict-item]
    assert info.value.param == "amount"

    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.payment_links.create({"metadata": {"a": "b"}})  # type: ignore[typeddict-item]
    assert info.value.param == "line_items"
    assert info.value.code == "parameter_missing"


@pytest.mark.parametrize("limit", [0, 101])
def test_limit_outside_1_to_100_is_400(stripe_client, limit: int) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.events.list({"limit": limit})
    assert info.value.param == "limit"


def test_unknown_url_is_stripe_404(stripe_client) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.raw_request("get", "/v1/no_such_resources")
    assert info.value.http_status == 404
    assert "Unrecognized request URL" in str(info.value.user_message)


def test_expand_nested_ids(stripe_client, sandbox, make_link) -> None:
    from sandbox.testing import pay

    session = pay(sandbox.base_url, make_link().id)
    got = stripe_client.v1.checkout.sessions.retrieve(
        session["id"], {"expand": ["payment_intent.latest_charge.balance_transaction"]})
    txn = got.payment_intent.latest_charge.balance_transaction
    assert txn.object == "balance_transaction" and txn.amount == 4500
    listed = stripe_client.v1.balance_transactions.list({"expand": ["data.source"]})
    assert listed.data[0].source.object == "charge"
