"""The one slip rule on SQLite and PostgreSQL: closed slips are audited, the books still check, and the
queue's look for slips an adjustment posted in Review has made wrong compares stored times on both."""

from __future__ import annotations

from sqlalchemy import select

from helpers import PAT_PIN, SAM_PIN, officers, standard_hall
from test_postgres import books as pg_books, db_url  # noqa: F401  (fixtures: a hall on each database)
from treasurer import audit_check, clock, payment_links, sync
from treasurer.adjustments import decide, request_adjustment
from treasurer.dues import assess
from treasurer.models import Adjustment, Member
from treasurer.payments import record_payment
from treasurer.slips import create_slips, list_slips


def statuses(hall) -> dict[int, str]:
    return {s.id: s.status for s in list_slips(hall)}


def test_the_slip_rule_on_each_database(pg_books, gateway, sandbox_url):  # noqa: F811
    hall = pg_books
    standard_hall(hall, members=3)
    officers(hall)
    assess(hall, "2026-10")
    (a, b, c), _ = create_slips(hall, gateway, "2026-10")
    assert record_payment(hall, "1001", 4500, "cash").slips == ((a.slip_id, "paid"),)
    adjustment = request_adjustment(hall, "1002", 500, "waiver", "hardship", "Pat Morales", pin=PAT_PIN)
    decide(hall, adjustment.id, "Sam Okafor", SAM_PIN, approve=True)
    assert statuses(hall) == {a.slip_id: "paid", b.slip_id: "superseded", c.slip_id: "open"}
    # an adjustment posted without approval (as Review posts a refund) after 1003's slip: the queue sees it
    with hall.write() as tx:
        member = tx.session.scalar(select(Member).where(Member.member_number == "1003"))
        tx.session.add(Adjustment(member_id=member.id, kind="refund", amount_cents=700, effective_on=clock.today(),
                                  reason="refund posted in Review", needs_approval=False, created_at=clock.stamp()))
    assert sync.catch_up(hall, gateway).links.closed == 3
    assert statuses(hall)[c.slip_id] == "superseded" and payment_links.still_to_close(hall) == []
    assert all(not gateway.retrieve_payment_link(o.url.rsplit("/", 1)[1])["active"] for o in (a, b, c))
    assess(hall, "2026-11")
    outcomes, _ = create_slips(hall, gateway, "2026-11", arrears=True)
    assert [o.amount_cents for o in outcomes] == [4500, 8500, 9000]   # 1003's posting is dated today, after November
    report = audit_check.check_hall(hall)          # the chain, and every row as the log last wrote it
    assert report.ok, report.first_problem
