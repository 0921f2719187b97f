"""List objects: newest first, limit, cursors in both directions, created ranges."""
from __future__ import annotations

import pytest
import stripe

from sandbox.testing import control


@pytest.fixture
def customers(stripe_client) -> list[str]:
    """Seven customers, ids oldest first (several share a second: order must still hold)."""
    return [stripe_client.v1.customers.create({"email": f"c{i}@example.org"}).id for i in range(7)]


def test_newest_first_with_has_more_and_url(stripe_client, customers) -> None:
    page = stripe_client.v1.customers.list({"limit": 3})
    assert page.object == "list" and page.url == "/v1/customers"
    assert [c.id for c in page.data] == customers[::-1][:3] and page.has_more is True


def test_starting_after_walks_older(stripe_client, customers) -> None:
    newest_first = customers[::-1]
    seen: list[str] = []
    params: dict = {"limit": 3}
    while True:
        page = stripe_client.v1.customers.list(params)
        seen += [c.id for c in page.data]
        if not page.has_more:
            break
        params = {"limit": 3, "starting_after": page.data[-1].id}
    assert seen == newest_first
    assert [c.id for c in stripe_client.v1.customers.list({"limit": 2}).auto_paging_iter()] == newest_first


def test_ending_before_walks_newer(stripe_client, customers) -> None:
    page = stripe_client.v1.customers.list({"limit": 2, "ending_before": customers[2]})
    assert [c.id for c in page.data] == [customers[4], customers[3]] and page.has_more is True
    last = stripe_client.v1.customers.list({"limit": 5, "ending_before": customers[4]})
    assert [c.id for c in last.data] == [customers[6], customers[5]] and last.has_more is False
    # the SDK's auto-paging with ending_before yields oldest first, as the app's catch-up needs
    walked = stripe_client.v1.customers.list({"limit": 2, "ending_before": customers[0]}).auto_paging_iter()
    assert [c.id for c in walked] == customers[1:]


def test_both_cursors_or_unknown_cursor_are_errors(stripe_client, customers) -> None:
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.customers.list({"starting_after": customers[1], "ending_before": customers[3]})
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.customers.list({"starting_after": "cus_unknown"})
    assert info.value.http_status == 404


def test_created_ranges(stripe_client, sandbox) -> None:
    early = [stripe_client.v1.customers.create({"email": f"e{i}@x.org"}) for i in range(2)]
    control(sandbox.base_url, "clock", advance_seconds=1000)
    late = [stripe_client.v1.customers.create({"email": f"l{i}@x.org"}) for i in range(3)]
    cut = late[0].created
    assert cut >= early[-1].created + 1000
    gte = stripe_client.v1.customers.list({"created": {"gte": cut}})
    assert {c.id for c in gte.data} == {c.id for c in late}
    lt = stripe_client.v1.customers.list({"created": {"lt": cut}})
    assert {c.id for c in lt.data} == {c.id for c in early}
    window = stripe_client.v1.customers.list({"created": {"gt": early[0].created - 1, "lte": early[-1].created}})
    assert {c.id for c in window.data} == {c.id for c in early}
    exact = stripe_client.v1.customers.list({"created": cut})
    assert late[0].id in {c.id for c in exact.data}


def test_events_keep_emission_order(stripe_client, sandbox, make_link) -> None:
    from sandbox.testing import pay

    for i in range(4):
        pay(sandbox.base_url, make_link(slip=f"S{i}").id)
    events = stripe_client.v1.events.list({"limit": 100}).data
    created = [e.created for e in events]
    assert created == sorted(created, reverse=True)
    sessions = [e.data.object.metadata.slip_id for e in events if e.type == "checkout.session.completed"]
    assert sessions == ["S3", "S2", "S1", "S0"]
    oldest_first = [e.id for e in stripe_client.v1.events.list(
        {"limit": 3, "ending_before": events[-1].id}).auto_paging_iter()]
    assert oldest_first == [e.id for e in reversed(events[:-1])]
