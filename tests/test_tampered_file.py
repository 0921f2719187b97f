"""Issue 10's cases 6 and 7, tried as a dishonest officer would: edit the database file behind the app, or
restore a doctored backup.  Every command that vouches for the books (audit verify, reconcile, backup,
restore) must say so, through the real command in its own process."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from helpers import run_treasurer


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("demo") / "hall"
    done = run_treasurer("demo", "--members", "60", "--months", "4", data_dir=home)
    assert done.returncode == 0, done.stderr
    return home


@pytest.fixture
def home(demo_home, tmp_path) -> Path:
    copy = tmp_path / "hall"
    shutil.copytree(demo_home, copy)
    return copy


def behind_the_back(home: Path, *statements: str) -> None:
    """Raw SQL on the file, with the append-only triggers dropped for it and put back after."""
    conn = sqlite3.connect(home / "treasurer.sqlite3", isolation_level=None)
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name, _ in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    for statement in statements:
        conn.execute(statement)
    for _, sql in triggers:
        conn.execute(sql)
    conn.close()


def says_ok(home: Path) -> dict[str, bool]:
    """What each command that vouches for the books says: True where it passes the books."""
    verify = run_treasurer("audit", "verify", data_dir=home)
    reconcile = run_treasurer("reconcile", "--no-sync", data_dir=home)
    backup = run_treasurer("backup", "--to", str(home / "check-backup.sqlite3"), data_dir=home)
    for done in (verify, reconcile, backup):
        assert "Traceback" not in done.stderr and "something went wrong" not in done.stderr, done.stderr
    return {"verify": verify.returncode == 0, "reconcile": "cannot be trusted" not in reconcile.stdout,
            "backup": backup.returncode == 0 and (home / "check-backup.sqlite3").exists()}


def test_the_untouched_demo_hall_passes_every_check(home):
    assert says_ok(home) == {"verify": True, "reconcile": True, "backup": True}


CASES = {
    "a payment's amount": ["UPDATE payments SET amount_cents = amount_cents * 10 WHERE id = 3"],
    "a payment's status": ["UPDATE payments SET status = 'failed' WHERE id = 4"],
    "an inserted payment": ["INSERT INTO payments (member_id, amount_cents, method, status, received_on, reference, "
                            "recorded_by, created_at) VALUES (1, 900000, 'cash', 'completed', '2026-01-05', '', "
                            "'Pat Morales', '2026-01-05T10:00:00')"],
    "a PIN hash copied from another officer": [
        "UPDATE officers SET pin_hash = (SELECT pin_hash FROM officers WHERE name = 'Pat Morales') "
        "WHERE name = 'Sam Okafor'"],
    "the newest audit entries cut off": ["DELETE FROM audit_log WHERE seq > (SELECT MAX(seq) - 3 FROM audit_log)"],
}


@pytest.mark.parametrize("case", list(CASES))
def test_an_edit_behind_the_apps_back_is_caught_by_every_check(home, case):
    behind_the_back(home, *CASES[case])
    assert says_ok(home) == {"verify": False, "reconcile": False, "backup": False}
    shown = run_treasurer("audit", "verify", data_dir=home)
    assert shown.returncode == 1 and "audit chain OK" in shown.stdout      # the chain alone would pass
    assert "books DIFFER from the audit log" in shown.stdout


def test_verify_names_the_table_the_row_and_what_differs(home):
    behind_the_back(home, *CASES["a payment's amount"], *CASES["a PIN hash copied from another officer"])
    shown = run_treasurer("audit", "verify", data_dir=home).stdout
    assert "payments row 3: amount_cents is " in shown and ", the log has " in shown
    assert "officers row 2: pin_hash is \"sha256:" in shown


def test_an_anchor_catches_a_log_cut_short_or_rewritten(home):
    first = run_treasurer("audit", "verify", data_dir=home).stdout.split()
    entries, head = int(first[3]), first[6]
    anchor = f"{entries}:{head}"
    assert run_treasurer("audit", "verify", "--expect", anchor, data_dir=home).returncode == 0
    behind_the_back(home, f"DELETE FROM audit_log WHERE seq >= {entries - 1}")
    cut = run_treasurer("audit", "verify", "--expect", anchor, data_dir=home)
    assert cut.returncode == 1
    assert f"anchor: entry {entries} is not in the log, which ends at entry {entries - 2}" in cut.stdout
    wrong = run_treasurer("audit", "verify", "--expect", f"{entries - 5}:{'0' * 64}", data_dir=home)
    assert wrong.returncode == 1 and "was rewritten up to that entry" in wrong.stdout
    bad = run_treasurer("audit", "verify", "--expect", "twelve", data_dir=home)
    assert bad.returncode == 1 and "is not of the form SEQ:HASH" in bad.stderr


def test_a_doctored_backup_is_refused_and_the_books_are_untouched(home, tmp_path):
    """Case 7: payment rows corrupted in a backup (text in a date and an amount column)."""
    made = run_treasurer("backup", "--to", str(tmp_path / "good.sqlite3"), data_dir=home)
    assert made.returncode == 0, made.stderr
    doctored = tmp_path / "doctored.sqlite3"
    shutil.copyfile(tmp_path / "good.sqlite3", doctored)
    conn = sqlite3.connect(doctored, isolation_level=None)
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name, _ in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("UPDATE payments SET received_on = 'garbage', amount_cents = 'lots' WHERE id = 5")
    for _, sql in triggers:
        conn.execute(sql)
    conn.close()
    before = run_treasurer("member", "show", "100001", data_dir=home).stdout

    refused = run_treasurer("restore", str(doctored), data_dir=home)
    assert refused.returncode == 1
    sentence = refused.stderr.strip()
    assert sentence.startswith("error: The database in ") and "does not verify: payments row 5:" in sentence
    assert "amount_cents is \"lots\"" in sentence and "received_on is \"garbage\"" in sentence
    assert len(sentence.splitlines()) == 1
    assert run_treasurer("member", "show", "100001", data_dir=home).stdout == before
    assert run_treasurer("audit", "verify", data_dir=home).returncode == 0
    # The good copy restores.
    restored = run_treasurer("restore", str(tmp_path / "good.sqlite3"), data_dir=home)
    assert restored.returncode == 0, restored.stderr
