"""``ledger.standing_totals_select`` (the Dashboard's per-member figures, walking only members behind) gives
exactly what ``ledger.standings`` gives, after any mix of money operations: dues, payments (counter and online,
pending and failed), refunds and lost disputes that take payments back, refunds reversed, credits, debits,
adjustments approved, denied or awaiting approval; on every day, before, inside and after a grace period."""

from __future__ import annotations

import datetime as dt

from helpers import officers, standard_hall
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from test_postgres import db_url  # noqa: F401  (db_url: SQLite, and PostgreSQL when a server is named)

from treasurer import clock
from treasurer.dues import assess
from treasurer.hall import Hall, init_hall, open_hall
from treasurer.ledger import standing_totals_select, standings
from treasurer.members import MemberData, add_member
from treasurer.models import Adjustment, AdjustmentDecision, Member, Officer, Payment

START = dt.date(2025, 1, 1)
PERIODS = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)] + [f"{y}-Q{q}" for y in (2025, 2026)
                                                                         for q in range(1, 5)]
DAYS = st.integers(0, 800).map(lambda n: START + dt.timedelta(days=n))
MEMBERS = st.integers(0, 5)
CENTS = st.integers(1, 20_000)

operation = st.one_of(
    st.tuples(st.just("assess"), st.sampled_from(PERIODS)),
    st.tuples(st.just("pay"), MEMBERS, CENTS, DAYS, st.sampled_from(["completed", "completed", "pending", "failed"]),
              st.booleans()),
    st.tuples(st.just("take_back"), st.integers(0, 10**6), st.integers(1, 100), DAYS,
              st.sampled_from(["refund", "correction"])),          # a refund, or a lost dispute
    st.tuples(st.just("reverse"), st.integers(0, 10**6)),          # a refund that failed after it was posted
    st.tuples(st.just("adjust"), MEMBERS, st.integers(-20_000, 20_000).filter(bool), DAYS,
              st.sampled_from(["none", "approved", "denied", "waiting"])),
)


def totals(hall: Hall, today: dt.date) -> dict[int, tuple[int, int, int, int]]:
    with hall.read() as s:
        return {r.member_id: (int(r.charged), int(r.credited), int(r.months_in_arrears), int(r.overdue_cents))
                for r in s.execute(standing_totals_select(today))}


def assert_same_as_standings(hall: Hall, today: dt.date) -> None:
    with hall.read() as s:
        full = {mid: (x.charged_cents, x.credited_cents, x.months_in_arrears, x.overdue_cents)
                for mid, x in standings(s, today).items()}
    fast = totals(hall, today)
    nothing = (0, 0, 0, 0)
    assert {m: fast.get(m, nothing) for m in set(full) | set(fast)} == \
        {m: full.get(m, nothing) for m in set(full) | set(fast)}, today


def apply(hall: Hall, member_ids: list[int], officer_id: int, op: tuple) -> None:
    kind = op[0]
    if kind == "assess":
        assess(hall, op[1])
        return
    with hall.write() as tx:
        s = tx.session
        if kind == "pay":
            _, who, cents, day, status, online = op
            n = s.scalar(select(Payment.id).order_by(Payment.id.desc()).limit(1)) or 0
            s.add(Payment(member_id=member_ids[who], amount_cents=cents, method="card" if online else "cash",
                          status=status, received_on=day, recorded_by="t", created_at=clock.stamp(),
                          stripe_payment_intent_id=f"pi_t{n + 1}" if online else None))
        elif kind == "take_back":
            _, pick, percent, day, what = op
            paid = s.scalars(select(Payment).where(Payment.status == "completed").order_by(Payment.id)).all()
            if paid:
                payment = paid[pick % len(paid)]
                s.add(Adjustment(member_id=payment.member_id, kind=what, effective_on=max(day, payment.received_on),
                                 amount_cents=max(1, payment.amount_cents * percent // 100), reason="taken back",
                                 payment_id=payment.id, needs_approval=False, created_at=clock.stamp()))
        elif kind == "reverse":
            taken = s.scalars(select(Adjustment).where(Adjustment.payment_id.is_not(None),
                                                       Adjustment.amount_cents > 0).order_by(Adjustment.id)).all()
            if taken:
                posted = taken[op[1] % len(taken)]
                s.add(Adjustment(member_id=posted.member_id, kind="correction", amount_cents=-posted.amount_cents,
                                 effective_on=posted.effective_on, reason="refund failed", payment_id=posted.payment_id,
                                 corrects_adjustment_id=posted.id, needs_approval=False, created_at=clock.stamp()))
        else:
            _, who, cents, day, decision = op
            adjustment = Adjustment(member_id=member_ids[who], kind="correction" if cents > 0 else "waiver",
                                    amount_cents=cents, effective_on=day, reason="adjusted",
                                    needs_approval=decision != "none", created_at=clock.stamp())
            s.add(adjustment)
            s.flush()
            if decision in ("approved", "denied"):
                s.add(AdjustmentDecision(adjustment_id=adjustment.id, decision=decision, officer_id=officer_id,
                                         note="", at=clock.stamp()))


def test_the_dashboards_totals_are_the_standings_after_any_money_operations(db_url, tmp_path):  # noqa: F811
    hall = open_hall(str(tmp_path / "hall"), db_url, actor="tester")
    init_hall(hall, "IBEW Local 000", "usd")
    try:
        standard_hall(hall, members=4)
        for number in ("2001", "2002"):
            add_member(hall, MemberData(number, "Retired", number, "Retiree", join_date=dt.date(2020, 1, 1)))
        officers(hall)
        with hall.read() as s:
            member_ids = list(s.scalars(select(Member.id).order_by(Member.id)))
            officer_id = s.scalar(select(Officer.id).limit(1))
        days = [dt.date(2024, 12, 31), START, dt.date(2025, 1, 15), dt.date(2025, 1, 16), dt.date(2025, 7, 1),
                dt.date(2026, 3, 16), dt.date(2026, 12, 1), dt.date(2027, 6, 1)]

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        @given(st.lists(operation, min_size=1, max_size=8), st.sampled_from(days), DAYS)
        def check(ops, today, another_day):
            for op in ops:                                    # the books grow from one example to the next
                apply(hall, member_ids, officer_id, op)
            assert_same_as_standings(hall, today)
            assert_same_as_standings(hall, another_day)

        check()
        with hall.read() as s:                                # the examples reached every kind of row
            taken_back = s.scalar(select(Adjustment.id).where(Adjustment.payment_id.is_not(None)).limit(1))
            behind = [m for m, t in totals(hall, dt.date(2027, 6, 1)).items() if t[2]]
        assert taken_back is not None and behind
    finally:
        hall.close()


def test_no_periods_and_no_rows(hall):
    """An empty roll, then members with nothing charged: no rows behind, nothing overdue."""
    assert totals(hall, dt.date(2026, 1, 1)) == {}
    standard_hall(hall, members=2)
    assert set(totals(hall, dt.date(2026, 1, 1)).values()) == {(0, 0, 0, 0)}
    assert_same_as_standings(hall, dt.date(2026, 1, 1))
