"""Bank statement lines other than deposits and payouts (fees, interest, checks, transfers) in the reconciliation."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from helpers import PAT, PAT_PIN, count, officers, raw, standard_hall
from sandbox.testing import control, pay
from treasurer import clock
from treasurer.bank import bank_history, bank_status, reconcile_bank, record_bank_entry, uncleared_items
from treasurer.deposits import create_batch, mark_deposited
from treasurer.dues import assess
from treasurer.errors import PeriodClosed, ValidationError
from treasurer.hall import init_hall, open_hall
from treasurer.models import AuditEntry, BankEntry
from treasurer.payments import record_payment
from treasurer.payouts import sync_payouts
from treasurer.periods import close_period
from treasurer.slips import create_slips
from treasurer.sync import catch_up
from test_postgres import db_url, raw_engine  # noqa: F401  (db_url: SQLite, and PostgreSQL in CI)

DAY = dt.date(2026, 10, 5)
STATEMENT = dt.date(2026, 10, 31)


def _written(hall) -> tuple[int, int]:
    return count(hall, "bank_entries"), count(hall, "audit_log")


@pytest.fixture
def month(hall, gateway, sandbox_url):
    """A cash deposit at the bank, one real Stripe payout from the sandbox, both uncleared."""
    standard_hall(hall, members=3)
    officers(hall)
    assess(hall, "2026-10")
    cash = record_payment(hall, "1001", 4500, "cash", "", DAY).payment_id
    create_batch(hall, DAY, "DEP-1", [cash])
    mark_deposited(hall, 1, DAY)
    (slip,), _ = create_slips(hall, gateway, "2026-10", ["1002"], arrears=True)
    pay(sandbox_url, slip.url.rsplit("/", 1)[1], method="card")
    catch_up(hall, gateway)
    control(sandbox_url, "clock", advance_seconds=3 * 86400)
    payout = control(sandbox_url, "payouts")
    sync_payouts(hall, gateway)
    return hall, payout


def test_a_statement_with_a_fee_reaches_zero_only_with_the_fee_ticked(month):
    hall, payout = month
    assert 0 < payout["amount"] < 4500           # the dues less Stripe's fee
    fee = record_bank_entry(hall, dt.date(2026, 10, 30), "fee", -1200, "  monthly service fee ", **PAT)
    assert (fee.kind, fee.amount_cents, fee.memo) == ("fee", -1200, "monthly service fee")
    with hall.read() as s:
        audit = s.scalar(select(AuditEntry).where(AuditEntry.action == "bank.entry"))
    assert (audit.entity_type, audit.entity_id) == ("bank_entry", str(fee.id))
    assert json.loads(audit.after_json)["amount_cents"] == -1200

    ending = 4500 + payout["amount"] - 1200
    po = f"payout:{payout['id']}"
    view = reconcile_bank(hall, STATEMENT, ending, tick=["deposit:1", po])
    entry_item = next(i for i in view.items if i.ref == f"entry:{fee.id}")
    assert (entry_item.kind, entry_item.amount_cents, entry_item.ticked) == ("fee", -1200, False)
    assert "monthly service fee" in entry_item.description
    assert view.difference_cents == -1200 and not view.can_finish
    with pytest.raises(ValidationError, match=r"difference is -\$12.00"):
        reconcile_bank(hall, finish=True)
    assert bank_status(hall).status == "in_progress"
    done = reconcile_bank(hall, tick=[f"entry:{fee.id}"], finish=True)
    assert done.status == "finished" and done.difference_cents == 0
    assert {(i.ref, i.kind, i.amount_cents) for i in done.items} == {
        ("deposit:1", "deposit", 4500), (po, "payout", payout["amount"]), (f"entry:{fee.id}", "fee", -1200)}
    assert bank_history(hall)[-1].cleared_cents == ending

    # Cleared once: not offered again, and ticking it again is refused.
    with hall.read() as s:
        assert uncleared_items(s) == []
    interest = record_bank_entry(hall, dt.date(2026, 11, 20), "interest", 31, "interest for November", **PAT)
    nxt = reconcile_bank(hall, dt.date(2026, 11, 30), ending + 31)
    assert [i.ref for i in nxt.items] == [f"entry:{interest.id}"]
    with pytest.raises(ValidationError, match=f"Not an uncleared deposit, payout or bank entry: entry:{fee.id}"):
        reconcile_bank(hall, tick=[f"entry:{fee.id}"])
    assert reconcile_bank(hall, tick=[f"entry:{interest.id}"], finish=True).status == "finished"


def test_signs_follow_the_kind_and_a_mistake_is_reversed_by_a_new_entry(hall):
    standard_hall(hall, members=1)
    officers(hall)
    check = record_bank_entry(hall, DAY, "withdrawal", -25000, "check 1001 to the general fund", **PAT)
    wrong = record_bank_entry(hall, DAY, "transfer_in", 5000, "transfer from savings", **PAT)
    fix = record_bank_entry(hall, DAY, "other", -5000, f"reverses entry {wrong.id}: no such transfer", **PAT)
    bounced = record_bank_entry(hall, DAY, "fee", -1500, "returned check charge", **PAT)
    with hall.read() as s:
        items = {ref: (kind, cents) for ref, kind, _day, _text, cents in uncleared_items(s)}
    assert items == {f"entry:{check.id}": ("withdrawal", -25000), f"entry:{wrong.id}": ("transfer_in", 5000),
                     f"entry:{fix.id}": ("other", -5000), f"entry:{bounced.id}": ("fee", -1500)}
    view = reconcile_bank(hall, STATEMENT, -25000 - 1500, tick=list(items))
    assert view.cleared_cents == -26500 and view.can_finish


@pytest.mark.parametrize("args, message", [
    ((DAY, "fee", 0, "service fee"), "amount must not be zero"),
    ((DAY, "charge", -100, "service fee"), "kind 'charge' is not one of: fee, interest, withdrawal, transfer_in"),
    ((DAY, "fee", -100, "   "), "needs a memo"),
    (("2026-13-01", "fee", -100, "service fee"), "date '2026-13-01' is not a date"),
    ((None, "fee", -100, "service fee"), "date None is not a date"),
    ((DAY, "fee", 100, "service fee"), "A bank fee takes from the bank balance, so its amount must be negative"),
    ((DAY, "interest", -5, "interest"), "Interest adds to the bank balance, so its amount must be positive"),
    ((DAY, "fee", 12.5, "service fee"), "not a whole number of cents"),
    ((clock.today() + dt.timedelta(days=1), "fee", -100, "service fee"), "is in the future"),
])
def test_bad_input_is_refused_with_a_sentence_and_writes_nothing(hall, args, message):
    standard_hall(hall, members=1)
    before = _written(hall)
    with pytest.raises(ValidationError, match=message):
        record_bank_entry(hall, *args, **PAT)
    assert _written(hall) == before


def test_a_date_in_a_closed_period_is_refused(hall):
    standard_hall(hall, members=1)
    officers(hall)
    assess(hall, "2026-09")
    close_period(hall, "2026-09", "Pat Morales", "September books done", PAT_PIN)
    before = _written(hall)
    with pytest.raises(PeriodClosed, match="entry date 2026-09-30 falls in period 2026-09, which is closed"):
        record_bank_entry(hall, dt.date(2026, 9, 30), "fee", -1200, "service fee", **PAT)
    assert _written(hall) == before
    record_bank_entry(hall, dt.date(2026, 10, 1), "fee", -1200, "service fee", **PAT)
    assert _written(hall)[0] == before[0] + 1


def test_the_database_refuses_to_change_or_delete_an_entry(hall):
    standard_hall(hall, members=1)
    officers(hall)
    entry = record_bank_entry(hall, DAY, "fee", -1200, "service fee", **PAT)
    conn = raw(hall)
    try:
        with pytest.raises(Exception, match="never changed"):
            conn.execute("UPDATE bank_entries SET amount_cents = -1 WHERE id = ?", (entry.id,))
        with pytest.raises(Exception, match="never deleted"):
            conn.execute("DELETE FROM bank_entries")
        with pytest.raises(Exception, match="CHECK"):
            conn.execute("INSERT INTO bank_entries (entry_date, kind, amount_cents, memo, created_by, created_at) "
                         "VALUES ('2026-10-05', 'fee', 0, 'x', 'me', 'now')")
        with pytest.raises(Exception, match="CHECK"):
            conn.execute("INSERT INTO bank_entries (entry_date, kind, amount_cents, memo, created_by, created_at) "
                         "VALUES ('2026-10-05', 'gift', 5, 'x', 'me', 'now')")
    finally:
        conn.close()
    with hall.read() as s:
        assert s.scalar(select(BankEntry.amount_cents)) == -1200


def test_cli_bank_entry_and_status(cli):
    cli("init", "--hall-name", "IBEW Local 000")
    cli("officers", "add", "Pat Morales", "--role", "treasurer", "--pin-stdin", stdin=f"{PAT_PIN}\n")
    _, _, err = cli("bank", "entry", "--date", "2026-10-30", "--kind", "fee", "--amount", "12.00",
                    "--memo", "monthly service fee", "--officer", "Pat Morales", expect=1)
    assert "A PIN is needed" in err

    def entry(*args, expect=0):
        return cli("bank", "entry", *args, "--officer", "Pat Morales", "--pin-stdin", stdin=f"{PAT_PIN}\n",
                   expect=expect)

    _, out, _ = entry("--date", "2026-10-30", "--kind", "fee", "--amount", "12.00",
                      "--memo", "monthly service fee")
    assert "Recorded bank entry 1" in out and "-$12.00" in out
    entry("--date", "2026-10-31", "--kind", "interest", "--amount", "0.31", "--memo", "interest")
    _, _, err = entry("--date", "2026-10-31", "--kind", "other", "--amount", "5.00",
                      "--memo", "correction", expect=1)
    assert "'other' needs --in or --out" in err
    _, _, err = entry("--date", "2026-10-31", "--kind", "fee", "--amount", "-12.00",
                      "--memo", "fee", expect=1)
    assert "without a sign" in err
    _, _, err = entry("--date", "2026-10-31", "--kind", "fee", "--amount", "12.00", "--in",
                      "--memo", "fee", expect=1)
    assert "A bank fee takes from the bank balance" in err
    _, _, err = entry("--date", "2026-10-32", "--kind", "fee", "--amount", "12.00",
                      "--memo", "fee", expect=1)
    assert "not a date in the form YYYY-MM-DD" in err
    entry("--date", "2026-10-31", "--kind", "other", "--amount", "2.00", "--out", "--memo",
          "reverses entry 2 in part")
    entry("--date", "2026-10-31", "--kind", "transfer_in", "--amount", "100.00", "--memo", "from the general fund")
    _, out, _ = cli("bank", "status")
    assert "entry:1" in out and "-$12.00" in out and "Bank fee: monthly service fee" in out
    assert "entry:2" in out and "$0.31" in out and "entry:3" in out and "-$2.00" in out and "$100.00" in out
    _, out, _ = cli("bank", "reconcile", "--statement-date", "2026-10-31", "--ending-balance", "86.31",
                    "--tick", "entry:2")
    assert "difference $86.00" in out
    _, _, err = cli("bank", "reconcile", "--tick", "entry:1", "--finish", expect=1)
    assert "difference is $98.00" in err
    _, out, _ = cli("bank", "reconcile", "--tick", "entry:1", "entry:3", "entry:4", "--finish")
    assert "difference $0.00" in out and "Finished and locked" in out
    _, out, _ = cli("bank", "status")
    assert "entry:" not in out.split("Uncleared items:")[-1]


def test_entries_are_append_only_and_reconcile_on_each_database(db_url, tmp_path):
    hall = open_hall(str(tmp_path / "hall"), db_url, actor="tester")
    try:
        init_hall(hall, "IBEW Local 000", "usd")
        officers(hall)
        fee = record_bank_entry(hall, DAY, "fee", -1200, "service fee", **PAT)
        interest = record_bank_entry(hall, DAY, "interest", 45, "interest", **PAT)
        engine = raw_engine(db_url)
        try:
            for statement, message in (("UPDATE bank_entries SET amount_cents = -1", "never changed"),
                                       ("UPDATE bank_entries SET memo = 'x'", "never changed"),
                                       ("DELETE FROM bank_entries", "never deleted")):
                with pytest.raises(sa.exc.IntegrityError, match=message):
                    with engine.begin() as conn:
                        conn.exec_driver_sql(statement)
            with pytest.raises(sa.exc.IntegrityError, match="ck_bank_entry_amount|CHECK"):
                with engine.begin() as conn:
                    conn.exec_driver_sql("INSERT INTO bank_entries (entry_date, kind, amount_cents, memo, "
                                         "created_by, created_at) VALUES ('2026-10-05', 'fee', 0, 'x', 'me', 'now')")
        finally:
            engine.dispose()
        view = reconcile_bank(hall, STATEMENT, 0, tick=[f"entry:{interest.id}"])
        assert view.difference_cents == -45
        # -11.55 ending: a bank account may be overdrawn by its fees.
        done = reconcile_bank(hall, ending_balance_cents=-1155, tick=[f"entry:{fee.id}"], finish=True)
        assert done.status == "finished" and done.cleared_cents == -1155
        with hall.read() as s:
            assert uncleared_items(s) == []
            assert s.scalar(select(sa.func.sum(BankEntry.amount_cents))) == -1155
    finally:
        hall.close()


def test_an_entry_needs_an_officers_pin_and_an_amount_under_the_ceiling(hall):
    from treasurer.errors import PermissionDenied

    officers(hall)
    before = _written(hall)
    with pytest.raises(PermissionDenied, match="PIN for Pat Morales is not right"):
        record_bank_entry(hall, DAY, "fee", -1200, "service fee", officer="Pat Morales", pin="000000")
    hall.set_setting("amount_ceiling", "1000.00")
    with pytest.raises(ValidationError, match="bank entry amount \\$1,000.01 is above this hall's ceiling"):
        record_bank_entry(hall, DAY, "withdrawal", -100001, "check 1002", **PAT)
    assert count(hall, "bank_entries") == before[0]
    entry = record_bank_entry(hall, DAY, "fee", -1200, "service fee", **PAT)
    assert entry.created_by == "Pat Morales"
