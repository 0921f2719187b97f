import datetime as dt
import multiprocessing
import sqlite3

import pytest

from helpers import PAT_PIN, count, officers, raw, standard_hall
from treasurer.adjustments import request_adjustment
from treasurer.dues import assess
from treasurer.periods import close_period
from treasurer import audit
from treasurer.errors import ValidationError
from treasurer.hall import open_hall
from treasurer.members import MemberData, add_member
from treasurer.payments import record_payment


def verify(hall):
    with hall.read() as s:
        return audit.verify(s)


def test_every_write_leaves_a_chained_entry(hall):
    standard_hall(hall, members=2)
    before = count(hall, "audit_log")
    record_payment(hall, "1001", 4500, "cash")
    entries = audit.latest(hall.db.read().__enter__(), limit=1)
    assert count(hall, "audit_log") == before + 1
    assert entries[0].action == "payment.record" and entries[0].actor == "tester"
    report = verify(hall)
    assert report.ok and report.entries == before + 1
    assert str(report).startswith(f"audit chain OK: {before + 1} entries, head ")


def test_a_failed_transaction_leaves_no_audit_entry(hall):
    standard_hall(hall, members=1)
    before = count(hall, "audit_log")
    with pytest.raises(RuntimeError):
        with hall.write() as tx:
            tx.audit("member.add", "member", 99, None, {"x": 1})
            tx.flush_audit()  # written inside the transaction...
            raise RuntimeError("power cut")  # ...and rolled back with it
    with pytest.raises(ValidationError):
        add_member(hall, MemberData("1001", "Dup", "Licate", "Journeyman Wireman"))
    assert count(hall, "audit_log") == before
    assert count(hall, "members") == 1


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET actor = 'mallory' WHERE seq = 1",
    "DELETE FROM audit_log WHERE seq = 1",
    "UPDATE charges SET amount_cents = 1",
    "DELETE FROM charges",
    "DELETE FROM payments",
    "UPDATE payments SET amount_cents = amount_cents + 100",
    "UPDATE payments SET method = 'card'",
    "UPDATE adjustments SET amount_cents = -1",
    "DELETE FROM period_closings",
])
def test_triggers_refuse_rewriting_money_and_the_log(hall, statement):
    standard_hall(hall, members=1)
    officers(hall)
    assess(hall, "2025-03")
    record_payment(hall, "1001", 4500, "cash", received_on=dt.date(2025, 3, 2))
    request_adjustment(hall, "1001", 1000, "waiver", "hardship", "Pat Morales", dt.date(2025, 3, 3), pin=PAT_PIN)
    close_period(hall, "2025-03", "Pat Morales", "March books done", PAT_PIN)
    conn = raw(hall)
    with pytest.raises(sqlite3.IntegrityError, match="never|append-only"):
        conn.execute(statement)
    conn.close()


def test_a_payment_status_may_move_on_but_not_its_amount(hall):
    standard_hall(hall, members=1)
    record_payment(hall, "1001", 4500, "cash")
    conn = raw(hall)
    conn.execute("UPDATE payments SET status = 'failed'")
    assert conn.execute("SELECT status, amount_cents FROM payments").fetchone() == ("failed", 4500)
    conn.close()


def _tamper(hall, sql: str) -> None:
    conn = raw(hall)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")\
            .fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute(sql)
    conn.close()


def test_an_entry_changed_behind_the_apps_back_is_found(hall):
    standard_hall(hall, members=3)
    good = verify(hall)
    assert good.ok
    conn = raw(hall)
    (seq,) = conn.execute("SELECT seq FROM audit_log WHERE after_json LIKE '%First1%'").fetchone()
    conn.close()
    _tamper(hall, f"UPDATE audit_log SET after_json = replace(after_json, 'First1', 'Forged') WHERE seq = {seq}")
    report = verify(hall)
    assert not report.ok and report.broken_seq == seq
    assert "changed" in report.problem and report.expected != report.found
    assert str(report).startswith(f"audit chain BROKEN at entry {seq}")


def test_a_deleted_entry_is_found(hall):
    standard_hall(hall, members=3)
    _tamper(hall, "DELETE FROM audit_log WHERE seq = 4")
    report = verify(hall)
    assert not report.ok and report.broken_seq == 5 and "missing" in report.problem


def test_a_rewritten_tail_with_recomputed_hash_is_still_found(hall):
    """Recomputing one row's hash is not enough: the next row points at the old one."""
    standard_hall(hall, members=3)
    conn = raw(hall)
    row = conn.execute(f"SELECT {', '.join(audit.AUDIT_COLUMNS)} FROM audit_log WHERE seq = 3").fetchone()
    seq, at, actor, action, etype, eid, before, after, rows_json, prev, _ = row
    forged = audit.entry_hash(prev, seq, at, "mallory", action, etype, eid, before, after, rows_json)
    conn.close()
    _tamper(hall, f"UPDATE audit_log SET actor = 'mallory', hash = '{forged}' WHERE seq = 3")
    report = verify(hall)
    assert not report.ok and report.broken_seq == 4 and "does not follow" in report.problem


def _writer(data_dir: str, start: int, n: int) -> None:
    hall = open_hall(data_dir, actor=f"proc{start}")
    for i in range(n):
        add_member(hall, MemberData(str(start + i), "Con", "Current", "Journeyman Wireman"))
    hall.close()


def test_writers_in_two_processes_keep_one_unbroken_chain(hall, tmp_path):
    standard_hall(hall, members=0)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path / "hall"), base, 40)) for base in (5000, 6000)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    report = verify(hall)
    assert report.ok, str(report)
    assert count(hall, "members") == 80
