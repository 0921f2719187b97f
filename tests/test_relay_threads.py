"""A slow or refusing Stripe never holds up the relay's acknowledgements: its calls run in their own thread."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from helpers import SANDBOX_KEY, standard_hall
from relay_harness import RelayThread, register_endpoint, wait_for
from sandbox.testing import control, pay
from treasurer.dues import assess
from treasurer.gateway import Gateway
from treasurer.models import Payment, StripeEvent
from treasurer.slips import create_slips


def test_webhooks_are_stored_and_recorded_while_a_catch_up_waits_on_stripe(hall, gateway, sandbox_url):
    standard_hall(hall, members=1)
    assess(hall, "2026-10")
    (slip,), _ = create_slips(hall, gateway, "2026-10")
    # Every API call now answers 429; this gateway backs off for several seconds before giving up.
    patient = Gateway(SANDBOX_KEY, sandbox_url, retries=4, backoff_seconds=0.6)
    with RelayThread(hall, patient, mode="webhook", port=0) as rt:
        register_endpoint(sandbox_url, SANDBOX_KEY, rt.url)
        control(sandbox_url, "faults", rate_limit=1.0)
        catching_up = asyncio.run_coroutine_threadsafe(rt.relay.catch_up(), rt.loop)
        pay(sandbox_url, slip.url.rsplit("/", 1)[1])   # the payer's page is not the API: it is not refused

        def recorded():
            with hall.read() as s:
                return s.scalar(select(Payment.status).where(Payment.stripe_payment_intent_id.is_not(None)))

        assert wait_for(recorded, timeout=30, what="the webhook's payment to be recorded") == "completed"
        assert not catching_up.done(), "the catch-up should still be backing off from Stripe's 429s"
        catching_up.result(60)
        control(sandbox_url, "faults", rate_limit=0.0)
        status = rt.relay.status()
    assert status.warning and "Catching up from Stripe failed" in status.warning
    with hall.read() as s:
        assert set(s.scalars(select(StripeEvent.source))) == {"webhook"}
