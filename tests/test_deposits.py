"""Deposit batches of cash and checks, and reconciling the bank statement (deposits and Stripe payouts)."""

from __future__ import annotations

import datetime as dt

import pytest

from helpers import count, raw, standard_hall
from treasurer import clock
from treasurer.bank import bank_history, bank_status, reconcile_bank
from treasurer.deposits import (create_batch, deposit_slip, list_batches, mark_deposited, slip_csv, slip_text,
                                undeposited_payments)
from treasurer.dues import assess
from treasurer.errors import NotFound, ValidationError
from treasurer.models import Payout
from treasurer.payments import record_payment
from treasurer.reports import period_report

DAY = dt.date(2026, 10, 5)


@pytest.fixture
def counter(hall):
    """Payments taken at the hall counter: two checks, cash, a money order, and a card payment (not depositable)."""
    standard_hall(hall, members=4)
    assess(hall, "2026-10")
    ids = [record_payment(hall, "1001", 4500, "check", "1042", DAY).payment_id,
           record_payment(hall, "1002", 9000, "check", "311", DAY).payment_id,
           record_payment(hall, "1003", 4500, "cash", "", DAY).payment_id,
           record_payment(hall, "1004", 2250, "money_order", "MO-77", DAY).payment_id,
           record_payment(hall, "1004", 2250, "card", "terminal", DAY).payment_id]
    return hall, ids


def test_a_deposit_slip_lists_checks_with_numbers_and_totals(counter):
    hall, (check1, check2, cash, mo, card) = counter
    assert sorted(x.payment_id for x in undeposited_payments(hall)) == [check1, check2, cash, mo]
    slip = create_batch(hall, DAY, "DEP-0001", all_undeposited=True)
    assert [(x.method, x.check_number, x.amount_cents) for x in slip.checks] == [
        ("check", "1042", 4500), ("check", "311", 9000), ("money_order", "MO-77", 2250)]
    assert (slip.cash_cents, slip.subtotal("check"), slip.total_cents) == (4500, 13500, 20250)
    text = slip_text(slip, "IBEW Local 000", "usd")
    assert "1042" in text and "MO-77" in text and "$202.50" in text and "TOTAL DEPOSIT" in text
    rows = slip_csv(slip).splitlines()
    assert rows[0].startswith("deposit,receipt") and rows[-1].endswith("202.50") and len(rows) == 6
    assert undeposited_payments(hall) == []
    (summary,) = list_batches(hall)
    assert (summary.item_count, summary.total_cents, summary.status) == (4, 20250, "open")


def test_a_payment_belongs_to_one_batch_and_bad_input_changes_nothing(counter):
    hall, (check1, check2, cash, mo, card) = counter
    create_batch(hall, DAY, "DEP-1", [check1])
    before = (count(hall, "deposit_batches"), count(hall, "deposit_items"), count(hall, "audit_log"))
    with pytest.raises(ValidationError, match=f"payment {check1} is already in deposit 1"):
        create_batch(hall, DAY, "DEP-2", [check2, check1])
    with pytest.raises(ValidationError, match="paid by card"):
        create_batch(hall, DAY, "DEP-2", [card])
    with pytest.raises(ValidationError, match="no payment 999"):
        create_batch(hall, DAY, "DEP-2", [999])
    with pytest.raises(ValidationError, match="named twice"):
        create_batch(hall, DAY, "DEP-2", [cash, cash])
    with pytest.raises(ValidationError, match="bank's reference"):
        create_batch(hall, DAY, "  ", [cash])
    assert (count(hall, "deposit_batches"), count(hall, "deposit_items"), count(hall, "audit_log")) == before
    conn = raw(hall)
    with pytest.raises(Exception, match="UNIQUE"):
        conn.execute("INSERT INTO deposit_items (batch_id, payment_id) VALUES (1, ?)", (check1,))
    conn.close()


def test_marking_deposited_locks_the_batch(counter):
    hall, (check1, *_rest) = counter
    create_batch(hall, DAY, "DEP-1", [check1])
    with pytest.raises(ValidationError, match="future"):
        mark_deposited(hall, 1, clock.today() + dt.timedelta(days=1))
    slip = mark_deposited(hall, 1, DAY)
    assert (slip.status, slip.deposited_on) == ("deposited", DAY)
    with pytest.raises(ValidationError, match="already marked deposited"):
        mark_deposited(hall, 1, DAY)
    with pytest.raises(NotFound):
        deposit_slip(hall, 42)
    conn = raw(hall)
    with pytest.raises(Exception, match="locked"):
        conn.execute("UPDATE deposit_batches SET bank_reference = 'x'")
    conn.close()


def _payout(hall, po: str, cents: int, status: str = "paid") -> None:
    with hall.write() as tx:
        tx.session.add(Payout(stripe_payout_id=po, amount_cents=cents, currency="usd", status=status,
                              shown_paid=status == "paid", created=0, arrival_date=DAY, synced_at=clock.stamp()))
        tx.audit("payout.record", "payout", po, None, {"amount_cents": cents})


def test_bank_reconciliation_postpone_resume_finish(counter):
    hall, (check1, check2, cash, mo, card) = counter
    create_batch(hall, DAY, "DEP-1", [check1, cash])        # 90.00
    create_batch(hall, DAY, "DEP-2", [check2])              # 90.00
    mark_deposited(hall, 1, DAY)
    mark_deposited(hall, 2, DAY)
    _payout(hall, "po_one", 17127)
    _payout(hall, "po_failed", 5000, status="failed")       # never reached the bank: not offered

    with pytest.raises(ValidationError, match="statement's date and ending"):
        reconcile_bank(hall, tick=["deposit:1"])
    view = reconcile_bank(hall, dt.date(2026, 10, 31), 9000 + 17127, tick=["deposit:1"])
    assert [i.ref for i in view.items] == ["deposit:1", "deposit:2", "payout:po_one"]
    assert (view.opening_balance_cents, view.cleared_cents, view.difference_cents) == (0, 9000, 17127)
    # Finishing with a difference is refused and saves nothing of this step.
    with pytest.raises(ValidationError, match=r"difference is \$81.27"):
        reconcile_bank(hall, tick=["deposit:2"], finish=True)
    with pytest.raises(ValidationError, match="deposit:9"):
        reconcile_bank(hall, tick=["deposit:9"])
    resumed = bank_status(hall)
    assert [i.ref for i in resumed.items if i.ticked] == ["deposit:1"] and resumed.status == "in_progress"
    done = reconcile_bank(hall, tick=["payout:po_one"], finish=True)
    assert done.status == "finished" and done.difference_cents == 0
    assert bank_status(hall) is None and count(hall, "bank_cleared_items") == 2
    conn = raw(hall)
    with pytest.raises(Exception, match="locked"):
        conn.execute("UPDATE bank_reconciliations SET ending_balance_cents = 0")
    conn.close()

    # The next statement opens at the last ending balance and offers only what is still uncleared.
    with pytest.raises(ValidationError, match="not after the last"):
        reconcile_bank(hall, dt.date(2026, 10, 31), 0)
    nxt = reconcile_bank(hall, dt.date(2026, 11, 30), 9000 + 17127 + 9000, tick=["deposit:2"], finish=True)
    assert nxt.opening_balance_cents == 26127 and nxt.status == "finished"
    assert [h.ending_balance_cents for h in bank_history(hall)] == [26127, 35127]
    report = period_report(hall, "2026-10")
    assert (report.bank_deposits_cents, report.payouts_cents) == (18000, 17127)


def test_cli_deposits_and_bank(cli):
    cli("init", "--hall-name", "IBEW Local 000")
    cli("classes", "add", "Journeyman", "--rate", "45.00")
    cli("members", "add", "1001", "--first", "Ana", "--last", "Lima", "--class", "Journeyman")
    cli("pay", "1001", "45.00", "--method", "check", "--ref", "1042", "--date", "2026-10-05")
    cli("pay", "1001", "20.00", "--method", "cash", "--date", "2026-10-05")
    _, out, _ = cli("deposits", "list")
    assert "Undeposited: 2 payments, $65.00" in out
    _, out, _ = cli("deposits", "new", "--date", "2026-10-06", "--ref", "DEP-9", "--all-undeposited")
    assert "1042" in out and "$65.00" in out
    _, out, err = cli("deposits", "new", "--date", "2026-10-06", "--ref", "DEP-9", "--all-undeposited", expect=1)
    assert "no undeposited" in err
    _, out, _ = cli("deposits", "slip", "1", "--csv", "-")
    assert out.splitlines()[-1].endswith("65.00")
    cli("deposits", "mark", "1", "--deposited-on", "2026-10-06")
    _, out, err = cli("bank", "reconcile", "--statement-date", "2026-10-31", "--ending-balance", "65.00",
                      "--tick", "deposit:1", "--finish")
    assert "Finished and locked" in out
    _, out, _ = cli("bank", "status")
    assert "Last finished" in out and "$65.00" in out
