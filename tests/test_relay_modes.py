"""The relay's other ways in: polling alone, the gap warning, a computer that slept, two writers at once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpers import SANDBOX_KEY, standard_hall
from relay_harness import RelayThread, register_endpoint, wait_for
from sandbox.testing import pay
from treasurer import credentials
from treasurer.dues import assess
from treasurer.members import MemberData, add_member
from treasurer.models import Payment
from treasurer.payments import record_payment
from treasurer.slips import create_slips

STRIPE = Path(__file__).resolve().parents[1] / "node_modules" / "@stripe" / "cli-linux-x64" / "bin" / "stripe"


def paid(hall) -> int:
    with hall.read() as s:
        return s.scalar(select(func.count()).select_from(Payment).where(Payment.stripe_payment_intent_id.is_not(None)))


def slips_for(hall, gateway, n=2):
    standard_hall(hall, members=n)
    assess(hall, "2026-10")
    outcomes, _ = create_slips(hall, gateway, "2026-10")
    return outcomes


def test_polling_alone_brings_payments_in(hall, gateway, sandbox_url):
    (slip, _) = slips_for(hall, gateway)
    with RelayThread(hall, gateway, mode="poll", poll_interval=0.2) as rt:
        assert rt.relay.status().state == "polling"
        pay(sandbox_url, slip.url.rsplit("/", 1)[1])
        wait_for(lambda: paid(hall) == 1, what="the poller")


def test_a_listener_that_misses_events_raises_the_gap_warning(hall, gateway, sandbox_url):
    (slip, later) = slips_for(hall, gateway)
    # Webhooks are expected (receiver up) but no endpoint is registered with Stripe: nothing ever arrives.
    with RelayThread(hall, gateway, mode="auto", cli_path="/nonexistent/stripe", poll_interval=0.3,
                     gap_seconds=0.0) as rt:
        pay(sandbox_url, slip.url.rsplit("/", 1)[1])
        wait_for(lambda: paid(hall) == 1, what="the backstop poller")
        wait_for(lambda: (rt.relay.status().warning or "").startswith("Relay gap"), what="the gap warning")
        assert "never arrived" in rt.relay.status().warning
        # Later catch-ups find nothing new; the warning stays until the listener delivers again.
        rt.call(rt.relay.catch_up)
        assert (rt.relay.status().warning or "").startswith("Relay gap")
        register_endpoint(sandbox_url, SANDBOX_KEY, rt.url)
        pay(sandbox_url, later.url.rsplit("/", 1)[1])
        wait_for(lambda: paid(hall) == 2, what="the webhook")
        wait_for(lambda: rt.relay.status().warning is None, what="the gap warning to clear")


def test_waking_from_sleep_restarts_the_cli(hall, gateway, sandbox_url):
    if not STRIPE.exists():
        if os.environ.get("CI"):
            raise RuntimeError("the Stripe CLI is missing: npm install must run before the tests")
        pytest.skip("the Stripe CLI is not installed (npm install)")
    (slip, _) = slips_for(hall, gateway)
    jump = [0.0]

    def wall_clock():
        import time
        return time.time() + jump[0]

    options = dict(wall_clock=wall_clock, watch_interval=0.2, clock_jump_seconds=30)
    with RelayThread(hall, gateway, mode="cli", cli_path=str(STRIPE), poll_interval=3600, cli_options=options) as rt:
        wait_for(lambda: rt.relay.status().state == "listening", timeout=60, what="the CLI")
        before = rt.relay.cli.restarts
        jump[0] = 3600.0  # the lid was closed for an hour
        wait_for(lambda: rt.relay.cli.restarts > before, timeout=20, what="a restart after the sleep")
        wait_for(lambda: rt.relay.status().state == "listening", timeout=60, what="the CLI again")
        pay(sandbox_url, slip.url.rsplit("/", 1)[1])
        wait_for(lambda: paid(hall) == 1, timeout=30, what="forwarding after the restart")


def test_the_window_and_a_headless_relay_write_to_one_database_at_once(hall, gateway, sandbox_url, tmp_path):
    slips = slips_for(hall, gateway, n=40)
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    secret = register_endpoint(sandbox_url, SANDBOX_KEY, f"http://127.0.0.1:{port}/stripe/webhook")
    credentials.forget(credentials.WEBHOOK_SECRET)
    env = dict(os.environ, STRIPE_API_KEY=SANDBOX_KEY, TREASURER_STRIPE_API_BASE=sandbox_url,
               STRIPE_WEBHOOK_SECRET=secret)
    relay = subprocess.Popen([sys.executable, "-m", "treasurer.cli", "--data-dir", str(hall.data_path), "relay",
                              "run", "--mode", "webhook", "--port", str(port)], env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert relay.stdout.readline().startswith("relay ready")
        errors: list[Exception] = []

        def counter_work():  # what the treasurer does in the window meanwhile
            try:
                for i in range(60):
                    add_member(hall, MemberData(str(9000 + i), "Walk", "In", "Journeyman Wireman"))
                    record_payment(hall, str(9000 + i), 4500, "cash")
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

        worker = threading.Thread(target=counter_work)
        worker.start()
        for slip in slips:
            pay(sandbox_url, slip.url.rsplit("/", 1)[1])
        worker.join(120)
        assert errors == []
        wait_for(lambda: paid(hall) == 40, timeout=60, what="every online payment")
    finally:
        relay.terminate()
        _, err = relay.communicate(timeout=30)
    assert "locked" not in err and "Traceback" not in err
    with hall.read() as s:
        from treasurer import audit
        assert audit.verify(s).ok
        assert s.scalar(select(func.count()).select_from(Payment)) == 100
