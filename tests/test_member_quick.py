"""``treasurer member show`` on a SQLite hall reads with the standard library alone (treasurer.member_quick), with
SQL generated from the normal path's own SQLAlchemy expressions: it prints byte for byte what the normal path
prints, for members with every kind of line, and leaves what it cannot answer to the normal path.

Shape and sameness, not time: the time is bench/bench_cli.py's to measure."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest
from helpers import PAT_PIN, SAM_PIN, officers, run_treasurer, standard_hall

from treasurer import cli as treasurer_cli
from treasurer import clock, ledger, member_reads
from treasurer.adjustments import decide, request_adjustment
from treasurer.cli import member as member_command
from treasurer.dues import assess
from treasurer.member_quick import read_arrears, read_sheet, sqlite_file
from treasurer.members import MemberData, add_member, find_member
from treasurer.models import Adjustment, Member, Payment
from treasurer.payments import record_payment
from treasurer.slips import create_slips

DAY = "2026-11-24"
NUMBERS = [str(n) for n in range(1001, 1012)]

NORMAL_PATH = """
import sys
import treasurer.cli.arrears
import treasurer.cli.member
treasurer.cli.member.QUICK = treasurer.cli.arrears.QUICK = False
from treasurer.cli import main
sys.exit(main(sys.argv[1:]))
"""


def normal_path(*args: str, data_dir) -> subprocess.CompletedProcess:
    """``treasurer ARGS`` as its own process, with the quick path switched off."""
    return subprocess.run([sys.executable, "-c", NORMAL_PATH, "--data-dir", str(data_dir), *args],
                          text=True, capture_output=True, timeout=120, check=False,
                          env={**os.environ, "TREASURER_TODAY": DAY})


@pytest.fixture
def varied(hall, gateway, monkeypatch, tmp_path):
    """Eleven members, each with something else on their sheet."""
    monkeypatch.setenv("TREASURER_TODAY", DAY)
    standard_hall(hall, members=9)                                   # 1001 ... 1009, monthly at $45.00
    officers(hall)
    for month in ("2026-07", "2026-08", "2026-09", "2026-10", "2026-11"):
        assess(hall, month)
    record_payment(hall, "1001", 5 * 4500, "check", "1042", received_on=dt.date(2026, 11, 3))   # paid up
    # 1002 pays nothing: five months behind.
    record_payment(hall, "1003", 5 * 4500 + 2000, "money_order", "MO-7", received_on=dt.date(2026, 7, 2))  # credit
    record_payment(hall, "1004", 4500, "cash", received_on=dt.date(2026, 7, 9))
    with hall.write() as tx:
        mid = find_member(tx.session, "1004").id
        for status, day in (("pending", dt.date(2026, 11, 20)), ("failed", dt.date(2026, 10, 2))):
            tx.session.add(Payment(member_id=mid, amount_cents=4500, method="us_bank_account", status=status,
                                   received_on=day, reference="", recorded_by="tester", created_at=clock.stamp()))
    receipt = record_payment(hall, "1005", 2 * 4500, "card", "online", received_on=dt.date(2026, 8, 5))
    with hall.write() as tx:                                          # taken back: a refund made in Stripe
        tx.session.add(Adjustment(member_id=find_member(tx.session, "1005").id, kind="refund", amount_cents=4500,
                                  effective_on=dt.date(2026, 9, 1), reason="Refunded in Stripe's dashboard",
                                  payment_id=receipt.payment_id, needs_approval=False, created_at=clock.stamp()))
    waiting = request_adjustment(hall, "1006", 2000, "waiver", "Hardship", "Pat Morales", pin=PAT_PIN)
    approved = request_adjustment(hall, "1006", 4500, "hardship_credit", "Injured on the job", "Pat Morales",
                                  effective_on=dt.date(2026, 9, 15), pin=PAT_PIN)
    denied = request_adjustment(hall, "1006", 1000, "write_off", "Asked twice", "Pat Morales", pin=PAT_PIN)
    decide(hall, approved.id, "Sam Okafor", SAM_PIN, True, "approved at the meeting")
    decide(hall, denied.id, "Sam Okafor", SAM_PIN, False, "not a hardship")
    assert waiting.id
    request_adjustment(hall, "1009", 1500, "correction", "Charged twice in 2025", "Pat Morales", increase=True,
                       pin=PAT_PIN)
    # Slips: 1007's first superseded by a part payment, then a new one open; 1008's paid at the counter.
    create_slips(hall, gateway, "2026-11", ["1007", "1008"], arrears=True)
    record_payment(hall, "1007", 1000, "cash", gateway=gateway)
    create_slips(hall, gateway, "2026-11", ["1007"], arrears=True)
    record_payment(hall, "1008", 5 * 4500, "check", "2001", gateway=gateway)
    # 1010 was never charged (withdrawn) but paid; 1011 has nothing at all.
    add_member(hall, MemberData("1010", "Ann", "O'Neil", "Retiree", status="withdrawn"))
    record_payment(hall, "1010", 3000, "cash", received_on=dt.date(2026, 10, 1))
    add_member(hall, MemberData("1011", "José", "Núñez", "Journeyman Wireman", email="jn@example.org"))
    data_dir = tmp_path / "hall"
    hall.close()
    return data_dir


def test_the_generated_sql_is_what_the_expressions_compile_to_now():
    """Regenerate with 'python -m treasurer.member_reads' after changing a query, ledger.py, the models or the
    migrations: the quick path must run exactly the normal path's SQL."""
    assert member_reads.generated_source() == member_reads.GENERATED.read_text(encoding="utf-8")


def test_member_show_prints_the_same_on_both_paths(varied):
    path = varied / "treasurer.sqlite3"
    for number in NUMBERS:
        assert read_sheet(path, number, dt.date.fromisoformat(DAY)) is not None, number    # the quick path answers
        quick = run_treasurer("member", "show", number, data_dir=varied, env={"TREASURER_TODAY": DAY})
        normal = normal_path("member", "show", number, data_dir=varied)
        assert quick.returncode == normal.returncode == 0, quick.stderr + normal.stderr
        assert quick.stdout == normal.stdout, number
        assert quick.stderr == normal.stderr == ""
    shown = {n: run_treasurer("member", "show", n, data_dir=varied, env={"TREASURER_TODAY": DAY}).stdout
             for n in ("1002", "1003", "1004", "1005", "1006", "1007", "1010", "1011")}
    assert "Months in arrears: 5." in shown["1002"]
    assert "has a credit of $20.00" in shown["1003"] and "money order MO-7" in shown["1003"]
    assert "Pending (not yet counted): $45.00." in shown["1004"] and "(failed)" in shown["1004"]
    assert "Refund #1: Refunded in Stripe's dashboard" in shown["1005"]
    assert "(awaiting approval)" in shown["1006"] and "(denied)" in shown["1006"]
    assert "Superseded: payment R" in shown["1007"] and "open: its link takes payment" in shown["1007"]
    assert "has a credit of $30.00" in shown["1010"]
    assert "Núñez, José" in shown["1011"] and "Slips: none." in shown["1011"]


def test_the_quick_standing_is_the_ledger_s(varied, hall):
    today = dt.date.fromisoformat(DAY)
    with hall.read() as s:
        for number in NUMBERS:
            walked = ledger.member_standing(s, find_member(s, number).id, today)
            sheet = read_sheet(varied / "treasurer.sqlite3", number, today)
            assert (sheet.balance_cents, sheet.paid_through, sheet.months_in_arrears, sheet.pending_cents) == (
                walked.balance_cents, walked.paid_through, walked.months_in_arrears, walked.pending_cents), number


def test_arrears_prints_the_same_on_both_paths(varied):
    for months in ("1", "3", "6"):
        quick = run_treasurer("arrears", "--months", months, data_dir=varied, env={"TREASURER_TODAY": DAY})
        normal = normal_path("arrears", "--months", months, data_dir=varied)
        assert quick.returncode == normal.returncode == 0, quick.stderr + normal.stderr
        assert quick.stdout == normal.stdout and quick.stderr == normal.stderr == ""
    listed = run_treasurer("arrears", data_dir=varied, env={"TREASURER_TODAY": DAY}).stdout
    assert listed.splitlines()[1].startswith("1002       Last1, First1") and "$225.00" in listed.splitlines()[1]
    assert "No member is 6 or more months in arrears." in quick.stdout
    assert read_arrears(varied / "treasurer.sqlite3", 1, dt.date.fromisoformat(DAY)) is not None


def test_arrears_suspend_goes_the_normal_way(varied):
    preview = run_treasurer("arrears", "--months", "3", "--suspend", data_dir=varied, env={"TREASURER_TODAY": DAY})
    assert preview.returncode == 0 and "Run again with --suspend --yes to apply." in preview.stdout
    done = run_treasurer("arrears", "--months", "3", "--suspend", "--yes", data_dir=varied,
                         env={"TREASURER_TODAY": DAY})
    assert done.returncode == 0 and done.stdout.rstrip().endswith("members.") and "Suspended" in done.stdout
    shown = run_treasurer("member", "show", "1002", data_dir=varied, env={"TREASURER_TODAY": DAY}).stdout
    assert shown.startswith("1002  Last1, First1  (Journeyman Wireman, suspended)")


def test_each_member_s_quick_standing_is_ledger_standings_(varied, hall):
    from treasurer.member_quick import _reading, _standing

    today = dt.date.fromisoformat(DAY)
    with hall.read() as s:
        ids = list(s.scalars(member_reads.roll().with_only_columns(Member.id)))
        table = ledger.standings(s, today, ids)
    for mid in ids:
        quick = _reading(varied / "treasurer.sqlite3", lambda conn, mid=mid: _standing(conn, mid, DAY))
        assert dataclasses.astuple(quick) == dataclasses.astuple(table[mid]), mid


def test_who_is_behind_by_the_totals_is_who_is_behind_by_the_whole_roll_s_standings(varied, hall):
    """treasurer.arrears picks the members behind with ledger.standing_totals_select, then walks only them: the
    list is the one ledger.standings over the whole roll gives."""
    from treasurer.arrears import members_in_arrears
    from treasurer.arrears_list import in_arrears

    today = dt.date.fromisoformat(DAY)
    with hall.read() as s:
        everyone = ledger.standings(s, today)
        roll = s.execute(member_reads.roll()).all()
    for months in range(1, 7):
        assert members_in_arrears(hall, months) == in_arrears(roll, everyone, months), months
    assert members_in_arrears(hall, 1)


def test_errors_are_the_normal_path_s_sentences(varied, tmp_path):
    unknown = run_treasurer("member", "show", "999", data_dir=varied)
    assert unknown.returncode == 1 and unknown.stderr == "error: There is no member number '999'.\n"
    assert unknown.stdout == ""
    empty = tmp_path / "nothing-here"
    missing = run_treasurer("member", "show", "1001", data_dir=empty)
    assert missing.returncode == 1 and missing.stderr.startswith("error: There is no hall here yet")


def test_a_locked_database_is_a_sentence(varied, monkeypatch, capsys):
    from treasurer import db, member_quick

    monkeypatch.setattr(member_quick, "BUSY_TIMEOUT_S", 0.2)
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    other = sqlite3.connect(varied / "treasurer.sqlite3", isolation_level=None)
    try:
        other.execute("PRAGMA locking_mode=EXCLUSIVE")
        other.execute("BEGIN EXCLUSIVE")
        other.execute("UPDATE settings SET value = value WHERE key = 'hall_name'")
        code = treasurer_cli.main(["--data-dir", str(varied), "member", "show", "1001"])
    finally:
        other.close()
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err == "error: The database is busy with another program's work; try again in a moment.\n"


def test_what_the_quick_path_cannot_answer_goes_the_normal_way(varied, tmp_path):
    today = dt.date.fromisoformat(DAY)
    assert sqlite_file("postgresql+psycopg://treasurer@127.0.0.1:55432/hall") is None
    assert sqlite_file("sqlite://") is None and sqlite_file("sqlite:///books.db?mode=ro") is None
    assert read_sheet(tmp_path / "no-such-file.sqlite3", "1001", today) is None
    assert read_sheet(varied / "treasurer.sqlite3", " 1001 ", today).member_number == "1001"
    copy = tmp_path / "older.sqlite3"
    shutil.copy(varied / "treasurer.sqlite3", copy)
    conn = sqlite3.connect(copy, isolation_level=None)
    conn.execute("UPDATE alembic_version SET version_num = '0001'")      # books at another schema revision
    conn.close()
    assert read_sheet(copy, "1001", today) is None


def test_the_switch_for_the_normal_path_is_on_by_default():
    assert member_command.QUICK is True


def _same_books(hall) -> None:
    standard_hall(hall, members=4)
    officers(hall)
    for month in ("2026-08", "2026-09", "2026-10", "2026-11"):
        assess(hall, month)
    record_payment(hall, "1001", 9000, "check", "77", received_on=dt.date(2026, 9, 2))
    record_payment(hall, "1003", 30000, "cash", received_on=dt.date(2026, 8, 2))
    request_adjustment(hall, "1004", 2000, "waiver", "Hardship", "Pat Morales", pin=PAT_PIN)


def test_a_postgresql_hall_goes_the_normal_way_and_prints_what_sqlite_s_quick_path_prints(tmp_path, monkeypatch):
    """The same books on PostgreSQL (normal path: SQLAlchemy) and SQLite (quick path) print the same."""
    from test_postgres import scratch_databases

    from treasurer.hall import init_hall, open_hall

    monkeypatch.setenv("TREASURER_TODAY", DAY)
    with scratch_databases() as (pg_url,):
        for folder, url in ((tmp_path / "pg", pg_url), (tmp_path / "lite", None)):
            hall = open_hall(str(folder), url, actor="tester")
            init_hall(hall, "IBEW Local 000", "usd")
            _same_books(hall)
            hall.close()
        env = {"TREASURER_TODAY": DAY}
        for args in (("member", "show", "1001"), ("member", "show", "1003"), ("member", "show", "1004"),
                     ("arrears",)):
            on_pg = run_treasurer("--database-url", pg_url, *args, data_dir=tmp_path / "pg", env=env)
            on_sqlite = run_treasurer(*args, data_dir=tmp_path / "lite", env=env)
            assert on_pg.returncode == on_sqlite.returncode == 0, on_pg.stderr + on_sqlite.stderr
            assert on_pg.stdout == on_sqlite.stdout, args
        assert read_sheet(tmp_path / "lite" / "treasurer.sqlite3", "1001", dt.date.fromisoformat(DAY))
