"""A paid or replaced slip's payment link is switched off, and a switch-off that failed is retried."""

from __future__ import annotations

from helpers import standard_hall
from relay_harness import RelayThread, wait_for
from sandbox.testing import control, pay
from treasurer import payment_links, sync
from treasurer.dues import assess
from treasurer.models import LinkClosure
from treasurer.slips import create_slips, list_slips, void_slip


def to_close(hall) -> list[str]:
    with hall.read() as s:
        return payment_links.links_to_close(s)


def closed(hall) -> set[str]:
    with hall.read() as s:
        return {row.link_id for row in s.query(LinkClosure)}


def read_and_store(hall, gateway) -> list[str]:
    report = sync.start_catch_up(hall)
    return [i for page in sync.read_pages(gateway, report) for i in sync.store_page(hall, page, report)]


def paid_while_stripe_refuses_calls(hall, gateway, sandbox_url) -> str:
    """A slip is paid; its events are read, then Stripe answers every call with 429 while they are processed."""
    standard_hall(hall, members=2)
    assess(hall, "2026-10")
    (first, _), _ = create_slips(hall, gateway, "2026-10")
    link_id = first.url.rsplit("/", 1)[1]
    pay(sandbox_url, link_id)
    ids = read_and_store(hall, gateway)
    control(sandbox_url, "faults", rate_limit=1.0)
    results = sync.process_events(hall, gateway, ids)
    control(sandbox_url, "faults", rate_limit=0.0)
    assert "applied" in {r.outcome for r in results.values()}
    assert next(s for s in list_slips(hall) if s.link_id == link_id).status == "paid"
    return link_id


def test_a_link_that_could_not_be_switched_off_is_retried_by_the_next_sync(hall, gateway, sandbox_url):
    link_id = paid_while_stripe_refuses_calls(hall, gateway, sandbox_url)
    assert to_close(hall) == [link_id]
    assert gateway.retrieve_payment_link(link_id)["active"] is True

    report = sync.catch_up(hall, gateway)
    assert report.links.closed == 1 and report.links.failed == []
    assert "Switched off 1 payment links" in report.summary()
    assert gateway.retrieve_payment_link(link_id)["active"] is False
    assert to_close(hall) == [] and closed(hall) == {link_id}
    assert sync.catch_up(hall, gateway).links.closed == 0     # nothing left: no call, no new row


def test_the_relay_retries_it_in_its_catch_up(hall, gateway, sandbox_url):
    link_id = paid_while_stripe_refuses_calls(hall, gateway, sandbox_url)
    with RelayThread(hall, gateway, mode="poll", port=0, poll_interval=3600):
        wait_for(lambda: not to_close(hall), timeout=30, what="the relay to switch the link off")
    assert gateway.retrieve_payment_link(link_id)["active"] is False


def test_the_relay_switches_off_a_paid_slips_link_as_the_payment_arrives(hall, gateway, sandbox_url):
    standard_hall(hall, members=1)
    assess(hall, "2026-10")
    (slip,), _ = create_slips(hall, gateway, "2026-10")
    link_id = slip.url.rsplit("/", 1)[1]
    with RelayThread(hall, gateway, mode="poll", port=0, poll_interval=0.2):
        pay(sandbox_url, link_id)
        wait_for(lambda: link_id in closed(hall), timeout=30, what="the paid slip's link to be switched off")
    assert gateway.retrieve_payment_link(link_id)["active"] is False


def test_voiding_and_superseding_record_the_closed_link(hall, gateway, sandbox_url):
    standard_hall(hall, members=2)
    assess(hall, "2026-10")
    (first, second), _ = create_slips(hall, gateway, "2026-10")
    void_slip(hall, gateway, first.slip_id)
    assess(hall, "2026-11")
    (replacement,), _ = create_slips(hall, gateway, "2026-11", ["1002"], arrears=True)
    assert replacement.slip_id != second.slip_id
    links = {first.url.rsplit("/", 1)[1], second.url.rsplit("/", 1)[1]}
    assert closed(hall) == links and to_close(hall) == []
    assert all(gateway.retrieve_payment_link(link)["active"] is False for link in links)


def test_the_relay_switches_off_the_link_of_a_slip_a_counter_payment_closed(hall, gateway, sandbox_url):
    """The counter has no gateway: the payment supersedes the slip, the running relay's next catch-up
    switches its link off in the sandbox."""
    from treasurer.payments import record_payment

    standard_hall(hall, members=1)
    assess(hall, "2026-10")
    (slip,), _ = create_slips(hall, gateway, "2026-10")
    link_id = slip.url.rsplit("/", 1)[1]
    with RelayThread(hall, gateway, mode="poll", port=0, poll_interval=0.2):
        receipt = record_payment(hall, "1001", 2000, "cash")
        assert receipt.slips == ((slip.slip_id, "superseded"),)
        wait_for(lambda: link_id in closed(hall), timeout=30, what="the relay to switch the superseded link off")
    assert gateway.retrieve_payment_link(link_id)["active"] is False
    assert to_close(hall) == []
