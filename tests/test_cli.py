"""The command line as a treasurer uses it: exit codes, sentences, no tracebacks."""

import datetime as dt

import pytest

from helpers import run_treasurer


@pytest.fixture
def books(cli, tmp_path):
    cli("init", "--hall-name", "IBEW Local 000")
    cli("classes", "add", "Journeyman Wireman", "--rate", "45.00", "--frequency", "monthly", "--from",
        "2025-01-01", "--per-capita", "18.50")
    roll = tmp_path / "roll.csv"
    roll.write_text("Member No,Name,Email,Classification,Status,Join Date\n"
                    "1001,\"Lee, Ann\",ann@example.org,Journeyman Wireman,active,2020-01-02\n"
                    "1002,\"Ray, Bob\",,Journeyman Wireman,active,2020-01-02\n")
    _, out, _ = cli("members", "import", str(roll))
    assert out.strip() == "Imported: 2 added, 0 updated, 0 unchanged."
    return cli


def test_init_refuses_an_empty_name_and_commands_need_a_hall(cli):
    code, _, err = cli("arrears", expect=1)
    assert "There is no hall here yet" in err
    code, _, err = cli("init", "--hall-name", "  ", expect=1)
    assert err.startswith("error: The hall needs a name")


def test_assess_pay_show(books):
    _, out, _ = books("dues", "assess", "2026-10")
    assert out.strip() == "Assessed 2026-10: 2 charges, total $90.00."
    _, out, _ = books("dues", "assess", "2026-10")
    assert out.startswith("Nothing new was assessed for 2026-10")
    _, out, _ = books("pay", "1001", "100", "--method", "check", "--ref", "1042", "--date", "2026-10-03")
    assert "Receipt R000001: $100.00 check from Ann Lee (1001) on 2026-10-03." in out
    assert "Applied to: 2026-10 $45.00, credit on account $55.00." in out
    assert "New balance: -$55.00; paid through 2026-10." in out
    _, out, _ = books("member", "show", "1001")
    assert "2026-10-03  Payment R000001 check 1042" in out
    assert "Balance: -$55.00 (has a credit of $55.00). Paid through: 2026-10. Months in arrears: 0." in out
    books("dues", "assess", "2026-11")          # the credit pays November; the copy still says what it paid
    _, out, _ = books("receipt", "R000001")
    assert "Receipt R000001 (copy): $100.00 check from Ann Lee (1001) on 2026-10-03" in out
    assert "Applied to: 2026-10 $45.00, 2026-11 $45.00, credit on account $10.00." in out
    _, _, err = books("receipt", "R7", expect=1)
    assert "There is no payment R000007" in err
    _, _, err = books("receipt", "seven", expect=1)
    assert "'seven' is not a receipt number" in err


@pytest.mark.parametrize("amount, says", [
    ("-5", "must be positive"), ("12.345", "more than two digits"), ("abc", "not an amount"),
    ("0", "more than zero"),
])
def test_bad_amounts_are_refused_and_nothing_is_recorded(books, amount, says):
    code, out, err = books("pay", "1001", amount, "--method", "cash", expect=1)
    assert err.startswith("error: ") and says in err and len(err.strip().splitlines()) == 1
    _, out, _ = books("member", "show", "1001")
    assert "Payment" not in out


def test_the_same_check_twice_is_refused(books):
    books("pay", "1001", "45", "--method", "check", "--ref", "77")
    _, _, err = books("pay", "1001", "45", "--method", "check", "--ref", "77", expect=1)
    assert "already recorded" in err and "R000001" in err
    books("pay", "1001", "45", "--method", "check", "--ref", "77", "--allow-duplicate")


def test_arrears_and_suspension_preview_then_apply(books):
    today = dt.date.today()
    months = []
    for back in range(4, 0, -1):
        idx = today.year * 12 + today.month - 1 - back
        months.append(f"{idx // 12}-{idx % 12 + 1:02d}")
    for month in months:
        books("dues", "assess", month)
    books("pay", "1002", str(45 * 4), "--method", "cash")
    _, out, _ = books("arrears", "--months", "3")
    assert "1001" in out and "1002" not in out and out.strip().endswith("1 members, $180.00 overdue.")
    _, out, _ = books("arrears", "--months", "3", "--suspend")
    assert "Would suspend 1 active members" in out
    _, out, _ = books("member", "show", "1001")
    assert "active" in out.splitlines()[0]
    _, out, _ = books("arrears", "--months", "3", "--suspend", "--yes")
    assert "Suspended 1 members." in out
    _, out, _ = books("member", "show", "1001")
    assert "suspended" in out.splitlines()[0]
    idx = today.year * 12 + today.month
    _, out, _ = books("dues", "assess", f"{idx // 12}-{idx % 12 + 1:02d}")
    assert "1 charges" in out  # the suspended member is not assessed


def test_officers_adjustments_and_approval_with_pins(books):
    books("officers", "add", "Pat Morales", "--role", "treasurer", "--pin-stdin", stdin="123456\n")
    _, out, _ = books("officers", "list")
    assert out.splitlines()[-1].startswith("Dual control is not in force: the hall has only one active officer")
    _, _, err = books("officers", "add", "Lee Chen", "--role", "trustee", "--pin-stdin", stdin="246802\n",
                      expect=1)
    assert "An officer of the hall must vouch for Lee Chen" in err      # else anyone could make up a second officer
    _, _, err = books("officers", "add", "Lee Chen", "--role", "trustee", "--vouched-by", "Pat Morales",
                      "--pin-stdin", stdin="246802\n000000\n", expect=1)
    assert "PIN for Pat Morales is not right" in err
    _, _, err = books("officers", "add", "Lee Chen", "--role", "trustee", "--pin-stdin", stdin="2468\n", expect=1)
    assert "A new PIN is 6 to 12 digits" in err
    books("officers", "add", "Lee Chen", "--role", "trustee", "--vouched-by", "Pat Morales", "--pin-stdin",
          stdin="246802\n123456\n")
    _, out, _ = books("officers", "list")
    assert "Dual control" not in out
    books("dues", "assess", "2026-09")
    _, _, err = books("adjust", "1001", "45", "--kind", "waiver", "--reason", "hardship", "--officer", "Pat Morales",
                      expect=1)
    assert "A PIN is needed" in err
    _, out, _ = books("adjust", "1001", "45", "--kind", "waiver", "--reason", "hardship", "--officer", "Pat Morales",
                      "--pin-stdin", stdin="123456\n")
    assert out.startswith("Adjustment 1 (waiver, -$45.00) is waiting")
    _, _, err = books("approve", "1", "--officer", "Pat Morales", "--pin-stdin", stdin="123456\n", expect=1)
    assert "a different officer must approve" in err
    _, _, err = books("approve", "1", "--officer", "Lee Chen", "--pin-stdin", stdin="999999\n", expect=1)
    assert "PIN for Lee Chen is not right" in err
    _, _, err = books("approve", "1", "--officer", "Lee Chen", expect=1)
    assert "--pin-stdin" in err
    books("approve", "1", "--officer", "Lee Chen", "--pin-stdin", stdin="246802\n")
    _, out, _ = books("member", "show", "1001")
    assert "Balance: $0.00 (owes nothing)" in out
    _, _, err = books("periods", "close", "2026-09", "--officer", "Lee Chen", "--note", "September done", expect=1)
    assert "A PIN is needed" in err
    _, out, _ = books("periods", "close", "2026-09", "--officer", "Lee Chen", "--note", "September done",
                      "--pin-stdin", stdin="246802\n")
    assert out.splitlines()[0] == "Closed period 2026-09." and out.splitlines()[1].startswith("Anchor: ")
    _, _, err = books("pay", "1002", "45", "--method", "cash", "--date", "2026-09-20", expect=1)
    assert "falls in period 2026-09, which is closed" in err


def test_officers_change_pins_and_leave(books):
    books("officers", "add", "Pat Morales", "--role", "treasurer", "--pin-stdin", stdin="123456\n")
    books("officers", "add", "Lee Chen", "--role", "trustee", "--vouched-by", "Pat Morales", "--pin-stdin",
          stdin="246802\n123456\n")
    _, _, err = books("officers", "change-pin", "Pat Morales", "--pin-stdin", stdin="999999\n432100\n", expect=1)
    assert "old PIN for Pat Morales is not right" in err
    books("officers", "change-pin", "Pat Morales", "--pin-stdin", stdin="123456\n432100\n")
    # Lee forgot theirs: with only Pat besides Lee, Pat alone cannot reset it, and is told the way out.
    _, _, err = books("officers", "change-pin", "Lee Chen", "--vouched-by", "Pat Morales", "--pin-stdin",
                      stdin="432100\n135791\n", expect=1)
    assert "Pat Morales alone cannot reset Lee Chen's PIN" in err
    _, _, err = books("officers", "deactivate", "Lee Chen", "--by", "Lee Chen", "--pin-stdin", stdin="246802\n",
                      expect=1)
    assert "Another officer must vouch" in err
    _, out, _ = books("officers", "deactivate", "Lee Chen", "--by", "Pat Morales", "--pin-stdin", stdin="432100\n")
    assert "Dual control is not in force" in out
    _, out, _ = books("officers", "list")
    assert [line.split()[-1] for line in out.splitlines()[:2]] == ["inactive", "active"]   # Lee Chen, Pat Morales
    assert out.splitlines()[2].startswith("Dual control is not in force")
    _, _, err = books("officers", "deactivate", "Pat Morales", "--by", "Lee Chen", "--pin-stdin", stdin="246802\n",
                      expect=1)
    assert "last active officer" in err
    _, _, err = books("officers", "reactivate", "Lee Chen", "--by", "Pat Morales", "--pin-stdin", stdin="000000\n",
                      expect=1)
    assert "PIN for Pat Morales is not right" in err
    _, out, _ = books("officers", "reactivate", "Lee Chen", "--by", "Pat Morales", "--new-pin", "--pin-stdin",
                      stdin="135791\n432100\n")
    assert out.strip() == "Lee Chen is active again with a new PIN."
    _, out, _ = books("audit", "log", "--limit", "20")
    assert "officer.pin_change" in out and "officer.deactivate" in out and "officer.reactivate" in out
    assert "135791" not in out and "432100" not in out


def test_audit_verify_and_log(books):
    _, out, _ = books("audit", "verify")
    assert out.startswith("audit chain OK: ")
    _, out, _ = books("audit", "log", "--limit", "3")
    assert len(out.strip().splitlines()) == 3 and "member.add" in out


def test_export_writes_the_roll(books, tmp_path):
    target = tmp_path / "out.csv"
    _, out, _ = books("members", "export", str(target))
    assert out.strip() == f"Exported 2 members to {target}."
    assert target.read_text().splitlines()[1].startswith("1001,Ann,Lee,ann@example.org")


def test_the_installed_command_runs_and_never_shows_a_traceback(tmp_path):
    home = tmp_path / "hall"
    done = run_treasurer("init", "--hall-name", "Local 1", data_dir=home)
    assert done.returncode == 0, done.stderr
    bad = run_treasurer("members", "import", str(tmp_path / "missing.csv"), data_dir=home)
    assert bad.returncode == 1 and bad.stderr.startswith("error: Cannot read") and "Traceback" not in bad.stderr
    usage = run_treasurer("pay", data_dir=home)
    assert usage.returncode == 2 and "Traceback" not in usage.stderr
    version = run_treasurer("--version", data_dir=home)
    assert version.stdout.startswith("Hall Treasurer ")


def test_a_damaged_database_is_explained(tmp_path):
    home = tmp_path / "hall"
    run_treasurer("init", "--hall-name", "Local 1", data_dir=home)
    (home / "treasurer.sqlite3").write_bytes(b"this is not a database" * 100)
    done = run_treasurer("arrears", data_dir=home)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: The database file") and "restore the latest backup" in done.stderr


def test_a_database_from_a_newer_version_is_refused(tmp_path):
    import sqlite3
    home = tmp_path / "hall"
    run_treasurer("init", "--hall-name", "Local 1", data_dir=home)
    conn = sqlite3.connect(home / "treasurer.sqlite3")
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    done = run_treasurer("arrears", data_dir=home)
    assert done.returncode == 1 and "newer version of Hall Treasurer" in done.stderr
