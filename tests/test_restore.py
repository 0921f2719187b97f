"""Restoring a backup, and the daily automatic backups."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys

import pytest

from helpers import count, run_treasurer, standard_hall
from treasurer import audit
from treasurer.backup import automatic_backups, backup_if_due, backup_to, check_backup, restore_from
from treasurer.db import open_database
from treasurer.errors import UserFacingError
from treasurer.hall import Hall, open_hall
from treasurer.members import MemberData, add_member
from treasurer.payments import record_payment


def url_of(hall: Hall) -> str:
    return f"sqlite:///{hall.db.sqlite_path}"


def aside_files(hall: Hall) -> list:
    return sorted(hall.db.sqlite_path.parent.glob("treasurer.sqlite3.before-restore-*"))


def test_restore_brings_back_the_backup_and_keeps_the_current_books_aside(hall, tmp_path):
    standard_hall(hall, members=3)
    record_payment(hall, "1001", 4500, "cash")
    backup = backup_to(hall.db, tmp_path / "b.sqlite3")
    record_payment(hall, "1002", 9900, "check", "77")  # after the backup
    add_member(hall, MemberData("2001", "Late", "Comer", "Retiree"))
    later_entries = count(hall, "audit_log")
    hall.close()

    report = restore_from(url_of(hall), backup.path, now=dt.datetime(2026, 11, 25, 9, 30))
    assert report.chain.ok and report.chain.entries == backup.chain.entries
    assert report.kept_aside.name == "treasurer.sqlite3.before-restore-20261125-093000"
    assert "kept as" in str(report) and str(report).startswith(f"Restored {backup.path}")

    restored = open_hall(str(hall.db.sqlite_path.parent), actor="tester")
    assert count(restored, "payments") == 1 and count(restored, "members") == 3
    with restored.read() as s:
        assert audit.verify(s).head == backup.chain.head
    record_payment(restored, "1003", 100, "cash")  # a working hall, in WAL mode again
    restored.close()
    assert check_backup(report.kept_aside).chain.entries == later_entries  # nothing was lost
    assert not list(hall.db.sqlite_path.parent.glob("*.restoring-*"))


def test_a_backup_whose_audit_chain_does_not_verify_is_refused_and_nothing_changes(hall, tmp_path):
    standard_hall(hall, members=2)
    backup = backup_to(hall.db, tmp_path / "b.sqlite3")
    conn = sqlite3.connect(backup.path)
    conn.execute("DROP TRIGGER charges_no_update")
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
    conn.commit()
    conn.close()
    hall.close()
    before = hall.db.sqlite_path.read_bytes()
    with pytest.raises(UserFacingError, match="does not verify: audit chain BROKEN at entry 3"):
        restore_from(url_of(hall), backup.path)
    assert hall.db.sqlite_path.read_bytes() == before and not aside_files(hall)


def test_a_file_that_fails_the_integrity_check_is_refused(hall, tmp_path):
    standard_hall(hall, members=30)
    backup = backup_to(hall.db, tmp_path / "b.sqlite3")
    hall.close()
    # Scribble over the middle of a table page, leaving the header readable: the file still opens.
    conn = sqlite3.connect(backup.path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'members'").fetchone()[0]
    conn.close()
    data = bytearray(backup.path.read_bytes())
    start = (root - 1) * page_size
    data[start + 8:start + page_size - 8] = bytes(range(256)) * ((page_size - 16) // 256) + bytes(
        (page_size - 16) % 256)
    backup.path.write_bytes(bytes(data))
    with pytest.raises(UserFacingError, match="integrity check|not a readable database"):
        restore_from(url_of(hall), backup.path)
    assert not aside_files(hall)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database" * 500)
    with pytest.raises(UserFacingError, match="not a readable database"):
        restore_from(url_of(hall), junk)
    with pytest.raises(UserFacingError, match="There is no file"):
        restore_from(url_of(hall), tmp_path / "missing.sqlite3")


def test_a_backup_from_a_newer_version_is_refused(hall, tmp_path):
    standard_hall(hall, members=1)
    backup = backup_to(hall.db, tmp_path / "b.sqlite3")
    hall.close()
    conn = sqlite3.connect(backup.path)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    with pytest.raises(UserFacingError, match="newer version of Hall Treasurer"):
        restore_from(url_of(hall), backup.path)
    assert not aside_files(hall)


HOLD = """
import sys, time
from treasurer.hall import open_hall
hall = open_hall(sys.argv[1], actor="window")
hall.setting("hall_name")          # the window keeps its connection open, idle
print("open", flush=True)
sys.stdin.readline()
hall.close()
print("closed", flush=True)
"""


def test_restore_is_refused_while_another_program_has_the_books_open(hall, tmp_path):
    standard_hall(hall, members=2)
    backup = backup_to(hall.db, tmp_path / "b.sqlite3")
    data_dir = hall.db.sqlite_path.parent
    hall.close()
    other = subprocess.Popen([sys.executable, "-c", HOLD, str(data_dir)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "open"
        done = run_treasurer("restore", str(backup.path), data_dir=data_dir)
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert "open in another program" in done.stderr and "Nothing was changed" in done.stderr
        assert not aside_files(hall)
        other.stdin.write("\n")
        other.stdin.flush()
        assert other.stdout.readline().strip() == "closed"
    finally:
        other.stdin.close()
        other.wait(30)
    done = run_treasurer("restore", str(backup.path), data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Restored ") and "audit chain OK" in done.stdout and "kept as" in done.stdout
    assert len(aside_files(hall)) == 1


def test_a_damaged_database_can_be_replaced_by_its_backup(hall, tmp_path):
    standard_hall(hall, members=2)
    backup = backup_to(hall.db, tmp_path / "b.sqlite3")
    path = hall.db.sqlite_path
    hall.close()
    for extra in ("-wal", "-shm"):
        path.with_name(path.name + extra).unlink(missing_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    report = restore_from(f"sqlite:///{path}", backup.path)
    assert report.kept_aside.read_bytes().startswith(b"this is not a database")
    db = open_database(f"sqlite:///{path}")
    restored = Hall(db, actor="tester")
    assert count(restored, "members") == 2
    restored.close()


def test_restore_refuses_a_postgresql_hall(tmp_path):
    with pytest.raises(UserFacingError, match="SQLite only"):
        restore_from("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path / "b.sqlite3")


# Daily backups ----------------------------------------------------------------------------------------------

def test_daily_backups_one_a_day_keeping_the_last_n(hall, tmp_path):
    standard_hall(hall, members=2)
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")  # someone else's file in the folder is never touched
    day = dt.datetime(2026, 11, 1, 8, 0)
    first = backup_if_due(hall.db, folder, keep=3, now=day)
    assert first.made is not None and first.made.chain.ok and first.removed == ()
    assert first.made.path.name == "treasurer-20261101-080000.sqlite3"
    again = backup_if_due(hall.db, folder, keep=3, now=day + dt.timedelta(hours=9))
    assert again.made is None and "already made" in str(again) and again.latest == first.made.path
    made = [first.made.path]
    for n in range(1, 6):
        record_payment(hall, "1001", 100 * n, "cash")
        result = backup_if_due(hall.db, folder, keep=3, now=day + dt.timedelta(days=n, minutes=n))
        assert result.made is not None
        made.append(result.made.path)
        if n >= 3:
            assert result.removed == (made[n - 3],)
    kept = [path for _, path in automatic_backups(folder)]
    assert kept == made[-3:]
    assert (folder / "notes.txt").read_text() == "mine"
    assert check_backup(kept[-1]).chain.entries == count(hall, "audit_log")
    with pytest.raises(UserFacingError, match="at least one"):
        backup_if_due(hall.db, folder, keep=0)


def test_the_daily_backup_from_the_command_line(cli, capsys):
    cli("init", "--hall-name", "Local 9")
    _, out, _ = cli("backup", "--auto", "--keep", "2")
    assert out.startswith(f"Backed up to {cli.data_dir / 'backups'}") and "keeping the last 1" in out
    _, out, _ = cli("backup", "--auto")
    assert out.startswith("Today's backup is already made")
    with pytest.raises(SystemExit):
        cli("backup")
    assert "one of the arguments --to --auto is required" in capsys.readouterr().err


def test_daily_backups_leave_a_postgresql_hall_to_its_server(tmp_path):
    from treasurer.db import Database

    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")  # never connected to
    result = backup_if_due(db, tmp_path / "backups")
    db.close()
    assert result.made is None and "pg_dump" in str(result) and not (tmp_path / "backups").exists()
