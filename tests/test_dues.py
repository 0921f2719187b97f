import datetime as dt

import pytest

from helpers import PAT_PIN, SAM_PIN, count, officers, standard_hall
from treasurer.dues import add_rate, assess, preview_assessment
from treasurer.errors import PeriodClosed, ValidationError
from treasurer.members import MemberData, add_member, change_status
from treasurer.payments import record_payment
from treasurer.periods import close_period, parse_period, reopen_period
from treasurer.adjustments import request_adjustment


def charges(hall):
    conn_rows = []
    import sqlite3
    conn = sqlite3.connect(hall.db.sqlite_path)
    conn_rows = conn.execute("SELECT m.member_number, p.code, c.amount_cents, c.per_capita_cents FROM charges c "
                             "JOIN members m ON m.id = c.member_id JOIN dues_periods p ON p.id = c.period_id "
                             "ORDER BY p.code, m.member_number").fetchall()
    conn.close()
    return conn_rows


@pytest.mark.parametrize("code, start, end, freq", [
    ("2026-12", dt.date(2026, 12, 1), dt.date(2026, 12, 31), "monthly"),
    ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29), "monthly"),
    ("2026-Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31), "quarterly"),
    ("2026-q1", dt.date(2026, 1, 1), dt.date(2026, 3, 31), "quarterly"),
])
def test_periods_parse(code, start, end, freq):
    span = parse_period(code)
    assert (span.starts_on, span.ends_on, span.frequency) == (start, end, freq)


@pytest.mark.parametrize("code", ["2026-13", "2026-Q5", "Dec 2026", "2026/12", ""])
def test_bad_periods_are_refused(code):
    with pytest.raises(ValidationError, match="period"):
        parse_period(code)


def test_assessing_twice_charges_once(hall):
    standard_hall(hall, members=3)
    first = assess(hall, "2026-03")
    assert (first.charges, first.total_cents) == (3, 13500)
    audit_rows = count(hall, "audit_log")
    again = assess(hall, "2026-03")
    assert (again.charges, again.total_cents, again.already_assessed) == (0, 0, 3)
    assert count(hall, "charges") == 3
    assert count(hall, "audit_log") == audit_rows  # nothing written, nothing audited


def test_preview_writes_nothing(hall):
    standard_hall(hall, members=2)
    before = count(hall, "audit_log")
    preview = preview_assessment(hall, "2026-04")
    assert (preview.charges, preview.total_cents) == (2, 9000)
    assert count(hall, "charges") == 0 and count(hall, "audit_log") == before


def test_the_rate_in_force_at_the_period_start_is_charged_and_history_kept(hall):
    standard_hall(hall, members=1)
    add_rate(hall, "journeyman wireman", 5200, dt.date(2026, 7, 1), 1900)
    assess(hall, "2026-06")
    assess(hall, "2026-07")
    assert charges(hall) == [("1001", "2026-06", 4500, 1850), ("1001", "2026-07", 5200, 1900)]
    with pytest.raises(ValidationError, match="already has a rate"):
        add_rate(hall, "Journeyman Wireman", 6000, dt.date(2026, 7, 1))


def test_quarterly_classes_are_assessed_in_quarters_only(hall):
    standard_hall(hall, members=1)
    add_member(hall, MemberData("2001", "Old", "Timer", "Retiree", status="retired"))
    assert assess(hall, "2026-Q2").charges == 1
    assert assess(hall, "2026-05").charges == 1
    assert charges(hall) == [("1001", "2026-05", 4500, 1850), ("2001", "2026-Q2", 3000, 0)]


def test_suspended_and_not_yet_joined_members_are_not_assessed(hall):
    standard_hall(hall, members=3)
    change_status(hall, "1002", "suspended", "arrears")
    add_member(hall, MemberData("3001", "New", "Comer", "Journeyman Wireman", join_date=dt.date(2026, 9, 10)))
    assert assess(hall, "2026-08").charges == 2
    assert assess(hall, "2026-09").charges == 3


def test_a_closed_period_takes_no_new_charge_payment_or_adjustment(hall):
    standard_hall(hall, members=2)
    officers(hall)
    assess(hall, "2026-02")
    close_period(hall, "2026-02", "Pat Morales", "February reconciled", PAT_PIN)
    add_member(hall, MemberData("4001", "Late", "Joiner", "Journeyman Wireman"))
    with pytest.raises(PeriodClosed, match="2026-02 is closed"):
        assess(hall, "2026-02")
    with pytest.raises(PeriodClosed, match="2026-02-10 falls in period 2026-02"):
        record_payment(hall, "1001", 4500, "cash", received_on=dt.date(2026, 2, 10))
    with pytest.raises(PeriodClosed):
        request_adjustment(hall, "1001", 100, "waiver", "why", "Pat Morales", dt.date(2026, 2, 3), pin=PAT_PIN)
    with pytest.raises(ValidationError, match="already closed"):
        close_period(hall, "2026-02", "Sam Okafor", "again", SAM_PIN)
    with pytest.raises(ValidationError, match="needs a reason"):
        reopen_period(hall, "2026-02", "Sam Okafor", " ", SAM_PIN)
    reopen_period(hall, "2026-02", "Sam Okafor", "a check from February was found in the safe", SAM_PIN)
    record_payment(hall, "1001", 4500, "check", "2231", received_on=dt.date(2026, 2, 10))
    assert count(hall, "period_closings") == 2
