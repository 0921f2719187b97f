"""Deposit batches of cash and checks, and reconciling the bank statement (deposits and Stripe payouts)."""

from __future__ import annotations

import datetime as dt

import pytest

from helpers import PAT, count, officers, raw, standard_hall
from treasurer import clock
from treasurer.bank import bank_history, bank_status, reconcile_bank, uncleared_items
from treasurer.deposits import (create_batch, deposit_slip, list_batches, mark_deposited, remove_payment,
                                removed_text, slip_csv, slip_text, undeposited_payments, void_batch)
from treasurer.dues import assess
from treasurer.errors import NotFound, PermissionDenied, ValidationError
from treasurer.models import Payout
from treasurer.payments import record_payment
from treasurer.reports import period_report

DAY = dt.date(2026, 10, 5)


@pytest.fixture
def counter(hall):
    """Payments taken at the hall counter: two checks, cash, a money order, and a card payment (not depositable)."""
    standard_hall(hall, members=4)
    officers(hall)
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


# Corrections before the bank: taking a payment out, voiding a batch ------------------------------------------

def _audits(hall, action: str) -> int:
    conn = raw(hall)
    try:
        return conn.execute("SELECT count(*) FROM audit_log WHERE action = ?", (action,)).fetchone()[0]
    finally:
        conn.close()


def test_a_payment_taken_out_of_an_open_batch_leaves_its_totals_slip_and_bank_amount(counter):
    hall, (check1, check2, cash, mo, card) = counter
    create_batch(hall, DAY, "DEP-1", [check1, check2, cash])              # 45 + 90 + 45
    slip = remove_payment(hall, 1, check2, "  member asked us to hold the check  ", **PAT)
    assert [x.payment_id for x in slip.lines] == [cash, check1] and slip.total_cents == 9000
    assert [(r.line.payment_id, r.reason, r.removed_by) for r in slip.removed] == [
        (check2, "member asked us to hold the check", "Pat Morales")]
    assert deposit_slip(hall, 1).total_cents == 9000
    assert "311" not in slip_text(slip, "Hall", "usd") and "$90.00" in slip_text(slip, "Hall", "usd")
    assert "311" in removed_text(slip, "usd") and "hold the check" in removed_text(slip, "usd")
    rows = slip_csv(slip).splitlines()
    assert len(rows) == 4 and rows[-1].endswith("90.00") and not any("311" in r for r in rows)
    (summary,) = list_batches(hall)
    assert (summary.item_count, summary.total_cents, summary.removed_count, summary.state) == (2, 9000, 1, "open")
    # It is undeposited again, and can go into another batch.
    assert sorted(x.payment_id for x in undeposited_payments(hall)) == [check2, mo]
    assert create_batch(hall, DAY, "DEP-2", [check2]).total_cents == 9000
    assert _audits(hall, "deposit.remove") == 1
    # The bank sees deposit 1 at what reaches the bank.
    mark_deposited(hall, 1, DAY)
    assert [(ref, cents) for ref, _k, _d, _t, cents in _uncleared(hall)] == [("deposit:1", 9000)]


def test_taking_payments_out_needs_an_officers_pin(counter):
    hall, (check1, check2, cash, mo, card) = counter
    create_batch(hall, DAY, "DEP-1", [check1, check2])
    with pytest.raises(PermissionDenied, match="PIN for Pat Morales is not right"):
        remove_payment(hall, 1, check2, "hold", officer="Pat Morales", pin="000000")
    with pytest.raises(PermissionDenied, match="PIN for Pat Morales is not right"):
        void_batch(hall, 1, "mistake", officer="Pat Morales", pin="000000")
    assert count(hall, "deposit_removals") == 0 and _audits(hall, "officer.pin_wrong") == 2
    void_batch(hall, 1, "mistake", **PAT)
    assert _audits(hall, "deposit.void") == 1


def test_the_period_report_counts_only_what_reached_the_bank(counter):
    hall, (check1, check2, cash, mo, card) = counter
    create_batch(hall, DAY, "DEP-1", [check1, check2, cash])
    remove_payment(hall, 1, check2, "held", **PAT)
    mark_deposited(hall, 1, DAY)
    assert period_report(hall, "2026-10").bank_deposits_cents == 9000


def _uncleared(hall):
    with hall.read() as s:
        return uncleared_items(s)


def test_a_payment_is_in_one_live_batch_only(counter):
    hall, (check1, check2, *_rest) = counter
    create_batch(hall, DAY, "DEP-1", [check1])
    remove_payment(hall, 1, check1, "wrong batch", **PAT)
    create_batch(hall, DAY, "DEP-2", [check1])
    before = (count(hall, "deposit_batches"), count(hall, "deposit_items"), count(hall, "audit_log"))
    with pytest.raises(ValidationError, match=rf"payment {check1} is already in deposit 2 \(a payment is in one "
                                              rf"batch at a time; take it out of deposit 2 first\)"):
        create_batch(hall, DAY, "DEP-3", [check2, check1])
    assert (count(hall, "deposit_batches"), count(hall, "deposit_items"), count(hall, "audit_log")) == before
    # Taken out twice, or from a batch it is not in: refused with a sentence.
    with pytest.raises(ValidationError, match=rf"Payment {check1} \(R0+{check1}\) was already taken out of deposit 1"):
        remove_payment(hall, 1, check1, "again", **PAT)
    with pytest.raises(ValidationError, match=rf"Payment {check2} .* is not in deposit 2"):
        remove_payment(hall, 2, check2, "not there", **PAT)
    with pytest.raises(ValidationError, match="A reason is needed"):
        remove_payment(hall, 2, check1, "   ", **PAT)
    with pytest.raises(NotFound, match="no deposit 9"):
        remove_payment(hall, 9, check1, "x", **PAT)
    assert count(hall, "deposit_removals") == 1


def test_a_deposited_batch_refuses_removal_and_void(counter):
    hall, (check1, check2, *_rest) = counter
    create_batch(hall, DAY, "DEP-1", [check1, check2])
    mark_deposited(hall, 1, DAY)
    before = (count(hall, "deposit_removals"), count(hall, "audit_log"))
    with pytest.raises(ValidationError, match="Deposited batches are locked: deposit 1 was marked deposited on "
                                              "2026-10-05, so no payment can be taken out of it"):
        remove_payment(hall, 1, check1, "too late", **PAT)
    with pytest.raises(ValidationError, match="Deposited batches are locked: .*cannot be voided"):
        void_batch(hall, 1, "too late", **PAT)
    assert (count(hall, "deposit_removals"), count(hall, "audit_log")) == before
    assert deposit_slip(hall, 1).total_cents == 13500


def test_voiding_a_batch_takes_every_payment_out_in_one_step(counter):
    hall, (check1, check2, cash, mo, card) = counter
    create_batch(hall, DAY, "DEP-1", [check1, cash])
    remove_payment(hall, 1, cash, "counted twice", **PAT)
    slip = void_batch(hall, 1, "batch made by mistake", **PAT)
    assert slip.lines == () and slip.total_cents == 0 and slip.void
    assert [(r.line.payment_id, r.reason) for r in slip.removed] == [(cash, "counted twice"),
                                                                    (check1, "batch made by mistake")]
    (summary,) = list_batches(hall)
    assert (summary.state, summary.item_count, summary.total_cents, summary.removed_count) == ("void", 0, 0, 2)
    assert "(void)" in slip_text(slip, "Hall", "usd")
    assert _audits(hall, "deposit.void") == 1 and count(hall, "deposit_removals") == 2
    assert sorted(x.payment_id for x in undeposited_payments(hall)) == [check1, check2, cash, mo]
    with pytest.raises(ValidationError, match="already void"):
        void_batch(hall, 1, "again", **PAT)
    with pytest.raises(ValidationError, match="has no payments in it .*void"):
        mark_deposited(hall, 1, DAY)
    # An open batch never used is not void; a new batch may take the payments.
    assert create_batch(hall, DAY, "DEP-2", all_undeposited=True).total_cents == 20250


def test_triggers_still_refuse_changing_items_and_removals_after_the_rebuild(counter):
    hall, (check1, check2, *_rest) = counter
    create_batch(hall, DAY, "DEP-1", [check1, check2])
    remove_payment(hall, 1, check2, "hold", **PAT)
    conn = raw(hall)
    try:
        names = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert {"deposit_items_no_update", "deposit_items_no_delete", "deposit_removals_no_update",
                "deposit_removals_no_delete"} <= names
        for sql, message in (("UPDATE deposit_items SET batch_id = 1", "deposit items are never changed"),
                             ("DELETE FROM deposit_items", "deposit items are never deleted"),
                             ("UPDATE deposit_removals SET reason = 'x'", "deposit removals are never changed"),
                             ("DELETE FROM deposit_removals", "deposit removals are never deleted")):
            with pytest.raises(Exception, match=message):
                conn.execute(sql)
        # payment_id keeps an index (no longer unique).
        indexes = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                                              "AND tbl_name = 'deposit_items'")}
        assert {"ix_deposit_items_payment", "ix_deposit_items_batch"} <= indexes
    finally:
        conn.close()
    assert count(hall, "deposit_items") == 2 and count(hall, "deposit_removals") == 1


def test_cli_remove_and_void(cli):
    cli("init", "--hall-name", "IBEW Local 000")
    cli("classes", "add", "Journeyman", "--rate", "45.00")
    cli("members", "add", "1001", "--first", "Ana", "--last", "Lima", "--class", "Journeyman")
    cli("pay", "1001", "45.00", "--method", "check", "--ref", "1042", "--date", "2026-10-05")
    cli("pay", "1001", "20.00", "--method", "cash", "--date", "2026-10-05")
    cli("officers", "add", "Pat Morales", "--role", "treasurer", "--pin-stdin", stdin="123456\n")
    cli("deposits", "new", "--date", "2026-10-06", "--ref", "DEP-9", "--all-undeposited")
    _, _, err = cli("deposits", "remove", "1", "R000001", "--reason", "member asked to hold it", "--officer",
                    "Pat Morales", expect=1)
    assert "A PIN is needed" in err
    _, _, err = cli("deposits", "remove", "1", "R000001", "--reason", "member asked to hold it", "--officer",
                    "Pat Morales", "--pin-stdin", stdin="654321\n", expect=1)
    assert "The PIN for Pat Morales is not right" in err
    _, out, err = cli("deposits", "remove", "1", "R000001", "--reason", "member asked to hold it", "--officer",
                      "Pat Morales", "--pin-stdin", stdin="123456\n")
    assert "Took R000001" in out and "$20.00" in out
    _, out, _ = cli("deposits", "show", "1")
    assert "1042" not in out.split("Taken out")[0] and "member asked to hold it" in out and "$20.00" in out
    _, out, _ = cli("deposits", "list")
    assert "1 items" in out and "1 taken out" in out and "Undeposited: 1 payments, $45.00" in out
    _, _, err = cli("deposits", "void", "1", "--reason", "made by mistake", "--officer", "Pat Morales", expect=1)
    assert "A PIN is needed" in err
    _, out, _ = cli("deposits", "void", "1", "--reason", "made by mistake", "--officer", "Pat Morales",
                    "--pin-stdin", stdin="123456\n")
    assert "Deposit 1 is void" in out
    _, out, _ = cli("deposits", "list")
    assert " void " in out and "Undeposited: 2 payments, $65.00" in out
    _, _, err = cli("deposits", "remove", "1", "X12", "--reason", "r", "--officer", "Pat Morales", expect=1)
    assert "not a receipt number" in err
    cli("deposits", "new", "--date", "2026-10-06", "--ref", "DEP-10", "1", "2")
    cli("deposits", "mark", "2", "--deposited-on", "2026-10-06")
    _, _, err = cli("deposits", "void", "2", "--reason", "late", "--officer", "Pat Morales", "--pin-stdin",
                    stdin="123456\n", expect=1)
    assert "Deposited batches are locked" in err


# The same on PostgreSQL (when TREASURER_TEST_POSTGRES_URL names a server) -------------------------------------

from test_postgres import books, db_url, raw_engine  # noqa: E402,F401  (its fixtures: SQLite and PostgreSQL)


def test_corrections_and_the_rebuilt_tables_triggers_on_each_database(books, db_url):
    import sqlalchemy as sa

    standard_hall(books, members=2)
    officers(books)
    first = record_payment(books, "1001", 4500, "check", "1042", DAY).payment_id
    second = record_payment(books, "1002", 9000, "cash", "", DAY).payment_id
    create_batch(books, DAY, "DEP-1", [first, second])
    assert remove_payment(books, 1, first, "wrong batch", **PAT).total_cents == 9000
    create_batch(books, DAY, "DEP-2", [first])
    with pytest.raises(ValidationError, match=f"payment {first} is already in deposit 2"):
        create_batch(books, DAY, "DEP-3", [first])
    void_batch(books, 1, "made by mistake", **PAT)
    assert [(b.batch_id, b.state, b.total_cents) for b in list_batches(books)] == [(1, "void", 0), (2, "open", 4500)]
    mark_deposited(books, 2, DAY)
    with pytest.raises(ValidationError, match="Deposited batches are locked"):
        remove_payment(books, 2, first, "late", **PAT)
    engine = raw_engine(db_url)
    try:
        for statement, message in (("UPDATE deposit_items SET batch_id = 2", "deposit items are never changed"),
                                   ("DELETE FROM deposit_items", "deposit items are never deleted"),
                                   ("UPDATE deposit_removals SET reason = 'x'", "deposit removals are never changed"),
                                   ("DELETE FROM deposit_removals", "deposit removals are never deleted")):
            with pytest.raises(sa.exc.IntegrityError, match=message):
                with engine.begin() as conn:
                    conn.exec_driver_sql(statement)
        with engine.begin() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM deposit_items").scalar() == 3
            assert conn.exec_driver_sql("SELECT count(*) FROM deposit_removals").scalar() == 2
    finally:
        engine.dispose()


def test_batches_made_before_0008_survive_its_rebuild_with_their_triggers(db_url, tmp_path):
    """Books at 0007 with a batch in them: 0008 keeps every item, the triggers, and lets a payment move."""
    import sqlalchemy as sa
    from alembic import command

    from treasurer.db import alembic_config, head_revision, open_database, schema_revision
    from treasurer.hall import Hall, init_hall, open_hall

    hall = open_hall(str(tmp_path / "hall"), db_url, actor="tester")
    init_hall(hall, "IBEW Local 000", "usd")
    standard_hall(hall, members=2)
    officers(hall)
    first = record_payment(hall, "1001", 4500, "check", "1042", DAY).payment_id
    second = record_payment(hall, "1002", 9000, "cash", "", DAY).payment_id
    create_batch(hall, DAY, "DEP-1", [first, second])
    hall.close()

    def to(revision: str, up: bool) -> None:
        db = open_database(db_url, upgrade=False)
        cfg = alembic_config(db_url)
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            (command.upgrade if up else command.downgrade)(cfg, revision)
        db.close()

    def triggers(conn) -> set[str]:
        sql = ("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal" if conn.dialect.name == "postgresql"
               else "SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return set(conn.exec_driver_sql(sql).scalars())

    to("0007", up=False)
    engine = raw_engine(db_url)
    try:
        with engine.begin() as conn:
            assert {"deposit_items_no_update", "deposit_items_no_delete"} <= triggers(conn)
            assert "deposit_removals_no_update" not in triggers(conn)
        with pytest.raises(sa.exc.IntegrityError):             # 0007's UNIQUE(payment_id) is back
            with engine.begin() as conn:
                conn.exec_driver_sql(f"INSERT INTO deposit_items (batch_id, payment_id) VALUES (1, {first})")
    finally:
        engine.dispose()
    to("head", up=True)
    db = open_database(db_url)
    assert schema_revision(db) == head_revision()
    hall = Hall(db, actor="tester")
    try:
        assert deposit_slip(hall, 1).total_cents == 13500
        remove_payment(hall, 1, first, "wrong batch", **PAT)
        assert create_batch(hall, DAY, "DEP-2", [first]).total_cents == 4500
        engine = raw_engine(db_url)
        try:
            with engine.begin() as conn:
                assert {"deposit_items_no_update", "deposit_items_no_delete", "deposit_removals_no_update",
                        "deposit_removals_no_delete"} <= triggers(conn)
            for statement in ("UPDATE deposit_items SET batch_id = 2", "DELETE FROM deposit_items",
                              "DELETE FROM deposit_removals"):
                with pytest.raises(sa.exc.IntegrityError, match="never"):
                    with engine.begin() as conn:
                        conn.exec_driver_sql(statement)
        finally:
            engine.dispose()
    finally:
        hall.close()
