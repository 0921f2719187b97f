"""The Dashboard's figures as SQL aggregates, the same as the Python loop over every member's row they replace;
and what changed in the books, read from the audit log (no widgets)."""

from __future__ import annotations

import datetime as dt

import pytest

from treasurer.hall import open_hall
from ui import queries
from ui.changes import changes_since, head
from ui.dashboard_data import BUCKETS, dashboard, month_start


def figures_the_old_way(hall, today: dt.date):
    """What ui.dashboard_data computed before: every member's row, then Python over the rows."""
    rows = queries.member_rows(hall, today)
    arrears = []
    for label, low, high in BUCKETS:
        inside = [r for r in rows if low <= r.months_in_arrears <= high]
        arrears.append((label, len(inside), sum(r.standing.overdue_cents for r in inside)))
    return (sum(r.balance_cents for r in rows if r.balance_cents > 0), sum(1 for r in rows if r.balance_cents > 0),
            arrears)


@pytest.fixture(scope="module")
def demo_hall(tmp_path_factory):
    from treasurer.demo import fill_demo

    hall = open_hall(str(tmp_path_factory.mktemp("demo") / "hall"), actor="demo")
    fill_demo(hall, members=150, months=14)
    yield hall
    hall.close()


def test_the_dashboards_sql_figures_match_the_python_loop_on_a_demo_hall(demo_hall):
    from treasurer import clock

    today = clock.today()
    for day in (today, today - dt.timedelta(days=40), today - dt.timedelta(days=200), today + dt.timedelta(days=90)):
        d = dashboard(demo_hall, day)
        outstanding, owing, arrears = figures_the_old_way(demo_hall, day)
        assert (d.outstanding_cents, d.members_owing, d.arrears) == (outstanding, owing, arrears)
        assert d.month == month_start(day)
    assert owing > 0 and any(n for _, n, _ in arrears)          # the demo has members behind: a real comparison


def test_changes_name_the_payments_and_members_a_write_touched(hall):
    from helpers import standard_hall
    from treasurer.dues import assess
    from treasurer.payments import record_payment

    standard_hall(hall, members=3)
    assess(hall, "2026-10")
    seq = head(hall)
    assert changes_since(hall, seq).empty
    receipt = record_payment(hall, "1002", 4500, "cash", received_on=dt.date(2026, 10, 5))
    found = changes_since(hall, seq)
    member_1002 = next(r.id for r in queries.member_rows(hall) if r.number == "1002")
    payment_ids = {p.id for p in queries.payment_rows(hall)}
    assert found.payment_ids == payment_ids and len(payment_ids) == 1
    assert found.member_ids == {member_1002} and not found.everything and found.seq > seq
    assert receipt is not None
    assess(hall, "2026-11")                                     # a new period: rows the screens do not follow
    assert changes_since(hall, found.seq).everything


def test_member_rows_for_some_members_are_the_same_rows_as_the_whole_roll(demo_hall):
    roll = {r.id: r for r in queries.member_rows(demo_hall)}
    some = sorted(roll)[::7]
    assert {r.id: r for r in queries.member_rows(demo_hall, member_ids=some)} == {i: roll[i] for i in some}


def relay_event(kind: str, obj: dict, n: int) -> dict:
    return {"id": f"evt_fig_{n}", "object": "event", "type": kind, "livemode": False, "created": 1_790_000_000 + n,
            "data": {"object": obj}}


def test_the_figures_stay_the_standings_after_refunds_credits_adjustments_and_relay_payments(hall):
    """The Dashboard's figures against ``standings()`` (the old loop) at each step: online payments recorded the
    way the relay records them, a refund the app made in Stripe (it un-pays the newest paid months, which fall
    due again), a refund that then failed (the member is credited again), a lost dispute, credits and debits
    approved by a second officer, one denied and one waiting; each on days before, inside and after grace."""
    from helpers import PAT_PIN, SAM_PIN, officers, standard_hall

    from treasurer import recording
    from treasurer.adjustments import decide, request_adjustment
    from treasurer.dues import assess
    from treasurer.payments import record_payment

    numbers = standard_hall(hall, members=5)
    officers(hall)
    for code in ("2026-07", "2026-08", "2026-09", "2026-10", "2026-11"):
        assess(hall, code)
    days = (dt.date(2026, 7, 1), dt.date(2026, 9, 15), dt.date(2026, 9, 16), dt.date(2026, 11, 20),
            dt.date(2027, 2, 1))

    def same() -> None:
        for day in days:
            d = dashboard(hall, day)
            assert (d.outstanding_cents, d.members_owing, d.arrears) == figures_the_old_way(hall, day), day

    same()
    events = 0

    def relay(kind: str, obj: dict) -> None:
        nonlocal events
        events += 1
        with hall.write() as tx:
            recording.apply(tx, hall, relay_event(kind, obj, events))

    for i, number in enumerate(numbers[:3]):       # online payments, as the relay records them
        relay("checkout.session.completed", {
            "id": f"cs_fig_{i}", "object": "checkout.session", "mode": "payment", "amount_total": 4500 * (3 - i),
            "currency": "usd", "payment_intent": f"pi_fig_{i}", "payment_status": "paid",
            "payment_method_types": ["card"], "metadata": {"member_number": number}})
    record_payment(hall, numbers[3], 20000, "cash", received_on=dt.date(2026, 7, 2))   # paid ahead: a credit
    same()
    relay("refund.updated", {"id": "re_fig_1", "object": "refund", "amount": 4500, "status": "succeeded",
                             "payment_intent": "pi_fig_0", "metadata": {"treasurer_refund": "1"}})
    same()                                         # the newest paid month is owed again
    relay("refund.updated", {"id": "re_fig_2", "object": "refund", "amount": 9000, "status": "succeeded",
                             "payment_intent": "pi_fig_1", "metadata": {"treasurer_refund": "1"}})
    relay("refund.failed", {"id": "re_fig_2", "object": "refund", "amount": 9000, "status": "failed",
                            "payment_intent": "pi_fig_1", "metadata": {"treasurer_refund": "1"}})
    same()                                         # posted, then failed: credited again
    with hall.read() as s:
        from sqlalchemy import select

        from treasurer.models import Adjustment
        taken_back = sorted(s.scalars(select(Adjustment.amount_cents).where(Adjustment.payment_id.is_not(None))))
    assert taken_back == [-9000, 4500, 9000]       # the relay posted both refunds and reversed the failed one
    credit = request_adjustment(hall, numbers[4], 9000, "hardship_credit", "hardship", "Pat Morales",
                                dt.date(2026, 8, 1), pin=PAT_PIN)
    debit = request_adjustment(hall, numbers[2], 1234, "correction", "under-charged", "Pat Morales",
                               dt.date(2026, 8, 20), increase=True, pin=PAT_PIN)
    denied = request_adjustment(hall, numbers[1], 4500, "waiver", "asked", "Pat Morales", pin=PAT_PIN)
    request_adjustment(hall, numbers[0], 4500, "waiver", "waiting", "Pat Morales", pin=PAT_PIN)
    same()                                         # nothing counts before a second officer approves
    decide(hall, credit.id, "Sam Okafor", SAM_PIN, approve=True)
    decide(hall, debit.id, "Sam Okafor", SAM_PIN, approve=True)
    decide(hall, denied.id, "Sam Okafor", SAM_PIN, approve=False)
    same()
    with hall.write() as tx:                       # a lost dispute takes a payment back, as review posts it
        from treasurer.models import Payment
        payment = tx.session.scalar(select(Payment).where(Payment.stripe_payment_intent_id == "pi_fig_2"))
        tx.session.add(Adjustment(member_id=payment.member_id, kind="correction", amount_cents=payment.amount_cents,
                                  effective_on=dt.date(2026, 11, 2), reason="dispute lost", payment_id=payment.id,
                                  needs_approval=False, created_at="2026-11-02T00:00:00+00:00"))
    same()
    d = dashboard(hall, dt.date(2027, 2, 1))
    assert d.members_owing and any(n for _, n, _ in d.arrears)      # a real comparison: members are behind
