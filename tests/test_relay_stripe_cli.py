"""The real Stripe CLI (npm @stripe/cli) forwarding sandbox events to the relay, under supervision."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from sqlalchemy import select

from helpers import standard_hall
from relay_harness import RelayThread, wait_for
from sandbox.testing import pay
from treasurer.dues import assess
from treasurer.models import Payment, StripeEvent
from treasurer.slips import create_slips

STRIPE = Path(__file__).resolve().parents[1] / "node_modules" / ".bin" / "stripe"

if not STRIPE.exists():
    if os.environ.get("CI"):
        raise RuntimeError("the Stripe CLI is missing: npm install must run before the tests")
    pytest.skip("the Stripe CLI is not installed (npm install)", allow_module_level=True)


def recorded(hall) -> dict[str, str]:
    with hall.read() as s:
        return dict(s.execute(select(Payment.stripe_payment_intent_id, Payment.status)).all())


def sources(hall) -> set[str]:
    with hall.read() as s:
        return set(s.scalars(select(StripeEvent.source)))


def test_stripe_listen_feeds_the_relay_and_is_restarted_with_a_catch_up(hall, gateway, sandbox_url):
    standard_hall(hall, members=2)
    assess(hall, "2026-10")
    (first, second), _ = create_slips(hall, gateway, "2026-10")
    with RelayThread(hall, gateway, mode="cli", port=0, cli_path=str(STRIPE), poll_interval=3600) as rt:
        relay = rt.relay
        wait_for(lambda: relay.status().state == "listening", timeout=60, what="the CLI to be ready")
        pay(sandbox_url, first.url.rsplit("/", 1)[1])
        # The catch-up that follows the CLI's start may read the event from the Events API first; either way
        # the CLI must deliver it too, and it is recorded once.
        wait_for(lambda: relay.deliveries["cli"] >= 1, timeout=30, what="the CLI to forward the payment")
        wait_for(lambda: len(recorded(hall)) == 1, timeout=30, what="the payment to be recorded")
        assert sources(hall) <= {"cli", "poll"}
        # The CLI dies; a payment made while it is down is never replayed by the CLI...
        restarts = relay.cli.restarts
        os.killpg(relay.cli.pid, signal.SIGKILL)  # the CLI and anything it started
        wait_for(lambda: relay.status().state != "listening", timeout=10, what="the supervisor to notice")
        pay(sandbox_url, second.url.rsplit("/", 1)[1])
        # ...so the supervisor restarts it and catches up from the Events API.
        wait_for(lambda: relay.cli.restarts > restarts and relay.status().state == "listening", timeout=60,
                 what="the CLI to be restarted")
        wait_for(lambda: len(recorded(hall)) == 2, timeout=30, what="the catch-up after the restart")
    assert set(recorded(hall).values()) == {"completed"}
    with hall.read() as s:
        assert len(list(s.scalars(select(Payment.id)))) == 2
