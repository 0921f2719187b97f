"""Runs of plain online payments are recorded set-wise (treasurer/recording_fast.py), and the books come out the
same as when every event goes through the ORM one at a time: the same payments, review items, slips, outcomes and
audit entries (in the same order, each event's row snapshots on its own last entry), on SQLite and PostgreSQL,
with unusual events interleaved."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from helpers import standard_hall
from sqlalchemy import select
from test_postgres import scratch_databases

from treasurer import audit_check, clock, inbox, recording
from treasurer.dues import assess
from treasurer.hall import init_hall, open_hall, set_setting
from treasurer.models import (
    AuditEntry,
    Dispute,
    Member,
    Payment,
    Refund,
    ReviewItem,
    Setting,
    Slip,
    StripeEvent,
)

CREATED = 1_790_000_000


@pytest.fixture(params=["sqlite", "postgresql"])
def two_urls(request, tmp_path):
    """Two empty databases of one kind: one for the fast path, one for the ORM path."""
    if request.param == "sqlite":
        yield [f"sqlite:///{tmp_path / name / 'treasurer.sqlite3'}" for name in ("fast", "orm")]
        return
    with scratch_databases(2) as urls:
        yield urls


def books(tmp_path, name: str, url: str):
    hall = open_hall(str(tmp_path / name), url, actor="tester")
    init_hall(hall, "IBEW Local 000", "usd")
    standard_hall(hall, members=6)
    assess(hall, "2026-10")
    with hall.write() as tx:
        set_setting(tx, "install_id", "fa57fa57fa57fa57")     # the same in both books
        ids = dict(tx.session.execute(select(Member.member_number, Member.id)).all())
        for number, amount, status, link in (("1001", 4500, "open", "plink_a"), ("1002", 4500, "open", "plink_b"),
                                             ("1003", 4500, "superseded", None), ("1004", 9000, "open", None),
                                             ("1005", 4500, "open", "plink_e1"), ("1005", 4000, "open", "plink_e2"),
                                             ("1006", 4500, "open", None)):
            tx.session.add(Slip(member_id=ids[number], periods="2026-10", covers="period", amount_cents=amount,
                                currency="usd", status=status, link_id=link, url=None, pay_by=dt.date(2026, 10, 15),
                                created_at=clock.stamp()))
    hall.close()
    return open_hall(str(tmp_path / name), url, actor="relay")


def event(n: int, kind: str, obj: dict, live: bool = False) -> inbox.Incoming:
    body = {"id": f"evt_fast_{n}", "object": "event", "created": CREATED + n, "livemode": live, "type": kind,
            "data": {"object": obj}}
    return inbox.parse(json.dumps(body), "webhook")


def session(n: int, metadata: dict, *, amount=4500, pi: str | None = None, currency="usd", status="paid",
            live=False, types=("card",)) -> inbox.Incoming:
    obj = {"id": f"cs_fast_{n}", "object": "checkout.session", "mode": "payment", "amount_total": amount,
           "currency": currency, "payment_intent": pi or f"pi_fast_{n}", "payment_status": status,
           "payment_method_types": list(types), "metadata": metadata}
    return event(n, "checkout.session.completed", obj, live)


def intent(n: int, pi: str, metadata: dict, amount=4500, charge: str | None = None) -> inbox.Incoming:
    obj = {"id": pi, "object": "payment_intent", "amount": amount, "amount_received": amount, "currency": "usd",
           "status": "succeeded", "payment_method_types": ["card"], "metadata": metadata,
           "latest_charge": charge or f"ch_fast_{n}"}
    return event(n, "payment_intent.succeeded", obj)


def mixed(slips: dict[str, list[int]]) -> list[list[inbox.Incoming]]:
    """Batches of events: plain payments with the unusual interleaved."""
    a, c, d = slips["1001"][0], slips["1003"][0], slips["1004"][0]
    first = [
        session(1, {"member_number": "1006"}),                             # binds the books to test mode (ORM)
        session(2, {"slip_id": str(a), "member_number": "1001"}),          # pays slip a
        session(3, {"member_number": "1002"}),                             # settles 1002's open slip: paid
        event(4, "customer.updated", {"id": "cus_1", "object": "customer"}),
        session(5, {"member_number": "999999"}),                           # nobody: Review
        session(6, {"slip_id": str(c)}),                                   # a superseded slip: stale
        session(7, {"slip_id": str(a)}, pi="pi_fast_2"),                   # the same payment again
        session(8, {"member_number": "1001"}),                             # 1001 again: a credit
        session(9, {"slip_id": str(a), "member_number": "1001"}),          # slip a a second time (same run: ORM)
        session(10, {"member_number": "1004"}, currency="eur"),
        session(11, {"slip_id": str(d), "member_number": "1004"}),         # slip d asked for 90.00
        session(12, {"slip_id": str(d), "member_number": "1002"}, amount=9000),   # slip d is not 1002's
        session(13, {"slip_id": "abc"}),
        session(14, {}),
        session(15, {"slip_id": "987654"}),
        intent(16, "pi_fast_intent16", {"member_number": "1005"}),       # 1005: one slip paid, one superseded
        intent(17, "pi_fast_3", {"member_number": "1002"}),               # already recorded: gains its charge
        event(18, "refund.created", {"id": "re_fast_18", "object": "refund", "amount": 4500, "status": "succeeded",
                                     "payment_intent": "pi_fast_5", "charge": None, "metadata": {}}),
        event(19, "charge.dispute.created", {"id": "dp_fast_19", "object": "dispute", "amount": 4500,
                                             "status": "needs_response", "payment_intent": "pi_fast_intent16",
                                             "reason": "fraudulent", "evidence_details": {"due_by": CREATED}}),
        session(20, {"member_number": "1003"}, status="unpaid", types=("us_bank_account",)),   # pending ACH
        intent(21, "pi_fast_20", {"member_number": "1003"}),                  # ... settles
        session(22, {"member_number": "1006", "hall": "someone-else"}),
        session(23, {"member_number": "1006"}, pi="pi_fast_23"),
        session(24, {"member_number": "1006"}),                            # 1006 again, same run
        session(25, {"member_number": "1001"}, currency="eur"),            # 1001, but unmatched: no change
        session(26, {"member_number": "1002"}),
    ]
    second = [session(n, {"member_number": str(1001 + n % 6)}) for n in range(30, 36)] + [
        event(28, "payout.paid", {"id": "po_fast_28", "object": "payout"}),            # ignored, set-wise too
        event(29, "customer.created", {"id": "cus_fast_29", "object": "customer"}),
    ] + [session(n, {"member_number": str(1001 + n % 6)}) for n in range(36, 42)] + [
        session(42, {"member_number": "777"}),
        session(43, {"member_number": "1003"}, live=True),                # books move to live (ORM)
        session(44, {"member_number": "1004"}),                           # a test event in live books: ignored
        session(45, {"member_number": "1005"}, live=True),
        session(46, {"member_number": "888"}, live=True),
    ]
    odd = event(52, "checkout.session.completed", {
        "id": "cs_fast_52", "object": "checkout.session", "mode": "payment", "amount_total": 4500, "currency": "usd",
        "payment_intent": "pi_fast_52", "payment_status": "paid", "payment_method_types": {"card": True},
        "metadata": {"member_number": "1002"}}, live=True)
    third = [session(50, {"member_number": "1001"}, live=True), session(51, {"member_number": "555"}, live=True),
             odd,                                                       # fails: the batch goes one by one
             session(53, {"member_number": "1003"}, live=True, amount="lots"),
             session(54, {"member_number": "1006"}, live=True)]
    return [first, second, third]


def slip_ids(hall) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    with hall.read() as s:
        for number, slip_id in s.execute(select(Member.member_number, Slip.id).join(Slip, Slip.member_id == Member.id)
                                         .order_by(Slip.id)):
            out.setdefault(number, []).append(slip_id)
    return out


STAMPS = {"created_at", "processed_at", "at", "resolved_at"}


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in STAMPS}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _json(text):
    return None if text is None else _plain(json.loads(text))


def dump(hall, since: int = 0) -> dict:
    """Everything the events wrote, without the times (the log from entry ``since`` on)."""
    out = {}
    with hall.read() as s:
        for model in (Payment, ReviewItem, Slip, Refund, Dispute, Setting):
            table = model.__table__
            rows = s.execute(select(table).order_by(*table.primary_key.columns)).mappings().all()
            out[table.name] = [_plain({k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in r.items()})
                               for r in rows]
        out["events"] = [tuple(r) for r in s.execute(select(StripeEvent.id, StripeEvent.outcome, StripeEvent.detail,
                                                            StripeEvent.attempts).order_by(StripeEvent.id))]
        out["log"] = [(e.seq, e.actor, e.action, e.entity_type, e.entity_id, _json(e.before_json),
                       _json(e.after_json), _json(e.rows_json))
                      for e in s.scalars(select(AuditEntry).where(AuditEntry.seq > since).order_by(AuditEntry.seq))]
    return out


def applied_stamps(hall) -> int:
    """How many different times the events' outcomes were logged at (one per fast run, one per ORM event)."""
    with hall.read() as s:
        return len(set(s.scalars(select(AuditEntry.at).where(AuditEntry.action == "event.applied"))))


def test_the_fast_path_writes_what_the_orm_path_writes(two_urls, tmp_path):
    fast, orm = books(tmp_path, "fast", two_urls[0]), books(tmp_path, "orm", two_urls[1])
    try:
        with fast.read() as s:
            since = s.scalar(select(sa.func.max(AuditEntry.seq)))
        assert dump(fast, since) == dump(orm, since)
        for batch in mixed(slip_ids(fast)):
            ids = [e.id for e in batch]
            for hall in (fast, orm):
                inbox.store_many(hall, batch)
            got = recording.process_many(fast, ids)
            want = recording.process_many(orm, ids, fast=False)
            assert got == want
        assert dump(fast, since) == dump(orm, since)
        for hall in (fast, orm):
            report = audit_check.check_hall(hall)
            assert report.ok, report.first_problem
        # The fast path did the work: runs of events logged together, not one event at a time.
        assert applied_stamps(orm) - applied_stamps(fast) >= 15
        # Things that should have happened, so that the comparison means something.
        with fast.read() as s:
            kinds = sorted(s.scalars(select(ReviewItem.kind)))
            statuses = dict(s.execute(select(Slip.id, Slip.status)).all())
        assert {"unmatched_payment", "stale_slip_payment", "overpayment", "refund", "dispute"} <= set(kinds)
        assert sorted(statuses.values()).count("paid") >= 3 and "superseded" in statuses.values()
        # Again: nothing changes.
        before = dump(fast)
        for batch in mixed(slip_ids(fast))[:2]:        # (the third's failed events are tried again: attempts)
            recording.process_many(fast, [e.id for e in batch])
        assert dump(fast) == before
    finally:
        fast.close()
        orm.close()


def test_a_burst_of_plain_payments_is_one_run_and_the_books_check(hall):
    standard_hall(hall, members=3)
    events = [session(n, {"member_number": "1001" if n == 0 else f"9{n:05d}"}) for n in range(300)]
    inbox.store_many(hall, events)
    results = recording.process_many(hall, [e.id for e in events])
    assert {r.outcome for r in results.values()} == {"applied"}
    with hall.read() as s:
        assert s.scalar(select(sa.func.count()).select_from(Payment)) == 300
        assert s.scalar(select(sa.func.count()).select_from(ReviewItem)
                        .where(ReviewItem.kind == "unmatched_payment")) == 299
        assert len(set(s.scalars(select(AuditEntry.at).where(AuditEntry.action == "event.applied")))) == 2
    report = audit_check.check_hall(hall)
    assert report.ok, report.first_problem
