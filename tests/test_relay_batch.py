"""Stored events are applied many to a transaction, and nothing about a single event changes: each is applied once,
with its own audit entries in order; a bad one neither loses nor doubles the others; a kill mid-batch applies
none of them, and the next run applies each once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from helpers import standard_hall
from treasurer import audit_check, inbox, recording
from treasurer.hall import init_hall, open_hall
from treasurer.models import AuditEntry, Payment, ReviewItem, StripeEvent
from treasurer.sync import process_events


def session_event(n: int, member_number: str, *, amount=4500, pi: str | None = None,
                  kind: str = "checkout.session.completed") -> inbox.Incoming:
    obj = {"id": f"cs_test_{n}", "object": "checkout.session", "mode": "payment", "amount_total": amount,
           "currency": "usd", "payment_intent": pi or f"pi_test_{n}", "payment_status": "paid",
           "payment_method_types": ["card"], "metadata": {"member_number": member_number}}
    event = {"id": f"evt_test_{n}", "object": "event", "created": 1_790_000_000 + n, "livemode": False,
             "type": kind, "data": {"object": obj}}
    return inbox.parse(json.dumps(event), "webhook")


def customer_event(n: int) -> inbox.Incoming:
    event = {"id": f"evt_test_{n}", "object": "event", "created": 1_790_000_000 + n, "livemode": False,
             "type": "customer.updated", "data": {"object": {"id": f"cus_{n}", "object": "customer"}}}
    return inbox.parse(json.dumps(event), "webhook")


def mixed_events() -> list[inbox.Incoming]:
    return [session_event(1, "1001"), session_event(2, "1002"), customer_event(3), session_event(4, "999999"),
            session_event(5, "1003"), session_event(6, "1001", pi="pi_test_1"),  # a second event, one payment
            session_event(7, "1002", amount=2000)]


def log_shape(hall) -> list[tuple]:
    with hall.read() as s:
        return [(e.action, e.entity_type, e.entity_id, e.rows_json is not None)
                for e in s.scalars(select(AuditEntry).where(AuditEntry.actor != "tester").order_by(AuditEntry.seq))]


def books_ok(hall) -> None:
    with hall.db.snapshot() as s:
        report = audit_check.check(s)
    assert report.ok, report.first_problem


def outcomes(hall) -> dict[str, str]:
    with hall.read() as s:
        return dict(s.execute(select(StripeEvent.id, StripeEvent.outcome)).all())


def test_a_batch_writes_what_the_events_would_write_one_by_one(hall, tmp_path):
    standard_hall(hall)
    alone = open_hall(str(tmp_path / "alone"), actor="tester")
    init_hall(alone, "IBEW Local 000", "usd")
    standard_hall(alone)
    alone.close()
    alone = open_hall(str(tmp_path / "alone"), actor="relay")
    batched = open_hall(str(hall.data_path), actor="relay")
    events = mixed_events()
    for books in (batched, alone):
        inbox.store_many(books, events)
    results = process_events(batched, None, [e.id for e in events])
    for e in events:
        recording.process(alone, e.id)

    assert [r.outcome for r in results.values()] == ["applied", "applied", "ignored", "applied", "applied",
                                                    "applied", "applied"]
    assert outcomes(batched) == outcomes(alone)
    # The same entries in the same order, each event's rows on its own last entry.
    assert log_shape(batched) == log_shape(alone)
    with batched.read() as s:
        payments = s.execute(select(func.count(), func.count(func.distinct(Payment.stripe_payment_intent_id)),
                                    func.sum(Payment.amount_cents))).one()
        unmatched = s.scalar(select(func.count()).select_from(ReviewItem).where(ReviewItem.kind == "unmatched_payment"))
    assert tuple(payments) == (5, 5, 4 * 4500 + 2000)
    assert unmatched == 1
    books_ok(batched)
    # Again: nothing changes.
    shape = log_shape(batched)
    again = process_events(batched, None, [e.id for e in events])
    assert {r.outcome for r in again.values()} == {"applied", "ignored"}
    assert log_shape(batched) == shape
    batched.close()
    alone.close()


def test_one_bad_event_in_a_batch_neither_loses_nor_doubles_the_others(hall):
    standard_hall(hall)
    events = [session_event(1, "1001"), session_event(2, "1002", amount="lots"), session_event(3, "1003")]
    inbox.store_many(hall, events)
    results = process_events(hall, None, [e.id for e in events])
    assert [r.outcome for r in results.values()] == ["applied", "failed", "applied"]
    assert "not a positive whole number of cents" in results["evt_test_2"].detail
    with hall.read() as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 2
        failed = s.scalars(select(ReviewItem.ref).where(ReviewItem.kind == "failed_event")).all()
    assert failed == ["event:evt_test_2"]
    assert outcomes(hall) == {"evt_test_1": "applied", "evt_test_2": "failed", "evt_test_3": "applied"}
    books_ok(hall)


CHILD = """
import sys
from treasurer.hall import open_hall
from treasurer import inbox, sync
hall = open_hall(sys.argv[1], actor="relay")
ids = inbox.waiting(hall, ("pending",), 100_000)
print("processing", len(ids), flush=True)
sync.process_events(hall, None, ids)
print("done", flush=True)
"""


def test_a_process_killed_mid_batch_applies_none_and_the_next_run_applies_each_once(hall):
    # Every other event a bank payment that settled (applied one at a time through the ORM), between them plain
    # card payments (recorded set-wise in runs of one): the batch takes seconds, so the kill lands inside it.
    events = [session_event(n, f"9{n:06d}", kind="checkout.session.async_payment_succeeded" if n % 2 else
                            "checkout.session.completed") for n in range(1, 2001)]
    inbox.store_many(hall, events)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(hall.data_path)], stdout=subprocess.PIPE, text=True,
                             env=env)
    try:
        assert child.stdout.readline().startswith("processing 2000")
        time.sleep(1.0)
        assert child.poll() is None, "the batch finished before it could be killed: make it bigger"
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    with hall.read() as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 0
    assert set(outcomes(hall).values()) == {"pending"}
    books_ok(hall)

    results = process_events(hall, None, inbox.waiting(hall, ("pending",), 100_000))
    assert {r.outcome for r in results.values()} == {"applied"}
    with hall.read() as s:
        assert s.scalar(select(func.count(func.distinct(Payment.stripe_payment_intent_id)))) == 2000
        assert s.scalar(select(func.count()).select_from(Payment)) == 2000
    books_ok(hall)
