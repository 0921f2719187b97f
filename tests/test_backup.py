import sqlite3
import threading

import pytest

from helpers import count, standard_hall
from treasurer.backup import backup_to, check_backup
from treasurer.errors import UserFacingError
from treasurer.hall import Hall
from treasurer.db import open_database
from treasurer.members import MemberData, add_member
from treasurer.payments import record_payment


def test_a_backup_taken_while_writing_opens_and_verifies(hall, tmp_path):
    standard_hall(hall, members=5)
    stop = threading.Event()

    def keep_paying():
        while not stop.is_set():
            record_payment(hall, "1001", 100, "cash")

    writer = threading.Thread(target=keep_paying)
    writer.start()
    try:
        report = backup_to(hall.db, tmp_path / "copies" / "hall.sqlite3")
    finally:
        stop.set()
        writer.join()
    assert report.chain.ok and report.size_bytes > 0
    restored = Hall(open_database(f"sqlite:///{report.path}"), actor="tester")
    assert restored.setting("hall_name") == "IBEW Local 000"
    with restored.read() as s:
        from treasurer import audit
        assert audit.verify(s).entries == report.chain.entries
    add_member(restored, MemberData("9001", "Re", "Stored", "Retiree"))  # the copy is a working hall
    restored.close()


def test_a_tampered_or_foreign_file_is_refused(hall, tmp_path):
    standard_hall(hall, members=2)
    report = backup_to(hall.db, tmp_path / "b.sqlite3")
    conn = sqlite3.connect(report.path)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET actor = 'x' WHERE seq = 2")
    conn.commit()
    conn.close()
    with pytest.raises(UserFacingError, match="does not verify: audit chain BROKEN at entry 2"):
        check_backup(report.path)
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(UserFacingError, match="not a Hall Treasurer database"):
        check_backup(other)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"x" * 4096)
    with pytest.raises(UserFacingError, match="not a readable database"):
        check_backup(junk)


def test_backup_command(cli, tmp_path):
    cli("init", "--hall-name", "Local 9")
    _, out, _ = cli("backup", "--to", str(tmp_path / "b.sqlite3"))
    assert out.startswith(f"Backed up to {tmp_path / 'b.sqlite3'}") and "audit chain OK" in out
    _, _, err = cli("backup", "--to", str(cli.data_dir / "treasurer.sqlite3"), expect=1)
    assert "cannot be the database itself" in err
