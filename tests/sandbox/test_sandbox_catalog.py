"""Products, prices, customers and payment links through the SDK."""
from __future__ import annotations

import pytest
import stripe


def test_products_and_prices(stripe_client) -> None:
    product = stripe_client.v1.products.create({"name": "Dues", "metadata": {"kind": "dues"}})
    assert product.active and product.metadata.kind == "dues"
    price = stripe_client.v1.prices.create({"product": product.id, "currency": "usd", "unit_amount": 4500})
    assert (price.unit_amount, price.currency, price.type, price.product) == (4500, "usd", "one_time", product.id)
    inline = stripe_client.v1.prices.create({"product_data": {"name": "Fine"}, "currency": "USD", "unit_amount": 500})
    assert inline.currency == "usd" and inline.product.startswith("prod_")
    assert stripe_client.v1.prices.retrieve(price.id).id == price.id
    assert [p.id for p in stripe_client.v1.prices.list({"product": product.id}).data] == [price.id]
    updated = stripe_client.v1.prices.update(price.id, {"active": False, "metadata": {"a": "1"}})
    assert updated.active is False
    assert [p.id for p in stripe_client.v1.prices.list({"active": True}).data] == [inline.id]
    renamed = stripe_client.v1.products.update(product.id, {"name": "Monthly dues", "metadata": {"kind": ""}})
    assert renamed.name == "Monthly dues" and renamed.metadata.to_dict() == {}
    assert {p.id for p in stripe_client.v1.products.list().data} == {product.id, inline.product}
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.prices.create({"currency": "usd", "unit_amount": 100})  # type: ignore[typeddict-item]


def test_customers(stripe_client) -> None:
    customer = stripe_client.v1.customers.create({"email": "a@example.org", "name": "Ann", "metadata": {"m": "1"}})
    assert stripe_client.v1.customers.retrieve(customer.id).name == "Ann"
    updated = stripe_client.v1.customers.update(customer.id, {"phone": "+15555550100", "metadata": {"n": "2"}})
    assert updated.phone == "+15555550100" and updated.metadata.to_dict() == {"m": "1", "n": "2"}
    assert [c.id for c in stripe_client.v1.customers.list({"email": "a@example.org"}).data] == [customer.id]
    assert stripe_client.v1.customers.delete(customer.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.customers.retrieve(customer.id)


def test_payment_link_with_price_data(stripe_client, sandbox, make_link) -> None:
    link = make_link(4500, slip="SLIP-1", limit=1, payment_method_types=["card", "us_bank_account"])
    assert link.url == f"{sandbox.base_url}/pay/{link.id}"
    assert link.active and link.currency == "usd" and link.livemode is False
    assert link.metadata.to_dict() == {"slip_id": "SLIP-1"}
    assert link.payment_intent_data.metadata.to_dict() == {"slip_id": "SLIP-1", "member": "M-7"}
    assert link.restrictions.completed_sessions.to_dict() == {"count": 0, "limit": 1}
    assert link.payment_method_types == ["card", "us_bank_account"]
    items = stripe_client.v1.payment_links.line_items.list(link.id)
    assert items.data[0].price.unit_amount == 4500 and items.data[0].quantity == 1
    assert items.data[0].description == "Monthly dues"


def test_payment_link_with_an_existing_price_and_updates(stripe_client) -> None:
    price = stripe_client.v1.prices.create({"product_data": {"name": "Initiation"}, "currency": "usd",
                                            "unit_amount": 2500})
    link = stripe_client.v1.payment_links.create({"line_items": [{"price": price.id, "quantity": 2}]})
    assert link.restrictions is None
    assert stripe_client.v1.payment_links.line_items.list(link.id).data[0].amount_total == 5000
    link = stripe_client.v1.payment_links.update(link.id, {
        "metadata": {"slip_id": "S-2"}, "payment_intent_data": {"metadata": {"slip_id": "S-2"}},
        "restrictions": {"completed_sessions": {"limit": 3}}, "inactive_message": "Paid already"})
    assert link.metadata.slip_id == "S-2" and link.payment_intent_data.metadata.slip_id == "S-2"
    assert link.restrictions.completed_sessions.limit == 3 and link.inactive_message == "Paid already"
    link = stripe_client.v1.payment_links.update(link.id, {"active": False})
    assert [l.id for l in stripe_client.v1.payment_links.list({"active": False}).data] == [link.id]
    assert stripe_client.v1.payment_links.list({"active": True}).data == []
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.payment_links.create({"line_items": [{"price": "price_nope", "quantity": 1}]})
    assert info.value.param == "line_items[0][price]"
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.payment_links.create({"line_items": [{"price": price.id}]})  # type: ignore[typeddict-item]
    assert info.value.param == "line_items[0][quantity]"
