"""The real Stripe CLI losing, doubling and reordering events on their way to the relay; a catch-up makes the
books whole, each payment once."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpers import standard_hall
from relay_harness import RelayThread, wait_for
from sandbox.testing import control, get, pay, state
from treasurer.dues import assess
from treasurer.gateway import HANDLED_EVENTS
from treasurer.models import Payment, StripeEvent
from treasurer.slips import create_slips

STRIPE = Path(__file__).resolve().parents[1] / "node_modules" / ".bin" / "stripe"

if not STRIPE.exists():
    if os.environ.get("CI"):
        raise RuntimeError("the Stripe CLI is missing: npm install must run before the tests")
    pytest.skip("the Stripe CLI is not installed (npm install)", allow_module_level=True)


def ledger(hall) -> tuple[int, int, int]:
    """(completed payments, their total in cents, distinct payment intents among all payments)."""
    with hall.read() as s:
        n, total = s.execute(select(func.count(), func.coalesce(func.sum(Payment.amount_cents), 0))
                             .where(Payment.status == "completed")).one()
        distinct = s.scalar(select(func.count(func.distinct(Payment.stripe_payment_intent_id))))
    return n, total, distinct


def inbox(hall) -> tuple[int, int, set[str]]:
    """(events stored, events still waiting to be applied, the ways they came in)."""
    with hall.read() as s:
        stored = s.scalar(select(func.count()).select_from(StripeEvent))
        pending = s.scalar(select(func.count()).select_from(StripeEvent).where(StripeEvent.outcome == "pending"))
        sources = set(s.scalars(select(StripeEvent.source).distinct()))
    return stored, pending, sources


def test_a_lossy_stripe_cli_is_made_whole_by_one_catch_up(hall, gateway, sandbox_url):
    standard_hall(hall, members=40)
    assess(hall, "2026-10")
    slips, _ = create_slips(hall, gateway, "2026-10")
    assert len(slips) == 40
    with RelayThread(hall, gateway, mode="cli", port=0, cli_path=str(STRIPE), poll_interval=3600) as rt:
        relay = rt.relay
        wait_for(lambda: relay.status().state == "listening", timeout=60, what="the CLI to be ready")
        wait_for(lambda: get(sandbox_url, "cli")["connections"] == 1, timeout=30, what="the CLI's websocket")
        # The catch-ups that follow the relay's and the CLI's start read nothing yet; this one waits behind them,
        # so none of them reads the payments below from the Events API.
        rt.call(relay.catch_up)
        log = get(sandbox_url, "cli")["log"]
        after = log[-1]["seq"] if log else 0

        control(sandbox_url, "faults", drop=0.3, duplicate=0.3, shuffle=True, seed=2026)
        for slip in slips:
            pay(sandbox_url, slip.url.rsplit("/", 1)[1])

        # What the sandbox sent the CLI (faults applied), once it is all on the socket.
        status = wait_for(lambda: (s := get(sandbox_url, "cli"))["pending"] == 0 and s, timeout=30,
                          what="the sandbox to send everything to the CLI")
        entries = [e for e in status["log"] if e["seq"] > after and e["type"] in HANDLED_EVENTS]
        copies = Counter({e["event"]: e["copies"] for e in entries if e["copies"]})
        assert any(e["copies"] == 0 for e in entries) and any(e["copies"] == 2 for e in entries)
        # The CLI forwards every copy it was sent; the relay stores each event once and applies it.
        wait_for(lambda: relay.deliveries["cli"] == sum(copies.values()), timeout=60,
                 what=f"the CLI to forward {sum(copies.values())} deliveries")
        wait_for(lambda: inbox(hall)[:2] == (len(copies), 0), timeout=60, what="the relay to apply what came")
        assert inbox(hall)[2] == {"cli"}

        sandbox = state(sandbox_url)
        assert sandbox["succeeded_payments_cents"] == sum(slip.amount_cents for slip in slips)
        n, total, distinct = ledger(hall)
        assert n == distinct < len(slips)  # the CLI lost some payments for good...
        assert total < sandbox["succeeded_payments_cents"]

        rt.call(relay.catch_up)  # ...which one Events API catch-up recovers
        assert ledger(hall) == (len(slips), sandbox["succeeded_payments_cents"], len(slips))
        assert inbox(hall)[2] == {"cli", "poll"}
    assert ledger(hall) == (len(slips), sandbox["succeeded_payments_cents"], len(slips))
