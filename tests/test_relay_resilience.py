"""Exactly once under faults: dropped, doubled and shuffled webhooks; a relay killed mid-stream."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from helpers import SANDBOX_KEY
from relay_harness import RelayThread, register_endpoint, wait_for
from sandbox.testing import control, flush, pay, state
from treasurer import credentials
from treasurer.dues import add_classification, assess
from treasurer.models import Member, Payment, StripeEvent
from treasurer.slips import create_slips
from treasurer.sync import catch_up


def roll(hall, members: int) -> None:
    add_classification(hall, "Journeyman Wireman", 5200, "monthly", __import__("datetime").date(2026, 1, 1))
    add_classification(hall, "Apprentice", 3650, "monthly", __import__("datetime").date(2026, 1, 1))
    with hall.write() as tx:
        for i in range(members):
            tx.session.add(Member(member_number=str(10000 + i), first_name="M", last_name=str(i),
                                  classification_id=1 + i % 2, status="active"))
    for month in ("2026-09", "2026-10"):
        assess(hall, month)


def settle(sandbox_url: str, limit: float = 300) -> None:
    """Wait until the sandbox has delivered (or given up on) every webhook."""
    deadline = time.monotonic() + limit
    while not flush(sandbox_url, timeout=20):
        assert time.monotonic() < deadline, "webhook deliveries never settled"


def ledger_totals(hall) -> tuple[int, int, int]:
    with hall.read() as s:
        n, total = s.execute(select(func.count(), func.coalesce(func.sum(Payment.amount_cents), 0))
                             .where(Payment.status == "completed")).one()
        distinct = s.scalar(select(func.count(func.distinct(Payment.stripe_payment_intent_id))))
    return n, total, distinct


@pytest.mark.slow
def test_2000_payments_through_dropped_doubled_shuffled_webhooks(hall, gateway, sandbox_url):
    roll(hall, 2000)
    outcomes, _ = create_slips(hall, gateway, "2026-10", arrears=True)
    assert len(outcomes) == 2000
    with RelayThread(hall, gateway, mode="webhook", port=0) as rt:
        register_endpoint(sandbox_url, SANDBOX_KEY, rt.url)
        control(sandbox_url, "faults", drop=0.3, duplicate=0.2, shuffle=True, seed=2026)
        rng = random.Random(7)
        for o in outcomes:
            pay(sandbox_url, o.url.rsplit("/", 1)[1], method=rng.choice(["card", "card", "card"]))
        settle(sandbox_url)
        sandbox = state(sandbox_url)
        assert sandbox["succeeded_payments_cents"] == sum(o.amount_cents for o in outcomes)
        n, total, _ = ledger_totals(hall)
        assert n < 2000  # the faults really lost deliveries...
        rt.call(rt.relay.catch_up)  # ...which the Events API backstop recovers
    n, total, distinct = ledger_totals(hall)
    assert (n, total, distinct) == (2000, sandbox["succeeded_payments_cents"], 2000)
    with hall.read() as s:
        assert s.scalar(select(func.count()).select_from(Payment).where(Payment.member_id.is_(None))) == 0
        outcomes_by_kind = dict(s.execute(select(StripeEvent.outcome, func.count()).group_by(StripeEvent.outcome)).all())
    assert set(outcomes_by_kind) <= {"applied", "ignored"}


def _relay_process(data_dir, sandbox_url, secret) -> subprocess.Popen:
    env = dict(os.environ, STRIPE_API_KEY=SANDBOX_KEY, TREASURER_STRIPE_API_BASE=sandbox_url,
               STRIPE_WEBHOOK_SECRET=secret, PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "treasurer.cli", "--data-dir", str(data_dir), "relay", "run",
                             "--mode", "webhook", "--port", str(_port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)


_port = 0


@pytest.mark.slow
def test_a_relay_killed_at_random_moments_loses_and_doubles_nothing(hall, gateway, sandbox_url):
    global _port
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        _port = sock.getsockname()[1]
    roll(hall, 300)
    outcomes, _ = create_slips(hall, gateway, "2026-10", arrears=True)
    secret = register_endpoint(sandbox_url, SANDBOX_KEY, f"http://127.0.0.1:{_port}/stripe/webhook")
    credentials.forget(credentials.WEBHOOK_SECRET)
    rng = random.Random(11)
    proc = _relay_process(hall.data_path, sandbox_url, secret)
    assert proc.stdout.readline().startswith("relay ready")
    kills = 0
    for i, o in enumerate(outcomes):
        pay(sandbox_url, o.url.rsplit("/", 1)[1])
        if rng.random() < 0.03:
            time.sleep(rng.random() * 0.05)
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            kills += 1
            proc = _relay_process(hall.data_path, sandbox_url, secret)
            assert proc.stdout.readline().startswith("relay ready")
    settle(sandbox_url)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0  # a clean stop on SIGTERM
    assert kills >= 3
    catch_up(hall, gateway)
    sandbox = state(sandbox_url)
    assert ledger_totals(hall) == (300, sandbox["succeeded_payments_cents"], 300)
    with hall.read() as s:
        from treasurer import audit
        assert audit.verify(s).ok
