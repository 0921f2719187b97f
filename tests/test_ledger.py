import datetime as dt

from helpers import PAT_PIN, SAM_PIN, officers, standard_hall
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from treasurer.adjustments import decide, request_adjustment
from treasurer.dues import assess
from treasurer.ledger import Credit, Debit, allocate, member_standing, standing
from treasurer.payments import record_payment
from treasurer.statement import member_statement


def debit(i, amount, period=None):
    day = dt.date(2026, 1, 1) + dt.timedelta(days=31 * i)
    return Debit(f"charge:{i}", day, amount, period or f"p{i}", 1, day + dt.timedelta(days=14))


def test_payments_pay_the_oldest_charges_first():
    debits = [debit(2, 4500), debit(0, 4500), debit(1, 4500)]
    allocations, unpaid = allocate(debits, [Credit("payment:1", dt.date(2026, 5, 1), 7000)])
    assert [(a.debit, a.amount_cents) for a in allocations] == [("charge:0", 4500), ("charge:1", 2500)]
    assert unpaid == {"charge:0": 0, "charge:1": 2000, "charge:2": 4500}


def test_overpayment_becomes_credit_and_pays_later_charges():
    today = dt.date(2026, 12, 31)
    s = standing([debit(0, 4500)], [Credit("payment:1", dt.date(2026, 1, 2), 10000)], today)
    assert s.balance_cents == -5500 and s.credit_cents == 5500 and s.paid_through == "p0"
    s = standing([debit(0, 4500), debit(1, 4500)], [Credit("payment:1", dt.date(2026, 1, 2), 10000)], today)
    assert s.balance_cents == -1000 and s.paid_through == "p1" and s.months_in_arrears == 0


def test_months_in_arrears_count_only_charges_past_their_grace():
    debits = [debit(0, 4500), debit(1, 4500), debit(2, 4500)]
    grace_of_second = debits[1].overdue_after
    s = standing(debits, [Credit("payment:1", dt.date(2026, 1, 2), 4500)], grace_of_second)
    assert (s.paid_through, s.months_in_arrears, s.overdue_cents, s.oldest_unpaid) == ("p0", 0, 0, "p1")
    s = standing(debits, [Credit("payment:1", dt.date(2026, 1, 2), 4500)], grace_of_second + dt.timedelta(days=1))
    assert (s.months_in_arrears, s.overdue_cents) == (1, 4500)


@settings(max_examples=200)
@given(st.lists(st.integers(1, 100_000), max_size=12), st.lists(st.integers(1, 100_000), max_size=12))
def test_allocation_never_creates_or_loses_a_cent(debit_amounts, credit_amounts):
    debits = [debit(i, a) for i, a in enumerate(debit_amounts)]
    credits = [Credit(f"payment:{i}", dt.date(2026, 1, 1) + dt.timedelta(days=i), a)
               for i, a in enumerate(credit_amounts)]
    allocations, unpaid = allocate(debits, credits)
    allocated = sum(a.amount_cents for a in allocations)
    assert allocated == min(sum(debit_amounts), sum(credit_amounts))
    assert sum(unpaid.values()) == sum(debit_amounts) - allocated
    for c in credits:
        assert sum(a.amount_cents for a in allocations if a.credit == c.key) <= c.amount_cents
    s = standing(debits, credits, dt.date(2030, 1, 1))
    assert s.balance_cents == sum(debit_amounts) - sum(credit_amounts)


def test_a_payment_taken_back_reopens_the_newest_period_it_had_paid():
    """A refund (a negative credit on its own date) unpays the newest paid period, which then falls overdue."""
    debits = [debit(0, 4500), debit(1, 4500)]
    paid = Credit("payment:1", dt.date(2026, 1, 2), 9000)
    refund = Credit("adjustment:7", dt.date(2026, 2, 20), -4500)
    allocations, unpaid = allocate(debits, [paid, refund])
    assert unpaid == {"charge:0": 0, "charge:1": 4500}
    assert [(a.credit, a.debit, a.amount_cents) for a in allocations] == [
        ("payment:1", "charge:0", 4500), ("payment:1", "charge:1", 4500), ("adjustment:7", "charge:1", -4500)]
    s = standing(debits, [paid, refund], debits[1].overdue_after + dt.timedelta(days=1))
    assert (s.balance_cents, s.paid_through, s.months_in_arrears, s.overdue_cents) == (4500, "p0", 1, 4500)
    # Credit on account is taken back first; a later payment pays the reopened period again.
    extra = Credit("payment:2", dt.date(2026, 1, 3), 1000)
    again = Credit("payment:3", dt.date(2026, 3, 1), 3500)
    _, unpaid = allocate(debits, [paid, extra, refund, again])
    assert unpaid == {"charge:0": 0, "charge:1": 0}


@settings(max_examples=300)
@given(st.lists(st.integers(1, 100_000), max_size=10), st.lists(st.integers(-100_000, 100_000).filter(bool),
                                                                   max_size=12))
def test_payments_taken_back_leave_exactly_the_net_paid_oldest_first(debit_amounts, credit_amounts):
    debits = [debit(i, a) for i, a in enumerate(debit_amounts)]
    credits = [Credit(f"{'payment' if a > 0 else 'adjustment'}:{i}", dt.date(2026, 1, 1) + dt.timedelta(days=i), a)
               for i, a in enumerate(credit_amounts)]
    allocations, unpaid = allocate(debits, credits)
    net = min(max(sum(credit_amounts), 0), sum(debit_amounts))      # never paid below nothing or above all
    assert sum(a.amount_cents for a in allocations) == net
    _, expected = allocate(debits, [Credit("payment:0", dt.date(2026, 1, 1), net)] if net else [])
    assert unpaid == expected                                        # the same periods paid: a prefix
    assert standing(debits, credits, dt.date(2030, 1, 1)).balance_cents == sum(debit_amounts) - sum(credit_amounts)


def test_the_books_end_to_end(hall):
    standard_hall(hall, members=1)
    officers(hall)
    for month in ("2026-01", "2026-02", "2026-03", "2026-04"):
        assess(hall, month)
    receipt = record_payment(hall, "1001", 10000, "check", "1042", dt.date(2026, 3, 20))
    assert receipt.covers == [("2026-01", 4500), ("2026-02", 4500), ("2026-03", 1000)]
    assert receipt.receipt_no == "R000001"
    waiver = request_adjustment(hall, "1001", 3500, "waiver", "hardship", "Pat Morales", dt.date(2026, 4, 2),
                                pin=PAT_PIN)
    with hall.read() as s:
        member_id = 1
        before = member_standing(s, member_id, dt.date(2026, 11, 25))
    assert before.balance_cents == 8000  # pending waiver does not count
    decide(hall, waiver.id, "Sam Okafor", SAM_PIN, approve=True)
    with hall.read() as s:
        after = member_standing(s, member_id, dt.date(2026, 11, 25))
    assert (after.balance_cents, after.paid_through, after.months_in_arrears) == (4500, "2026-03", 1)
    statement = member_statement(hall, "1001")
    assert [line.balance_cents for line in statement.lines] == [4500, 9000, 13500, 3500, 8000, 4500]
    assert statement.standing == after


def test_the_one_query_standings_agree_with_the_walk_on_a_whole_hall(tmp_path):
    """``standings`` (SQL window functions) must give exactly what the reference walk gives."""
    from treasurer import clock
    from treasurer.demo import fill_demo
    from treasurer.hall import open_hall
    from treasurer.ledger import standings, standings_by_walk
    from treasurer.members import MemberData, add_member

    hall = open_hall(str(tmp_path / "demo"), actor="t")
    fill_demo(hall, members=150, months=14, seed=11)
    add_member(hall, MemberData("9001", "Only", "Credit", "Apprentice"))
    record_payment(hall, "9001", 2500, "cash")                       # credit, nothing charged
    correction = request_adjustment(hall, "100002", 1234, "correction", "under-charged", "Pat Morales",
                                    increase=True, pin=PAT_PIN)      # a debit that is not a charge
    decide(hall, correction.id, "Sam Okafor", SAM_PIN, approve=True)
    with hall.write() as tx:                                         # a pending ACH payment
        from treasurer.models import Adjustment, Payment
        tx.session.add(Payment(member_id=5, amount_cents=5200, method="us_bank_account", status="pending",
                      received_on=clock.today(), recorded_by="t", created_at=clock.stamp()))
        taken_back = tx.session.scalars(select(Payment).where(Payment.status == "completed",  # refunds and a
                                                              Payment.member_id.is_not(None)).limit(3)).all()
        for payment in taken_back:                                   # lost dispute take payments back
            tx.session.add(Adjustment(member_id=payment.member_id, kind="refund", amount_cents=payment.amount_cents,
                                      effective_on=clock.today(), reason="refund", payment_id=payment.id,
                                      needs_approval=False, created_at=clock.stamp()))
    for today in (clock.today(), dt.date(2026, 1, 16), dt.date(2030, 1, 1)):
        with hall.read() as s:
            fast, walked = standings(s, today), standings_by_walk(s, today)
        assert fast == walked
        assert any(st.pending_cents for st in fast.values()) and any(st.balance_cents < 0 for st in fast.values())
    with hall.read() as s:
        some = [1, 2, 3, 9999]
        assert standings(s, clock.today(), some) == standings_by_walk(s, clock.today(), some)
    hall.close()
