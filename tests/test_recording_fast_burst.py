"""After a burst of signed webhooks through the real relay (many at once, duplicates among them), every event is in the
books exactly once and the trust checks pass: ``treasurer audit verify`` (the chain, and the books against the
audit log's snapshots)."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3

import httpx
from helpers import paid_session_event, run_treasurer, standard_hall
from relay_harness import RelayThread, wait_for
from sqlalchemy import select

from sandbox.webhooks import sign
from treasurer import clock, credentials
from treasurer.models import Member, Slip

SECRET = "whsec_burstRelaySecret000000000000000"


async def fire(url: str, bodies: list[bytes], connections: int = 8) -> list[int]:
    statuses: list[int] = []
    todo = iter(bodies)
    async with httpx.AsyncClient(timeout=60) as client:
        async def worker():
            for raw in todo:
                answer = await client.post(url, content=raw, headers={"Content-Type": "application/json",
                                                                      "Stripe-Signature": sign(raw, SECRET)})
                statuses.append(answer.status_code)
        await asyncio.gather(*(worker() for _ in range(connections)))
    return statuses


def test_after_a_burst_through_the_relay_the_books_check(hall):
    standard_hall(hall, members=20)
    with hall.write() as tx:
        ids = dict(tx.session.execute(select(Member.member_number, Member.id)).all())
        slips = []
        for number in ("1001", "1002", "1003"):
            slip = Slip(member_id=ids[number], periods="2026-10", covers="period", amount_cents=4500, currency="usd",
                        status="open", link_id=None, url=None, pay_by=dt.date(2026, 10, 15), created_at=clock.stamp())
            tx.session.add(slip)
            slips.append(slip)
        tx.session.flush()
        slip_ids = [s.id for s in slips]
    credentials.store(credentials.WEBHOOK_SECRET, SECRET)
    def body(n: int, metadata: dict, **more) -> bytes:
        return paid_session_event("burst", n, metadata, **more)

    bodies = [body(n, {"member_number": str(1001 + n % 20)} if n % 3 else {"member_number": f"9{n:05d}"})
              for n in range(400)]
    bodies += [body(400 + i, {"slip_id": str(s)}) for i, s in enumerate(slip_ids)]
    bodies += [body(500, {"member_number": "1004"}, pi="pi_burst_7"),         # a second event, one payment
               body(501, {}, kind="customer.updated")]
    bodies += bodies[:50]                                                     # Stripe delivers some twice
    with RelayThread(hall, None, mode="webhook", port=0) as rt:
        statuses = asyncio.run(fire(rt.url, bodies))
        conn = sqlite3.connect(hall.db.sqlite_path)
        try:
            wait_for(lambda: conn.execute("SELECT count(*) FROM stripe_events WHERE outcome = 'pending'")
                     .fetchone()[0] == 0, timeout=120, what="every event processed")
            stored = conn.execute("SELECT count(*), count(DISTINCT id) FROM stripe_events").fetchone()
            outcomes = dict(conn.execute("SELECT outcome, count(*) FROM stripe_events GROUP BY outcome").fetchall())
            payments = conn.execute("SELECT count(*), count(DISTINCT stripe_payment_intent_id), sum(amount_cents) "
                                    "FROM payments").fetchone()
            paid = conn.execute("SELECT count(*) FROM slips WHERE status = 'paid'").fetchone()[0]
        finally:
            conn.close()
    assert statuses == [200] * len(bodies)
    assert stored == (405, 405)
    assert outcomes == {"applied": 404, "ignored": 1}
    assert payments == (403, 403, 403 * 4500)
    assert paid == 3
    verify = run_treasurer("audit", "verify", data_dir=hall.data_path)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "books OK" in verify.stdout
