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
