"""Events and signed webhook delivery (with retries)."""
from __future__ import annotations

import pytest
import stripe

from sandbox.testing import control, flush, get, pay

PAYMENT_TYPES = ["payment_intent.created", "charge.succeeded", "payment_intent.succeeded",
                 "checkout.session.completed"]


def register(client: stripe.StripeClient, url: str, events: list[str] | None = None) -> tuple[str, str]:
    endpoint = client.v1.webhook_endpoints.create({"url": url, "enabled_events": events or ["*"]})
    assert endpoint.secret.startswith("whsec_")
    return endpoint.id, endpoint.secret


def test_deliveries_are_signed_and_verify_with_the_sdk(stripe_client, sandbox, receiver, make_link) -> None:
    _, secret = register(stripe_client, receiver.url, PAYMENT_TYPES)
    session = pay(sandbox.base_url, make_link(4500, slip="S-5").id, email="p@example.org")
    assert flush(sandbox.base_url)
    assert len(receiver.requests) == 4
    verified = []
    for request in receiver.requests:
        header = request["headers"]["Stripe-Signature"]
        assert header.startswith("t=") and ",v1=" in header
        event = stripe.Webhook.construct_event(request["body"], header, secret)
        verified.append(event)
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(request["body"], header, "whsec_wrong")
        assert request["headers"]["Content-Type"].startswith("application/json")
    assert [e.type for e in verified] == PAYMENT_TYPES
    completed = verified[-1]
    assert completed.object == "event" and completed.id.startswith("evt_") and completed.livemode is False
    assert completed.data.object.id == session["id"]
    assert completed.data.object.metadata.slip_id == "S-5"
    assert completed.data.object.customer_details.email == "p@example.org"
    assert completed.api_version == "2026-10-28.endive"
    succeeded = verified[2]
    assert succeeded.data.object.metadata.to_dict() == {"slip_id": "S-5", "member": "M-7"}
    # the same signature check through the client, as the app does it
    stripe_client.construct_event(receiver.requests[0]["body"], receiver.requests[0]["headers"]["Stripe-Signature"],
                                  secret)
    # all delivered: the events say so
    listed = stripe_client.v1.events.list({"types": PAYMENT_TYPES, "delivery_success": True})
    assert len(listed.data) == 4 and all(e.pending_webhooks == 0 for e in listed.data)


def test_only_enabled_events_are_sent(stripe_client, sandbox, receiver, make_link) -> None:
    register(stripe_client, receiver.url, ["checkout.session.completed"])
    pay(sandbox.base_url, make_link().id)
    flush(sandbox.base_url)
    assert [e["type"] for e in receiver.events()] == ["checkout.session.completed"]


def test_failed_deliveries_are_retried_with_backoff(stripe_client, sandbox, receiver, make_link) -> None:
    register(stripe_client, receiver.url, ["checkout.session.completed"])
    receiver.statuses = [500, 302]  # a redirect is not a delivery either
    pay(sandbox.base_url, make_link().id)
    assert flush(sandbox.base_url)
    events = receiver.events()
    assert len(events) == 3 and len({e["id"] for e in events}) == 1
    log = get(sandbox.base_url, "webhooks/deliveries")["data"]
    assert [d["attempt"] for d in log] == [1, 2, 3] and [d["status"] for d in log] == [500, 302, 200]
    assert log[1]["at"] - log[0]["at"] >= 0.04 and log[2]["at"] - log[1]["at"] >= 0.09
    assert stripe_client.v1.events.list({"delivery_success": False}).data == []


def test_undeliverable_events_are_marked_failed(stripe_client, sandbox, receiver, make_link) -> None:
    register(stripe_client, "http://127.0.0.1:9/nothing-listens-here", ["checkout.session.completed"])
    pay(sandbox.base_url, make_link().id)
    assert flush(sandbox.base_url)
    failed = stripe_client.v1.events.list({"delivery_success": False}).data
    assert [e.type for e in failed] == ["checkout.session.completed"]
    assert failed[0].pending_webhooks == 1
    log = get(sandbox.base_url, "webhooks/deliveries")["data"]
    assert len(log) == 3 and all(d["status"] is None for d in log)


def test_delivery_never_blocks_the_api(stripe_client, sandbox, receiver, make_link) -> None:
    import time

    register(stripe_client, receiver.url, ["checkout.session.completed"])
    control(sandbox.base_url, "faults", delay_ms=1000)
    start = time.monotonic()
    pay(sandbox.base_url, make_link().id)
    answered = time.monotonic() - start
    assert len(receiver.requests) == 0  # the payment was answered before its webhook went out
    assert answered < 1.0
    assert flush(sandbox.base_url)
    assert len(receiver.requests) == 1


def test_webhook_endpoints_crud(stripe_client, receiver) -> None:
    we_id, _ = register(stripe_client, receiver.url, ["charge.refunded"])
    got = stripe_client.v1.webhook_endpoints.retrieve(we_id)
    assert got.url == receiver.url and got.enabled_events == ["charge.refunded"] and got.status == "enabled"
    assert "secret" not in got
    updated = stripe_client.v1.webhook_endpoints.update(we_id, {"enabled_events": ["*"], "disabled": True})
    assert updated.status == "disabled" and updated.enabled_events == ["*"]
    assert [w.id for w in stripe_client.v1.webhook_endpoints.list().data] == [we_id]
    deleted = stripe_client.v1.webhook_endpoints.delete(we_id)
    assert deleted.deleted is True
    assert stripe_client.v1.webhook_endpoints.list().data == []
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.webhook_endpoints.create({"url": receiver.url})  # type: ignore[typeddict-item]


def test_event_fields_and_filters(stripe_client, sandbox, make_link) -> None:
    link = make_link()
    pay(sandbox.base_url, link.id)
    events = stripe_client.v1.events.list({"limit": 100}).data
    for e in events:
        assert e.object == "event" and e.livemode is False and e.api_version
        assert set(e.request.to_dict()) == {"id", "idempotency_key"}
    created_event = [e for e in events if e.type == "payment_link.created"][0]
    assert created_event.request.id.startswith("req_") and created_event.request.idempotency_key
    # events from the payer's side are not API requests
    assert [e for e in events if e.type == "charge.succeeded"][0].request.id is None
    assert stripe_client.v1.events.retrieve(created_event.id).data.object.id == link.id
    one = stripe_client.v1.events.list({"type": "charge.succeeded"}).data
    assert [e.type for e in one] == ["charge.succeeded"]
    several = stripe_client.v1.events.list({"types": ["charge.succeeded", "payment_intent.succeeded"]}).data
    assert [e.type for e in several] == ["payment_intent.succeeded", "charge.succeeded"]
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.events.list({"types": [f"t{i}" for i in range(21)]})


def test_events_are_kept_for_30_days(stripe_client, sandbox, make_link) -> None:
    make_link()
    old = stripe_client.v1.events.list().data[0]
    control(sandbox.base_url, "clock", advance_seconds=31 * 86400)
    make_link(slip="new")
    listed = stripe_client.v1.events.list().data
    assert [e.type for e in listed] == ["payment_link.created"] and listed[0].id != old.id
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.events.retrieve(old.id)
    assert info.value.http_status == 404
