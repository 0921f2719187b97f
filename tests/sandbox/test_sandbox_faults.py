"""Fault injection: dropped, duplicated, shuffled and delayed deliveries, rate limiting; seeded."""
from __future__ import annotations

import pytest
import stripe

from sandbox.testing import control, flush, get


def _run_customers(client: stripe.StripeClient, base_url: str, receiver, n: int = 20) -> list[str]:
    """Create n customers; return the emails whose customer.created event reached the receiver."""
    emails = [f"m{i}@example.org" for i in range(n)]
    for email in emails:
        client.v1.customers.create({"email": email})
    assert flush(base_url)
    got = {e["data"]["object"]["email"] for e in receiver.events()}
    return [e for e in emails if e in got]


def _endpoint(client: stripe.StripeClient, receiver) -> None:
    client.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": ["customer.created"]})


def test_drop_is_reproducible_with_a_seed(stripe_client, sandbox, receiver) -> None:
    runs = []
    for _ in range(2):
        control(sandbox.base_url, "reset")
        receiver.requests.clear()
        _endpoint(stripe_client, receiver)
        control(sandbox.base_url, "faults", drop=0.5, seed=1234)
        runs.append(_run_customers(stripe_client, sandbox.base_url, receiver))
    assert runs[0] == runs[1]
    assert 0 < len(runs[0]) < 20
    # what was dropped is still listed as not delivered, so the app can catch up from /v1/events
    missed = stripe_client.v1.events.list({"delivery_success": False, "limit": 100}).data
    assert len(missed) == 20 - len(runs[1])
    assert {e.data.object.email for e in missed}.isdisjoint(runs[1])


def test_duplicates_share_the_event_id(stripe_client, sandbox, receiver) -> None:
    _endpoint(stripe_client, receiver)
    control(sandbox.base_url, "faults", duplicate=1.0, seed=1)
    _run_customers(stripe_client, sandbox.base_url, receiver, n=3)
    ids = [e["id"] for e in receiver.events()]
    assert len(ids) == 6 and len(set(ids)) == 3
    # both copies are signed and identical
    bodies = [r["body"] for r in receiver.requests]
    assert bodies[0] == bodies[1]


def test_partial_duplicates_are_reproducible(stripe_client, sandbox, receiver) -> None:
    counts = []
    for _ in range(2):
        control(sandbox.base_url, "reset")
        receiver.requests.clear()
        _endpoint(stripe_client, receiver)
        control(sandbox.base_url, "faults", duplicate=0.3, seed=99)
        _run_customers(stripe_client, sandbox.base_url, receiver, n=15)
        counts.append([e["data"]["object"]["email"] for e in receiver.events()])
    assert counts[0] == counts[1] and 15 < len(counts[0]) < 30


def test_shuffle_changes_delivery_order(stripe_client, sandbox, receiver, make_link) -> None:
    from sandbox.testing import pay

    stripe_client.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": ["*"]})
    control(sandbox.base_url, "faults", shuffle=True, seed=5)
    for i in range(5):
        pay(sandbox.base_url, make_link(slip=f"S{i}").id)
    assert flush(sandbox.base_url)
    delivered = [e["id"] for e in receiver.events()]
    created = [e.id for e in reversed(stripe_client.v1.events.list({"limit": 100}).data)]
    assert sorted(delivered) == sorted(created)
    assert delivered != created


def test_rate_limit_answers_429_reproducibly(stripe_client, sandbox) -> None:
    patterns = []
    for _ in range(2):
        control(sandbox.base_url, "faults", rate_limit=0.4, seed=42)
        pattern = []
        for _ in range(25):
            try:
                stripe_client.v1.customers.list({"limit": 1})
                pattern.append(False)
            except stripe.RateLimitError as exc:
                assert exc.http_status == 429 and exc.error.code == "rate_limit"
                pattern.append(True)
        patterns.append(pattern)
    assert patterns[0] == patterns[1] and 0 < sum(patterns[0]) < 25
    # control endpoints are never rate limited
    control(sandbox.base_url, "faults", rate_limit=1.0)
    assert get(sandbox.base_url, "faults")["rate_limit"] == 1.0
    with pytest.raises(stripe.RateLimitError):
        stripe_client.v1.customers.list()
    control(sandbox.base_url, "faults", rate_limit=0)
    stripe_client.v1.customers.list()


def test_fault_settings_are_validated(sandbox) -> None:
    from sandbox.testing import ControlError

    with pytest.raises(ControlError) as info:
        control(sandbox.base_url, "faults", drop=1.5)
    assert info.value.status == 400
    with pytest.raises(ControlError):
        control(sandbox.base_url, "faults", explode=True)
